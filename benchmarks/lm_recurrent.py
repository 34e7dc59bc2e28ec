"""Ablation of char-rnn's recipe for the sequence study's recurrent character LMs, at the base budget.

Karpathy's char-rnn (2015, github.com/karpathy/char-rnn, `train.lua`) trains its LSTMs with the forget
gates' biases set to 1 at the start ("to encourage remembering in the beginning"; Gers et al. 2000,
Jozefowicz et al. 2015 measured the same) and clips gradients at 5 (we clip the norm at 1). Each
variant below changes one of them against the study's model (`base`), on Tiny Shakespeare as the study
reads it, with the study's LM loop in plain form: Adam at the given peak rate, `tokens_per_step`
characters per step in random windows drawn from (seed, step) (the same windows for every variant of a
seed), and the pipeline's warm-up-stable-decay schedule (`dlrepro.schedules`: warm-up over 10% of the base
steps, 1 - sqrt cool-down over the config's `cooldown_fraction` of the run). Each step is the study's
`lm_step` on the study's windows (`window_starts`). Scored as the study scores: held-out bits per character on
non-overlapping windows of the context (`dlrepro.sequence.lm.bits_per_char`, the first `eval_tokens`
held-out characters).

    forget1     the LSTM's forget-gate biases start at 1 (PyTorch's default: 0 plus the uniform init)
    clip5       gradient-norm clipping at 5 instead of 1

    nice -n 5 python3 benchmarks/lm_recurrent.py --models lstm rnn --variants base forget1 clip5 --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import torch
from defaults import study_defaults

from dlrepro.schedules import ladder_branches, warmup_stable_decay
from dlrepro.sequence.data import char_corpus
from dlrepro.sequence.lm import bits_per_char, lm_step, window_starts
from dlrepro.sequence.models import SeqModelConfig
from dlrepro.sequence.networks import SequenceModel

CORPUS = Path(__file__).resolve().parents[2] / "shared/data/text/char_corpora/tinyshakespeare.txt"  # ../shared
VARIANTS = {"base": {}, "forget1": {"forget_bias": 1.0}, "clip5": {"clip_norm": 5.0}}


def set_forget_bias(lstm: torch.nn.LSTM, value: float) -> None:
    """Every layer's forget-gate biases: the input-side ones at `value`, the hidden-side ones at 0
    (PyTorch orders an LSTM's gate rows input, forget, cell, output)."""
    h = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{layer}")[h : 2 * h].fill_(value)
            getattr(lstm, f"bias_hh_l{layer}")[h : 2 * h].zero_()


def train_run(kind: str, variant: str, corpus, block: dict, *, context: int, seed: int, args) -> dict:
    """One variant of `kind` trained for one seed at `context`; its held-out bpc and CPU seconds."""
    tic = time.process_time()
    optim, change = block["char_lm"]["optim"], VARIANTS[variant]
    lr, clip = args.lr or optim["learning_rate"], change.get("clip_norm", optim["clip_norm"])
    config = replace(SeqModelConfig.from_dict(block["model"]), dropout=block["char_lm"]["optim"]["dropout"])
    torch.manual_seed(seed)
    vocab = len(corpus.alphabet) + 1
    model = SequenceModel(kind, vocab_size=vocab, n_outputs=vocab, config=config, causal=True)
    if "forget_bias" in change:
        set_forget_bias(model.backbone, change["forget_bias"])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    train, test = torch.from_numpy(corpus.train), torch.from_numpy(corpus.test)
    total = round(optim["steps"] * args.budget)
    warmup = max(1, int(optim["warmup_fraction"] * optim["steps"]))  # the study's: a share of the x1 steps
    (branch,) = ladder_branches({args.budget: total}, optim["cooldown_fraction"])
    batch, offsets = max(1, optim["tokens_per_step"] // context), torch.arange(context + 1)
    starts = window_starts(seed, 0, total, batch, len(train) - context - 1)  # the study's windows per step
    model.train()
    for step in range(total):
        for group in opt.param_groups:
            group["lr"] = warmup_stable_decay(lr, step, total, warmup=warmup, cooldown=branch.cooldown)
        loss = lm_step(model, opt, train, starts[step], offsets, clip)
    bpc = bits_per_char(model, test, context, optim["eval_tokens"])
    return {
        "model": kind,
        "variant": variant,
        "context": context,
        "seed": seed,
        "steps": total,
        "learning_rate": lr,
        "test_bpc": bpc,
        "last_train_bpc": float(loss) / math.log(2),
        "cpu_seconds": time.process_time() - tic,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["lstm", "rnn"], choices=["lstm", "rnn"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--contexts", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--budget", type=float, default=1.0, help="a multiple of char_lm.optim.steps")
    parser.add_argument("--lr", type=float, default=None, help="peak Adam rate (default: the config's)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="write every run's numbers (JSON)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    block = study_defaults("sequence")
    corpus = char_corpus(
        args.corpus.read_text(encoding="utf-8"), test_fraction=block["char_lm"]["data"]["test_fraction"]
    )
    runs = []
    for kind in args.models:
        for context in args.contexts:
            for variant in args.variants:
                if variant == "forget1" and kind != "lstm":
                    continue
                for seed in args.seeds:
                    r = train_run(kind, variant, corpus, block, context=context, seed=seed, args=args)
                    runs.append(r)
                    print(
                        f"{kind:4s} ctx {context:3d} {variant:8s} seed {seed}  bpc {r['test_bpc']:.3f}  "
                        f"{r['cpu_seconds']:5.1f} cpu_s",
                        flush=True,
                    )
    for kind, context, variant in dict.fromkeys((r["model"], r["context"], r["variant"]) for r in runs):
        rs = [r for r in runs if (r["model"], r["context"], r["variant"]) == (kind, context, variant)]
        base = {
            r["seed"]: r["test_bpc"]
            for r in runs
            if (r["model"], r["context"], r["variant"]) == (kind, context, "base")
        }
        diffs = [r["test_bpc"] - base[r["seed"]] for r in rs if r["seed"] in base]
        mean = sum(r["test_bpc"] for r in rs) / len(rs)
        paired = " ".join(f"{d:+.3f}" for d in diffs)
        print(f"{kind:4s} ctx {context:3d} {variant:8s} bpc {mean:.3f}  vs base {paired}")
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
