#!/usr/bin/env bash
# GPU checks, part 2 (vision study at config/full.yaml). Needs gpu-data/part0 and gpu-data/part1
# (benchmarks/gpu/cifar_transfer.py pack), carried in two calls while the machine stays warm.
set -uo pipefail
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
nvidia-smi -L | tee "$OUT/device.txt"
python3 benchmarks/gpu/cifar_transfer.py unpack --src gpu-data --cache gpu-data/cifar10.npz || exit 1
python3 benchmarks/gpu/vision_full.py --cache gpu-data/cifar10.npz --out "$OUT/vision_full.json" 2>&1 | tee "$OUT/vision_full.txt"
# the compile lever of the full-config projection (RESULTS.md): a 10% run (300 steps) compiled, with the
# inductor cache the runs above left warm as later pipeline jobs find it, and eager
for mode in compiled eager; do
  python3 benchmarks/gpu/vision_full.py --cache gpu-data/cifar10.npz --fraction 0.1 $([ "$mode" = eager ] && echo --no-compile) \
    --out "$OUT/vision_frac10_$mode.json" 2>&1 | tee -a "$OUT/vision_frac10.txt"
done
python3 benchmarks/vision_loops.py --device cuda --size full --batch-size 512 --steps 50 --bf16 --channels-last \
  --cache gpu-data/cifar10.npz 2>&1 | tee "$OUT/vision_loops.txt"
