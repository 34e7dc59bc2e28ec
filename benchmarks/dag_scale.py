"""How long Snakemake takes to plan the whole pipeline when every study runs many seeds (target: 100 seeds < 10 s).

Each seed of each model is its own job, so many seeds fan out into many independent jobs (on a
cluster: one SLURM job each). This times a dry run (`snakemake -n`: parse, validate the config,
build the DAG, nothing executed) of the default config in an empty directory, with the seed list
replaced, and prints the number of jobs, the wall time and the CPU time (best of --repeat runs) next
to the same for one seed. The times include starting Python and importing Snakemake, as a user sees
them; on a shared machine the CPU time is the steadier figure (the wall time grows with the load).

    python3 benchmarks/dag_scale.py                 # 1 and 100 seeds
    python3 benchmarks/dag_scale.py --seeds 1 100 1000 --configfile config/tiny.yaml
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def dry_run(n_seeds: int, configfile: Path, workdir: Path) -> tuple[int, float, float]:
    """(jobs in the DAG, wall seconds, CPU seconds) of one dry run with seeds 0..n_seeds-1."""
    seeds = workdir / f"seeds{n_seeds}.yaml"
    seeds.write_text(json.dumps({"seeds": list(range(n_seeds))}))
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "-n",
        "--quiet",
        "rules",
        "--configfile",
        str(configfile),
        str(seeds),
    ]
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "DLREPRO_DATA_DIR": ""})
    seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"dry run with {n_seeds} seeds failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    total = re.search(r"^total\s+(\d+)", done.stdout + done.stderr, re.MULTILINE)
    return int(total.group(1)), seconds, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 100], help="seed counts to plan (default: 1 100)")
    parser.add_argument(
        "--configfile",
        type=Path,
        default=REPO / "config" / "config.yaml",
        help="config to plan (default: config/config.yaml)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="dry runs per seed count; the best is printed (default: 3)"
    )
    args = parser.parse_args()

    print(
        f"config {args.configfile.relative_to(REPO) if args.configfile.is_relative_to(REPO) else args.configfile}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'seeds':>6} {'jobs':>7} {'wall (s)':>9} {'CPU (s)':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.seeds:
            runs = [dry_run(n, args.configfile, Path(tmp)) for _ in range(args.repeat)]
            jobs = runs[0][0]
            print(f"{n:>6} {jobs:>7} {min(r[1] for r in runs):>9.2f} {min(r[2] for r in runs):>8.2f}")


if __name__ == "__main__":
    main()
