"""The non-finite loss guard (records the first bad step on the device, raises once per epoch) and
the check that a results file holds the keys a later step reads."""

from __future__ import annotations

import math

import pytest
import torch

from dlrepro.guards import FiniteGuard, IncompleteResultsError, NonFiniteLossError, require_keys
from dlrepro.io import read_json, write_json

torch.set_num_threads(1)


def _epoch(guard, losses):
    for value in losses:
        guard.observe(torch.tensor(value))


def test_finite_losses_pass_every_check():
    guard = FiniteGuard()
    for epoch in (1, 2):
        _epoch(guard, [1.0, 0.5, 0.25])
        guard.check(epoch)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_first_non_finite_step_is_named_with_its_epoch(bad):
    guard = FiniteGuard()
    _epoch(guard, [1.0, 0.9])
    guard.check(1)
    _epoch(guard, [0.8, 0.7, bad, math.nan, 0.5])  # a later bad step does not overwrite the first
    with pytest.raises(NonFiniteLossError) as err:
        guard.check(2)
    e = err.value
    assert (e.epoch, e.step, e.loss) == (2, 3, "loss")
    assert str(e.value) == str(bad)
    assert f"loss became {bad} at epoch 2, step 3 (of 5 steps" in str(e)
    assert "learning rate" in str(e)
    assert isinstance(e, FloatingPointError), "callers catching FloatingPointError still catch it"


def test_steps_count_from_one_in_each_epoch():
    guard = FiniteGuard()
    _epoch(guard, [1.0] * 7)
    guard.check(1)
    _epoch(guard, [math.nan])
    with pytest.raises(NonFiniteLossError, match="at epoch 2, step 1 "):
        guard.check(2)


def test_several_losses_per_step_name_the_one_that_went_bad():
    guard = FiniteGuard(names=("d_loss", "g_loss"), what="gan")
    guard.observe(torch.tensor(0.7), torch.tensor(0.6))
    guard.observe(torch.tensor(0.7), torch.tensor(math.inf))
    guard.observe(torch.tensor(math.nan), torch.tensor(math.nan))
    with pytest.raises(NonFiniteLossError, match="gan: loss 'g_loss' became inf at epoch 4, step 2") as err:
        guard.check(4)
    assert err.value.loss == "g_loss"
    with pytest.raises(ValueError, match="got 1 losses"):
        guard.observe(torch.tensor(1.0))


def test_guard_in_a_real_loop_stops_a_diverging_run():
    """Plain SGD with a far too large step on a quadratic diverges to inf, then nan."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(8))
    optimizer = torch.optim.SGD([w], lr=10.0)
    guard = FiniteGuard()
    with pytest.raises(NonFiniteLossError) as err:
        for epoch in range(1, 6):
            for _ in range(100):
                loss = (w**2).sum() * 1e3
                guard.observe(loss)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            guard.check(epoch)
    assert err.value.epoch == 1 and 1 < err.value.step <= 100


def test_observe_keeps_its_state_on_the_loss_device_and_syncs_only_in_check(monkeypatch):
    guard = FiniteGuard(device="cpu")
    losses = [torch.tensor(v, requires_grad=True) * 2 for v in (1.0, math.nan, 2.0)]
    with monkeypatch.context() as m:  # every way a tensor reaches the host
        for name in ("item", "tolist", "__float__", "__int__", "__bool__", "numpy"):
            m.setattr(torch.Tensor, name, lambda self, *a, _n=name: pytest.fail(f"observe() called Tensor.{_n}"))
        for loss in losses:
            guard.observe(loss)
    state = [guard._state["step"], guard._state["first"], *guard._state["values"]]
    assert all(t.device.type == "cpu" and t.dim() == 0 for t in state)
    with pytest.raises(NonFiniteLossError, match="step 2 "):
        guard.check(1)


def test_check_without_any_step_does_nothing():
    FiniteGuard().check(1)


def test_results_file_missing_a_key_names_the_file_and_the_key(tmp_path):
    path = tmp_path / "results" / "metrics.json"
    write_json(path, {"seed": 0, "psnr": 20.0})
    with pytest.raises(
        IncompleteResultsError, match=r"metrics.json lacks the key\(s\) test_mse, seconds \(it has: psnr, seed\)"
    ):
        require_keys(read_json(path), ("seed", "test_mse", "seconds"), source=path)
    complete = {"seed": 0, "test_mse": 0.1, "seconds": 1.0}
    assert require_keys(complete, ("seed", "test_mse"), source=path) is complete
    with pytest.raises(IncompleteResultsError, match="expected a JSON object, got list"):
        require_keys([], ("seed",), source=path)


def test_a_loop_counting_steps_globally_gets_the_global_step():
    guard = FiniteGuard(what="lstm", period="evaluation interval")
    _epoch(guard, [2.0, 1.9, math.nan])
    with pytest.raises(NonFiniteLossError, match="lstm: loss became nan at evaluation interval 5, step 403 ") as err:
        guard.check(5, step_offset=400)
    assert err.value.step == 403


def test_half_precision_losses_that_are_finite_do_not_trip_the_guard():
    guard = FiniteGuard(names=("a", "b"))
    big = torch.tensor(60000.0, dtype=torch.float16)  # a + b overflows float16, not float32
    guard.observe(big, big)
    guard.check(1)
    guard.observe(torch.tensor(1.0, dtype=torch.float16), torch.tensor(math.inf, dtype=torch.float16))
    with pytest.raises(NonFiniteLossError, match="loss 'b' became inf"):
        guard.check(2)


def test_importing_the_guards_does_not_import_torch():
    """check_output_dirs and require_keys run in the NumPy-only environment and in Snakemake itself."""
    import subprocess
    import sys

    from tests.conftest import REPO

    code = "import sys, dlrepro.guards; sys.exit('torch' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(REPO / "src")}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr or "dlrepro.guards imported torch"
