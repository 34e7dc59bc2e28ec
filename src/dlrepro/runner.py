"""The one job runner of the training scripts: what every training job does around its study's code.

A training script is a few lines::

    from dlrepro.runner import run_job
    from dlrepro.vision.study import train_job

    run_job(snakemake, train_job)

`run_job` sends the job's output to its log and writes the log header (versions, wildcards, every
setting of the run), gives torch the job's threads and resolves its device, hands the study's
function a `Job` (inputs, wildcards, the run's settings, device, one `Checkpointer`), then writes
every declared output atomically from what that function returns, and removes the checkpoint only
once all of them are written. The function returns ``{output name: value}`` for exactly the rule's
named outputs (a list of values for a name the rule declares as a list of files, e.g. one per budget
of a ladder trained on one WSD trunk); each value is written by its file's suffix (`write_output`).

The run's settings arrive as the rule's one settings param, ``params.run``: the dict the study's
``run_settings`` built for these wildcards (with a ladder job's budgets), so a job depends on exactly them.
NumPy-only jobs (``torch=False``) set the BLAS threads instead; their scripts call
``configure_blas`` before anything imports NumPy.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlrepro.checkpoint import Checkpointer
from dlrepro.io import atomic_path, log_header, read_json, setup_logging, write_csv, write_json

__all__ = ["Job", "canonical", "data_status", "run_job", "write_output"]

log = logging.getLogger(__name__)


def canonical(settings):
    """A deep copy of `settings` with every mapping's keys in sorted order.

    Snakemake compares a job's params as they print, so the same settings in another key order (the
    order in which the config files set them) would rerun the job: every study's `run_settings`
    returns its dict through this. It changes no value.
    """
    if isinstance(settings, dict):
        return {key: canonical(settings[key]) for key in sorted(settings)}
    if isinstance(settings, (list, tuple)):
        return [canonical(value) for value in settings]
    return settings


def data_status(provenance_path: str | os.PathLike) -> str:
    """The `status` a data set's provenance record gives ("verified", "unverified copy", ...).

    A record without one is an error that names the file: a run is never labelled "verified" by default.
    """
    record = read_json(provenance_path)
    status = record.get("status") if isinstance(record, dict) else None
    if not isinstance(status, str) or not status:
        raise ValueError(f"{provenance_path}: the provenance record has no 'status'; rerun the data set's prepare rule")
    return status


@dataclass
class Job:
    """What a study's training function receives from `run_job`."""

    input: Any  # the rule's named inputs (snakemake.input)
    wildcards: Any  # the rule's wildcards
    run: dict  # the run's settings: params.run, built by the study's run_settings
    threads: int
    device: str  # "cpu", "cuda", "cuda:1" ... (resolved from run["device"]); "cpu" for NumPy jobs
    checkpoint: Checkpointer  # removed by the runner once every output is written

    def data_status(self, key: str = "provenance") -> str:
        """The status of the data set whose provenance record is the input `key`."""
        return data_status(getattr(self.input, key))


def write_output(path: str | os.PathLike, value) -> None:
    """Write one output atomically, by its suffix: .json (any JSON value), .csv (a list of dicts),
    .npz (a dict of arrays, compressed), .txt (a string), .pt (a torch object, e.g. a state dict)."""
    path = Path(path)
    suffix = path.suffix
    if suffix == ".json":
        write_json(path, value)
    elif suffix == ".csv":
        write_csv(path, value)
    elif suffix == ".npz":
        import numpy as np

        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, **value)
    elif suffix == ".txt":
        with atomic_path(path) as tmp:
            tmp.write_text(value, encoding="utf-8")
    elif suffix == ".pt":
        import torch

        with atomic_path(path) as tmp:
            torch.save(value, tmp)
    else:
        raise ValueError(f"{path}: no writer for {suffix!r} outputs")


def _write_outputs(declared, values: dict) -> None:
    """Write each named output; a name that the rule declares as a list of files (one per budget of a
    ladder job, say) takes a list of values of the same length, written in the rule's order."""
    names = set(declared.keys())
    if set(values) != names:
        raise ValueError(
            f"the job returned outputs {sorted(values)}, its rule declares {sorted(names)}: they must be the same"
        )
    for name in declared.keys():
        paths, value = getattr(declared, name), values[name]
        if isinstance(paths, (str, os.PathLike)):
            write_output(paths, value)
            continue
        paths = list(paths)
        if not isinstance(value, (list, tuple)) or len(value) != len(paths):
            raise ValueError(
                f"output {name!r} declares {len(paths)} files: the job must return a list of as many values"
            )
        for path, item in zip(paths, value):
            write_output(path, item)


def _resolve_device(run: dict, threads: int, torch_job: bool) -> str:
    if not torch_job:
        return "cpu"
    import torch

    from dlrepro.device import pick_device, set_threads

    set_threads(threads)
    log.info("torch %s", torch.__version__)
    return str(pick_device(run.get("device", "cpu")))


def run_job(
    smk,
    train: Callable[[Job], dict],
    *,
    torch: bool = True,
    checkpoint: str | None = ".checkpoint.pt",
) -> None:
    """Run one training job: `smk` is the script's `snakemake` object, `train` the study's function.

    `checkpoint` is the checkpoint's file name beside the first output (``.npz`` for NumPy state,
    None for a job that keeps none). An input named `learning_rate` is a tuning choice
    (`dlrepro.tuning.sweep_record`): its chosen rate replaces the configured one in the run's settings.
    """
    setup_logging(smk.log[0])
    run = dict(smk.params.run)
    if "learning_rate" in smk.input.keys():  # a tuning choice (dlrepro.tuning): the ladder's runs read it
        from dlrepro.io import read_json
        from dlrepro.tuning import apply_choice

        run = apply_choice(run, read_json(smk.input.learning_rate))
    device = _resolve_device(run, smk.threads, torch)
    wildcards = {k: v for k, v in smk.wildcards.items()}
    log_header(rule=smk.rule, wildcards=wildcards, threads=smk.threads, resolved_device=device, run=run)
    first = Path(smk.output[0])
    ckpt = Checkpointer(first.parent / checkpoint if checkpoint else None, {"rule": smk.rule, **wildcards, **run})
    job = Job(smk.input, smk.wildcards, run, smk.threads, device, ckpt)
    values = train(job)
    _write_outputs(smk.output, values)
    ckpt.remove()
    log.info("wrote %s", ", ".join(str(p) for p in smk.output))
