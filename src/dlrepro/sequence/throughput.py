"""Task C of the sequence study: seconds per language-model training step against sequence length."""

from __future__ import annotations

import logging

import numpy as np
import torch

from dlrepro.sequence.lm import lm_step
from dlrepro.sequence.models import SeqModelConfig
from dlrepro.sequence.networks import SequenceModel
from dlrepro.sequence.training import clock, sync

__all__ = ["measure_throughput"]

log = logging.getLogger(__name__)


def measure_throughput(
    kinds,
    lengths,
    *,
    tokens_per_step: int,
    warmup: int,
    repeats: int,
    vocab_size: int,
    model_config: SeqModelConfig,
    device: torch.device,
    seed: int = 0,
) -> list[dict]:
    """Seconds per LM training step at a fixed number of tokens per step, for each model and length.

    The batch shrinks as the sequence grows (batch = tokens_per_step // length), so the work per
    step is constant for the recurrent models while their sequential depth grows with the length.
    Models are interleaved within each length, so a load change on a shared machine hits all three,
    and a single-threaded CPU step is timed in process CPU time (see `clock`).
    """
    rows = []
    for length in lengths:
        batch = max(1, tokens_per_step // length)
        offsets = torch.arange(length + 1, device=device)
        setups = {}
        for kind in kinds:
            torch.manual_seed(seed)
            model = SequenceModel(
                kind, vocab_size=vocab_size, n_outputs=vocab_size, config=model_config, causal=True
            ).to(device)
            ids = torch.randint(1, vocab_size, (batch * (length + 1) * 4,), device=device)
            setups[kind] = (model, torch.optim.Adam(model.parameters()), ids)
        times, now = {kind: [] for kind in kinds}, clock(device)
        for r in range(warmup + repeats):
            for kind, (model, optimizer, ids) in setups.items():
                starts = torch.randint(0, len(ids) - length - 1, (batch,), device=device)
                sync(device)
                tic = now()
                lm_step(model, optimizer, ids, starts, offsets, 1.0)
                sync(device)
                if r >= warmup:
                    times[kind].append(now() - tic)
        for kind in kinds:
            t = float(np.median(times[kind]))
            rows.append(
                {
                    "model": kind,
                    "length": length,
                    "batch": batch,
                    "step_seconds": t,
                    "tokens_per_second": batch * length / t,
                    "step_seconds_all": times[kind],
                    "device": device.type,
                }
            )
            log.info(
                "%-11s length %5d  batch %4d  %.4f s/step  %10.0f tokens/s", kind, length, batch, t, batch * length / t
            )
    return rows
