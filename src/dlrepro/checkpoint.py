"""Resumable training: a checkpoint beside a job's outputs that survives the job being killed.

Snakemake deletes a job's declared outputs before rerunning it, so a training job killed by a time
limit would start from zero. Training code saves its state every epoch to a path that is *not* a
declared output (by convention ``<output dir>/.checkpoint.pt``), resumes from it when the same job
runs again with the same settings, and removes it once the outputs are written.

The file is written atomically (temporary name, then ``os.replace``) so a kill during a save never
leaves a half-written checkpoint. Its suffix picks the storage: ``.pt`` is loaded with
``torch.load(..., weights_only=True)`` (only tensors, numbers, strings and containers of them, never
arbitrary pickled objects); ``.npz`` holds a flat dict of NumPy arrays (``allow_pickle=False``) for
jobs that run without torch. Every training job gets its one ``Checkpointer`` from
``dlrepro.runner``, which removes the file once the job's outputs are written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from dlrepro.io import atomic_path

__all__ = ["Checkpointer", "fingerprint", "rng_state", "set_rng_state", "snapshot", "restore"]

log = logging.getLogger(__name__)


def fingerprint(settings: dict) -> str:
    """A short hash of the settings a run depends on; a checkpoint from other settings is ignored."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def rng_state() -> dict:
    """torch's CPU (and CUDA, when present) random state, as tensors a checkpoint can hold."""
    import torch

    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    import torch

    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def snapshot(**stateful) -> dict:
    """In-memory copies of each object's `state_dict()` (a model, its optimizer, a scheduler ...) and of
    torch's random state: where a cool-down branch leaves a WSD trunk (`dlrepro.schedules`), for
    `restore` once the branch is scored, so the trunk goes on as if the branch had not run."""
    import copy

    return {"states": {k: copy.deepcopy(v.state_dict()) for k, v in stateful.items()}, "rng": rng_state()}


def restore(copy: dict, **stateful) -> None:
    """Load a `snapshot` back into the same objects (by name) and torch's random state."""
    import copy as _copy

    for key, obj in stateful.items():
        obj.load_state_dict(_copy.deepcopy(copy["states"][key]))
    set_rng_state(copy["rng"])


class Checkpointer:
    """Save, find and remove one run's checkpoint.

    ``path=None`` disables checkpointing (every method becomes a no-op), so library code can take
    an optional checkpointer without branching. A path ending in ``.npz`` stores a dict of NumPy
    arrays (no torch needed); any other path a torch state (tensors, numbers, strings, containers).
    """

    def __init__(self, path: str | os.PathLike | None, settings: dict | None = None):
        self.path = Path(path) if path is not None else None
        self.key = fingerprint(settings or {})
        self._last_save = time.monotonic()  # a run "saved" at its start: `due` counts from there

    def due(self, every_s: float = 0.0) -> bool:
        """Whether a checkpoint should be written now: at least `every_s` seconds since the last one
        (or since this object was made); always with `every_s` 0, never without a path. Large models
        save hundreds of MB per checkpoint, so fast GPU epochs save every N seconds instead of every epoch."""
        return self.path is not None and time.monotonic() - self._last_save >= every_s

    def __repr__(self) -> str:
        return f"Checkpointer({str(self.path)!r}, key={self.key})"

    def load(self, map_location="cpu") -> dict | None:
        """The saved state, or None when there is none or it was made with other settings."""
        if self.path is None or not self.path.exists():
            return None
        try:
            blob = self._read(map_location)
        except Exception as err:  # a corrupt file must not stop a rerun: start over instead
            log.warning("checkpoint %s is unreadable (%s); starting from scratch", self.path, err)
            return None
        if not isinstance(blob, dict) or "state" not in blob:  # loadable, but not what `save` writes
            log.warning("checkpoint %s is not a dlrepro checkpoint; starting from scratch", self.path)
            return None
        if blob.get("key") != self.key:
            log.warning("checkpoint %s was made with other settings; starting from scratch", self.path)
            return None
        log.info("resuming from checkpoint %s (%s)", self.path, blob.get("where", "?"))
        return blob["state"]

    def save(self, state: dict, where: str = "") -> None:
        """Write `state` (tensors, numbers, strings, lists, dicts) atomically; `where` is logged on resume."""
        if self.path is None:
            return
        with atomic_path(self.path) as tmp:
            if self.numpy:
                import numpy as np

                with open(tmp, "wb") as f:
                    np.savez(f, _key=np.array(self.key), _where=np.array(where), **state)
            else:
                import torch

                torch.save({"key": self.key, "where": where, "state": state}, tmp)
        self._last_save = time.monotonic()

    @property
    def numpy(self) -> bool:
        """Whether the state is a dict of NumPy arrays in an .npz file (else a torch state)."""
        return self.path is not None and self.path.suffix == ".npz"

    def _read(self, map_location) -> dict:
        if not self.numpy:
            import torch

            return torch.load(self.path, map_location=map_location, weights_only=True)
        import numpy as np

        with np.load(self.path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
        key, where = arrays.pop("_key"), arrays.pop("_where")
        return {"key": str(key), "where": str(where), "state": arrays}

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
