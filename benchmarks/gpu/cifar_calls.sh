# Sourced by the callN.sh scripts: CIFAR-10 reaches the GPU machine in two lossless parts, one per
# call (a transfer holds 64 MiB), while the machine stays warm between the two calls.
#   cifar_part0: call 1 (carry gpu-data2/part0) keeps part 0 on the machine, outside the checkout
#   cifar_part1: call 2 (carry gpu-data/part1) adds part 1 and unpacks both into $CIFAR, checked complete
#   collect_runs DEST JSON...: every run of vision_full.py's --out files in one JSON list (rewritten
#     after each run, so that a call cut short by its time limit still brings back what finished)
# Parts are made with: python3 benchmarks/gpu/cifar_transfer.py pack --cache resources/cifar10/cifar10.npz --out gpu-data --parts 2
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
KEEP=/root/cifar-parts; mkdir -p "$KEEP"
CIFAR=${CIFAR:-/root/cifar10.npz}
nvidia-smi -L | tee "$OUT/device.txt"

cifar_part0() {
  cp -r gpu-data2/part0 "$KEEP/" && ls -la "$KEEP/part0"
}

cifar_part1() {
  cp -r gpu-data/part1 "$KEEP/" || return 1
  python3 benchmarks/gpu/cifar_transfer.py unpack --src "$KEEP" --cache "$CIFAR" || return 1
  python3 -c "import numpy as np; d = np.load('$CIFAR'); n = (len(d['x_train']), len(d['x_test'])); print(n); assert n == (50000, 10000), 'incomplete'"
}

collect_runs() {
  local dest=$1; shift
  python3 -c "import json, sys; print(json.dumps([r for f in sys.argv[1:] for r in json.load(open(f))], indent=1))" "$@" > "$dest"
}
