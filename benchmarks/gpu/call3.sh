#!/usr/bin/env bash
# GPU checks, part 3 (issue 6's accuracy targets and issue 9's H200 throughput), in two calls that
# follow each other while the machine stays warm, each carrying half of CIFAR-10:
#   stage a (carry gpu-data2/part0): keeps part0 on the machine; vision_loops.py on synthetic images
#   stage b (carry gpu-data/part1):  unpacks CIFAR-10, then config/full.yaml's vision recipe at 100%
#     of the data, for the CNN with SGD (not yet measured), and with MixUp/CutMix (+ stochastic
#     depth for the ViT), at 30 and 60 epochs; then 10% runs compiled and eager for the projection.
# Usage on the GPU machine: bash benchmarks/gpu/call3.sh a|b
set -uo pipefail
source benchmarks/gpu/cifar_calls.sh
case "${1:?stage a or b}" in
a)
  cifar_part0
  python3 benchmarks/vision_loops.py --device cuda --size full --batch-size 512 --steps 50 --bf16 --channels-last \
    2>&1 | tee "$OUT/vision_loops.txt"
  ;;
b)
  cifar_part1 || exit 1
  V="python3 benchmarks/gpu/vision_full.py --cache $CIFAR"
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
