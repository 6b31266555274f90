#!/usr/bin/env bash
# The GPU path, checked on a machine with an NVIDIA GPU: builds cil4j without the CPU natives
# (CIL4J_NATIVES=gpu), runs the harness on the GPU, then one phase of tin100-32-b50 LUCIR on the
# GPU. Prints each step's figures and ends non-zero at the first step that fails.
#
#   bench/gpu-check.sh                       # DJL downloads libtorch 2.7.1 for CUDA 12.8 (network)
#   PYTORCH_LIBRARY_PATH=/path/to/torch/lib PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128 bench/gpu-check.sh
#                                            # offline: a libtorch 2.7.x for CUDA that is already there
#   TIN100=/path/to/tiny-imagenet-100 bench/gpu-check.sh   # where the images are (default ../shared/data)
#
# Needs a JDK 17 and nvidia-smi; about 5 minutes on an idle GPU after the build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
out="${OUT:-$here/runs/gpu-check}"
tin100="${TIN100:-$here/../shared/data/tiny-imagenet-100}"
rm -rf "$out/lucir-phase1"
mkdir -p "$out"
command -v nvidia-smi >/dev/null || { echo "gpu-check: no nvidia-smi: this machine has no NVIDIA driver" >&2; exit 2; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
export CIL4J_NATIVES=gpu
echo "== build (GPU natives) and engine start"
./cil methods > /dev/null
echo "== the harness on the GPU (cil4j side; the PyTorch reference is skipped)"
/usr/bin/time -v ./cil bench --device gpu --skip-pytorch --warmup 5 --iterations 20 --repeats 3 --out "$out/bench.md" \
  2> "$out/bench.time" | tee "$out/bench.log"
grep -E 'Maximum resident|Elapsed' "$out/bench.time" || true
echo "== one phase of tin100-32-b50 LUCIR on the GPU"
./cil run --config configs/tin100-32-b50-lucir.json --data-dir "$tin100" --device gpu --set runPhases=1 \
  --out "$out/lucir-phase1" 2>&1 | tail -5
grep -o '"trainSeconds":[0-9.]*\|"evalSeconds":[0-9.]*\|"cnn":[0-9.]*\|"peakRssMb":[0-9]*' "$out/lucir-phase1/results.json" | head -4
echo "gpu-check: done; figures under $out"
