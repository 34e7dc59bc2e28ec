"""Task B's count-based baseline: a character n-gram language model with interpolated Kneser-Ney smoothing.

Source: S. F. Chen and J. Goodman (1998), "An empirical study of smoothing techniques for language
modeling", Technical Report TR-10-98, Harvard University: interpolated Kneser-Ney (their
"kneser-ney" with interpolation, one absolute discount per order, not the three of "modified
Kneser-Ney"), with the discount estimate D = n1 / (n1 + 2 n2) of Ney, Essen and Kneser (1994).

The model. For a history h of i - 1 symbols, h' its last i - 2 symbols and a symbol w among the
V = len(alphabet) + 1 ids (id 0, the unknown symbol, included):

    p_i(w | h) = max(c_i(h w) - D_i, 0) / c_i(h .)  +  D_i N_i(h .) / c_i(h .) * p_{i-1}(w | h')
    p_0(w)     = 1 / V

- c_i(h w) is the raw count of the i-gram h w at the highest level a prediction uses, and its
  continuation count (the number of distinct symbols seen right before h w in training) at every
  level below; c_i(h .) sums it over w and N_i(h .) counts the w with c_i(h w) > 0;
- a history never seen at a level (c_i(h .) = 0) leaves that level out: p_i(w | h) = p_{i-1}(w | h');
- D_i = n1 / (n1 + 2 n2), n_r being the number of i-grams whose count of that kind is r: one
  discount per order for the raw counts and one for the continuation counts (the top level of an
  order-n model uses only the first, the levels below only the second). Where n1 = 0 (a tiny or
  fully repetitive corpus) the estimate would be 0, which gives unseen symbols no probability;
  D_i = 0.5 is used there instead;
- the lowest level interpolates with the uniform distribution over all V ids, so every symbol,
  id 0 included, has nonzero probability, and p(. | h) sums to 1 over the V ids for every h.

A prediction uses at most the last `order - 1` symbols of its history. A shorter history (the first
characters of a scoring window) is predicted with the top level at order len(h) + 1 and raw counts
there: exactly what an interpolated KN model of that order, fitted on the same data, predicts.

Scoring (`ngram_bits_per_char`): with `context=c` it scores exactly the targets of
`dlrepro.sequence.lm.bits_per_char` (positions 1..c of the non-overlapping windows
ids[k c : k c + c + 1], k < min(max_tokens, len(ids) - 1) // c) and, like the neural models, sees
only the window's own earlier characters: the first order - 2 targets of a window get a truncated
history. With `context=None` it scores ids[1 : m + 1] (m = min(max_tokens, len(ids) - 1)), each with
its full preceding history, which is the same targets when c divides m; the difference between the
two is the cost of the window starts.

Fitting is counting: np.unique over the corpus's i-grams encoded as base-V integers, once per order.
No floating-point training work is done; `KneserNey.ngrams` gives the distinct i-grams stored per
order as the measure of what was fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["KneserNey", "fit_kneser_ney", "ngram_bits_per_char", "run_char_ngram"]

RAW, CONT = 0, 1  # the two kinds of count of every level: raw counts, continuation counts
FALLBACK_DISCOUNT = 0.5  # where n1 = 0 and the estimate n1 / (n1 + 2 n2) would be 0


@dataclass(frozen=True)
class _Level:
    """The tables of one order i: its i-grams and their histories, each a sorted array of base-V keys."""

    keys: np.ndarray  # (k,) distinct i-grams seen in training
    counts: np.ndarray  # (2, k) raw and continuation counts of those i-grams
    hist: np.ndarray  # (h,) distinct histories (first i - 1 symbols) of those i-grams
    totals: np.ndarray  # (2, h) c_i(h .): counts summed per history, raw and continuation
    types: np.ndarray  # (2, h) N_i(h .): symbols following the history with a nonzero count
    discounts: np.ndarray  # (2,) D_i for raw and for continuation counts


@dataclass(frozen=True)
class KneserNey:
    """A fitted interpolated Kneser-Ney model (see the module docstring); build it with `fit_kneser_ney`."""

    order: int
    vocab_size: int
    levels: tuple[_Level, ...]  # levels[i - 1] holds order i

    @property
    def ngrams(self) -> tuple[int, ...]:
        """Distinct i-grams stored for i = 1..order: the size of what was fitted."""
        return tuple(len(level.keys) for level in self.levels)

    @property
    def discounts(self) -> np.ndarray:
        """(order, 2) D_i per order, raw and continuation (NaN for the top order's unused continuation one)."""
        return np.stack([level.discounts for level in self.levels])

    def log2_probs(self, ids: np.ndarray, targets: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """log2 p(ids[t] | ids[s : t]) for each target position t and history start s <= t (vectorised)."""
        ids, targets, starts = (np.asarray(a, dtype=np.int64) for a in (ids, targets, starts))
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"ids must lie in [0, {self.vocab_size})")
        if np.any(starts > targets) or np.any(starts < 0) or np.any(targets >= len(ids)):
            raise ValueError("need 0 <= start <= target < len(ids) for every target")
        top = np.minimum(targets - starts, self.order - 1) + 1  # the highest level each prediction uses
        p = np.full(len(targets), 1.0 / self.vocab_size)
        key, hkey = ids[targets], np.zeros_like(targets)
        for i, level in enumerate(self.levels, start=1):
            if i > 1:  # prepend the symbol i - 1 places back (clipped where the level is unused)
                back = ids[np.maximum(targets - i + 1, 0)]
                key, hkey = key + back * self.vocab_size ** (i - 1), hkey + back * self.vocab_size ** (i - 2)
            kind = np.where(top == i, RAW, CONT)
            count = _lookup(level.keys, key, level.counts, kind)
            total = _lookup(level.hist, hkey, level.totals, kind)
            types = _lookup(level.hist, hkey, level.types, kind)
            d = level.discounts[kind]
            with np.errstate(invalid="ignore", divide="ignore"):
                mixed = (np.maximum(count - d, 0.0) + d * types * p) / total
            p = np.where((top >= i) & (total > 0), mixed, p)
        return np.log2(p)

    def log2_prob(self, history: Sequence[int] | np.ndarray, symbol: int) -> float:
        """log2 p(symbol | history), using the history's last `order - 1` symbols."""
        ids = np.append(np.asarray(history, dtype=np.int64), symbol)
        return float(self.log2_probs(ids, np.array([len(ids) - 1]), np.array([0]))[0])

    def distribution(self, history: Sequence[int] | np.ndarray) -> np.ndarray:
        """(V,) p(w | history) for every id w."""
        history = np.asarray(history, dtype=np.int64)
        rows = np.empty((self.vocab_size, len(history) + 1), dtype=np.int64)
        rows[:, :-1], rows[:, -1] = history, np.arange(self.vocab_size)
        starts = np.arange(self.vocab_size) * rows.shape[1]
        return np.exp2(self.log2_probs(rows.ravel(), starts + len(history), starts))


def _lookup(keys: np.ndarray, query: np.ndarray, table: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """table[kind, index of query in keys], or 0 where the query is not among the (sorted) keys."""
    at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[at] == query, table[kind, at], 0)


def _discount(counts: np.ndarray) -> float:
    """D = n1 / (n1 + 2 n2) from the counts' count-of-counts; FALLBACK_DISCOUNT where n1 = 0."""
    n1, n2 = int(np.sum(counts == 1)), int(np.sum(counts == 2))
    return n1 / (n1 + 2 * n2) if n1 > 0 else FALLBACK_DISCOUNT


def fit_kneser_ney(train: np.ndarray, vocab_size: int, order: int = 5) -> KneserNey:
    """Count the training ids' 1..`order`-grams (ids in [0, vocab_size)) into an interpolated KN model."""
    train = np.asarray(train, dtype=np.int64)
    if order < 1:
        raise ValueError(f"order must be at least 1, got {order}")
    if vocab_size < 2 or vocab_size**order >= 2**63:
        raise ValueError(f"vocab_size {vocab_size} with order {order} does not fit base-V int64 keys")
    if len(train) < order:
        raise ValueError(f"{len(train)} training ids are fewer than the order {order}")
    if train.min() < 0 or train.max() >= vocab_size:
        raise ValueError(f"training ids must lie in [0, {vocab_size})")
    grams, keys = [], train.copy()
    for i in range(1, order + 1):  # keys of all i-grams: the (i-1)-gram keys times V plus the next symbol
        if i > 1:
            keys = keys[:-1] * vocab_size + train[i - 1 :]
        grams.append(np.unique(keys, return_counts=True))
    levels = []
    for i, (keys, raw) in enumerate(grams, start=1):
        cont = np.zeros_like(raw)
        if i < order:  # distinct symbols before each i-gram = distinct (i+1)-grams ending in it
            ends, n = np.unique(grams[i][0] % vocab_size**i, return_counts=True)
            cont[np.searchsorted(keys, ends)] = n
        levels.append(_level(keys, raw, cont, vocab_size, top=i == order))
    return KneserNey(order=order, vocab_size=vocab_size, levels=tuple(levels))


def _level(keys: np.ndarray, raw: np.ndarray, cont: np.ndarray, vocab_size: int, *, top: bool) -> _Level:
    """One order's tables: the i-grams' counts, their histories' totals and types, the discounts."""
    counts = np.stack([raw, cont])
    hist, first = np.unique(keys // vocab_size, return_index=True)  # keys sorted: histories are runs
    discounts = np.array([_discount(raw), np.nan if top else _discount(cont)])
    return _Level(
        keys=keys,
        counts=counts,
        hist=hist,
        totals=np.add.reduceat(counts, first, axis=1),
        types=np.add.reduceat((counts > 0).astype(np.int64), first, axis=1),
        discounts=discounts,
    )


def ngram_bits_per_char(model: KneserNey, ids: np.ndarray, context: int | None, max_tokens: int) -> float:
    """Held-out bits per character: `lm.bits_per_char`'s targets and windows with `context=c`, the
    history cut at each window's start; with `context=None` ids[1 : m + 1] with full history."""
    ids = np.asarray(ids, dtype=np.int64)
    m = min(max_tokens, len(ids) - 1)
    if context is None:
        if m < 1:
            raise ValueError(f"held-out part too short: {len(ids)} characters")
        targets, starts = np.arange(1, m + 1), np.zeros(m, dtype=np.int64)
    else:
        n = m // context
        if n < 1:
            raise ValueError(f"held-out part too short for context {context}: {len(ids)} characters")
        starts = np.repeat(np.arange(n) * context, context)
        targets = starts + np.tile(np.arange(1, context + 1), n)
    return float(-model.log2_probs(ids, targets, starts).sum() / len(targets))


def run_char_ngram(text: np.ndarray | str, settings: dict) -> dict:
    """The baseline's metrics: fitted on the models' training part (`data.char_corpus` with the run's
    held-out fraction), scored on their held-out windows at every context of `settings["contexts"]`
    (the first `eval_tokens` held-out characters, as `lm.bits_per_char` scores the models) and with
    the full history; `settings` from `settings.char_ngram_settings`."""
    import time

    from dlrepro.sequence.data import char_corpus

    start = time.perf_counter()
    corpus = char_corpus(text, test_fraction=settings["data"]["test_fraction"])
    order, tokens = settings["baseline"]["order"], settings["eval_tokens"]
    model = fit_kneser_ney(corpus.train, len(corpus.alphabet) + 1, order=order)
    bpc = {str(c): ngram_bits_per_char(model, corpus.test, c, tokens) for c in settings["contexts"]}
    return {
        "model": "kneser_ney",
        "recipe": f"interpolated Kneser-Ney character {order}-gram (Chen & Goodman 1998)",
        "order": order,
        "test_bpc_by_context": bpc,
        "test_bpc_full_history": ngram_bits_per_char(model, corpus.test, None, tokens),
        "ngrams_by_order": list(model.ngrams),
        # per order: the raw-count and continuation-count discounts (None where that order uses none)
        "discounts": [[None if np.isnan(d) else float(d) for d in row] for row in model.discounts],
        "vocab_size": model.vocab_size,
        "train_chars": len(corpus.train),
        "test_chars": len(corpus.test),
        "eval_tokens": tokens,
        "seconds": time.perf_counter() - start,
    }
