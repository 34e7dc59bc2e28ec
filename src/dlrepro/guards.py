"""Guards that stop a run early with a clear message instead of a wrong number or a bare traceback.

- `check_output_dirs`: before any job starts, every output folder of the pipeline must be a folder
  that this process can write to (or be creatable).
- `require_keys`: a results file read by a later rule must hold the keys it needs; name the file
  and the missing keys instead of failing with a bare `KeyError`.
- `FiniteGuard`: stop training on a NaN or infinite loss, naming the epoch and step, without a host
  sync per step.

`FiniteGuard` keeps its whole state on the loss's device: a step counter, the first step whose loss
was not finite, and that loss. `observe(loss)` only queues a few tiny device operations (in place,
so a CUDA-graph-captured step can include it); `check(epoch)` reads the state back once per epoch
(the one sync) and raises `NonFiniteLossError` if a step went bad:

    guard = FiniteGuard()
    for epoch in range(1, epochs + 1):
        for batch in batches:
            loss = ...
            guard.observe(loss)           # no .item(), no sync
            loss.backward(); optimizer.step()
        guard.check(epoch)                # raises: "loss became nan at epoch 3, step 17 ..."

A loop with several losses per step (a GAN's discriminator and generator) passes them together,
`guard.observe(d_loss, g_loss)`, and names them with `FiniteGuard(names=("d_loss", "g_loss"))`.
"""

from __future__ import annotations

import functools
import math
import operator
import os
import tempfile
from pathlib import Path

__all__ = [
    "UnwritableOutputError",
    "check_output_dirs",
    "IncompleteResultsError",
    "require_keys",
    "NonFiniteLossError",
    "FiniteGuard",
]


class UnwritableOutputError(OSError):
    """An output folder of the pipeline is a file, or cannot be written to."""


def check_output_dirs(*names: str | os.PathLike, root: str | os.PathLike = ".") -> None:
    """Raise `UnwritableOutputError` unless each folder `root/name` exists and is writable, or can be made.

    Checked by writing (an anonymous temporary file), not by permission bits, so it also sees
    read-only mounts and full quotas, and it holds for root, whom `chmod` does not stop.
    """
    for name in names:
        path = Path(root) / name
        existing = path
        while not existing.exists() and not existing.is_symlink():  # the nearest part of the path that exists
            existing = existing.parent
        if not existing.is_dir():
            where = (
                f"the output folder {path}"
                if existing == path
                else f"cannot create the output folder {path}: {existing}"
            )
            raise UnwritableOutputError(
                f"{where} is a file, not a folder; move it away or run in another working directory (snakemake --directory)"
            )
        try:
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as e:
            raise UnwritableOutputError(
                e.errno,
                f"cannot write to the output folder {path} ({existing}: {e.strerror or e}); make it writable "
                "or run in another working directory (snakemake --directory)",
            ) from e


LEARNING_RATE_HINT = (
    "the usual cause is a learning rate too high for this model and batch size; lower it "
    "(or clip gradients), and check the input data for NaN values"
)


class IncompleteResultsError(ValueError):
    """A results file lacks keys that a later step needs."""


def require_keys(record, keys, *, source: str | os.PathLike):
    """Return `record` if it is a mapping with every key in `keys`; otherwise name `source` and what is missing."""
    if not isinstance(record, dict):
        raise IncompleteResultsError(f"{source}: expected a JSON object, got {type(record).__name__}")
    missing = [k for k in keys if k not in record]
    if missing:
        raise IncompleteResultsError(
            f"{source} lacks the key(s) {', '.join(missing)} (it has: {', '.join(sorted(record)) or 'none'}); "
            "it was written by an older or interrupted run: delete it and rerun, or use snakemake --forcerun"
        )
    return record


_NEVER = 2**63 - 1  # "no bad step yet": the largest int64


class NonFiniteLossError(FloatingPointError):
    """A training loss became NaN or infinite; `epoch`, `step` (1-based, within the epoch), `value`, `loss`."""

    def __init__(self, message: str, *, epoch: int, step: int, value: float, loss: str):
        super().__init__(message)
        self.epoch, self.step, self.value, self.loss = epoch, step, value, loss


class FiniteGuard:
    """Records on the device the first step of an epoch whose loss is not finite; `check` raises."""

    def __init__(
        self,
        *,
        names: tuple[str, ...] = ("loss",),
        what: str = "training",
        period: str = "epoch",
        hint: str = LEARNING_RATE_HINT,
        device=None,
    ):
        """`names`: the losses `observe` receives per step; `what`: the run, for the message; `period`: what
        one `check` closes ("epoch", or e.g. "evaluation interval"); `device`: where the state lives
        (default: the first loss's device; give it when the step is captured in a CUDA graph)."""
        self.names, self.what, self.period, self.hint = tuple(names), what, period, hint
        self._state = None if device is None else self._new_state(device)

    def _new_state(self, device) -> dict:
        import torch  # here, not at the top: the module's other guards run in torch-free environments

        return {
            "step": torch.zeros((), dtype=torch.long, device=device),  # steps observed since the last check
            "first": torch.full((), _NEVER, dtype=torch.long, device=device),  # first bad step (_NEVER: none)
            "values": [torch.zeros((), dtype=torch.float32, device=device) for _ in self.names],  # its losses
        }

    def observe(self, *losses) -> None:
        """Count one step and remember it if any of its losses (0-dim tensors) is not finite (a few device ops, all in place)."""
        import torch

        if len(losses) != len(self.names):
            raise ValueError(f"observe() got {len(losses)} losses for names {self.names}")
        if self._state is None:
            self._state = self._new_state(losses[0].device)
        s = self._state
        s["step"].add_(1)
        losses = [loss.detach().reshape(()) for loss in losses]
        # a sum is finite only if every term is (nan and inf propagate); float32 so that no finite
        # half-precision losses add up to inf
        total = losses[0] if len(losses) == 1 else functools.reduce(operator.add, (x.float() for x in losses))
        torch.minimum(s["first"], torch.where(torch.isfinite(total), _NEVER, s["step"]), out=s["first"])
        newly = s["first"] == s["step"]  # true only at the first bad step
        for loss, kept in zip(losses, s["values"]):
            torch.where(newly, loss, kept, out=kept)

    def check(self, epoch: int, *, step_offset: int = 0) -> None:
        """Raise `NonFiniteLossError` if a step since the last check had a non-finite loss; then start afresh.

        Steps are counted from 1 after each check; `step_offset` is added when they are reported (a loop
        that counts steps globally passes the number of steps done before this period).
        """
        if self._state is None:  # nothing observed
            return
        import torch

        s = self._state
        first = int(s["first"])  # the one host sync per period
        if first != _NEVER:
            values = torch.stack(s["values"]).tolist()
            which = next((i for i, v in enumerate(values) if not math.isfinite(v)), 0)
            value, name, step = values[which], self.names[which], first + step_offset
            label = "loss" if self.names == ("loss",) else f"loss {name!r}"
            raise NonFiniteLossError(
                f"{self.what}: {label} became {value} at {self.period} {epoch}, step {step} (of {int(s['step'])} "
                f"steps observed in that {self.period}); {self.hint}",
                epoch=epoch,
                step=step,
                value=value,
                loss=name,
            )
        s["step"].zero_()
        s["first"].fill_(_NEVER)
