"""Training of the sequence study's character language models (Task B), their held-out score and samples.

The corpus stays one id tensor on the device; a batch is random windows sliced by indexing, the starts
of each step's windows drawn from (seed, step), and no step calls `.item()`. One job trains every budget
of the compute ladder on one warm-up-stable-decay trunk with a cool-down branch per budget
(`dlrepro.sequence.wsd`): each branch gives the numbers of a standalone run of its budget, and a job
resumed from its checkpoint (saved at every evaluation on the trunk) ends with the same numbers.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass

import torch
from torch.nn import functional as F

from dlrepro.checkpoint import Checkpointer
from dlrepro.guards import FiniteGuard
from dlrepro.ladder import scaled
from dlrepro.schedules import ladder_branches
from dlrepro.sequence.compute import lm_compute, window_flops
from dlrepro.sequence.data import CharCorpus
from dlrepro.sequence.models import SeqModelConfig
from dlrepro.sequence.networks import SequenceModel, parameter_counts
from dlrepro.sequence.training import clock, from_dict, sync
from dlrepro.sequence.wsd import LadderLoop, train_ladder

__all__ = ["LMConfig", "train_char_lm", "lm_step", "window_starts", "bits_per_char", "generate"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LMConfig:
    """The config's `sequence.char_lm.optim` block; no defaults here: the schema is their one home."""

    steps: int  # Adam steps at budget x1 (times each budget of the ladder; the same at every context)
    tokens_per_step: int  # predicted characters per step: batch = tokens_per_step // context
    eval_every: int  # steps between held-out evaluations (and checkpoints)
    eval_tokens: int  # held-out characters scored (from the start of the held-out tail)
    learning_rate: float  # peak Adam step size: warm-up, held, then a 1 - sqrt cool-down to 0 (WSD)
    warmup_fraction: float  # the warm-up's share of the smallest budget's steps (the same steps on every budget)
    dropout: float  # dropout of the models on this task
    clip_norm: float  # gradient-norm clipping
    cooldown_fraction: float  # share of each budget's steps in its cool-down

    @classmethod
    def from_dict(cls, d: dict) -> LMConfig:
        return from_dict(cls, d, "character LM")


@torch.no_grad()
def bits_per_char(model, ids: torch.Tensor, context: int, max_tokens: int, batch_windows: int = 64) -> float:
    """Held-out bits per character over non-overlapping windows of `context` predictions each."""
    model.eval()
    n = min(max_tokens, len(ids) - 1) // context
    if n < 1:
        raise ValueError(f"held-out part too short for context {context}: {len(ids)} characters")
    starts = torch.arange(n, device=ids.device) * context
    offsets = torch.arange(context + 1, device=ids.device)
    total = torch.zeros((), device=ids.device, dtype=torch.float64)
    for i in range(0, n, batch_windows):
        w = ids[starts[i : i + batch_windows, None] + offsets]  # (b, context + 1)
        logits = model(w[:, :-1])  # (b, context, vocab)
        total += F.cross_entropy(logits.flatten(0, 1), w[:, 1:].flatten(), reduction="sum").double()
    return float(total) / (n * context) / math.log(2)


def lm_step(
    model, optimizer, ids: torch.Tensor, starts: torch.Tensor, offsets: torch.Tensor, clip_norm: float
) -> torch.Tensor:
    """One Adam step on the windows of `ids` that begin at `starts`; returns the loss (on the device)."""
    w = ids[starts[:, None] + offsets]  # (B, context + 1) random windows, sliced by indexing
    logits = model(w[:, :-1])  # (B, context, vocab)
    loss = F.cross_entropy(logits.flatten(0, 1), w[:, 1:].flatten())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return loss.detach()


def window_starts(seed: int, first: int, n: int, batch: int, high: int) -> torch.Tensor:
    """(n, batch) start offsets in [0, high) of the windows of steps first .. first + n - 1, each step's
    drawn from (seed, step) alone: any span of a run draws the same windows for the same steps."""
    gens = (torch.Generator().manual_seed(seed * 1_000_003 + step) for step in range(first, first + n))
    return torch.stack([torch.randint(0, high, (batch,), generator=g) for g in gens])


def _language_model(kind: str, vocab: int, *, model_config: SeqModelConfig, config: LMConfig, seed: int, device):
    """The seeded causal model (with the task's dropout) and its Adam optimizer."""
    torch.manual_seed(seed)
    mc = SeqModelConfig(**{**asdict(model_config), "dropout": config.dropout})
    model = SequenceModel(kind, vocab_size=vocab, n_outputs=vocab, config=mc, causal=True).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=config.learning_rate)


class _LMLoop(LadderLoop):
    """The language model on a ladder (`wsd.train_ladder`): each step's windows drawn from (seed, step);
    the held-out bits per character (untimed) every `eval_every` steps and at the end of each budget's run,
    with the training bits per character of the steps since the last evaluation."""

    def __init__(self, model, optimizer, train, test, config: LMConfig, *, context: int, seed: int, device, run):
        super().__init__(model, optimizer, device)
        self.ids, self.test, self.config, self.context, self.seed, self.run = train, test, config, context, seed, run
        self.batch = max(1, config.tokens_per_step // context)
        self.offsets = torch.arange(context + 1, device=device)
        self.guard = FiniteGuard(what=f"{run['kind']} LM", period="evaluation interval")
        self.now = clock(device)

    def next_eval(self) -> int:
        return (self.done // self.config.eval_every + 1) * self.config.eval_every

    def train(self, stop: int, rate, *, end: bool) -> None:
        """The steps up to `stop`, step k at `rate(k)`, an evaluation at each multiple of `eval_every` and,
        with `end`, at `stop`."""
        every = self.config.eval_every
        while self.done < stop:
            first, last = self.done, min(self.next_eval(), stop)
            if first % every == 0:
                self.partial = torch.zeros((), device=self.device)  # the interval's summed loss
            high = len(self.ids) - self.context - 1
            starts = window_starts(self.seed, first, last - first, self.batch, high).to(self.device)
            tic = self.now()
            self.model.train()
            for k in range(last - first):
                self.set_rate(rate(first + k))
                loss = lm_step(self.model, self.optimizer, self.ids, starts[k], self.offsets, self.config.clip_norm)
                self.guard.observe(loss)
                self.partial += loss
            self.guard.check(first // every + 1, step_offset=first)  # names the interval and the global step
            sync(self.device)
            self.elapsed += self.now() - tic
            self.done = last
            if last % every == 0:
                self._row()
        if end and (not self.history or self.history[-1]["step"] != self.done):
            self._row()

    def _row(self) -> None:
        every = self.config.eval_every
        n = self.done - (self.done - 1) // every * every  # the steps of the interval that ends here
        train_bpc = float(self.partial) / n / math.log(2)
        test_bpc = bits_per_char(self.model, self.test, self.context, self.config.eval_tokens)
        self.history.append({"step": self.done, "train_bpc": train_bpc, "test_bpc": test_bpc, "seconds": self.elapsed})
        log.info("step %5d  train_bpc %.4f  test_bpc %.4f  %6.1f s", self.done, train_bpc, test_bpc, self.elapsed)

    def result(self, branch) -> tuple[dict, list[dict], str | None]:
        """The budget's metrics, its history (the trunk's rows up to its branch's start, then its own) and
        the run's `sample` of its final model."""
        r = self.run
        metrics = {
            "model": r["kind"],
            "seed": self.seed,
            "context": self.context,
            "test_bpc": self.history[-1]["test_bpc"],
        }
        metrics.update(steps=branch.total, batch_windows=self.batch, seconds=self.history[-1]["seconds"])
        metrics.update(parameters=r["parameters"], **r["sizes"], device=self.device.type, budget=branch.budget)
        metrics.update(r["compute"][branch.budget])  # forward_flops_per_example (one window), ..., train_flops
        sample = r["sample"](self.model) if r["sample"] is not None else None
        return metrics, [dict(row) for row in self.history], sample


def train_char_lm(
    kind: str,
    corpus: CharCorpus,
    *,
    context: int,
    model_config: SeqModelConfig,
    config: LMConfig,
    seed: int,
    device: torch.device,
    budgets=(1.0,),
    checkpointer: Checkpointer | None = None,
    stop_after: int | None = None,
    sample=None,
):
    """Train on random windows of the training part for `config.steps` x each of `budgets` steps on one WSD
    trunk with a cool-down branch per budget (`dlrepro.sequence.wsd`): a linear warm-up over
    `warmup_fraction` of the smallest budget's steps (at least one), the peak rate, then 1 - sqrt to 0 over
    the last `cooldown_fraction` of each budget's steps; held-out bpc every `eval_every` steps.

    Returns (runs, model): one (metrics, history rows, sample) per budget, sorted by budget (`sample(model)`
    of that budget's final model; None without `sample`), and the model as the largest budget's run ends.
    `stop_after` ends the call after that many checkpoints (for tests of resuming): runs is then None.
    """
    vocab = len(corpus.alphabet) + 1
    model, optimizer = _language_model(kind, vocab, model_config=model_config, config=config, seed=seed, device=device)
    train, test = torch.from_numpy(corpus.train).to(device), torch.from_numpy(corpus.test).to(device)
    branches = ladder_branches({float(b): scaled(config.steps, b) for b in budgets}, config.cooldown_fraction)
    warmup = max(1, int(config.warmup_fraction * branches[0].total))
    batch, counts = max(1, config.tokens_per_step // context), parameter_counts(model)
    per_window = window_flops(model, context)  # counted once for every budget
    compute = {
        b.budget: lm_compute(model, context=context, steps=b.total, batch_windows=batch, per_window=per_window)
        for b in branches
    }
    log.info("%s LM: %s parameters, context %d, batch %d windows, vocabulary %d", kind, counts, context, batch, vocab)
    for b in branches:
        log.info(
            "%s LM x%g: %d steps, %.3g training FLOPs (counted)",
            kind,
            b.budget,
            b.total,
            compute[b.budget]["train_flops"],
        )
    sizes = {"vocab_size": vocab, "train_chars": len(corpus.train), "test_chars": len(corpus.test)}
    run = {"kind": kind, "parameters": counts, "compute": compute, "sizes": sizes, "sample": sample}
    loop = _LMLoop(model, optimizer, train, test, config, context=context, seed=seed, device=device, run=run)
    runs = train_ladder(
        loop, branches, peak=config.learning_rate, warmup=warmup, checkpointer=checkpointer, stop_after=stop_after
    )
    return runs, model


@torch.no_grad()
def generate(
    model, corpus: CharCorpus, *, prompt: str, length: int, context: int, temperature: float, seed: int
) -> str:
    """Sample `length` characters after `prompt`, each conditioned on the last `context` characters."""
    model.eval()
    device = next(model.parameters()).device
    lookup = {c: i + 1 for i, c in enumerate(corpus.alphabet)}
    ids = [lookup.get(c, 0) for c in prompt]
    gen = torch.Generator(device=device).manual_seed(seed)
    for _ in range(length):
        x = torch.tensor([ids[-context:]], device=device)  # (1, <= context)
        probs = torch.softmax(model(x)[0, -1] / temperature, dim=-1)
        ids.append(int(torch.multinomial(probs, 1, generator=gen)))
    return "".join(corpus.alphabet[i - 1] if i > 0 else "?" for i in ids[len(prompt) :])
