"""Task A's simple baselines: linear classifiers on bags of n-grams, on the models' own seeded split.

Both are rows of Wang & Manning 2012 ("Baselines and bigrams: simple, good sentiment and topic
classification", ACL 2012, Table 3, on MR = sentence polarity v1.0): a linear classifier on n-gram
features (`bow`; their bag-of-words rows, 77.1% with unigrams) and the same classifier on features
scaled by naive-Bayes log-count ratios (`nblr`; their NBSVM, 79.4% with bigrams). Here:

- **the same split**: `data.stratified_split` with the run's split and seed, exactly as
  `study.split_sentences` cuts it for the RNN, LSTM and Transformer, and the same tokens
  (`data.tokenize`, cut to `max_tokens`);
- **the vocabulary rules of the models** (`data.build_vocab`) with the baseline's own thresholds: n-grams
  of order 1 to `ngrams` seen at least `min_count` times in the training part, the `max_vocab` most
  frequent; an unseen n-gram counts as `<unk>`. Bigrams are many and rare: on sentence polarity the
  models' thresholds (2, 20,000) cut the uni+bigram vocabulary: NB-LR's validation accuracy on seeds 0 / 1
  was 0.774 / 0.765 with them against 0.784 / 0.774 with every n-gram seen in training (min_count 1, 112k
  entries; measured 2026-12-07 on the real data, the choice made on validation, not test, accuracy);
- **features**: each n-gram's presence (`binary`) or count in a sentence, a sparse matrix; for `nblr`
  each column is multiplied by its log-count ratio r = log((p / |p|_1) / (q / |q|_1)), p and q the
  feature sums over the training sentences of the class and of the others, each plus `nb_alpha`
  (Wang & Manning's section 2.1);
- **fit**: logistic regression, full-batch L-BFGS (`dlrepro.linear.fit_logistic`: mean cross-entropy
  plus `l2` / 2 x the squared weights, the bias not penalised, from zeros), once per `l2` of the grid. `bow` fits one multinomial model. `nblr` fits one model per class against the
  others on that class's scaled features (one model, for class 1, when there are two classes) and
  predicts the class of the largest score; it uses the logistic loss where NBSVM used the hinge loss
  with weight interpolation, a common variant (the issue's scikit-learn check: 0.793). The grid value
  with the best validation accuracy (the first on ties) is chosen and its model's test accuracy
  reported. The test part chooses nothing.

FLOPs (the `dlrepro.flops` rule for a linear model on sparse features): a forward pass costs
`flops.sparse_linear_flops` (2 x nonzero features x outputs per example), a training evaluation
(loss and gradient) `BACKWARD_FACTOR` times that, and every L-BFGS evaluation of every grid fit counts.
"""

from __future__ import annotations

import time

import numpy as np

from dlrepro.flops import sparse_linear_flops, training_flops
from dlrepro.linear import choose_l2, fit_logistic
from dlrepro.sequence.data import UNK, build_vocab, stratified_split, tokenize

__all__ = ["ngrams_of", "bow_matrix", "nb_ratio", "scale_columns", "run_sentiment_baseline", "RECIPES"]


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


def nb_ratio(x, positive, alpha: float):
    """(V,) naive-Bayes log-count ratios of the columns of `x` for the rows where `positive` is True
    against the others, each feature sum smoothed by `alpha` (Wang & Manning 2012, section 2.1)."""
    import torch

    ind = positive.float()[:, None]  # (N, 1)
    p = alpha + torch.sparse.mm(x.t(), ind)[:, 0]
    q = alpha + torch.sparse.mm(x.t(), 1.0 - ind)[:, 0]
    return torch.log(p / p.sum()) - torch.log(q / q.sum())


def scale_columns(x, r):
    """The sparse matrix `x` with column j multiplied by r[j]."""
    import torch

    idx = x.indices()
    return torch.sparse_coo_tensor(idx, x.values() * r[idx[1]], x.shape, check_invariants=False).coalesce()


def _fit_bow(x, y, n_classes: int, *, l2: float, baseline: dict):
    """One multinomial logistic regression: (predict, L-BFGS evaluations, (models, outputs per model))."""
    import torch

    w, b, evaluations = fit_logistic(x, y, n_classes, l2=l2, max_iter=baseline["max_iter"])
    return (lambda x_: (torch.sparse.mm(x_, w) + b).argmax(1)), evaluations, (1, n_classes)


def _fit_nblr(x, y, n_classes: int, *, l2: float, baseline: dict):
    """Logistic regressions on NB-scaled features, one per class against the rest (one for two classes):
    (predict, L-BFGS evaluations, (models, outputs per model))."""
    import torch

    targets = [1] if n_classes == 2 else list(range(n_classes))
    models, evaluations = [], 0
    for c in targets:
        r = nb_ratio(x, y == c, baseline["nb_alpha"])
        w, b, n = fit_logistic(scale_columns(x, r), (y == c).long(), 2, l2=l2, max_iter=baseline["max_iter"])
        models.append((r, w[:, 1] - w[:, 0], b[1] - b[0]))  # the class's score: a logit against the rest
        evaluations += n

    def predict(x_):
        scores = torch.stack([torch.sparse.mm(scale_columns(x_, r), w[:, None])[:, 0] + b for r, w, b in models], 1)
        return (scores[:, 0] > 0).long() if n_classes == 2 else scores.argmax(1)

    return predict, evaluations, (len(models), 2)


FITS = {"bow": _fit_bow, "nblr": _fit_nblr}
RECIPES = {
    "bow": "bag-of-n-grams logistic regression (Wang & Manning 2012)",
    "nblr": "NB-scaled bag-of-n-grams logistic regression (NBSVM features, Wang & Manning 2012)",
}


def _accuracy(predict, x, y) -> float:
    import torch

    with torch.no_grad():
        return float((predict(x) == y).float().mean())


def _features(texts, labels, parts: dict, data: dict, baseline: dict):
    """The n-gram vocabulary of the training part and every part's (features, labels)."""
    import torch

    grams = {
        name: [ngrams_of(tokenize(texts[i])[: data["max_tokens"]], baseline["ngrams"]) for i in idx]
        for name, idx in parts.items()
    }
    vocab = build_vocab(grams["train"], min_count=baseline["min_count"], max_size=baseline["max_vocab"])
    sets = {
        name: (bow_matrix(grams[name], vocab, binary=baseline["binary"]), torch.as_tensor(labels[idx]))
        for name, idx in parts.items()
    }
    return sets, vocab


def run_sentiment_baseline(texts, labels, classes, settings: dict, *, seed: int) -> dict:
    """The metrics of one baseline (`settings["baseline"]["kind"]`: bow | nblr) for one seed; `settings`
    holds the run's `data` and `baseline` blocks (`settings.sentiment_baseline_settings`)."""
    start = time.perf_counter()
    labels = np.asarray(labels, dtype=np.int64)
    data, baseline = settings["data"], settings["baseline"]
    kind = baseline["kind"]
    parts = stratified_split(labels, data["split"], seed)  # the models' split (study.split_sentences)
    sets, vocab = _features(texts, labels, parts, data, baseline)
    (x_train, y_train), (x_val, y_val) = sets["train"], sets["val"]
    n_classes, evaluations, shape = len(classes), 0, None

    def fit(l2: float):
        nonlocal evaluations, shape
        predict, n_eval, shape = FITS[kind](x_train, y_train, n_classes, l2=l2, baseline=baseline)
        evaluations += n_eval
        return predict

    best, fits = choose_l2(fit, lambda predict: _accuracy(predict, x_val, y_val), baseline["l2_grid"])
    val_accuracy, l2, predict = fits[best]  # the first of equal validation accuracies
    models, outputs = shape
    forward = sparse_linear_flops(int(x_train._nnz()), outputs) / len(y_train)  # per training example and model
    return {
        "model": kind,
        "seed": seed,
        "recipe": RECIPES[kind],
        "val_accuracy": val_accuracy,
        "test_accuracy": _accuracy(predict, *sets["test"]),
        "l2": l2,
        "val_accuracy_by_l2": {f"{g:g}": acc for acc, g, _ in fits},
        "lbfgs_evaluations": evaluations,
        "ngrams": baseline["ngrams"],
        "binary": baseline["binary"],
        "vocab_size": len(vocab),
        # weights and biases; nblr: per class model its score's weights, its bias and the ratios r
        "parameters": (len(vocab) + 1) * n_classes if kind == "bow" else models * (2 * len(vocab) + 1),
        "forward_flops_per_example": forward * models,
        "train_flops": training_flops(forward, len(y_train) * evaluations),
        "train_examples": len(parts["train"]),
        "val_examples": len(parts["val"]),
        "test_examples": len(parts["test"]),
        "n_classes": n_classes,
        "classes": list(classes),
        "seconds": time.perf_counter() - start,
    }
