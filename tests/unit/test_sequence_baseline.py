"""The sentiment baseline (dlrepro.sequence.baseline): a bag-of-n-grams logistic regression on the
models' own seeded split, its L2 chosen on the validation part only, and the job's settings."""

import numpy as np
import pytest

from dlrepro.sequence import baseline as bl
from dlrepro.sequence.settings import sentiment_baseline_settings
from dlrepro.sequence.study import split_sentences
from tests.conftest import default_config, with_setting

SEQ = default_config()["sequence"]
DATA = {"split": {"train": 0.6, "val": 0.2, "test": 0.2}, "min_count": 1, "max_vocab": 500, "max_tokens": 12}
SETTINGS = {
    "data": DATA,
    "baseline": {
        **{"kind": "bow", "ngrams": 2, "binary": True, "l2_grid": [1e-4, 1e-2], "max_iter": 50},
        **{"min_count": 1, "max_vocab": 500},
    },
}
NBLR = {**SETTINGS, "baseline": {**SETTINGS["baseline"], "kind": "nblr", "nb_alpha": 1.0}}


def _labelled(n: int = 300, seed: int = 0):
    """Sentences of neutral filler words and one word that carries the label."""
    rng = np.random.default_rng(seed)
    filler = [f"w{i}" for i in range(30)]
    cue = {0: ["bad", "dull", "awful"], 1: ["good", "fine", "great"]}
    labels = rng.integers(0, 2, n)
    texts = [" ".join([*rng.choice(filler, 5), rng.choice(cue[int(y)]), *rng.choice(filler, 3)]) for y in labels]
    return texts, labels


@pytest.mark.parametrize("settings", [SETTINGS, NBLR], ids=["bow", "nblr"])
def test_the_baselines_learn_words_that_carry_the_label(settings):
    texts, labels = _labelled()
    m = bl.run_sentiment_baseline(texts, labels, ["neg", "pos"], settings, seed=0)
    assert m["model"] == settings["baseline"]["kind"]
    assert m["test_accuracy"] > 0.9 and m["val_accuracy"] > 0.9
    assert m["l2"] in SETTINGS["baseline"]["l2_grid"] and m["train_flops"] > 0
    assert m["train_examples"] + m["val_examples"] + m["test_examples"] == len(texts)


def test_nblr_separates_three_classes_one_against_the_rest():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 360)
    cue = {0: "bad", 1: "meh", 2: "good"}
    texts = [" ".join([*rng.choice([f"w{i}" for i in range(20)], 4), cue[int(y)]]) for y in labels]
    m = bl.run_sentiment_baseline(texts, labels, ["a", "b", "c"], NBLR, seed=0)
    assert m["test_accuracy"] > 0.95
    assert m["parameters"] == 3 * (2 * m["vocab_size"] + 1)


def test_the_nb_ratio_by_hand():
    """Two sentences per class over three features: r = log((p / |p|) / (q / |q|)), p and q smoothed by alpha."""
    import torch

    dense = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    positive = torch.tensor([True, True, False, False])
    r = bl.nb_ratio(dense.to_sparse(), positive, 1.0)
    p, q = np.array([3.0, 2.0, 1.0]), np.array([2.0, 1.0, 3.0])
    np.testing.assert_allclose(r.numpy(), np.log((p / 6) / (q / 6)), rtol=1e-6)
    scaled = bl.scale_columns(dense.to_sparse(), r).to_dense()
    np.testing.assert_allclose(scaled.numpy(), dense.numpy() * r.numpy()[None, :], rtol=1e-6)


def test_the_baseline_cuts_the_models_split(monkeypatch):
    texts, labels = _labelled()
    parts = {}
    real_features = bl._features

    def features(texts_, labels_, parts_, data, baseline):
        parts.update(parts_)
        return real_features(texts_, labels_, parts_, data, baseline)

    monkeypatch.setattr(bl, "_features", features)
    bl.run_sentiment_baseline(texts, labels, ["neg", "pos"], SETTINGS, seed=3)
    sets, _ = split_sentences(texts, labels, seed=3, split=DATA["split"], **{k: DATA[k] for k in DATA if k != "split"})
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(labels[parts[name]], sets[name].labels)
        assert len(parts[name]) == len(sets[name].labels)


@pytest.mark.parametrize("settings", [SETTINGS, NBLR], ids=["bow", "nblr"])
def test_the_l2_is_chosen_on_the_validation_part_only(monkeypatch, settings):
    """Scramble the test labels: the choice of L2 and the validation accuracy must not move."""
    texts, labels = _labelled()
    first = bl.run_sentiment_baseline(texts, labels, ["neg", "pos"], settings, seed=1)
    parts = bl.stratified_split(labels, DATA["split"], 1)
    scrambled = labels.copy()
    scrambled[parts["test"]] = 1 - scrambled[parts["test"]]
    monkeypatch.setattr(bl, "stratified_split", lambda *a: parts)  # the same parts despite the new test labels
    second = bl.run_sentiment_baseline(texts, scrambled, ["neg", "pos"], settings, seed=1)
    assert second["l2"] == first["l2"] and second["val_accuracy_by_l2"] == first["val_accuracy_by_l2"]
    assert second["test_accuracy"] == pytest.approx(1 - first["test_accuracy"])


def test_bigrams_and_binary_presence():
    assert bl.ngrams_of(["a", "b", "c"], 2) == ["a", "b", "c", "a b", "b c"]
    x = bl.bow_matrix([["a", "a", "zz"]], ["<pad>", "<unk>", "a"], binary=True).to_dense()
    assert x.tolist() == [[0.0, 1.0, 1.0]]
    x = bl.bow_matrix([["a", "a"]], ["<pad>", "<unk>", "a"], binary=False).to_dense()
    assert x.tolist() == [[0.0, 0.0, 2.0]]


def test_the_settings_hold_the_data_and_this_baselines_block_only():
    settings = sentiment_baseline_settings(SEQ, kind="bow")
    assert sorted(settings) == ["baseline", "data"]
    assert "csv" not in settings["data"]
    assert settings["baseline"]["kind"] == "bow" and "kinds" not in settings["baseline"]
    changes = [
        ("model.width", 7),
        ("sentiment.optim.epochs", 9),
        ("device", "cuda"),
        ("sentiment.baseline.nb_alpha", 0.5),
    ]
    changes += [("sentiment.baseline.kinds", ["bow"]), ("sentiment.data.min_count", 3), ("sentiment.data.max_vocab", 9)]
    for path, value in changes:
        assert sentiment_baseline_settings(with_setting(SEQ, path, value), kind="bow") == settings
    assert sentiment_baseline_settings(with_setting(SEQ, "sentiment.baseline.ngrams", 1), kind="bow") != settings
    nblr = sentiment_baseline_settings(SEQ, kind="nblr")
    assert nblr["baseline"]["nb_alpha"] == SEQ["sentiment"]["baseline"]["nb_alpha"]
    assert sentiment_baseline_settings(with_setting(SEQ, "sentiment.baseline.nb_alpha", 0.5), kind="nblr") != nblr
