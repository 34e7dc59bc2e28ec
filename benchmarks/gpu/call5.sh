#!/usr/bin/env bash
# GPU check, part 5 (issue 6 and 9: how long does config/full.yaml's vision study take for real?):
# the study's 24 runs (CNN and ViT x fractions 0.1/0.25/0.5/1.0 x seeds 0/1/2), each in its own
# process as a Snakemake job would be (Python and torch start, data load, compile with the inductor
# cache the earlier runs warmed, training, scoring), in calls that follow each other while the
# machine stays warm:
#   stage a (carry gpu-data2/part0):        keeps part 0 of CIFAR-10 on the machine
#   stage b (carry gpu-data/part1) SEED...: unpacks CIFAR-10, then the runs of the seeds named
#   stage c SEED...:                       more seeds (the data is still on the warm machine)
# On an H200 the projection says about 4 minutes per seed: `b 0 1` then `c 2` fit the per-call limit.
# Each process's wall time goes to $OUT/process_wall.tsv, every run's metrics to $OUT/study.json;
# the sums so far are printed at the end of each stage.
# Usage on the GPU machine: bash benchmarks/gpu/call5.sh a | b 0 1 | c 2
# (VISION_ARGS adds vision_full.py arguments, e.g. a CPU smoke test: VISION_ARGS="--device cpu --epochs 1 ...")
set -uo pipefail
source benchmarks/gpu/cifar_calls.sh
stage=${1:?stage a, b or c}; shift
case "$stage" in
a) cifar_part0; exit ;;
b) cifar_part1 || exit 1 ;;
c) [ -f "$CIFAR" ] || { echo "no $CIFAR: run stage b first, on the same warm machine"; exit 1; } ;;
*) echo "stage a, b or c"; exit 2 ;;
esac
RES=${RES:-/root/study-runs}; mkdir -p "$RES"
for seed in "${@:?name the seeds to run}"; do
  for fraction in 0.1 0.25 0.5 1.0; do
    for model in cnn vit; do
      tag=$model-f$fraction-s$seed
      tic=$(date +%s%N)
      python3 benchmarks/gpu/vision_full.py --cache "$CIFAR" --models $model --fraction $fraction --seed $seed \
        --label $tag --out "$RES/$tag.json" ${VISION_ARGS:-} 2>&1 | grep -v Warning | tee -a "$OUT/log.txt"
      ms=$(( ($(date +%s%N) - tic) / 1000000 ))
      printf '%s\t%s\t%s\t%d.%03d\n' $model $fraction $seed $((ms / 1000)) $((ms % 1000)) >> "$RES/process_wall.tsv"
      cp "$RES/process_wall.tsv" "$OUT/"
      collect_runs "$OUT/study.json" "$RES"/*-s*.json
    done
  done
done
python3 - "$RES/process_wall.tsv" <<'PY' | tee -a "$OUT/log.txt"
import sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
total = sum(float(r[3]) for r in rows)
print(f"{len(rows)} runs so far, {total:.0f} s of process wall time ({total / 60:.1f} min)")
for model in ("cnn", "vit"):
    for fraction in ("0.1", "0.25", "0.5", "1.0"):
        walls = [float(r[3]) for r in rows if r[0] == model and r[1] == fraction]
        if walls:
            print(f"  {model} {fraction:>4}: {len(walls)} runs, mean {sum(walls) / len(walls):.1f} s")
PY
