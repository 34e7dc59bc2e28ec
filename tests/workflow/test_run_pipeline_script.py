"""benchmarks/run_pipeline.py, the one script that runs a config end to end under GNU time and collects the
report, the claims, the compute table and the logs (a user with a GPU box runs it with config/full.yaml)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.e2e
def test_run_pipeline_collects_the_report_claims_and_timing_of_a_run(tiny_run, tmp_path):
    work, args = tiny_run  # a finished run: Snakemake has nothing left to do, the script still collects
    data_dir = next(a.split("=", 1)[1] for a in args if a.startswith("data_dir="))
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run_pipeline.py"),
            "--configfile",
            str(REPO / "config" / "tiny.yaml"),
            "--data-dir",
            data_dir,
            "--out",
            str(out),
            "--workdir",
            str(work),
            "--cores",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads((out / "run.json").read_text())
    assert record["exit_code"] == 0 and record["wall_seconds"] > 0 and record["peak_rss_mb"] > 10
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    for name in ("autoencoder", "gan", "sequence", "vision"):
        assert json.loads((out / "claims" / f"{name}.json").read_text()), name
    assert (out / "claims" / "compute.csv").read_text().startswith("study,rule,jobs,seconds")
    assert "Nothing to be done" in (out / "snakemake.log").read_text()
    assert "Maximum resident set size" in (out / "time.txt").read_text()


def test_run_pipeline_refuses_a_missing_data_folder(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run_pipeline.py"),
            "--configfile",
            "config/tiny.yaml",
            "--data-dir",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "nowhere: no such folder" in done.stderr
