"""The sequence study's claims on the tiny config's settings, along its compute ladder: two runs on the same
seeds give the same verdicts and trends, and no verdict moves when every measured second does."""

import copy

import numpy as np
import pytest
import torch
import yaml

from dlrepro.ladder import budget_name, scaled
from dlrepro.sequence.claims import sequence_claims
from dlrepro.sequence.curves import sequence_curves
from dlrepro.sequence.settings import char_lm_run_settings, sentiment_run_settings
from dlrepro.sequence.study import run_char_lm, run_sentiment, run_throughput
from dlrepro.sequence.summary import summarize_sequence
from tests.conftest import REPO

torch.set_num_threads(1)


def _merged(base: dict, overlay: dict) -> dict:
    """`overlay` over `base` as Snakemake merges a --configfile: dicts key by key, any other value replaced."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = _merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


TINY = _merged(*(yaml.safe_load((REPO / "config" / name).read_text()) for name in ("config.yaml", "tiny.yaml")))
SEQ, SEEDS = TINY["sequence"], TINY["seeds"]
# three recurrent/attention models even though the tiny workflow trains two: every claim pairs against both RNNs
MODELS = ["rnn", "lstm", "transformer"]


def _texts():
    rng = np.random.default_rng(0)
    pos, neg = "good fun great moving fine".split(), "bad dull awful boring poor".split()
    texts = [" ".join(rng.choice(pos if i % 2 else neg, size=6)) for i in range(80)]
    return texts, np.array([i % 2 for i in range(80)]), ["negative", "positive"]


def _study() -> dict:
    """Every model, budget and seed of both tasks, as the workflow's jobs run them (one ladder per model and
    seed, and context), then the summary."""
    texts, labels, classes = _texts()
    corpus = np.frombuffer(b"to be or not to be, that is the question: whether 'tis nobler. " * 40, dtype=np.uint8)
    sentiment, histories, char_lm, lm_histories = [], {}, [], {}
    status = {"data_status": "unverified copy"}  # what the jobs add to the runs' metrics
    settings = sentiment_run_settings(SEQ)
    for m in MODELS:
        for seed in SEEDS:
            for metrics, history in run_sentiment(texts, labels, classes, m, settings, seed=seed):
                sentiment.append(metrics | status)
                histories[(m, budget_name(metrics["budget"]), seed)] = history
            for context in SEQ["char_lm"]["contexts"]:
                lm_settings = char_lm_run_settings(SEQ, context=context)
                for metrics, history, _ in run_char_lm(corpus, m, lm_settings, context=context, seed=seed):
                    char_lm.append(metrics | status)
                    lm_histories[(m, context, budget_name(metrics["budget"]), seed)] = history
    throughput = {"device": "cpu", "rows": run_throughput(SEQ["throughput"], SEQ["model"], kinds=MODELS)}
    return dict(
        sentiment=sentiment, histories=histories, char_lm=char_lm, lm_histories=lm_histories, throughput=throughput
    )


def _claims(study: dict) -> dict:
    summary = summarize_sequence(
        study["sentiment"],
        study["histories"],
        study["char_lm"],
        study["throughput"],
        target_accuracy=SEQ["sentiment"]["target_accuracy"],
        lm_histories=study["lm_histories"],
        model_settings=SEQ["model"],
    )
    return {c["id"]: (c["verdict"], c.get("trend", {}).get("direction")) for c in summary["claims"]}


def _retimed(study: dict, factor: float) -> dict:
    """The same runs with every measured second scaled by `factor` (a slower or faster machine)."""
    out = copy.deepcopy(study)
    for r in [*out["sentiment"], *out["char_lm"]]:
        for k in ("seconds", "seconds_to_best"):
            if k in r:
                r[k] *= factor
    for rows in [*out["histories"].values(), *out["lm_histories"].values()]:
        for row in rows:
            row["seconds"] *= factor
    for row in out["throughput"]["rows"]:
        row["step_seconds_all"] = [
            t * factor * (1 + 0.5 * (row["model"] == "transformer")) for t in row["step_seconds_all"]
        ]
        row["step_seconds"] *= factor
        row["tokens_per_second"] /= factor
    return out


@pytest.fixture(scope="module")
def two_runs():
    return _study(), _study()


def test_two_runs_on_the_same_seeds_give_the_same_verdicts_and_trends(two_runs):
    first, second = (_claims(s) for s in two_runs)
    assert first == second
    assert set(first) == {
        "seq-outperform-sentiment",
        "seq-outperform-charlm",
        "seq-longer-context",
        "seq-parallel",
        "seq-train-efficiently",
    }
    assert all(direction is not None for _, direction in first.values()), "every comparison row has a trend"


def test_no_verdict_depends_on_wall_time(two_runs):
    study = two_runs[0]
    base = _claims(study)
    for factor in (0.1, 7.0):
        assert _claims(_retimed(study, factor)) == base, f"timings scaled by {factor} moved a verdict"


def test_claims_read_the_largest_budget_and_trend_over_all(two_runs):
    summary = summarize_sequence(
        two_runs[0]["sentiment"],
        two_runs[0]["histories"],
        two_runs[0]["char_lm"],
        two_runs[0]["throughput"],
        target_accuracy=SEQ["sentiment"]["target_accuracy"],
        model_settings=SEQ["model"],
    )
    top = budget_name(max(SEQ["budgets"]))
    assert summary["sentiment_budget"] == top and summary["char_lm"]["budget"] == top
    assert summary["lm_steps"] == scaled(SEQ["char_lm"]["optim"]["steps"], max(SEQ["budgets"]))
    assert sorted(summary["sentiment_ladder"], key=float) == [budget_name(b) for b in sorted(SEQ["budgets"])]
    rows = {c["id"]: c for c in sequence_claims(summary)}
    trend = rows["seq-outperform-sentiment"]["trend"]
    assert trend["budgets"] == [float(b) for b in sorted(SEQ["budgets"])] and trend["against"] in ("rnn", "lstm")
    assert rows["seq-parallel"]["trend"]["axis"] == "the sequence length"


def test_every_run_counts_its_training_flops_and_they_grow_with_the_budget(two_runs):
    study = two_runs[0]
    rows = sequence_curves(study["sentiment"], study["char_lm"])
    assert {r["panel"] for r in rows} == {"sentiment", "sentiment_gap", "char_lm", "char_lm_gap"}
    lm = {(r["series"], r["budget"]): r["flops"] for r in rows if r["panel"] == "char_lm"}
    for (series, budget), flops in lm.items():  # the same windows per step: FLOPs follow the steps exactly
        assert flops == pytest.approx(budget / min(SEQ["budgets"]) * lm[(series, float(min(SEQ["budgets"])))])
    sent = {(r["series"], r["budget"]): r["flops"] for r in rows if r["panel"] == "sentiment"}
    for (series, budget), flops in sent.items():  # each epoch's batches pad a little differently
        ratio = flops / sent[(series, float(min(SEQ["budgets"])))]
        assert ratio == pytest.approx(budget / min(SEQ["budgets"]), rel=0.1)
    assert sent[("Transformer", 1.0)] != sent[("LSTM", 1.0)], "each model's own count"
