"""The one job runner (dlrepro.runner): outputs written atomically by suffix, the checkpoint removed only
after every output exists, a missing data status refused, and the schedule shared by the studies."""

import json
import math

import numpy as np
import pytest

from dlrepro.checkpoint import Checkpointer
from dlrepro.io import write_json
from dlrepro.runner import data_status, run_job, write_output
from dlrepro.schedules import ladder_branches, warmup_stable_decay
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


def test_a_list_of_outputs_takes_a_list_of_values_in_the_rules_order(tmp_path):
    smk = _smk(tmp_path, {"metrics": ["b1/metrics.json", "b2/metrics.json"], "sample": "sample.txt"})
    run_job(smk, lambda job: {"metrics": [{"budget": 1}, {"budget": 2}], "sample": "x"})
    out = tmp_path / "out"
    assert [json.loads((out / f"b{b}" / "metrics.json").read_text()) for b in (1, 2)] == [{"budget": 1}, {"budget": 2}]
    smk = _smk(tmp_path, {"metrics": ["c1/metrics.json", "c2/metrics.json"]})
    with pytest.raises(ValueError, match="2 files"):
        run_job(smk, lambda job: {"metrics": {"budget": 1}})


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


def test_wsd_warms_up_holds_the_peak_then_cools_down_along_one_minus_sqrt():
    rates = [warmup_stable_decay(2.0, s, 100, warmup=10, cooldown=20) for s in range(100)]
    assert rates[0] == pytest.approx(0.2) and rates[9] == rates[10] == rates[79] == pytest.approx(2.0)
    assert rates[85] == pytest.approx(2.0 * (1 - math.sqrt(6 / 21))) and 0 < rates[99] < rates[98] < rates[80] < 2
    assert warmup_stable_decay(1.0, 9, 10, cooldown=1) == pytest.approx(1 - math.sqrt(0.5))  # one step still cools
    # the stable phase does not depend on the run's length: a longer run shares the shorter one's trunk
    longer = [warmup_stable_decay(2.0, s, 400, warmup=10, cooldown=80) for s in range(80)]
    assert longer == rates[:80]
    assert warmup_stable_decay(1.0, 0, 4, warmup=10, cooldown=4) == pytest.approx(0.1 * (1 - math.sqrt(0.2)))  # both


def test_ladder_branches_cool_down_a_share_of_each_budget_off_one_trunk():
    b = ladder_branches({"4": 400, "1": 100, "2": 200}, 0.2)
    assert [(x.budget, x.total, x.start, x.cooldown) for x in b] == [
        (1, 100, 80, 20),
        (2, 200, 160, 40),
        (4, 400, 320, 80),
    ]
    trunk = b[-1].start
    assert trunk + sum(x.cooldown for x in b) == 460  # 4.6 base runs instead of 7
    assert [x.cooldown for x in ladder_branches({1: 3}, 0.2)] == [1]  # at least one step
    assert [x.start for x in ladder_branches({1: 3}, 0.0)] == [3]
    with pytest.raises(ValueError, match="cooldown_fraction"):
        ladder_branches({1: 10}, 1.5)


def test_a_snapshot_restores_the_model_the_optimizer_and_the_random_state():
    import torch

    from dlrepro.checkpoint import restore, snapshot

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters())

    def step():
        model(torch.randn(4, 3)).sum().backward()
        optimizer.step()

    step()
    copy = snapshot(model=model, optimizer=optimizer)
    weight, draw = model.weight.detach().clone(), torch.rand(3)
    step()
    step()
    restore(copy, model=model, optimizer=optimizer)
    assert torch.equal(model.weight, weight) and torch.equal(torch.rand(3), draw)
    assert int(optimizer.state_dict()["state"][0]["step"]) == 1
