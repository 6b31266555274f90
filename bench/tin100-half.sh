#!/usr/bin/env bash
# The tin100 runs of docs/RESULTS.md ("8-epoch protocol on half the images"): the protocols'
# 8-epoch schedule on 250 training images per class, the first three phases (50 base classes,
# then two phases of 10); the LUCIR ablations stop after the first incremental phase. Methods that
# train phase 1 the same way share it (--base-from). One run at a time: two engine processes on
# two cores slow each other down 3-5x. About 4 hours on 2 cores. Then:
#   ./cil report runs/half/{finetune,lwf-mc,icarl,lucir,icarl-paper} --out runs/half/report-b50
#   ./cil report runs/half/lucir runs/half/abl-* --out runs/half/report-ablation
#   ./cil report runs/half/t-{finetune,fe,lwf,r,dr,d} --out runs/half/report-tasks
#   ./cil report runs/half/t-dr runs/half/res-{0,1,2,10,20} --vary method.params.reservedPerClass --out runs/half/report-reserved
#   ./cil report runs/half/t3-* --out runs/half/report-t3
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
O=${OUT:-runs/half}
H="--set scenario.trainPerClass=250 --threads 2 --quiet"
run() { local n=$1; shift; ./cil run "$@" $H --set name=\"$n\" --out $O/$n; }
B=configs/tin100-32-b50.json; L=configs/tin100-32-b50-lucir.json; T=configs/tin100-32-tasks.json
M=configs/tin100-fmnist-mnist-tasks.json
R3="--set runPhases=3"; R2="--set runPhases=2"; CE="--base-from $O/finetune"
run finetune --config $B --method finetune $R3
run lucir --config $L $R3
run icarl --config $B --method icarl $CE $R3
run icarl-paper --config $B --method icarl --set method.params.variant=paper --set train.lr=2.0 --set train.weightDecay=1e-5 $R3
run lwf-mc --config $B --method lwf-mc $R3
run t-lwf --config $T --method lwf $CE $R3
run t-dr --config $T --method dr-dr --set 'method.params={}' $CE $R3
run t-r --config $T --method dr-r --set 'method.params={}' $CE $R3
run t-finetune --config $T --method finetune --set 'method.params={}' $CE $R3
run t-fe --config $T --method feature-extraction --set 'method.params={}' $CE $R3
run t-d --config $T --method dr-d --set 'method.params={}' $CE $R3
for r in 0 1 2 10 20; do
  run res-$r --config $T --method dr-dr --set "method.params={\"reservedPerClass\":$r}" $CE $R3
done
run res-5-both --config $T --method dr-dr --set 'method.params={"reservedPerClass":5,"oldOnReservedOnly":false}' $CE $R3
for part in lessForget marginRanking balancedFinetune adaptiveLambda; do
  run abl-no-$part --config $L --set method.params.$part=false --base-from $O/lucir $R2
done
run abl-no-cosineNormalization --config $L --set method.params.cosineNormalization=false \
  --set model.classifier=linear --set model.lastRelu=true $CE $R2
run t3-finetune --config $M --method finetune
run t3-lwf --config $M --method lwf --base-from $O/t3-finetune
run t3-dr --config $M --method dr-dr --base-from $O/t3-finetune
run t3-r --config $M --method dr-r --base-from $O/t3-finetune
run t3-fe --config $M --method feature-extraction --base-from $O/t3-finetune
