"""The one job runner (dlrepro.runner): outputs written atomically by suffix, the checkpoint removed only
after every output exists, a missing data status refused, and the schedule shared by the studies."""

import json
import math

import numpy as np
import pytest

from dlrepro.checkpoint import Checkpointer
from dlrepro.io import write_json
from dlrepro.runner import data_status, run_job, write_output
from dlrepro.schedules import warmup_decay
from tests.conftest import snakemake_job


def _smk(tmp_path, outputs: dict):
    """A job of the rule train_something, seed 0, with two settings; its log is tmp_path/train_something.log."""
    run = {"device": "cpu", "lr": 0.1}
    return snakemake_job(tmp_path, "train_something", run, outputs=outputs, wildcards={"seed": "0"})


def test_a_job_writes_each_output_by_its_suffix_and_removes_its_checkpoint(tmp_path):
    names = {"metrics": "metrics.json", "history": "history.csv", "arrays": "arrays.npz", "sample": "sample.txt"}
    smk = _smk(tmp_path, names)
    seen = {}

    def train(job):
        job.checkpoint.save({"step": 3}, where="step 3")
        seen["checkpoint"] = job.checkpoint.path
        assert job.checkpoint.path.exists() and job.run["lr"] == 0.1 and job.device == "cpu"
        return {
            "metrics": {"accuracy": 0.5},
            "history": [{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 1.0}],
            "arrays": {"x": np.arange(3)},
            "sample": "to be",
        }

    run_job(smk, train)
    out = tmp_path / "out"
    assert json.loads((out / "metrics.json").read_text()) == {"accuracy": 0.5}
    assert (out / "history.csv").read_text().splitlines() == ["epoch,loss", "1,2.0", "2,1.0"]
    assert np.load(out / "arrays.npz")["x"].tolist() == [0, 1, 2]
    assert (out / "sample.txt").read_text() == "to be"
    assert seen["checkpoint"] == out / ".checkpoint.pt" and not seen["checkpoint"].exists()
    log = (tmp_path / "train_something.log").read_text()
    assert "run.lr = 0.1" in log and "wildcards.seed = '0'" in log


def test_outputs_that_do_not_match_the_rule_are_refused_and_the_checkpoint_kept(tmp_path):
    smk = _smk(tmp_path, {"metrics": "metrics.json", "history": "history.csv"})

    def train(job):
        job.checkpoint.save({"step": 1})
        return {"metrics": {}}

    with pytest.raises(ValueError, match="history"):
        run_job(smk, train)
    assert (tmp_path / "out" / ".checkpoint.pt").exists(), "a failed job keeps its checkpoint for the rerun"


def test_a_resumed_job_finds_its_checkpoint_only_under_the_same_settings(tmp_path):
    smk = _smk(tmp_path, {"metrics": "metrics.json"})

    def crash(job):
        job.checkpoint.save({"step": 5})
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        run_job(smk, crash)
    found = {}
    run_job(smk, lambda job: found.update(state=job.checkpoint.load()) or {"metrics": {}})
    assert found["state"] == {"step": 5}
    smk.params.run = {"device": "cpu", "lr": 0.2}
    run_job(smk, lambda job: found.update(state=job.checkpoint.load()) or {"metrics": {}})
    assert found["state"] is None


def test_numpy_state_checkpoints_without_torch(tmp_path):
    ckpt = Checkpointer(tmp_path / ".checkpoint.npz", {"a": 1})
    ckpt.save({"w": np.ones(2)}, where="epoch 1")
    state = Checkpointer(tmp_path / ".checkpoint.npz", {"a": 1}).load()
    assert state["w"].tolist() == [1.0, 1.0]
    assert Checkpointer(tmp_path / ".checkpoint.npz", {"a": 2}).load() is None


def test_a_provenance_record_without_status_is_an_error_never_verified(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    write_json(good, {"status": "unverified copy"})
    write_json(bad, {"files": []})
    assert data_status(good) == "unverified copy"
    with pytest.raises(ValueError, match="bad.json.*no 'status'"):
        data_status(bad)


def test_an_unknown_output_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no writer"):
        write_output(tmp_path / "x.bin", b"")


def test_the_schedule_warms_up_then_decays_to_its_floor():
    rates = [warmup_decay(1.0, s, 100, warmup=10, floor=0.1) for s in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:]))
    assert warmup_decay(1.0, 100, 100, warmup=10, floor=0.1) == pytest.approx(0.1)
    assert warmup_decay(2.0, 50, 100) == pytest.approx(1.0)
    assert warmup_decay(1.0, 60, 100, warmup=10, shape="linear") == pytest.approx(1 - 50 / 90)
    assert math.isclose(warmup_decay(3e-3, 0, 10), 3e-3)
    with pytest.raises(ValueError, match="shape"):
        warmup_decay(1.0, 50, 100, shape="step")
