#!/usr/bin/env bash
# GPU checks, part 1 (GAN and sequence study). Run from the repository root on the GPU machine, with
# gpu-data/mnist (the four MNIST .gz files) carried along; prints and saves to $OUT.
set -uo pipefail
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
nvidia-smi -L | tee "$OUT/device.txt"
python3 benchmarks/gpu/gan_epochs.py --mnist-dir gpu-data/mnist --device cuda 2>&1 | tee "$OUT/gan_epochs.txt"
python3 benchmarks/gan_loops.py --device cuda --steps 1000 --repeats 2 --models gan lsgan bigan 2>&1 | tee "$OUT/gan_loops.txt"
python3 benchmarks/sequence_throughput.py --device cuda --lengths 32,64,128,256,512,1024,2048 2>&1 | tee "$OUT/seq_throughput.txt"
python3 benchmarks/sequence_loops.py --device cuda 2>&1 | tee "$OUT/seq_loops.txt"
