"""Training-loop throughput of the sequence study (RNN, LSTM, Transformer), ours against a tutorial loop.

For each model and task, the same model (same seed), the same optimiser and the same number of steps:
  sentiment  ours: sentences pre-tokenised into one padded id tensor on the device; an epoch is a
             permutation cut into length-bucketed batches, each trimmed to its longest sentence
             (dlrepro.sequence.training.classifier_epoch).
             naive: DataLoader(dataset of token-id lists, shuffle=True) with a Python collate that pads
             each batch (pad_sequence), `.to(device)` every step, `loss.item()` every step.
  char LM    ours: the corpus as one id tensor on the device; random windows sliced by tensor indexing,
             their start offsets drawn once per interval (dlrepro.sequence.lm.lm_step).
             naive: DataLoader(TensorDataset(non-overlapping windows), shuffle=True), `.to(device)`
             and `loss.item()` every step.
  model only: our loop's arithmetic with no data handling at all, so `model only / naive` is the
             ceiling of the ratio (a loop can only remove the data handling; printed as "ceiling"):
             sentiment: ours' bucketed batches, sliced before the clock starts, then the model steps;
             char LM: the naive loop's model step on one fixed batch (ours computes the same shapes).
Prints steps/s of both and the ratio (single-threaded CPU: per second of the process's CPU time, so
that other load on a shared machine does not enter; GPU: wall time). Target (issue 9): >= 2x on the CPU.

    python benchmarks/sequence_loops.py [--device cpu|cuda] [--steps 40] [--threads 1]

Uses the real caches (resources/rt_polarity, resources/tiny_shakespeare under the working directory)
when the pipeline has made them, and synthetic data with rt_polarity's sentence-length distribution otherwise.
"""

import argparse
import dataclasses
from pathlib import Path

BATCH = 128  # sentences per sentiment step
CONTEXT, WINDOWS = 256, 16  # char LM: 16 windows of 256 characters per step, the default config's 4096 characters
RT_CACHE = Path("resources/rt_polarity/rt_polarity.npz")
TS_CACHE = Path("resources/tiny_shakespeare/tiny_shakespeare.npz")


@dataclasses.dataclass
class Bench:
    """What every loop shares: the device and its clock, the step counts, the model config and both data sets."""

    device: object  # torch.device
    sync: object  # () -> None: waits for the device's queued work
    now: object  # () -> float: process CPU time for one CPU thread (robust to a shared machine), else wall time
    cfg: object  # SeqModelConfig: the default config's architecture
    warmup: int
    steps: int
    sents: object  # SentenceSet: (steps + warmup) * BATCH labelled sentences
    vocab_size: int
    sentence_source: str  # "rt_polarity" or "synthetic"
    corpus: object  # the char LM's corpus as int64 ids (NumPy)
    lm_vocab: int
    text_source: str  # "tiny_shakespeare" or "synthetic"
    train: object  # the corpus as one id tensor on the device
    offsets: object  # arange(CONTEXT + 1) on the device: a window's positions


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per loop (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per loop (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: %(default)s)")
    parser.add_argument(
        "--models", default="rnn,lstm,transformer", help="models, comma-separated (default: %(default)s)"
    )
    parser.add_argument("--tasks", default="sentiment,char_lm", help="tasks, comma-separated (default: %(default)s)")
    return parser.parse_args()


def sentence_data(rng, n_sent):
    """`n_sent` sentences drawn from the rt_polarity cache when present, else synthetic ones with its
    sentence-length distribution; returns (sentences, vocabulary size, source name)."""
    import numpy as np

    from dlrepro.sequence.data import SentenceSet

    if RT_CACHE.exists():
        from dlrepro.sequence.data import build_vocab, load_labelled_texts, make_sentence_set, tokenize

        texts, labels, _ = load_labelled_texts(source="rt_polarity", cache=RT_CACHE)
        pick = rng.choice(len(texts), size=n_sent, replace=n_sent > len(texts))
        vocab = build_vocab((tokenize(texts[i]) for i in pick), min_count=2, max_size=20000)
        return make_sentence_set([texts[i] for i in pick], labels[pick], vocab, 64), len(vocab), "rt_polarity"
    vocab_size = 9000
    lengths = np.clip(rng.gamma(4.0, 5.3, size=n_sent).astype(int), 1, 59)
    ids = np.zeros((n_sent, 64), dtype=np.int64)
    for i, n in enumerate(lengths):
        ids[i, :n] = rng.integers(2, vocab_size, size=n)
    return SentenceSet(ids, lengths, rng.integers(0, 2, size=n_sent)), vocab_size, "synthetic"


def char_corpus(rng):
    """The tiny_shakespeare cache's text when present, else 1M random printable characters, as ids 1..
    (0 is unused); returns (ids, vocabulary size, source name)."""
    import numpy as np

    real = TS_CACHE.exists()
    text = np.load(TS_CACHE)["text"] if real else rng.integers(32, 127, size=1_000_000).astype(np.uint8)
    alphabet = np.unique(text)
    lookup = np.zeros(256, dtype=np.int64)
    lookup[alphabet] = np.arange(1, len(alphabet) + 1)
    return lookup[text], len(alphabet) + 1, "tiny_shakespeare" if real else "synthetic"


def setup(args):
    """Threads, device, clock and data (real caches when present, else synthetic of the same shape)."""
    import numpy as np
    import torch

    from dlrepro.device import pick_device, set_threads
    from dlrepro.sequence.models import SeqModelConfig
    from dlrepro.sequence.training import clock

    set_threads(args.threads)
    device = pick_device(args.device)
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    now = clock(device)  # process CPU time for one CPU thread (robust to a shared machine), else wall time
    cfg = SeqModelConfig()  # the default config's architecture
    rng = np.random.default_rng(0)
    sents, vocab_size, sentence_source = sentence_data(rng, BATCH * (args.steps + args.warmup))
    corpus, lm_vocab, text_source = char_corpus(rng)
    return Bench(
        device=device,
        sync=sync,
        now=now,
        cfg=cfg,
        warmup=args.warmup,
        steps=args.steps,
        sents=sents,
        vocab_size=vocab_size,
        sentence_source=sentence_source,
        corpus=corpus,
        lm_vocab=lm_vocab,
        text_source=text_source,
        train=torch.from_numpy(corpus).to(device),
        offsets=torch.arange(CONTEXT + 1, device=device),
    )


def fresh(bench, kind, causal, vocab, outputs):
    import torch

    from dlrepro.sequence.networks import SequenceModel

    torch.manual_seed(0)
    model = SequenceModel(kind, vocab_size=vocab, n_outputs=outputs, config=bench.cfg, causal=causal).to(bench.device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def timed(bench, run_steps):
    """`run_steps(warmup)` untimed, then steps/s of `run_steps(steps)`."""
    run_steps(bench.warmup)
    bench.sync()
    tic = bench.now()
    run_steps(bench.steps)
    bench.sync()
    return bench.steps / (bench.now() - tic)


# ---- sentiment loops


def sentiment_ours(bench, kind):
    import numpy as np
    import torch

    from dlrepro.sequence.data import SentenceSet
    from dlrepro.sequence.training import classifier_epoch

    sents, device = bench.sents, bench.device
    model, opt = fresh(bench, kind, False, bench.vocab_size, 2)
    ids, labels = torch.from_numpy(sents.ids).to(device), torch.from_numpy(sents.labels).to(device)

    def run(n):
        part = SentenceSet(sents.ids[: n * BATCH], sents.lengths[: n * BATCH], sents.labels[: n * BATCH])
        classifier_epoch(
            model,
            part,
            ids[: n * BATCH],
            labels[: n * BATCH],
            optimizer=opt,
            batch_size=BATCH,
            clip_norm=1.0,
            rng=np.random.default_rng(n),
        )

    return timed(bench, run)


def sentiment_naive(bench, kind):
    import torch
    from torch.nn import functional as F
    from torch.nn.utils.rnn import pad_sequence
    from torch.utils.data import DataLoader

    from dlrepro.sequence.data import PAD

    sents, device = bench.sents, bench.device
    model, opt = fresh(bench, kind, False, bench.vocab_size, 2)
    examples = [(sents.ids[i, : sents.lengths[i]].tolist(), int(sents.labels[i])) for i in range(len(sents.labels))]

    def collate(items):
        x = pad_sequence([torch.tensor(t) for t, _ in items], batch_first=True, padding_value=PAD)
        return x, torch.tensor([y for _, y in items])

    loader = DataLoader(examples, batch_size=BATCH, shuffle=True, collate_fn=collate)

    def run(n):
        model.train()
        running = 0.0
        for i, (x, y) in enumerate(loader):
            if i == n:
                break
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x, x != PAD), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            running += loss.item()

    return timed(bench, run)


def sentiment_model_only(bench, kind):
    import numpy as np
    import torch
    from torch.nn import functional as F

    from dlrepro.sequence.data import PAD, bucketed_batches

    sents, device, sync, now = bench.sents, bench.device, bench.sync, bench.now
    model, opt = fresh(bench, kind, False, bench.vocab_size, 2)
    ids, labels = torch.from_numpy(sents.ids).to(device), torch.from_numpy(sents.labels).to(device)

    def run(n):  # ours' batches (same bucketing, same rng), sliced before the clock starts: the model steps alone
        batches = [
            (ids[torch.from_numpy(i)][:, :length], labels[torch.from_numpy(i)])
            for i, length in bucketed_batches(sents.lengths[: n * BATCH], BATCH, np.random.default_rng(n))
        ]
        sync()
        tic = now()
        model.train()
        for x, y in batches:
            loss = F.cross_entropy(model(x, x != PAD), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        sync()
        return now() - tic

    run(bench.warmup)
    return bench.steps / run(bench.steps)


# ---- char-LM loops (context 256, 16 windows per step: the default config's 4096 characters)


def lm_ours(bench, kind):
    import torch

    from dlrepro.sequence.lm import lm_step

    train, offsets, device = bench.train, bench.offsets, bench.device
    model, opt = fresh(bench, kind, True, bench.lm_vocab, bench.lm_vocab)

    def run(n):
        model.train()
        starts = torch.randint(0, len(train) - CONTEXT - 1, (n, WINDOWS), device=device)
        for k in range(n):
            lm_step(model, opt, train, starts[k], offsets, 1.0)

    return timed(bench, run)


def make_tutorial_lm_step():
    """The tutorial's step: step(model, opt, w) trains on a batch of windows (b, context + 1) and returns the loss."""
    import torch
    from torch.nn import functional as F

    def tutorial_lm_step(model, opt, w):
        logits = model(w[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    return tutorial_lm_step


def lm_naive(bench, kind):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    corpus, device = bench.corpus, bench.device
    model, opt = fresh(bench, kind, True, bench.lm_vocab, bench.lm_vocab)
    usable = len(corpus) // (CONTEXT + 1) * (CONTEXT + 1)
    chunks = torch.from_numpy(corpus[:usable]).view(-1, CONTEXT + 1)  # non-overlapping windows, on the host
    loader = DataLoader(TensorDataset(chunks), batch_size=WINDOWS, shuffle=True)
    tutorial_lm_step = make_tutorial_lm_step()

    def run(n):
        model.train()
        running = 0.0
        for i, (w,) in enumerate(loader):
            if i == n:
                break
            running += tutorial_lm_step(model, opt, w.to(device)).item()

    return timed(bench, run)


def lm_model_only(bench, kind):
    import torch

    train, offsets, device = bench.train, bench.offsets, bench.device
    model, opt = fresh(bench, kind, True, bench.lm_vocab, bench.lm_vocab)
    w = train[torch.arange(WINDOWS, device=device)[:, None] * (CONTEXT + 1) + offsets]  # one fixed batch
    tutorial_lm_step = make_tutorial_lm_step()

    def run(n):
        model.train()
        for _ in range(n):
            tutorial_lm_step(model, opt, w)

    return timed(bench, run)


LOOPS = {
    "sentiment": (sentiment_ours, sentiment_naive, sentiment_model_only),
    "char_lm": (lm_ours, lm_naive, lm_model_only),
}


def main():
    args = parse_args()
    bench = setup(args)
    import torch

    print(
        f"device {bench.device}, {args.threads} thread(s), torch {torch.__version__}; sentences: {bench.sentence_source}, batch {BATCH}; "
        f"char LM: {bench.text_source}, context {CONTEXT}, {WINDOWS} windows; {args.steps} timed steps"
    )
    print(
        f"{'task':<10} {'model':<12} {'ours steps/s':>13} {'naive steps/s':>14} {'ratio':>7} {'model only':>11} {'ceiling':>8}"
    )
    for task in args.tasks.split(","):
        ours, naive, model_only = LOOPS[task]
        for kind in args.models.split(","):
            a, b = ours(bench, kind), naive(bench, kind)
            line = f"{task:<10} {kind:<12} {a:13.2f} {b:14.2f} {a / b:6.2f}x"
            if model_only is not None:
                c = model_only(bench, kind)
                line += f" {c:11.2f} {c / b:7.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
