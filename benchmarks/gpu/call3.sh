#!/usr/bin/env bash
# GPU checks, part 3 (issue 6's accuracy targets and issue 9's H200 throughput), in two calls that
# follow each other while the machine stays warm, each carrying half of CIFAR-10:
#   stage a (carry gpu-data2/part0): keeps part0 on the machine; vision_loops.py on synthetic images
#   stage b (carry gpu-data/part1):  unpacks CIFAR-10, then config/full.yaml's vision recipe at 100%
#     of the data, for the CNN with SGD (not yet measured), and with MixUp/CutMix (+ stochastic
#     depth for the ViT), at 30 and 60 epochs; then 10% runs compiled and eager for the projection.
# Usage on the GPU machine: bash benchmarks/gpu/call3.sh a|b
set -uo pipefail
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
KEEP=/root/cifar-parts; mkdir -p "$KEEP"
nvidia-smi -L | tee "$OUT/device.txt"
case "${1:?stage a or b}" in
a)
  cp -r gpu-data2/part0 "$KEEP/" && ls -la "$KEEP/part0"
  python3 benchmarks/vision_loops.py --device cuda --size full --batch-size 512 --steps 50 --bf16 --channels-last \
    2>&1 | tee "$OUT/vision_loops.txt"
  ;;
b)
  cp -r gpu-data/part1 "$KEEP/" || exit 1
  python3 benchmarks/gpu/cifar_transfer.py unpack --src "$KEEP" --cache /root/cifar10.npz || exit 1
  python3 -c "import numpy as np; d = np.load('/root/cifar10.npz'); n = (len(d['x_train']), len(d['x_test'])); print(n); assert n == (50000, 10000), 'incomplete'" || exit 1
  V="python3 benchmarks/gpu/vision_full.py --cache /root/cifar10.npz"
  MIX="train.mixup_alpha=0.8 train.cutmix_alpha=1.0"
  $V --models cnn --label cnn-sgd-30 --out "$OUT/r1.json" 2>&1 | tee -a "$OUT/log.txt"
  $V --models vit --label vit-mix-dp-30 --set $MIX vit.drop_path=0.1 --out "$OUT/r2.json" 2>&1 | tee -a "$OUT/log.txt"
  $V --models cnn --label cnn-sgd-mix-30 --set $MIX --out "$OUT/r3.json" 2>&1 | tee -a "$OUT/log.txt"
  $V --models vit --label vit-mix-dp-60 --epochs 60 --set $MIX vit.drop_path=0.1 --out "$OUT/r4.json" 2>&1 | tee -a "$OUT/log.txt"
  # the compile lever of the projection (RESULTS.md): 10% runs (300 steps) compiled, then eager
  $V --fraction 0.1 --label frac10-compiled --set $MIX vit.drop_path=0.1 --out "$OUT/r5.json" 2>&1 | tee -a "$OUT/log.txt"
  $V --fraction 0.1 --no-compile --label frac10-eager --set $MIX vit.drop_path=0.1 --out "$OUT/r6.json" 2>&1 | tee -a "$OUT/log.txt"
  ;;
esac
