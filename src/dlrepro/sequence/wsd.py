"""The sequence study's compute ladder on one warm-up-stable-decay trunk (`dlrepro.schedules`).

One job trains a model (and seed, and context for the language models) at every budget of the ladder:
the *trunk* trains at the peak step size (after the warm-up) up to each budget's cool-down start; there
an in-memory copy of the run is taken (`dlrepro.checkpoint.snapshot`: the model, the optimizer, torch's
random state, and the loop's counters and history), the run cools down to that budget's last step along
1 - sqrt (Hägele et al. 2024, arXiv:2405.18392) and is scored, and the trunk goes on from the copy. With
a cool-down of 20% the ladder x1, x2, x4 costs 4.6 base runs instead of 7.

Each branch gives the numbers of a separate WSD run of its budget with the same warm-up steps
(`train_ladder` with that budget alone): the step size of a step does not depend on the run's length before its cool-down, the data a
step draws depend on the step alone (each task's loop), and evaluations draw no random numbers. A
branch's history is the trunk's rows up to its start and its own rows; its seconds the trunk's up to its
start and its own.

`train_ladder` is the driver; each task's loop (`LadderLoop`: the sentiment classifier in
`dlrepro.sequence.training`, the character LM in `dlrepro.sequence.lm`) says how to train a span of
steps, where it evaluates, and what a finished branch returns. The job's checkpoint holds the trunk
(saved at every evaluation on it and at each branch's start) and the finished branches' results, so a
killed job resumes and ends with the same numbers.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable

import torch

from dlrepro.checkpoint import Checkpointer, restore, rng_state, set_rng_state, snapshot
from dlrepro.schedules import Branch, warmup_stable_decay

__all__ = ["LadderLoop", "train_ladder"]

log = logging.getLogger(__name__)


class LadderLoop:
    """A task's training loop on a ladder: the model and its optimizer, the steps done, the history rows,
    the seconds spent (`elapsed`) and the running evaluation period's summed loss (`partial`, on the device).

    A task implements `next_eval` (the step count of its next evaluation after `done`), `train` (the steps
    up to a given count at the given step sizes, scoring at each evaluation it passes, and at the end where
    asked) and `result` (a finished branch's outputs)."""

    def __init__(self, model, optimizer, device):
        self.model, self.optimizer, self.device = model, optimizer, device
        self.done, self.history, self.elapsed = 0, [], 0.0
        self.partial = torch.zeros((), device=device)

    def next_eval(self) -> int:
        raise NotImplementedError

    def train(self, stop: int, rate: Callable[[int], float], *, end: bool) -> None:
        raise NotImplementedError

    def result(self, branch: Branch):
        raise NotImplementedError

    def set_rate(self, rate: float) -> None:
        """The optimizer's step size for its next step."""
        for group in self.optimizer.param_groups:
            group["lr"] = rate

    def _counters(self) -> dict:
        return {
            "done": self.done,
            "history": copy.deepcopy(self.history),
            "elapsed": self.elapsed,
            "partial": self.partial.detach().clone(),
        }

    def _set_counters(self, state: dict) -> None:
        self.done, self.elapsed = int(state["done"]), float(state["elapsed"])
        self.history = copy.deepcopy(state["history"])
        self.partial = state["partial"].detach().clone().to(self.device)

    def fork(self) -> dict:
        """An in-memory copy of the run where a branch leaves the trunk (`join` goes back to it)."""
        return {"copy": snapshot(model=self.model, optimizer=self.optimizer), **self._counters()}

    def join(self, fork: dict) -> None:
        restore(fork["copy"], model=self.model, optimizer=self.optimizer)
        self._set_counters(fork)

    def state(self) -> dict:
        """The trunk's state for the job's checkpoint (tensors, numbers, strings and containers of them)."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": rng_state(),
            **self._counters(),
        }

    def load(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        set_rng_state(state["rng"])
        self._set_counters(state)


def _schedule(peak: float, warmup: int, branch: Branch) -> Callable[[int], float]:
    """The step size of each step of `branch`'s run (on the trunk: of the largest budget's, still stable)."""
    return lambda step: warmup_stable_decay(peak, step, branch.total, warmup=warmup, cooldown=branch.cooldown)


def train_ladder(
    loop: LadderLoop,
    branches: list[Branch],
    *,
    peak: float,
    warmup: int,
    checkpointer: Checkpointer | None = None,
    stop_after: int | None = None,
) -> list | None:
    """Train `loop` on one WSD trunk (peak step size `peak`, `warmup` steps) with a cool-down branch per
    `branches` (`schedules.ladder_branches`); returns each branch's `loop.result`, in the order of `branches`.

    The trunk is checkpointed at each of its evaluations and at each branch's start, the finished
    branches' results with it; a run resumed from the checkpoint ends with the same numbers. After the
    last branch the loop holds that branch's final model. `stop_after` ends the call after that many
    checkpoints (as a kill would; for tests of resuming), returning None."""
    checkpointer = checkpointer or Checkpointer(None)
    saved, results, saves = checkpointer.load(map_location="cpu"), {}, 0
    if saved is not None:
        loop.load(saved["trunk"])
        results = saved["results"]

    def save(where: str) -> bool:
        nonlocal saves
        if checkpointer.path is not None:  # a run without a checkpoint copies no state
            checkpointer.save({"trunk": loop.state(), "results": results}, where=where)
        saves += 1
        return stop_after is not None and saves >= stop_after

    trunk = _schedule(peak, warmup, branches[-1])
    for i, branch in enumerate(branches):
        if str(i) in results:
            continue
        while loop.done < branch.start:
            loop.train(min(loop.next_eval(), branch.start), trunk, end=False)
            if save(f"trunk step {loop.done}"):
                return None
        last = i == len(branches) - 1
        fork = None if last else loop.fork()
        log.info(
            "x%g: cool-down from step %d to %d (%d steps)", branch.budget, branch.start, branch.total, branch.cooldown
        )
        loop.train(branch.total, _schedule(peak, warmup, branch), end=True)
        results[str(i)] = loop.result(branch)
        if last:
            break
        loop.join(fork)
        if save(f"branch x{branch.budget:g} done, trunk step {loop.done}"):
            return None
    return [results[str(i)] for i in range(len(branches))]
