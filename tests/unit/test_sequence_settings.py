"""Each sequence job's settings (dlrepro.sequence.settings): a ladder job's budgets, and nothing the job does
not read, so that a config change reruns only the jobs whose numbers it can move."""

import subprocess
import sys

import pytest

from dlrepro.sequence.settings import char_lm_run_settings, sentiment_run_settings, throughput_run_settings
from tests.conftest import REPO, default_config, with_setting

SEQ = default_config()["sequence"]  # the schema's defaults filled in, as the workflow reads it


def test_a_ladder_job_carries_every_budget_sorted_and_the_base_schedule():
    seq = with_setting(SEQ, "budgets", [4, 0.5, 2])
    sentiment, lm = sentiment_run_settings(seq), char_lm_run_settings(seq, context=64)
    assert sentiment["budgets"] == lm["budgets"] == [0.5, 2.0, 4.0] and isinstance(lm["budgets"][1], float)
    assert sentiment["optim"] == SEQ["sentiment"]["optim"] and lm["optim"] == SEQ["char_lm"]["optim"]
    assert sentiment["optim"]["cooldown_fraction"] == lm["optim"]["cooldown_fraction"] == 0.2
    assert sentiment_run_settings(SEQ, budgets=[1])["budgets"] == [1.0], "a ladder of one budget (tuning)"


def test_each_job_gets_exactly_its_own_task_s_blocks():
    assert sorted(sentiment_run_settings(SEQ)) == ["budgets", "data", "device", "model", "optim"]
    lm = char_lm_run_settings(SEQ, context=256)
    assert sorted(lm) == ["budgets", "context", "data", "device", "model", "optim", "samples"]
    assert lm["context"] == 256 and lm["samples"] == SEQ["char_lm"]["samples"]
    assert sorted(throughput_run_settings(SEQ)) == ["device", "model", "models", "throughput"]


@pytest.mark.parametrize(
    "path, value",
    [
        ("sentiment.target_accuracy", 0.55),  # read by the summary only
        ("char_lm.contexts", [64, 256, 512]),  # a new context adds runs, it changes none
        ("budgets", [4, 2, 1]),  # the same ladder in another order
        ("models", ["lstm", "transformer"]),
        ("char_lm.optim.learning_rate", 1.0e-3),  # the other task's block
        ("sentiment.data.csv.path", "reviews.csv"),  # a CSV that is not the source
        ("throughput.repeats", 9),
    ],
)
def test_a_change_a_sentiment_run_does_not_read_leaves_its_settings_alone(path, value):
    assert sentiment_run_settings(with_setting(SEQ, path, value)) == sentiment_run_settings(SEQ)


@pytest.mark.parametrize(
    "path, value",
    [
        ("sentiment.target_accuracy", 0.55),
        ("char_lm.contexts", [64, 256, 512]),
        ("budgets", [4, 2, 1]),
        ("models", ["lstm", "transformer"]),
        ("sentiment.optim.epochs", 7),
        ("char_lm.data.path", "poems.txt"),  # a text file that is not the source
        ("throughput.lengths", [32, 64]),
    ],
)
def test_a_change_a_language_model_run_does_not_read_leaves_its_settings_alone(path, value):
    before = char_lm_run_settings(SEQ, context=64)
    assert char_lm_run_settings(with_setting(SEQ, path, value), context=64) == before


@pytest.mark.parametrize(
    "path, value",
    [
        ("sentiment.optim.dropout", 0.5),
        ("sentiment.data.max_tokens", 32),
        ("sentiment.optim.epochs", 7),
        ("sentiment.optim.cooldown_fraction", 0.3),
        ("model.width", 32),
        ("device", "cpu"),
        ("budgets", [1, 2, 4, 8]),  # one job trains the whole ladder: a new budget reruns it
    ],
)
def test_a_change_a_sentiment_run_reads_changes_its_settings(path, value):
    assert sentiment_run_settings(with_setting(SEQ, path, value)) != sentiment_run_settings(SEQ)


@pytest.mark.parametrize(
    "path, value",
    [("char_lm.optim.cooldown_fraction", 0.3), ("char_lm.optim.warmup_fraction", 0.2), ("budgets", [1, 2])],
)
def test_a_change_a_language_model_run_reads_changes_its_settings(path, value):
    assert char_lm_run_settings(with_setting(SEQ, path, value), context=64) != char_lm_run_settings(SEQ, context=64)


def test_a_user_file_s_settings_count_only_while_it_is_the_source():
    csv = with_setting(SEQ, "sentiment.data.source", "csv")
    csv["sentiment"]["data"]["csv"]["path"] = "reviews.csv"
    assert sentiment_run_settings(csv)["data"]["csv"]["path"] == "reviews.csv"
    assert "csv" not in sentiment_run_settings(SEQ)["data"]
    text = with_setting(SEQ, "char_lm.data.source", "file")
    text["char_lm"]["data"]["path"] = "poems.txt"
    assert char_lm_run_settings(text, context=64)["data"]["path"] == "poems.txt"
    assert "path" not in char_lm_run_settings(SEQ, context=64)["data"]


def test_the_throughput_job_reads_every_model_and_the_measurement():
    models = ["lstm", "transformer"]
    assert throughput_run_settings(with_setting(SEQ, "models", models))["models"] == models
    assert throughput_run_settings(with_setting(SEQ, "sentiment.optim.epochs", 7)) == throughput_run_settings(SEQ)


def test_the_settings_import_no_torch_when_the_workflow_is_parsed():
    code = "import sys, dlrepro.sequence.settings; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO / "src").returncode == 0
