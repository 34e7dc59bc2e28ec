"""The simple baselines beside the vision and character-LM comparisons: the shared linear fit
(dlrepro.linear), the linear classifier on pixels (dlrepro.vision.baseline), the n-gram job's settings
and metrics (dlrepro.sequence.ngram.run_char_ngram); each on a small case with a known answer."""

import math

import numpy as np
import pytest
import torch

from dlrepro.linear import choose_l2, fit_logistic
from dlrepro.sequence.data import char_corpus
from dlrepro.sequence.ngram import fit_kneser_ney, ngram_bits_per_char, run_char_ngram
from dlrepro.sequence.settings import char_ngram_settings
from dlrepro.vision import baseline as vb
from dlrepro.vision.settings import baseline_settings
from tests.conftest import default_config, with_setting

CONFIG = default_config()


def test_the_logistic_fit_finds_the_log_odds_of_a_constant_input():
    """No feature varies: the optimum sets the bias difference to the log-odds of the labels, log 3."""
    x, y = torch.zeros(400, 2), torch.tensor([1] * 300 + [0] * 100)
    w, b, evaluations = fit_logistic(x, y, 2, l2=0.0, max_iter=50)
    assert float(b[1] - b[0]) == pytest.approx(math.log(3), abs=1e-4)
    assert evaluations >= 1 and torch.all(w == 0)


def test_choose_l2_keeps_the_first_of_the_best_scores():
    best, fits = choose_l2(lambda l2: l2, lambda m: -abs(m - 0.1), [1.0, 0.1, 0.1, 0.01])
    assert best == 1 and [f[1] for f in fits] == [1.0, 0.1, 0.1, 0.01]


def _images(n=400, n_test=200, seed=0):
    """Images whose class sets the mean colour of one channel: linearly separable pixels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n + n_test)
    x = rng.normal(100, 20, (n + n_test, 3, 8, 8))
    x[np.arange(n + n_test), y % 3] += 40 * (1 + y // 3)[:, None, None]
    x = np.clip(x, 0, 255).astype(np.uint8)
    return {
        "x_train": x[:n],
        "y_train": y[:n],
        "x_test": x[n:],
        "y_test": y[n:],
        "n_classes": 4,
        "mean": (0.5, 0.5, 0.5),
        "std": (0.25, 0.25, 0.25),
    }


SETTINGS = {"val_fraction": 0.2, "l2_grid": [1e-3, 1e-1], "max_iter": 50}


def test_the_pixel_baseline_separates_classes_that_a_template_tells_apart():
    m = vb.run_pixel_baseline(_images(), SETTINGS, seed=0)
    assert m["test_accuracy"] > 0.95 and m["val_accuracy"] > 0.9
    assert (m["train_examples"], m["val_examples"], m["test_examples"]) == (320, 80, 200)
    assert m["parameters"] == (3 * 64 + 1) * 4 and m["flops_per_image"] == 2 * 3 * 64 * 4
    assert m["train_flops"] == 3 * m["flops_per_image"] * 320 * m["lbfgs_evaluations"]


def test_the_pixel_baseline_chooses_on_the_held_out_training_images_only():
    """Scramble the test labels: the L2 chosen and the validation accuracies must not move."""
    data = _images()
    first = vb.run_pixel_baseline(data, SETTINGS, seed=1)
    scrambled = {**data, "y_test": (data["y_test"] + 1) % 4}
    second = vb.run_pixel_baseline(scrambled, SETTINGS, seed=1)
    assert second["l2"] == first["l2"] and second["val_accuracy_by_l2"] == first["val_accuracy_by_l2"]
    assert second["test_accuracy"] < 0.1 < first["test_accuracy"]


def test_the_pixel_baselines_settings_hold_its_block_the_data_and_the_fraction_only():
    vision = CONFIG["vision"]
    run = baseline_settings(vision, fraction=1.0)
    assert sorted(run) == ["baseline", "data", "fraction"]
    for path, value in [("vit.learning_rate", 1.0), ("train.images", 7), ("budgets", [1]), ("device", "cuda")]:
        assert baseline_settings(with_setting(vision, path, value), fraction=1.0) == run, path
    assert baseline_settings(with_setting(vision, "baseline.max_iter", 3), fraction=1.0) != run
    with pytest.raises(ValueError, match="not among the configured"):
        baseline_settings(vision, fraction=0.3)


def test_the_ngram_job_scores_the_models_windows_at_every_context():
    text = "to be or not to be, that is the question. " * 40
    settings = {"data": {"test_fraction": 0.2}, "baseline": {"order": 3}, "eval_tokens": 200, "contexts": [8, 16]}
    m = run_char_ngram(text, settings)
    corpus = char_corpus(text, test_fraction=0.2)
    model = fit_kneser_ney(corpus.train, len(corpus.alphabet) + 1, order=3)
    assert m["test_bpc_by_context"] == {str(c): ngram_bits_per_char(model, corpus.test, c, 200) for c in (8, 16)}
    assert m["test_bpc_full_history"] <= m["test_bpc_by_context"]["16"] <= m["test_bpc_by_context"]["8"]
    assert m["test_bpc_full_history"] < 0.5, "a repeated sentence is nearly certain after two characters"


def test_the_ngram_settings_follow_the_baseline_block_and_the_scored_windows_only():
    seq = CONFIG["sequence"]
    run = char_ngram_settings(seq)
    assert sorted(run) == ["baseline", "contexts", "data", "eval_tokens"]
    for path, value in [("char_lm.optim.steps", 9), ("model.width", 8), ("char_lm.optim.learning_rate", 1.0)]:
        assert char_ngram_settings(with_setting(seq, path, value)) == run, path
    for path, value in [("char_lm.baseline.order", 3), ("char_lm.contexts", [32]), ("char_lm.optim.eval_tokens", 9)]:
        assert char_ngram_settings(with_setting(seq, path, value)) != run, path
