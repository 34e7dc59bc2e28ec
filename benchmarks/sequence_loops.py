"""Training-loop throughput of the sequence study (RNN, LSTM, Transformer), ours against a tutorial loop.

For each model and task, the same model (same seed), the same optimiser and the same number of steps:
  sentiment  ours: sentences pre-tokenised into one padded id tensor on the device; an epoch is a
             permutation cut into length-bucketed batches, each trimmed to its longest sentence
             (dlrepro.sequence.training.classifier_epoch).
             naive: DataLoader(dataset of token-id lists, shuffle=True) with a Python collate that pads
             each batch (pad_sequence), `.to(device)` every step, `loss.item()` every step.
  char LM    ours: the corpus as one id tensor on the device; random windows sliced by tensor indexing,
             their start offsets drawn once per interval (dlrepro.sequence.training.lm_step).
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
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per loop (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per loop (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: %(default)s)")
    parser.add_argument("--models", default="rnn,lstm,transformer", help="models, comma-separated (default: %(default)s)")
    parser.add_argument("--tasks", default="sentiment,char_lm", help="tasks, comma-separated (default: %(default)s)")
    args = parser.parse_args()

    import numpy as np
    import torch
    from torch.nn import functional as F
    from torch.nn.utils.rnn import pad_sequence
    from torch.utils.data import DataLoader, TensorDataset

    from dlrepro.device import pick_device, set_threads
    from dlrepro.sequence.data import PAD, SentenceSet, bucketed_batches
    from dlrepro.sequence.models import SeqModelConfig, SequenceModel
    from dlrepro.sequence.training import classifier_epoch, clock, lm_step

    set_threads(args.threads)
    device = pick_device(args.device)
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    now = clock(device)  # process CPU time for one CPU thread (robust to a shared machine), else wall time
    cfg = SeqModelConfig()  # the default config's architecture
    rng = np.random.default_rng(0)
    batch, steps = 128, args.steps

    # ---- data: real caches when present, else synthetic of the same shape
    rt, ts = Path("resources/rt_polarity/rt_polarity.npz"), Path("resources/tiny_shakespeare/tiny_shakespeare.npz")
    n_sent = batch * (steps + args.warmup)
    if rt.exists():
        from dlrepro.sequence.data import build_vocab, load_labelled_texts, make_sentence_set, tokenize

        texts, labels, _ = load_labelled_texts(source="rt_polarity", cache=rt)
        pick = rng.choice(len(texts), size=n_sent, replace=n_sent > len(texts))
        vocab = build_vocab((tokenize(texts[i]) for i in pick), min_count=2, max_size=20000)
        sents = make_sentence_set([texts[i] for i in pick], labels[pick], vocab, 64)
        vocab_size, source = len(vocab), "rt_polarity"
    else:
        vocab_size, source = 9000, "synthetic"
        lengths = np.clip(rng.gamma(4.0, 5.3, size=n_sent).astype(int), 1, 59)
        ids = np.zeros((n_sent, 64), dtype=np.int64)
        for i, n in enumerate(lengths):
            ids[i, :n] = rng.integers(2, vocab_size, size=n)
        sents = SentenceSet(ids, lengths, rng.integers(0, 2, size=n_sent))
    text = np.load(ts)["text"] if ts.exists() else rng.integers(32, 127, size=1_000_000).astype(np.uint8)
    alphabet = np.unique(text)
    lookup = np.zeros(256, dtype=np.int64)
    lookup[alphabet] = np.arange(1, len(alphabet) + 1)
    corpus, lm_vocab = lookup[text], len(alphabet) + 1
    print(f"device {device}, {args.threads} thread(s), torch {torch.__version__}; sentences: {source}, batch {batch}; "
          f"char LM: {'tiny_shakespeare' if ts.exists() else 'synthetic'}, context 256, 16 windows; {steps} timed steps")  # fmt: skip

    def fresh(kind, causal, vocab, outputs):
        torch.manual_seed(0)
        model = SequenceModel(kind, vocab_size=vocab, n_outputs=outputs, config=cfg, causal=causal).to(device)
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)

    def timed(run_steps):
        run_steps(args.warmup)
        sync()
        tic = now()
        run_steps(steps)
        sync()
        return steps / (now() - tic)

    # ---- sentiment loops
    def sentiment_ours(kind):
        model, opt = fresh(kind, False, vocab_size, 2)
        ids, labels = torch.from_numpy(sents.ids).to(device), torch.from_numpy(sents.labels).to(device)

        def run(n):
            part = SentenceSet(sents.ids[: n * batch], sents.lengths[: n * batch], sents.labels[: n * batch])
            classifier_epoch(model, part, ids[: n * batch], labels[: n * batch], optimizer=opt, batch_size=batch, clip_norm=1.0,
                             rng=np.random.default_rng(n))  # fmt: skip

        return timed(run)

    def sentiment_naive(kind):
        model, opt = fresh(kind, False, vocab_size, 2)
        examples = [(sents.ids[i, : sents.lengths[i]].tolist(), int(sents.labels[i])) for i in range(len(sents.labels))]

        def collate(items):
            x = pad_sequence([torch.tensor(t) for t, _ in items], batch_first=True, padding_value=PAD)
            return x, torch.tensor([y for _, y in items])

        loader = DataLoader(examples, batch_size=batch, shuffle=True, collate_fn=collate)

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

        return timed(run)

    def sentiment_model_only(kind):
        model, opt = fresh(kind, False, vocab_size, 2)
        ids, labels = torch.from_numpy(sents.ids).to(device), torch.from_numpy(sents.labels).to(device)

        def run(n):  # ours' batches (same bucketing, same rng), sliced before the clock starts: the model steps alone
            batches = [(ids[torch.from_numpy(i)][:, :length], labels[torch.from_numpy(i)])
                       for i, length in bucketed_batches(sents.lengths[: n * batch], batch, np.random.default_rng(n))]  # fmt: skip
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

        run(args.warmup)
        return steps / run(steps)

    # ---- char-LM loops (context 256, 16 windows per step: the default config's 4096 characters)
    context, windows = 256, 16
    train = torch.from_numpy(corpus).to(device)
    offsets = torch.arange(context + 1, device=device)

    def lm_ours(kind):
        model, opt = fresh(kind, True, lm_vocab, lm_vocab)

        def run(n):
            model.train()
            starts = torch.randint(0, len(train) - context - 1, (n, windows), device=device)
            for k in range(n):
                lm_step(model, opt, train, starts[k], offsets, 1.0)

        return timed(run)

    def tutorial_lm_step(model, opt, w):
        """The tutorial's step on a batch of windows (b, context + 1); returns the loss."""
        logits = model(w[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    def lm_naive(kind):
        model, opt = fresh(kind, True, lm_vocab, lm_vocab)
        usable = len(corpus) // (context + 1) * (context + 1)
        chunks = torch.from_numpy(corpus[:usable]).view(-1, context + 1)  # non-overlapping windows, on the host
        loader = DataLoader(TensorDataset(chunks), batch_size=windows, shuffle=True)

        def run(n):
            model.train()
            running = 0.0
            for i, (w,) in enumerate(loader):
                if i == n:
                    break
                running += tutorial_lm_step(model, opt, w.to(device)).item()

        return timed(run)

    def lm_model_only(kind):
        model, opt = fresh(kind, True, lm_vocab, lm_vocab)
        w = train[torch.arange(windows, device=device)[:, None] * (context + 1) + offsets]  # one fixed batch

        def run(n):
            model.train()
            for _ in range(n):
                tutorial_lm_step(model, opt, w)

        return timed(run)

    loops = {"sentiment": (sentiment_ours, sentiment_naive, sentiment_model_only), "char_lm": (lm_ours, lm_naive, lm_model_only)}
    print(f"{'task':<10} {'model':<12} {'ours steps/s':>13} {'naive steps/s':>14} {'ratio':>7} {'model only':>11} {'ceiling':>8}")
    for task in args.tasks.split(","):
        ours, naive, model_only = loops[task]
        for kind in args.models.split(","):
            a, b = ours(kind), naive(kind)
            line = f"{task:<10} {kind:<12} {a:13.2f} {b:14.2f} {a / b:6.2f}x"
            if model_only is not None:
                c = model_only(kind)
                line += f" {c:11.2f} {c / b:7.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
