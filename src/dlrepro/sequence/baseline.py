"""Task A's simple baseline: bag-of-n-grams logistic regression on the models' own seeded split.

The recipe is the bag-of-words row of Wang & Manning 2012 ("Baselines and bigrams: simple, good
sentiment and topic classification", ACL 2012, Table 3: BoW unigrams 77.1% on MR, which is sentence
polarity v1.0): a linear classifier on n-gram features. Here:

- **the same split**: `data.stratified_split` with the run's split and seed, exactly as
  `study.split_sentences` cuts it for the RNN, LSTM and Transformer, and the same tokens
  (`data.tokenize`, cut to `max_tokens`);
- **the same vocabulary rules**: n-grams of order 1 to `ngrams` seen at least `min_count` times in the
  training part, the `max_vocab` most frequent (`data.build_vocab`); an unseen n-gram counts as `<unk>`;
- **features**: each n-gram's presence (`binary`) or count in a sentence, a sparse matrix;
- **fit**: multinomial logistic regression, full-batch L-BFGS (torch, strong-Wolfe line search) on the
  mean cross-entropy plus `l2` / 2 x the squared weights (the bias is not penalised), from zeros,
  once per `l2` of the grid; the grid value with the best validation accuracy (the first on ties) is
  chosen and its model's test accuracy reported. The test part chooses nothing.

FLOPs (the `dlrepro.flops` rule for a linear model on sparse features): a forward pass costs
`flops.sparse_linear_flops` (2 x nonzero features x classes per example), a training evaluation
(loss and gradient) `BACKWARD_FACTOR` times that, and every L-BFGS evaluation of every grid fit counts.
"""

from __future__ import annotations

import time

import numpy as np

from dlrepro.flops import sparse_linear_flops, training_flops
from dlrepro.sequence.data import UNK, build_vocab, stratified_split, tokenize

__all__ = ["ngrams_of", "bow_matrix", "fit_logistic", "run_sentiment_baseline"]


def ngrams_of(tokens: list[str], n: int) -> list[str]:
    """The sentence's n-grams of order 1 to `n`, each a space-joined string (tokens hold no spaces)."""
    return [" ".join(tokens[i : i + k]) for k in range(1, n + 1) for i in range(len(tokens) - k + 1)]


def bow_matrix(grams: list[list[str]], vocab: list[str], *, binary: bool):
    """(N, len(vocab)) sparse float32 torch matrix of n-gram presence or counts; unknown n-grams go to <unk>."""
    import torch

    index = {w: i for i, w in enumerate(vocab)}
    rows, cols = [], []
    for r, sentence in enumerate(grams):
        ids = [index.get(g, UNK) for g in sentence]
        if binary:
            ids = sorted(set(ids))
        rows.extend([r] * len(ids))
        cols.extend(ids)
    indices = torch.tensor(np.array([rows, cols], dtype=np.int64).reshape(2, -1))
    x = torch.sparse_coo_tensor(indices, torch.ones(len(rows)), (len(grams), len(vocab)), check_invariants=False)
    return x.coalesce()


def fit_logistic(x, y, n_classes: int, *, l2: float, max_iter: int):
    """Weights (V, C), bias (C) and the number of loss-and-gradient evaluations of one full-batch L-BFGS fit."""
    import torch

    w = torch.zeros(x.shape[1], n_classes, requires_grad=True)
    b = torch.zeros(n_classes, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, history_size=20, line_search_fn="strong_wolfe")
    evaluations = 0

    def closure():
        nonlocal evaluations
        evaluations += 1
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch.sparse.mm(x, w) + b, y) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach(), evaluations


def _accuracy(x, y, w, b) -> float:
    import torch

    with torch.no_grad():
        return float(((torch.sparse.mm(x, w) + b).argmax(1) == y).float().mean())


def _features(texts, labels, parts: dict, data: dict, baseline: dict):
    """The n-gram vocabulary of the training part and every part's (features, labels)."""
    import torch

    grams = {
        name: [ngrams_of(tokenize(texts[i])[: data["max_tokens"]], baseline["ngrams"]) for i in idx]
        for name, idx in parts.items()
    }
    vocab = build_vocab(grams["train"], min_count=data["min_count"], max_size=data["max_vocab"])
    sets = {
        name: (bow_matrix(grams[name], vocab, binary=baseline["binary"]), torch.as_tensor(labels[idx]))
        for name, idx in parts.items()
    }
    return sets, vocab


def run_sentiment_baseline(texts, labels, classes, settings: dict, *, seed: int) -> dict:
    """The baseline's metrics for one seed; `settings` holds the run's `data` and `baseline` blocks
    (`settings.sentiment_baseline_settings`)."""
    start = time.perf_counter()
    labels = np.asarray(labels, dtype=np.int64)
    data, baseline = settings["data"], settings["baseline"]
    parts = stratified_split(labels, data["split"], seed)  # the models' split (study.split_sentences)
    sets, vocab = _features(texts, labels, parts, data, baseline)
    (x_train, y_train), (x_val, y_val) = sets["train"], sets["val"]
    n_classes, fits, evaluations = len(classes), [], 0
    for l2 in baseline["l2_grid"]:
        w, b, n_eval = fit_logistic(x_train, y_train, n_classes, l2=float(l2), max_iter=baseline["max_iter"])
        evaluations += n_eval
        fits.append((_accuracy(x_val, y_val, w, b), float(l2), w, b))
    best = max(range(len(fits)), key=lambda i: (fits[i][0], -i))  # the first of equal validation accuracies
    val_accuracy, l2, w, b = fits[best]
    nonzeros = int(x_train._nnz())
    forward = sparse_linear_flops(nonzeros, n_classes) / len(y_train)  # per training example
    return {
        "model": "baseline",
        "seed": seed,
        "recipe": "bag-of-n-grams logistic regression (Wang & Manning 2012)",
        "val_accuracy": val_accuracy,
        "test_accuracy": _accuracy(*sets["test"], w, b),
        "l2": l2,
        "val_accuracy_by_l2": {f"{g:g}": acc for acc, g, _, _ in fits},
        "lbfgs_evaluations": evaluations,
        "ngrams": baseline["ngrams"],
        "binary": baseline["binary"],
        "vocab_size": len(vocab),
        "forward_flops_per_example": forward,
        "train_flops": training_flops(forward, len(y_train) * evaluations),
        "train_examples": len(parts["train"]),
        "val_examples": len(parts["val"]),
        "test_examples": len(parts["test"]),
        "n_classes": n_classes,
        "classes": list(classes),
        "seconds": time.perf_counter() - start,
    }
