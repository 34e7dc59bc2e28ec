"""Task B's interpolated Kneser-Ney baseline: hand-computed probabilities, a slow reference, normalisation,
and scoring on exactly the windows of `lm.bits_per_char`."""

import math
from collections import Counter

import numpy as np
import pytest
import torch

from dlrepro.sequence.lm import bits_per_char
from dlrepro.sequence.ngram import FALLBACK_DISCOUNT, fit_kneser_ney, ngram_bits_per_char


def _ids(text: str) -> np.ndarray:
    """'a' -> 1, 'b' -> 2, ...: ids of a corpus over the alphabet 'abc...' (id 0 is the unknown symbol)."""
    return np.array([ord(ch) - ord("a") + 1 for ch in text], dtype=np.int64)


def _markov_corpus(n: int, vocab: int, seed: int) -> np.ndarray:
    """A random corpus over ids 1..vocab - 1 with some second-order structure (no id 0)."""
    rng = np.random.default_rng(seed)
    table = rng.dirichlet(np.full(vocab - 1, 0.3), size=(vocab, vocab))
    ids = [1, 2]
    for _ in range(n - 2):
        ids.append(1 + rng.choice(vocab - 1, p=table[ids[-2], ids[-1]]))
    return np.array(ids, dtype=np.int64)


def _discount(counts) -> float:
    n1, n2 = sum(c == 1 for c in counts), sum(c == 2 for c in counts)
    return n1 / (n1 + 2 * n2) if n1 else FALLBACK_DISCOUNT


class ReferenceKN:
    """Interpolated Kneser-Ney from the formulas, with dicts of tuples: slow and independent of the module."""

    def __init__(self, train, vocab: int, order: int):
        train = [int(x) for x in train]
        self.vocab, self.order = vocab, order
        self.raw = {i: Counter(tuple(train[t : t + i]) for t in range(len(train) - i + 1)) for i in range(1, order + 1)}
        self.cont = {i: Counter(g[1:] for g in self.raw[i + 1]) for i in range(1, order)}

    def prob(self, history, w: int) -> float:
        h = tuple(int(x) for x in history)[max(0, len(history) - (self.order - 1)) :]
        return self._p(h, int(w), top=len(h) + 1)

    def _p(self, h: tuple, w: int, top: int) -> float:
        i = len(h) + 1
        lower = 1.0 / self.vocab if i == 1 else self._p(h[1:], w, top)
        counts = self.raw[i] if i == top else self.cont[i]
        d = _discount(counts.values())
        following = [c for g, c in counts.items() if g[:-1] == h]
        if sum(following) == 0:
            return lower
        return (max(counts.get((*h, w), 0) - d, 0) + d * len(following) * lower) / sum(following)


def test_hand_computed_order_two():
    # train "abacab": a=1, b=2, c=3, V = 4 (with the unknown id 0)
    m = fit_kneser_ney(_ids("abacab"), vocab_size=4, order=2)
    V = 4
    # bigram raw counts: ab 2, ba 1, ac 1, ca 1 -> n1 = 3, n2 = 1
    d2 = 3 / (3 + 2 * 1)
    # continuation counts of the unigrams (distinct left neighbours): a {b, c} 2, b {a} 1, c {a} 1 -> n1 = 2, n2 = 1
    d1 = 2 / (2 + 2 * 1)
    cont, cont_total, cont_types = {1: 2, 2: 1, 3: 1, 0: 0}, 4, 3
    p1 = {w: (max(cont[w] - d1, 0) + d1 * cont_types / V) / cont_total for w in range(V)}
    assert p1[1] == pytest.approx(0.46875, abs=1e-15) and p1[0] == pytest.approx(0.09375, abs=1e-15)
    # p(b | a): c(ab) = 2, c(a .) = 3, N(a .) = 2
    assert 2 ** m.log2_prob([1], 2) == pytest.approx((2 - d2) / 3 + d2 * 2 / 3 * p1[2], abs=1e-12)
    # p(a | c): c(ca) = 1, c(c .) = 1, N(c .) = 1
    assert 2 ** m.log2_prob([3], 1) == pytest.approx((1 - d2) / 1 + d2 * 1 / 1 * p1[1], abs=1e-12)
    # p(c | b): c(bc) = 0, c(b .) = 1, N(b .) = 1
    assert 2 ** m.log2_prob([2], 3) == pytest.approx(0 + d2 * 1 / 1 * p1[3], abs=1e-12)
    # unseen history "0": the level is left out, the continuation unigram remains
    assert m.distribution([0]) == pytest.approx([p1[w] for w in range(V)], abs=1e-12)
    # empty history: the raw unigram a 3, b 2, c 1 (n1 = 1, n2 = 1) is the top level
    d_raw = 1 / (1 + 2)
    raw = [0, 3, 2, 1]
    assert m.distribution([]) == pytest.approx([(max(c - d_raw, 0) + d_raw * 3 / V) / 6 for c in raw], abs=1e-12)
    assert m.discounts[:, 0] == pytest.approx([d_raw, d2]) and m.discounts[0, 1] == pytest.approx(d1)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_matches_slow_reference(order):
    train, V = _markov_corpus(300, vocab=6, seed=order), 6
    m, ref = fit_kneser_ney(train, V, order), ReferenceKN(train, V, order)
    rng = np.random.default_rng(10 + order)
    for _ in range(12):
        history = rng.integers(0, V, size=rng.integers(0, 7))  # id 0 and unseen histories included
        if rng.random() < 0.5:  # and histories seen in training
            t = rng.integers(0, len(train) - 6)
            history = train[t : t + rng.integers(0, 7)]
        expected = [ref.prob(history, w) for w in range(V)]
        assert m.distribution(history) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_distributions_sum_to_one(order):
    train, V = _markov_corpus(3000, vocab=8, seed=100 + order), 8
    m = fit_kneser_ney(train, V, order)
    rng = np.random.default_rng(order)
    for length in range(0, 8):
        for _ in range(5):
            history = rng.integers(0, V, size=length)
            p = m.distribution(history)
            assert p.sum() == pytest.approx(1.0, abs=1e-12) and np.all(p > 0)


def test_order_one_is_discounted_unigram_with_uniform():
    train, V = _markov_corpus(500, vocab=7, seed=3), 7
    m = fit_kneser_ney(train, V, order=1)
    counts = np.bincount(train, minlength=V)
    seen = counts[counts > 0]
    d = np.sum(seen == 1) / (np.sum(seen == 1) + 2 * np.sum(seen == 2)) if np.any(seen == 1) else FALLBACK_DISCOUNT
    expected = (np.maximum(counts - d, 0) + d * len(seen) / V) / len(train)
    for history in ([], [1, 2, 3], [0, 0]):  # order 1 ignores the history
        assert m.distribution(history) == pytest.approx(expected, abs=1e-12)
    assert m.ngrams == (len(seen),)


def test_short_history_predicts_like_the_lower_order_model():
    train, V = _markov_corpus(2000, vocab=6, seed=7), 6
    m5 = fit_kneser_ney(train, V, order=5)
    for k in range(4):
        lower = fit_kneser_ney(train, V, order=k + 1)
        history = train[100 : 100 + k]
        assert m5.distribution(history) == pytest.approx(lower.distribution(history), abs=1e-14)
    assert m5.ngrams == tuple(len({tuple(train[t : t + i]) for t in range(len(train) - i + 1)}) for i in range(1, 6))


def test_cyclic_corpora_are_predicted_where_the_cycle_determines_them():
    V = 6  # "abcde" and the unknown id 0
    simple = {n: fit_kneser_ney(_ids("abcde" * 200), V, n) for n in (1, 2, 5)}
    # order 1: the raw unigram, near uniform over the five symbols, about log2(5) bits
    assert ngram_bits_per_char(simple[1], _ids("abcde" * 30), None, 140) > 2.0
    for n in (2, 5):  # each character determines the next
        assert ngram_bits_per_char(simple[n], _ids("abcde" * 30), 10, 140) < 0.01
    # "abcabd": after "ab" comes c or d, decided by the character before: orders 2 and 3 are unsure there
    train, held_out = _ids("abcabd" * 200), _ids("abcabd" * 30)
    bpc = {
        n: {c: ngram_bits_per_char(fit_kneser_ney(train, V, n), held_out, c, 168) for c in (12, None)}
        for n in (2, 3, 4, 5)
    }
    for n in (2, 3):
        assert bpc[n][None] == pytest.approx(1 / 3, abs=0.01)  # one bit at every third character
    for n in (4, 5):
        assert bpc[n][None] < 0.01
        # each 12-character window starts at an "a": its second target, the "c" after "ab", has no earlier
        # character to decide it, so one bit per window remains however high the order
        assert bpc[n][12] == pytest.approx(1 / 12, abs=0.01)


def _slow_windowed_bits(ref: ReferenceKN, ids: np.ndarray, context: int, max_tokens: int) -> float:
    n = min(max_tokens, len(ids) - 1) // context
    total = 0.0
    for k in range(n):
        window = ids[k * context : k * context + context + 1]
        for j in range(1, context + 1):
            total -= math.log2(ref.prob(window[:j], window[j]))
    return total / (n * context)


def test_windows_cut_the_history_at_their_start():
    train, V = _markov_corpus(400, vocab=5, seed=11), 5
    held_out = _markov_corpus(120, vocab=5, seed=12)
    m, ref = fit_kneser_ney(train, V, order=4), ReferenceKN(train, V, order=4)
    windowed = ngram_bits_per_char(m, held_out, 10, 95)  # 9 windows of 10 targets
    assert windowed == pytest.approx(_slow_windowed_bits(ref, held_out, 10, 95), rel=1e-12)
    full = ngram_bits_per_char(m, held_out, None, 90)  # the same 90 targets with their full history
    slow_full = -sum(math.log2(ref.prob(held_out[:t], held_out[t])) for t in range(1, 91)) / 90
    assert full == pytest.approx(slow_full, rel=1e-12)
    assert windowed > full  # the window starts cost information


class _AsNeuralLM(torch.nn.Module):
    """The n-gram behind the neural models' interface: logits for every position of each input window."""

    def __init__(self, model):
        super().__init__()
        self.ngram = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numpy()
        out = np.empty((*rows.shape, self.ngram.vocab_size))
        for b, row in enumerate(rows):
            for j in range(len(row)):
                out[b, j] = np.log(self.ngram.distribution(row[: j + 1]))
        return torch.from_numpy(out)


@pytest.mark.parametrize("context,max_tokens", [(16, 150), (7, 1000)])
def test_scores_exactly_what_bits_per_char_scores(context, max_tokens):
    train, V = _markov_corpus(1500, vocab=6, seed=21), 6
    held_out = _markov_corpus(130, vocab=6, seed=22)
    held_out[[5, 40, 41]] = 0  # the unknown symbol in the held-out part
    m = fit_kneser_ney(train, V, order=5)
    expected = bits_per_char(_AsNeuralLM(m), torch.from_numpy(held_out), context, max_tokens)
    assert ngram_bits_per_char(m, held_out, context, max_tokens) == pytest.approx(expected, rel=1e-12)


def test_unseen_symbol_gets_finite_probability():
    train, V = _ids("the cat sat on the mat ".replace(" ", "z") * 20), 27
    m = fit_kneser_ney(train, V, order=5)
    assert np.isfinite(m.log2_prob(_ids("thezc"), 0)) and m.distribution(_ids("thezc"))[0] > 0
    assert np.isfinite(m.log2_prob([0, 0, 0], 0)) and np.isfinite(m.log2_prob([], 0))
    held_out = np.concatenate([_ids("thezcatz"), [0, 0], _ids("sat")])
    assert np.isfinite(ngram_bits_per_char(m, held_out, 4, 100))
    assert np.isfinite(ngram_bits_per_char(m, held_out, None, 100))


def test_refuses_bad_input():
    train = _ids("abcabc")
    with pytest.raises(ValueError, match="order"):
        fit_kneser_ney(train, 4, order=0)
    with pytest.raises(ValueError, match="ids must lie"):
        fit_kneser_ney(train, 3, order=2)  # id 3 is outside a vocabulary of 3
    with pytest.raises(ValueError, match="int64"):
        fit_kneser_ney(train, 100, order=10)
    m = fit_kneser_ney(train, 4, order=2)
    with pytest.raises(ValueError, match="too short for context 8"):
        ngram_bits_per_char(m, train, 8, 100)
    with pytest.raises(ValueError, match="ids must lie"):
        m.log2_prob([1, 2], 4)
