"""Learning-rate tuning (dlrepro.tuning and the studies' tuning jobs): the choice and its grid edge, the
runner's hand-over of the chosen rate to the ladder's runs, and that no tuning run is given test data."""

import json

import numpy as np
import pytest
import torch

from dlrepro.io import write_json
from dlrepro.runner import run_job
from dlrepro.sequence import study as seq_study
from dlrepro.sequence.study import run_char_lm
from dlrepro.tuning import apply_choice, rates, sweep_record, sweeps_table
from dlrepro.vision import tune as vision_tune
from dlrepro.vision.settings import tune_settings
from tests.conftest import default_config, snakemake_job
from tests.unit.test_sequence_study import CHAR_LM, SENTIMENT, _texts
from tests.unit.test_vision_settings import VIS, _cache

torch.set_num_threads(1)
COMMON = {"study": "s", "label": "m", "key": ["optim", "learning_rate"], "configured": 1.0, "metric": "acc", "seed": 0}


def test_the_best_score_is_chosen_and_its_place_in_the_grid_named():
    tried = rates(1e-3, [0.5, 1, 2])
    assert tried == pytest.approx([5e-4, 1e-3, 2e-3])
    inside = sweep_record(**COMMON, tried=tried, scores=[0.6, 0.7, 0.65], better="higher")
    assert (inside["chosen"], inside["edge"]) == (1e-3, None)
    high = sweep_record(**COMMON, tried=tried, scores=[3.0, 2.5, 2.0], better="lower")
    assert (high["chosen"], high["edge"], high["best_score"]) == (2e-3, "high", 2.0)
    tie = sweep_record(**COMMON, tried=tried, scores=[0.7, 0.7, float("nan")], better="higher")
    assert (tie["chosen"], tie["edge"]) == (5e-4, "low"), "the lower rate on ties; a diverged run is skipped"
    with pytest.raises(ValueError, match="no rate"):
        sweep_record(**COMMON, tried=tried, scores=[float("nan")] * 3, better="higher")
    assert "lowest tried" in sweeps_table([tie]) and "inside" in sweeps_table([inside])


def test_the_runner_gives_the_ladders_run_the_chosen_rate(tmp_path):
    record = sweep_record(**COMMON, tried=[0.1, 0.2], scores=[1.0, 2.0], better="higher")
    write_json(tmp_path / "lr.json", record)
    run = {"optim": {"learning_rate": 0.5, "epochs": 1}, "device": "cpu"}
    seen = {}
    smk = snakemake_job(tmp_path, "r", run, inputs={"learning_rate": tmp_path / "lr.json"}, outputs={"m": "m.json"})
    run_job(smk, lambda job: seen.update(job.run) or {"m": {}}, torch=False, checkpoint=None)
    assert seen["optim"] == {"learning_rate": 0.2, "epochs": 1} and run["optim"]["learning_rate"] == 0.5
    with pytest.raises(KeyError, match="not in the run"):
        apply_choice({"optim": {}}, record)


def test_a_sentiment_tuning_run_is_never_given_the_test_part(monkeypatch):
    import dlrepro.sequence.training as training

    texts, labels, classes = _texts()
    given, original = {}, training.train_classifier

    def spy(kind, train, val, test, **kw):
        given.update(val=val, test=test)
        return original(kind, train, val, test, **kw)

    monkeypatch.setattr(training, "train_classifier", spy)
    ((metrics, _),) = seq_study.run_sentiment(texts, labels, classes, "lstm", SENTIMENT, seed=0, validation_only=True)
    assert given["test"] is given["val"], "the validation part stands in for the test part"
    assert metrics["test_accuracy"] == metrics["val_accuracy"]
    seq_study.run_sentiment(texts, labels, classes, "lstm", SENTIMENT, seed=0)
    assert given["test"] is not given["val"]


def test_a_language_model_tuning_run_never_reads_the_held_out_tail():
    text = "the quick brown fox jumps over the lazy dog. " * 30
    cut = int(round(len(text) * 0.8))
    other_tail = text[:cut] + "".join(reversed(text[cut:]))  # same alphabet, different held-out tail
    ((a, _, _),) = run_char_lm(text, "lstm", CHAR_LM, context=8, seed=0, validation_fraction=0.25)
    ((b, _, _),) = run_char_lm(other_tail, "lstm", CHAR_LM, context=8, seed=0, validation_fraction=0.25)
    ((c, _, _),) = run_char_lm(other_tail, "lstm", CHAR_LM, context=8, seed=0)
    ((d, _, _),) = run_char_lm(text, "lstm", CHAR_LM, context=8, seed=0)
    assert a["test_bpc"] == b["test_bpc"] and c["test_bpc"] != d["test_bpc"]


def test_a_vision_tuning_job_never_reads_the_test_images(tmp_path):
    vision = {**VIS, "tune": {"grid": [0.5, 2], "seed": 0, "val_fraction": 0.25}}
    run = tune_settings(vision, model="cnn")
    assert run["fraction"] == 1.0 and run["budgets"] == [1.0] and run["tune"] == vision["tune"]
    records = []
    for poisoned in (False, True):
        folder = tmp_path / str(poisoned)
        folder.mkdir()
        cache, provenance = _cache(folder)
        if poisoned:  # test images and labels that no classifier could score well on
            d = dict(np.load(cache))
            d["x_test"], d["y_test"] = np.zeros_like(d["x_test"]), (d["y_test"] + 3) % 10
            np.savez(cache, **d)
        smk = snakemake_job(
            folder,
            "tune_vision_lr",
            run,
            inputs={"cache": cache, "provenance": provenance},
            outputs={"learning_rate": "lr.json"},
            wildcards={"vis_model": "cnn"},
        )
        run_job(smk, vision_tune.tune_job, checkpoint=None)
        records.append(json.loads((folder / "out" / "lr.json").read_text()))
    assert records[0] == records[1]
    assert records[0]["rates"] == pytest.approx([0.5 * VIS["cnn"]["learning_rate"], 2 * VIS["cnn"]["learning_rate"]])


def test_the_tuning_jobs_settings_are_the_base_budgets_run_and_the_tune_block():
    from dlrepro.sequence.settings import char_lm_tune_settings, sentiment_tune_settings
    from tests.conftest import with_setting

    seq = default_config()["sequence"]
    sent = sentiment_tune_settings(seq)
    assert sent["budgets"] == [1.0] and sent["tune"] == seq["sentiment"]["tune"], "a ladder of the base budget alone"
    assert sent["optim"]["epochs"] == seq["sentiment"]["optim"]["epochs"]
    lm = char_lm_tune_settings(seq, context=256)
    assert lm["context"] == 256 and lm["tune"]["val_fraction"] == seq["char_lm"]["tune"]["val_fraction"]
    assert lm["budgets"] == [1.0]
    longer = with_setting(seq, "budgets", [1, 2, 4, 8])  # a longer ladder tunes nothing again
    assert sentiment_tune_settings(longer) == sent and char_lm_tune_settings(longer, context=256) == lm


def test_a_diverging_rate_is_a_result_of_the_sweep_not_its_failure():
    from dlrepro.guards import NonFiniteLossError
    from dlrepro.tuning import score_or_nan

    def train(rate):
        if rate > 1e-2:
            raise NonFiniteLossError("loss became nan", epoch=1, step=3, value=float("nan"), loss="loss")
        return 1.0 - rate

    tried = [5e-3, 1e-2, 2e-2]
    scores = [score_or_nan(train, r) for r in tried]
    assert scores[:2] == [1.0 - 5e-3, 1.0 - 1e-2] and scores[2] != scores[2]
    record = sweep_record(**COMMON, tried=tried, scores=scores, better="higher")
    assert record["chosen"] == 5e-3 and record["edge"] == "low"
    with pytest.raises(ValueError):
        score_or_nan(lambda r: (_ for _ in ()).throw(ValueError("a real bug")), 1.0)


def test_a_tuning_share_too_short_for_the_longest_context_is_refused_by_its_key():
    from dlrepro.sequence.data import check_tuning_share

    check_tuning_share(10_000, test_fraction=0.1, val_fraction=0.1, longest_context=256)  # 900 held: fine
    with pytest.raises(ValueError, match=r"sequence.char_lm.tune.val_fraction: 0.01 .* fewer than one window"):
        check_tuning_share(10_000, test_fraction=0.1, val_fraction=0.01, longest_context=256)
