#!/usr/bin/env bash
# The whole tin100 protocols of docs/RESULTS.md: all 500 training images per class, all six
# phases, seed 1993, the configs' 8-epoch schedule. Two lanes of one engine thread each run side
# by side (two 1-thread runs on 2 cores do not slow each other down the way two 2-thread runs
# do); every run that trains its first phase as plain cross-entropy on a linear head shares
# fine-tuning's (--base-from), the multi-task runs too (their first task is the same 50 classes
# with one head). The script can be stopped and started again: a finished run is skipped, an
# unfinished one resumes from its last checkpoint.
#
#   bench/tin100-whole.sh a & bench/tin100-whole.sh b &     # the two lanes, ~1 h per run each
#   LUCIR_BASE=runs/b50-lucir bench/tin100-whole.sh b       # share an earlier LUCIR's first phase
#   ./cil report runs/whole/{finetune,replay,icarl,icarl-facil,lucir,lucir-nobft} --out runs/whole/report-b50
#   ./cil report runs/whole/{finetune,replay,wa,bic,ewc,mas,der,der++,podnet} --out runs/whole/report-compared
#   ./cil report runs/whole/t-{finetune,fe,lwf,d,r,dr} --out runs/whole/report-tasks
#
# CIL=path/to/a/copied/cil runs a fixed build while the sources change (docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
O=${OUT:-runs/whole}
CIL=${CIL:-./cil}
lane=${1:?usage: bench/tin100-whole.sh a|b}
B=configs/tin100-32-b50.json; L=configs/tin100-32-b50-lucir.json; T=configs/tin100-32-tasks.json
FT="--base-from $O/finetune"
LB="--base-from ${LUCIR_BASE:-$O/lucir}"
mkdir -p "$O"
# a fresh copy's launcher builds on its first use: one lane builds, the other waits for it
flock "$O/.build.lock" "$CIL" --version > /dev/null

# run NAME ARGS...: skip a finished run, resume an unfinished one, else start it
run() {
  local n=$1; shift
  local d=$O/$n
  if grep -qs '"complete" *: *true' "$d/results.json"; then echo "$n: finished, skipped"; return; fi
  local again=()
  [ -d "$d/checkpoints" ] && [ -n "$(ls -A "$d/checkpoints" 2>/dev/null)" ] && again=(--resume "$d")
  echo "$n: $(date -u +%H:%M) start ${again[*]:-}"
  local cil=("$CIL")
  # RSS=1: through bench/rss-profile.sh, which adds where the peak's memory sits to the log
  [ -n "${RSS:-}" ] && cil=(env CIL="$CIL" bench/rss-profile.sh)
  "${cil[@]}" run "$@" --threads 1 --quiet --set name=\""$n"\" --out "$d" ${again[@]+"${again[@]}"} > "$O/$n.log" 2>&1 \
    || { echo "$n: FAILED, see $O/$n.log (the lane goes on)"; tail -5 "$O/$n.log"; return 0; }
  echo "$n: $(date -u +%H:%M) done"
}
# wait_base NAME: the lane waits until NAME has finished its first phase
wait_base() { until [ -f "$O/$1/base/manifest.json" ]; do sleep 60; done; }

case "$lane" in
  a)
    run finetune --config $B --method finetune
    run icarl --config $B --method icarl $FT
    run replay --config $B --method replay $FT
    run wa --config $B --method wa $FT
    run bic --config $B --method bic $FT
    run ewc --config $B --method ewc $FT
    run mas --config $B --method mas $FT
    run der++ --config $B --method der++ $FT
    run wa-2021 --config $B --method wa --set method.params.loss=\"pycil-2021\" $FT
    run der --config $B --method der $FT
    run icarl-facil --config $B --method icarl --set method.params.variant=\"facil\" $FT
    ;;
  b)
    [ -n "${LUCIR_BASE:-}" ] || run lucir --config $L
    run lucir-nobft --config $L --set method.params.balancedFinetune=false $LB
    wait_base finetune
    run t-dr --config $T --method dr-dr --set 'method.params={}' $FT
    run t-lwf --config $T $FT
    run t-finetune --config $T --method finetune --set 'method.params={}' $FT
    run podnet --config $B --method podnet --set model.classifier=\"lsc\" --set model.lastRelu=false
    run t-fe --config $T --method feature-extraction --set 'method.params={}' $FT
    run t-r --config $T --method dr-r --set 'method.params={}' $FT
    run t-d --config $T --method dr-d --set 'method.params={}' $FT
    RSS=1 run lucir-mem --config $L     # issue 12's memory target: a whole LUCIR run's peak
    ;;
  *) echo "lane must be a or b" >&2; exit 2;;
esac
