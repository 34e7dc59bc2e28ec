#!/usr/bin/env bash
# GPU checks, part 4 (issue 6: why does the ResNet-18 stop near 90% on the ../shared/data copy?), in
# two calls that follow each other while the machine stays warm, each carrying half of CIFAR-10:
#   stage a (carry gpu-data2/part0): keeps part0 on the machine
#   stage b (carry gpu-data/part1):  unpacks CIFAR-10, then config/full.yaml's CNN at 100% of the data,
#     seed 0, 30 epochs: as is (the baseline on this machine), after one more JPEG pass at quality
#     50, 20 and 60 (a dose-response probe of the JPEG hypothesis), and with 4x the optimizer steps
#     (batch 128); then the ViT as is and at quality 50. Most telling first: a time-out keeps the rest.
# Usage on the GPU machine: bash benchmarks/gpu/call4.sh a|b   (at most 8 files come back: one log, one JSON)
set -uo pipefail
source benchmarks/gpu/cifar_calls.sh
case "${1:?stage a or b}" in
a)
  cifar_part0
  ;;
b)
  cifar_part1 || exit 1
  python3 -c "import PIL, torch; print('Pillow', PIL.__version__, 'torch', torch.__version__)" | tee -a "$OUT/log.txt"
  RES=/tmp/res; mkdir -p $RES
  run() {  # label, then vision_full.py arguments
    local label=$1; shift
    python3 benchmarks/gpu/vision_full.py --cache "$CIFAR" --label "$label" --out "$RES/$label.json" "$@" 2>&1 | tee -a "$OUT/log.txt"
    collect_runs "$OUT/all.json" "$RES"/*.json
  }
  run cnn-base --models cnn
  run cnn-jpeg50 --models cnn --jpeg-quality 50
  run cnn-jpeg20 --models cnn --jpeg-quality 20
  run cnn-b128 --models cnn --set train.batch_size=128 cnn.learning_rate=1.5e-3
  run cnn-jpeg60 --models cnn --jpeg-quality 60
  run vit-base --models vit
  run vit-jpeg50 --models vit --jpeg-quality 50
  ;;
esac
