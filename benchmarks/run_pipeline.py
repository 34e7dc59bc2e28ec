"""Run the whole pipeline for one config, end to end, from a data folder, and collect what it measured.

    python3 benchmarks/run_pipeline.py --configfile config/full.yaml --data-dir /data --out run-out --cores 16
    python3 benchmarks/run_pipeline.py --configfile config/tiny.yaml --data-dir ../shared/data --out tiny-out

Snakemake runs under GNU time (`/usr/bin/time -v`: wall time, peak memory of the largest process) in a
working directory (`--workdir`, default `<out>/work`; a finished or half-finished one is resumed, so a run
longer than one command may take is continued by running the same command again). Afterwards the
output folder holds, whatever the run's outcome:

    report.pdf            the report (when the run reached it)
    claims/<study>.json   every study's claims, and claims.csv, compute.csv (job-seconds per rule)
    snakemake.log         Snakemake's own output
    time.txt              /usr/bin/time -v of the whole command
    run.json              config, data folder, commit, device, exit code, wall seconds, peak RSS

On a GPU box give the GPU's share to Snakemake as the profile does (`--resources gpu=1`, after `--`).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GNU_TIME = "/usr/bin/time"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configfile", required=True, help="config overlay, e.g. config/full.yaml")
    p.add_argument("--data-dir", required=True, help="offline data folder laid out like ../shared/data")
    p.add_argument("--out", required=True, help="folder that receives the PDF, claims, compute table and logs")
    p.add_argument("--workdir", help="Snakemake's working directory (default: <out>/work)")
    p.add_argument("--cores", default="all", help="Snakemake's --cores (default: all)")
    p.add_argument("--checksums", default="warn", choices=["strict", "warn"], help="data_checksums (default: warn)")
    p.add_argument("snakemake_args", nargs="*", help="more Snakemake arguments, after --")
    return p.parse_args(argv)


def snakemake_command(args, workdir: Path, time_file: Path) -> list[str]:
    return [
        GNU_TIME,
        "-v",
        "-o",
        str(time_file),
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        str(args.cores),
        "--configfile",
        str(Path(args.configfile).resolve()),
        "--config",
        f"data_dir={Path(args.data_dir).resolve()}",
        f"data_checksums={args.checksums}",
        "--show-failed-logs",
        *args.snakemake_args,
    ]


def peak_rss_mb(time_text: str) -> float | None:
    """GNU time's 'Maximum resident set size (kbytes)' in MB (of the largest single process)."""
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_text)
    return int(found.group(1)) / 1024 if found else None


def collect(workdir: Path, out: Path) -> list[str]:
    """Copy the report, the claims and the compute tables from a results tree; returns what was copied."""
    results = workdir / "results"
    wanted = {
        results / "report" / "report.pdf": out / "report.pdf",
        results / "report" / "claims.csv": out / "claims" / "claims.csv",
        results / "report" / "compute.csv": out / "claims" / "compute.csv",
    }
    for claims in sorted(results.glob("*/claims.json")):
        wanted[claims] = out / "claims" / f"{claims.parent.name}.json"
    copied = []
    for source, dest in wanted.items():
        if source.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
            copied.append(str(dest.relative_to(out)))
    return copied


def device_description() -> str:
    if shutil.which("nvidia-smi"):
        done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    model = re.search(r"Model name:\s*(.+)", subprocess.run(["lscpu"], capture_output=True, text=True).stdout or "")
    return f"CPU: {model.group(1).strip()}" if model else "CPU"


def commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main(argv=None) -> int:
    args = parse_args(argv)
    if not Path(GNU_TIME).is_file():
        sys.exit(f"{GNU_TIME} not found: install GNU time (Debian: apt-get install time)")
    if not Path(args.data_dir).is_dir():
        sys.exit(f"--data-dir {args.data_dir}: no such folder")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(args.workdir) if args.workdir else out / "work"
    tic = time.monotonic()
    with open(out / "snakemake.log", "w") as log:
        command = snakemake_command(args, workdir, out / "time.txt")
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - tic
    time_text = (out / "time.txt").read_text() if (out / "time.txt").is_file() else ""
    copied = collect(workdir, out)
    record = {
        "configfile": args.configfile,
        "data_dir": str(Path(args.data_dir).resolve()),
        "commit": commit(),
        "device": device_description(),
        "exit_code": done.returncode,
        "wall_seconds": round(wall, 1),
        "peak_rss_mb": peak_rss_mb(time_text),
        "collected": copied,
    }
    (out / "run.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
