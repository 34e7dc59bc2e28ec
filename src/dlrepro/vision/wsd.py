"""A compute ladder trained as one warm-up-stable-decay trunk with a cool-down branch per budget.

The learning rate rises linearly over the warm-up (a share of the base budget's steps), then stays at
the peak; each budget's run cools down over its last `cooldown_fraction` of steps along 1 - sqrt
(Hägele et al. 2024, arXiv:2405.18392; `dlrepro.schedules`). The trunk trains at the peak up to each
budget's cool-down start, where a copy of its state (`dlrepro.checkpoint.snapshot`, the generators,
the pass's order and loss sum) branches off, cools down, is scored, and is put back, so the trunk goes
on as if the branch had not run. The data a step draws depend on its position only, so each budget's
result is the one a separate WSD run of that budget gives: a ladder of x1, x2, x4 with a 20% cool-down
costs 0.8 x 4 + 0.2 x (1 + 2 + 4) = 4.6 base runs instead of 7.

Each budget's history is the trunk's per-epoch rows up to its branch's start, then the branch's own (a
pass that the branch starts inside is one row, as in a separate run), and a row at its end. The job's
checkpoint (the caller's `dlrepro.checkpoint.Checkpointer`) holds the trunk's state and the finished
branches' results; it is written at the trunk's pass ends, where a branch starts and where one has
finished (each when `checkpoint_every_s` has passed since the last), so a killed job resumes there and
ends with the same results as an uninterrupted one (on CPU); a branch that was cut short reruns from
its start.
"""

from __future__ import annotations

import copy
import logging
import time

import numpy as np
import torch

from dlrepro.checkpoint import Checkpointer, restore, rng_state, set_rng_state, snapshot
from dlrepro.guards import FiniteGuard
from dlrepro.schedules import Branch, warmup_stable_decay
from dlrepro.vision.models import parameter_count
from dlrepro.vision.training import Position, Run, TrainConfig, finish, history_row, setup_run, train_steps

__all__ = ["train_ladder", "train_classifier"]

log = logging.getLogger(__name__)


def train_ladder(
    kind: str,
    arch: dict,
    cfg: TrainConfig,
    data: dict,
    *,
    learning_rate: float,
    weight_decay: float,
    seed: int,
    device="cpu",
    checkpoint: Checkpointer | None = None,
    stop_after_epoch: int | None = None,
) -> list[tuple[dict, list[dict], dict]] | None:
    """Train a `kind` ("cnn" | "vit") model on data["x_train"]/["y_train"] (uint8 NCHW, int labels) for one
    seed, at every budget of the ladder: `cfg.epochs` holds each budget's passes, ascending.

    `checkpoint` (a `Checkpointer`; None: none) is resumed from and saved to, never removed: its owner
    removes it once the outputs are written. Returns one (metrics, per-epoch history, arrays for the
    figures) per budget, in the order of `cfg.epochs`, or None when `stop_after_epoch` stopped the trunk
    at that pass's end (as a killed job would; tests use it to check resuming).
    """
    setup_tic = time.perf_counter()
    checkpoint = checkpoint or Checkpointer(None)
    run = setup_run(
        kind,
        arch,
        cfg,
        data,
        seed=seed,
        device=torch.device(device),
        learning_rate=learning_rate,
        weight_decay=weight_decay,
    )
    pos, done = _resume(checkpoint, run)
    # where the wall time outside the training steps goes (this process only, not a resumed run's earlier part)
    overhead = {"setup_seconds": time.perf_counter() - setup_tic, "eval_seconds": 0.0, "checkpoint_seconds": 0.0}
    plan, count = run.plan, len(run.plan.branches)
    log.info(
        "%s: %d parameters, %d training images, batch %d, warm-up %d steps, runs of %s steps cooling down from %s",
        kind,
        parameter_count(run.model),
        plan.images,
        plan.batch,
        plan.warmup,
        [b.total for b in plan.branches],
        [b.start for b in plan.branches],
    )
    for i, branch in enumerate(plan.branches[len(done) :], start=len(done)):
        if _trunk(run, pos, branch.start, checkpoint, done, overhead, stop_after_epoch):
            return None
        last = i == count - 1
        trunk = None if last else _snapshot(run, pos)
        _save(checkpoint, run, pos, done, overhead, f"step {pos.step}, before cool-down {i + 1}/{count}")
        # the branch's seconds outside training: the trunk's so far plus its own (as a separate run's)
        done.append(_branch(run, pos.copy() if trunk else pos, i, seed=seed, overhead=dict(overhead)))
        if not last:
            pos = _restore(trunk, run)
            _save(checkpoint, run, pos, done, overhead, f"step {pos.step}, cool-down {i + 1}/{count} done")
    return done


def train_classifier(kind: str, arch: dict, cfg: TrainConfig, data: dict, **kwargs):
    """One run (`cfg.epochs` one number of passes, its own warm-up, stable phase and cool-down):
    `train_ladder`'s (metrics, history, arrays), or None where `stop_after_epoch` stopped it."""
    if len(cfg.epochs) != 1:
        raise ValueError(f"train_classifier trains one run; got the passes of {len(cfg.epochs)}: use train_ladder")
    out = train_ladder(kind, arch, cfg, data, **kwargs)
    return None if out is None else out[0]


def _rate(run: Run, branch: Branch):
    """The learning rate of step k of `branch`'s run: warm-up, the peak, its cool-down (`warmup_stable_decay`)."""
    warmup = run.plan.warmup
    return lambda k: warmup_stable_decay(run.peak, k, branch.total, warmup=warmup, cooldown=branch.cooldown)


def _passes(run: Run, pos: Position, stop: int, rate, overhead: dict, *, final: bool):
    """Train from `pos.step` to `stop`, one pass (or the part of one) at a time; after each pass that ends,
    and at `stop` where `final` (a run's end), append its history row and yield its epoch. A guard checks
    the losses of every stretch at its end (the one host sync), naming the epoch and step of a NaN/inf."""
    per_pass = run.plan.steps_per_pass
    while pos.step < stop:
        end, offset = min(stop, (pos.step // per_pass + 1) * per_pass), pos.step % per_pass
        epoch = pos.step // per_pass + 1
        guard = FiniteGuard(what=run.kind, device=run.device)
        tic = time.perf_counter()
        train_steps(run, pos, end, rate, guard)
        guard.check(epoch, step_offset=offset)
        pos.train_seconds += time.perf_counter() - tic
        if end % per_pass == 0 or (final and end == stop):
            pos.history.append(history_row(run, pos, epoch, overhead))
            yield epoch
    if final and pos.row_at != stop and pos.loss_sum is not None:  # a branch without steps (no cool-down)
        pos.history.append(history_row(run, pos, -(-stop // per_pass), overhead))


def _trunk(run: Run, pos: Position, stop: int, checkpoint, done: list, overhead: dict, stop_after_epoch) -> bool:
    """The trunk at the peak rate (past the warm-up) from `pos.step` to `stop`, checkpointed at pass ends
    when due; True where `stop_after_epoch` stopped it (after a save)."""
    rate = _rate(run, run.plan.branches[-1])  # the largest budget's: the peak up to its cool-down start
    for epoch in _passes(run, pos, stop, rate, overhead, final=False):
        stopping = stop_after_epoch is not None and epoch >= stop_after_epoch
        _save(checkpoint, run, pos, done, overhead, f"epoch {epoch}", now=stopping)
        if stopping:
            return True
    return False


def _branch(run: Run, pos: Position, index: int, *, seed: int, overhead: dict) -> tuple[dict, list[dict], dict]:
    """Branch `index`'s cool-down from the trunk's position `pos` to its run's end, and its scored result."""
    branch, count = run.plan.branches[index], len(run.plan.branches)
    log.info("cool-down %d/%d: off the trunk at step %d, to step %d", index + 1, count, branch.start, branch.total)
    for _ in _passes(run, pos, branch.total, _rate(run, branch), overhead, final=True):
        pass
    log.info("cool-down %d/%d done: a run of %d steps", index + 1, count, branch.total)
    return finish(run, pos, index, seed=seed, overhead=overhead)


def _snapshot(run: Run, pos: Position) -> dict:
    """The trunk's state where a branch leaves it: model, optimizer, torch's random state, the generators."""
    parts = snapshot(model=run.model, optimizer=run.optimizer)
    return {
        "parts": parts,
        "gen": run.gen.get_state(),
        "mix": copy.deepcopy(run.mix_rng.bit_generator.state),
        "pos": pos,
    }


def _restore(trunk: dict, run: Run) -> Position:
    """Put the trunk's state back into `run`; its position."""
    restore(trunk["parts"], model=run.model, optimizer=run.optimizer)
    run.gen.set_state(trunk["gen"])
    run.mix_rng.bit_generator.state = trunk["mix"]
    return trunk["pos"]


def _save(checkpoint, run: Run, pos: Position, done: list, overhead: dict, where: str, *, now: bool = False) -> None:
    """Checkpoint the trunk at `pos` and the finished branches' results, when due (`checkpoint_every_s`) or `now`."""
    if not (now or checkpoint.due(run.cfg.checkpoint_every_s)):
        return
    tic = time.perf_counter()
    state = {
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "rng": rng_state(),
        "generator": run.gen.get_state(),
        "mix_rng": run.mix_rng.bit_generator.state,
        "position": pos.state(),
        # the figures' arrays as tensors: the checkpoint loads tensors, numbers and containers only
        "done": [
            {"metrics": m, "history": h, "arrays": {k: torch.from_numpy(v) for k, v in a.items()}} for m, h, a in done
        ],
    }
    checkpoint.save(state, where=where)
    overhead["checkpoint_seconds"] += time.perf_counter() - tic


def _resume(checkpoint: Checkpointer, run: Run) -> tuple[Position, list]:
    """The trunk's position and the finished branches' results from the checkpoint, its states loaded into
    `run`; a fresh start where there is none."""
    state = checkpoint.load(map_location="cpu")  # RNG states must stay on the CPU; load_state_dict moves the rest
    if state is None:
        return Position(), []
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    set_rng_state(state["rng"])
    run.gen.set_state(state["generator"])
    run.mix_rng.bit_generator.state = state["mix_rng"]
    pos = Position(**state["position"])
    if pos.perm is not None:
        pos.perm = pos.perm.to(run.x_train.device)
    if pos.loss_sum is not None:
        pos.loss_sum = pos.loss_sum.to(run.mean.device)
    done = [
        (d["metrics"], d["history"], {k: np.asarray(v.numpy()) for k, v in d["arrays"].items()}) for d in state["done"]
    ]
    return pos, done
