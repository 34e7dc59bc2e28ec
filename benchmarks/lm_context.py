"""Why the character-level Transformer LM gets WORSE with more context, by ablation (not a speed ratio).

Trains the study's causal Transformer (config/config.yaml `sequence.model`, `sequence.char_lm.optim`,
steps scaled by `--steps`) on Tiny Shakespeare with `dlrepro.sequence.lm.train_char_lm`, unchanged, at
each context, once per variant. A variant is one change against the baseline, made here by a subclass
of `SequenceModel` handed to the training loop through `lm._language_model` (in this process only; src is
not edited):

  base          the study's model before this study: N(0,1) nn.Embedding + added fixed sinusoids, Adam(0.9,
                0.999); since 2026-12-07 the study's model is `rope` (dlrepro.sequence.networks)
  learned_pos   learned absolute position embeddings N(0, 0.02) instead of the sinusoids (nanoGPT)
  no_pos        no position signal at all (the causal mask alone; a control)
  emb002        token embedding initialised N(0, 0.02) (sinusoids kept: positions dominate at init)
  emb_sqrtd     token embedding initialised with std 1/sqrt(width), multiplied by sqrt(width) (Vaswani's
                scaling; the same scale at init as base, an 8x larger effective Adam step on the embedding)
  pos_x4        sinusoids multiplied by 4 (a stronger position signal against the N(0,1) embedding)
  alibi         ALiBi (Press et al. 2022): no position embedding, per-head linear distance bias
                -m_h (i - j) on the attention logits, m_h = 2^-2, 2^-4, 2^-6, 2^-8
  alibi_sin     ALiBi bias added, the sinusoids kept
  rope          rotary position embedding (Su et al. 2021; GPT-NeoX, LLaMA) on q and k of every head,
                base 10000, no additive positions; keeps the fused causal attention kernel
  tie           output head weight tied to the token embedding
  betas099      Adam betas (0.9, 0.99)
  init002       nanoGPT's init: every Linear and Embedding N(0, 0.02), biases 0, residual projections
                N(0, 0.02 / sqrt(2 * layers))
  nowarmup      no warm-up (warmup_fraction 0: one step, the loop's minimum)
  win64         64 windows per step at every context (at 256: 4x the tokens; a diagnostic only)
  nanogpt       learned_pos + init002 + tie + betas099 together
  nanogpt_alibi init002 + tie + betas099 + alibi

For each run it prints: `test`, the final held-out bpc (the study's `bits_per_char`: non-overlapping
windows of the run's context, the first `eval_tokens` held-out characters); `train`, the same scorer on
the first `eval_tokens` training characters; `tr_last`, the mean training loss of the last evaluation
interval; `@64` / `@256`, the held-out bpc of the trained model scored on windows of 64 / 256 (the
other context's protocol; not for learned positions past their length); `pN-M`, the held-out bpc at
positions N..M inside the run's windows (the same windows as `test`); `cpu_s`, the process CPU seconds
of the whole run (training, evaluations, probe). Then, per run, where the trained model attends
(`attention_locality`: queries at positions 16-63, which both contexts have).

    nice -n 5 python3 benchmarks/lm_context.py --steps 125 --contexts 64 256 --variants base alibi
    python3 benchmarks/lm_context.py --ngram      # Kneser-Ney n-gram references on the same split

Runs single-threaded (--threads 1), one run after another; `--json FILE` appends one line per run.
"""

import argparse
import json
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path

from lm_probes import attention_locality, per_position_bpc

CORPUS = Path(__file__).resolve().parents[2] / "shared/data/text/char_corpora/tinyshakespeare.txt"  # ../shared
VARIANTS = {
    "base": {},
    "learned_pos": {"pos": "learned"},
    "no_pos": {"pos": "none"},
    "emb002": {"emb_std": 0.02},
    "emb_sqrtd": {"emb_sqrtd": True},
    "pos_x4": {"pos_scale": 4.0},
    "alibi": {"pos": "none", "alibi": True},
    "alibi_sin": {"alibi": True},
    "rope": {"pos": "none", "rope": True},
    "tie": {"tie": True},
    "betas099": {"betas": (0.9, 0.99)},
    "init002": {"init002": True},
    "nowarmup": {"warmup_fraction": 0.0},
    "win64": {"windows": 64},
    "nanogpt": {"pos": "learned", "init002": True, "tie": True, "betas": (0.9, 0.99)},
    "nanogpt_alibi": {"pos": "none", "alibi": True, "init002": True, "tie": True, "betas": (0.9, 0.99)},
}
BUCKETS = [(0, 16), (16, 64), (64, 128), (128, 256)]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=125, help="Adam steps per run (125 = budget x1, 500 = x4)")
    p.add_argument("--contexts", type=int, nargs="+", default=[64, 256])
    p.add_argument("--variants", nargs="+", default=["base"], choices=sorted(VARIANTS))
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--lr", type=float, default=None, help="peak step size (default: the config's)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--json", type=Path, default=None, help="append one JSON line per run to this file")
    p.add_argument("--ngram", action="store_true", help="print smoothed n-gram references and exit")
    return p.parse_args()


def study_settings(steps: int, context: int) -> dict:
    """The study's settings for one run at budget x1 alone (its warm-up-stable-decay schedule), its steps then
    set to `steps`."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from defaults import study_defaults

    from dlrepro.sequence.settings import char_lm_run_settings

    s = char_lm_run_settings(study_defaults("sequence"), context=context, budgets=[1])
    s["optim"] = {**s["optim"], "steps": steps}
    return s


def _sinusoids(length: int, width: int, device=None):
    """(length, width) fixed positional encodings (Vaswani et al. 2017): the study's positions before RoPE."""
    import torch

    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]  # (T, 1)
    freq = torch.exp(torch.arange(0, width, 2, device=device, dtype=torch.float32) * (-math.log(10_000.0) / width))
    pe = torch.zeros(length, width, device=device)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq[: width // 2])
    return pe


def _apply_variant(model, v: dict, max_len: int) -> None:
    """Set a VariantLM's switches and change its initial parameters as the variant `v` says."""
    import torch
    from torch import nn

    model.pos, model.pos_scale = v.get("pos", "sin"), v.get("pos_scale", 1.0)
    model.alibi, model.rope, model.emb_mult = v.get("alibi", False), v.get("rope", False), 1.0
    if model.pos == "learned":
        model.pos_emb = nn.Parameter(torch.randn(max_len, model.width) * 0.02)
    if v.get("init002"):
        n_blocks = len(model.backbone) - 1
        for name, m in model.named_modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                std = 0.02 / math.sqrt(2 * n_blocks) if name.endswith(("proj", "ff.2")) else 0.02
                nn.init.normal_(m.weight, 0.0, std)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)
    if v.get("emb_std") is not None:
        nn.init.normal_(model.embed.weight, 0.0, v["emb_std"])
    if v.get("emb_sqrtd"):
        nn.init.normal_(model.embed.weight, 0.0, 1.0 / math.sqrt(model.width))
        model.emb_mult = math.sqrt(model.width)
    if v.get("tie"):
        model.head.weight = model.embed.weight  # both (vocab, width)
    with torch.no_grad():
        if model.embed.padding_idx is not None:
            model.embed.weight[model.embed.padding_idx].zero_()
    heads = model.backbone[0].heads
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / heads) for h in range(heads)])  # 2^-2 .. 2^-8 at 4 heads
    model.register_buffer("slopes", slopes, persistent=False)


def _alibi_bias(slopes, t: int):
    """(H, T, T) additive logits bias: -m_h (i - j) on and below the diagonal, -inf above."""
    import torch

    i = torch.arange(t)
    dist = (i[:, None] - i[None, :]).float()  # (T, T): i - j
    return (-slopes[:, None, None] * dist).masked_fill(dist < 0, float("-inf"))


def _variant_block(model, blk, x, bias):
    """PreNormBlock.forward (causal), with an optional additive attention bias or rotary q, k; with
    `model.probe` set, the attention probabilities are computed explicitly and kept."""
    import torch
    from torch.nn import functional as F

    from dlrepro.sequence.networks import rotary, rotary_angles

    b, t, w = x.shape
    q, k, v = blk.qkv(blk.norm1(x)).view(b, t, 3, blk.heads, w // blk.heads).permute(2, 0, 3, 1, 4)
    if model.rope:  # the study's rotary positions (dlrepro.sequence.networks)
        angles = rotary_angles(t, w // blk.heads, x.device)
        q, k = rotary(q, angles), rotary(k, angles)
    if getattr(model, "probe", False):
        s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # (B, H, T, T)
        s = s.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf")) if bias is None else s + bias
        p = s.softmax(-1)
        model.probs.append(p.mean(0))  # (H, T, T), mean over the batch
        a = p @ v
    else:
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, is_causal=bias is None)
    x = x + F.dropout(blk.proj(a.transpose(1, 2).reshape(b, t, w)), blk.dropout, blk.training)
    return x + F.dropout(blk.ff(blk.norm2(x)), blk.dropout, blk.training)


def build_variant_class():
    from dlrepro.sequence.networks import SequenceModel

    class VariantLM(SequenceModel):
        """The study's causal Transformer with one (or a few) of the variants above applied."""

        def __init__(self, *args, variant: dict, max_len: int, **kw):
            super().__init__(*args, **kw)  # same seed -> the base model's parameters, then changes
            _apply_variant(self, variant, max_len)

        def features(self, tokens, mask=None):
            x = self.drop(self.embed(tokens)) * self.emb_mult
            t = tokens.shape[1]
            if self.pos == "sin":
                x = x + self.pos_scale * _sinusoids(t, self.width, tokens.device)
            elif self.pos == "learned":
                x = x + self.pos_emb[:t]
            bias = _alibi_bias(self.slopes, t).to(tokens.device) if self.alibi else None
            self.probs = []
            *blocks, final_norm = self.backbone
            for blk in blocks:
                x = _variant_block(self, blk, x, bias)
            return final_norm(x)

    return VariantLM


def _torch():
    import torch

    return torch


def _install_variant(variant: dict, context: int) -> None:
    """Make `lm.train_char_lm` build the variant's model and Adam (in this process only)."""
    torch = _torch()
    import dlrepro.sequence.lm as lm
    from dlrepro.sequence.models import SeqModelConfig

    VariantLM = build_variant_class()

    def language_model(kind, vocab, *, model_config, config, seed, device):
        torch.manual_seed(seed)
        mc = SeqModelConfig(**{**asdict(model_config), "dropout": config.dropout})
        model = VariantLM(
            kind, vocab_size=vocab, n_outputs=vocab, config=mc, causal=True, variant=variant, max_len=context
        )
        betas = variant.get("betas", (0.9, 0.999))
        return model.to(device), torch.optim.Adam(model.parameters(), lr=config.learning_rate, betas=betas)

    lm._language_model = language_model


def run_one(corpus, variant_name: str, context: int, seed: int, args) -> dict:
    torch = _torch()
    from dlrepro.sequence.lm import LMConfig, bits_per_char, train_char_lm
    from dlrepro.sequence.models import SeqModelConfig

    variant = VARIANTS[variant_name]
    s = study_settings(args.steps, context)
    optim = dict(s["optim"])
    if args.lr is not None:
        optim["learning_rate"] = args.lr
    if "windows" in variant:
        optim["tokens_per_step"] = variant["windows"] * context
    if "warmup_fraction" in variant:
        optim["warmup_fraction"] = variant["warmup_fraction"]
    config = LMConfig.from_dict(optim)
    model_config = SeqModelConfig.from_dict(s["model"])
    _install_variant(variant, context)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    ((metrics, history, _),), model = train_char_lm(
        "transformer",
        corpus,
        context=context,
        model_config=model_config,
        config=config,
        seed=seed,
        device=torch.device("cpu"),
    )
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    test, train = torch.from_numpy(corpus.test), torch.from_numpy(corpus.train)
    pp = per_position_bpc(model, test, context, config.eval_tokens)
    return {
        "variant": variant_name,
        "context": context,
        "seed": seed,
        "steps": config.steps,
        "windows": metrics["batch_windows"],
        "lr": config.learning_rate,
        "test_bpc": metrics["test_bpc"],
        "test_bpc_pp_mean": float(pp.mean()),
        "last_interval_train_bpc": history[-1]["train_bpc"],
        "train_bpc": bits_per_char(model, train, context, config.eval_tokens),
        "test_bpc_at64": bits_per_char(model, test, 64, config.eval_tokens) if context >= 64 else None,
        "test_bpc_at256": (
            bits_per_char(model, test, 256, config.eval_tokens)
            if context < 256 and getattr(model, "pos", "sin") != "learned"
            else None
        ),
        "buckets": {f"{a}-{b - 1}": float(pp[a:b].mean()) for a, b in BUCKETS if b <= context},
        "attention": attention_locality(model, test, context),
        "train_seconds_cpu": metrics["seconds"],
        "run_seconds_cpu": cpu,
        "run_seconds_wall": wall,
        "history": history,
    }


def fmt(x, nd=3):
    return "  -  " if x is None else f"{x:.{nd}f}"


def print_attention(rows):
    print()
    print("attention at query positions 16-63 (per layer: max-head weight on the previous char / mean weight on the")
    print("last 4 chars / mean attended distance; uniform attention: 0.03 / 0.11 / 19.8)")
    for r in rows:
        a = r["attention"]
        cells = "   ".join(f"{k}: {v['prev_max']:.2f} / {v['last4']:.2f} / {v['mean_dist']:5.1f}" for k, v in a.items())
        print(f"{r['variant']:<14}{r['context']:>4}  seed {r['seed']}   {cells}")


def print_table(rows):
    head = (
        f"{'variant':<14}{'seed':>4}{'ctx':>4}{'win':>4}{'steps':>6}  {'test':>6} {'train':>6} {'tr_last':>7} {'@64':>6}"
        f" {'@256':>6}  {'p0-15':>6} {'p16-63':>6} {'p64-127':>7} {'p128-255':>8}  {'cpu_s':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        b = r["buckets"]
        print(
            f"{r['variant']:<14}{r['seed']:>4}{r['context']:>4}{r['windows']:>4}{r['steps']:>6}  {fmt(r['test_bpc']):>6}"
            f" {fmt(r['train_bpc']):>6} {fmt(r['last_interval_train_bpc']):>7} {fmt(r['test_bpc_at64']):>6}"
            f" {fmt(r['test_bpc_at256']):>6}  {fmt(b.get('0-15')):>6} {fmt(b.get('16-63')):>6}"
            f" {fmt(b.get('64-127')):>7} {fmt(b.get('128-255')):>8}  {r['run_seconds_cpu']:>6.0f}"
        )


def ngram_references(corpus):
    """Held-out bpc of the pipeline's interpolated Kneser-Ney baselines (dlrepro.sequence.ngram), for scale."""
    from dlrepro.sequence.ngram import fit_kneser_ney, ngram_bits_per_char

    print("held-out bpc of interpolated Kneser-Ney n-grams (first 32768 held-out characters, windows 64 / 256):")
    for n in (2, 3, 4, 5, 6):
        model = fit_kneser_ney(corpus.train, len(corpus.alphabet) + 1, order=n)
        scores = [ngram_bits_per_char(model, corpus.test, c, 32768) for c in (64, 256)]
        print(f"  {n}-gram: {scores[0]:.3f} / {scores[1]:.3f}")


def main():
    args = parse_args()
    torch = _torch()
    torch.set_num_threads(args.threads)
    from dlrepro.sequence.data import char_corpus

    corpus = char_corpus(args.corpus.read_text(encoding="utf-8"), test_fraction=0.1)
    if args.ngram:
        ngram_references(corpus)
        return
    rows = []
    for variant in args.variants:
        for seed, context in [(s, c) for s in args.seeds for c in args.contexts]:
            row = run_one(corpus, variant, context, seed, args)
            rows.append(row)
            print(
                f"# {variant} ctx {context} seed {seed}: test {row['test_bpc']:.3f} train {row['train_bpc']:.3f}"
                f" ({row['run_seconds_cpu']:.0f} s cpu)",
                flush=True,
            )
            if args.json:
                with args.json.open("a") as f:
                    f.write(json.dumps(row) + "\n")
    print()
    print_table(rows)
    print_attention(rows)


if __name__ == "__main__":
    main()
