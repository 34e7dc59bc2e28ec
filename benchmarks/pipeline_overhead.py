"""The pipeline's own overhead on a complete results tree (issue 9's targets in brackets):

- `snakemake -n` when nothing is left to do (<= 5 s),
- a rerun after editing only the report template (<= 30 s),
- the share of all job time spent starting jobs: Python start plus the imports every job pays
  (torch costs seconds), bounded above by jobs x the measured start cost of `import torch` over the
  job-seconds in the benchmark files (< 10%),
- the peak memory of every rule (<= 4 GiB on CPU at the default config).

Usage, after a run (any config; pass the same --configfile/--config as the run):
    python benchmarks/pipeline_overhead.py --directory RUN_DIR -- --configfile config/tiny.yaml --config data_dir=... data_checksums=warn
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from dlrepro.appendix import read_benchmarks  # noqa: E402

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def start_cost(imports: str, repeats: int = 3) -> float:
    return statistics.median(timed([sys.executable, "-c", imports]) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--directory", required=True, type=Path, help="a working directory with a complete run")
    parser.add_argument("snakemake_args", nargs="*", help="the run's --configfile/--config arguments (after --)")
    args = parser.parse_args()
    base = [*SNAKEMAKE, "--directory", str(args.directory)]

    dry = statistics.median(timed([*base, "-n", *args.snakemake_args]) for _ in range(3))
    print(f"snakemake -n on the complete tree: {dry:.1f} s (target <= 5 s)")

    template = REPO / "workflow" / "report" / "report.tex"
    stamp = template.stat().st_mtime
    try:
        os.utime(template, None)  # 'edited' as far as Snakemake's mtime trigger is concerned
        rerun = timed([*base, "--cores", "2", *args.snakemake_args])
    finally:
        os.utime(template, (stamp, stamp))
    print(f"rerun after editing only the report template: {rerun:.1f} s (target <= 30 s)")

    records = read_benchmarks(args.directory / "benchmarks-out")
    job_seconds = sum(r["seconds"] for r in records if r["seconds"] == r["seconds"])
    heavy = start_cost("import numpy, torch")
    overhead = len(records) * heavy  # an upper bound: not every job imports torch
    print(f"job start cost (python + import torch): {heavy:.2f} s; {len(records)} benchmarked jobs")
    if job_seconds:
        print(
            f"start overhead, at most: {overhead:.0f} s of {job_seconds:.0f} job-seconds = {100 * overhead / job_seconds:.1f}% (target < 10%)"
        )
    sampled = [r for r in records if r["max_rss_mib"] == r["max_rss_mib"]]  # NaN: a job Snakemake did not sample
    if sampled:
        peak = max(sampled, key=lambda r: r["max_rss_mib"])
        print(f"peak memory: {peak['max_rss_mib']:.0f} MiB in {peak['job']} (target <= 4096 MiB)")
    else:
        print("peak memory: no job's memory was sampled")


if __name__ == "__main__":
    main()
