"""Edge cases of the computed verdicts: t quantiles, CI verdicts at the threshold, the autoencoder's
upper-bound criterion, the ViT claim at the full data fraction, and combining per-model verdicts."""

import numpy as np
import pytest

from dlrepro.autoencoder.report import autoencoder_claims, autoencoder_tex, summarize_autoencoder
from dlrepro.claims import combine_verdicts
from dlrepro.metrics import ci_verdict, mean_ci, t_quantile_975
from dlrepro.sequence.claims import sequence_claims
from dlrepro.vision.report import vision_claims
from dlrepro.vision.study import summarize_vision
from tests.conftest import vision_runs

# ---- t quantiles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("df,expected", [(1, 12.706), (2, 4.303), (10, 2.228), (29, 2.045), (30, 2.042)])
def test_t_quantile_975_table_values(df, expected):
    assert t_quantile_975(df) == expected


# exact values (scipy.stats.t.ppf(0.975, df)): beyond the table the expansion is within 2e-6 (asked: 5e-6)
@pytest.mark.parametrize(
    "df,exact", [(31, 2.039513), (40, 2.021075), (60, 2.000298), (120, 1.979930), (1000, 1.962339)]
)
def test_t_quantile_975_beyond_the_table(df, exact):
    assert t_quantile_975(df) == pytest.approx(exact, abs=5e-6)
    assert t_quantile_975(df) < t_quantile_975(df - 1)  # falls towards the normal quantile


@pytest.mark.parametrize("df", [0, -1])
def test_t_quantile_975_refuses_fewer_than_two_values(df):
    with pytest.raises(ValueError, match="at least 2 values"):
        t_quantile_975(df)


def test_mean_ci_of_31_values_uses_the_table_and_of_32_the_expansion():
    values = [0.0, 1.0] * 15 + [0.5]  # 31 values: df 30
    sd = float(np.std(values, ddof=1))
    assert mean_ci(values)["ci95"] == pytest.approx(2.042 * sd / 31**0.5)
    values = [0.0, 1.0] * 16  # 32 values: df 31
    sd = float(np.std(values, ddof=1))
    assert mean_ci(values)["ci95"] == pytest.approx(2.039513 * sd / 32**0.5, rel=1e-4)


# ---- ci_verdict ----------------------------------------------------------------------------------


def _s(mean, ci, n=3):
    return {"mean": mean, "ci95": ci, "n": n}


def test_ci_verdict_without_a_usable_interval_is_inconclusive():
    assert ci_verdict(None) == "inconclusive"
    assert ci_verdict(None, 1.0, above=False) == "inconclusive"
    assert ci_verdict(_s(5.0, 0.1, n=1)) == "inconclusive", "one seed decides nothing, whatever its ci95 says"
    assert ci_verdict(_s(5.0, float("inf"))) == "inconclusive"


def test_ci_verdict_an_interval_touching_the_threshold_is_inconclusive():
    # exact binary fractions: the bounds equal the threshold exactly
    assert ci_verdict(_s(0.25, 0.25)) == "inconclusive"  # low == 0
    assert ci_verdict(_s(-0.25, 0.25)) == "inconclusive"  # high == 0
    assert ci_verdict(_s(1.25, 0.25), 1.0) == "inconclusive"  # low == 1
    assert ci_verdict(_s(0.75, 0.25), 1.0) == "inconclusive"  # high == 1
    assert ci_verdict(_s(0.75, 0.25), 1.0, above=False) == "inconclusive"
    assert ci_verdict(_s(1.25, 0.25), 1.0, above=False) == "inconclusive"


def test_ci_verdict_below_a_nonzero_threshold():
    assert ci_verdict(_s(0.5, 0.25), 1.0, above=False) == "reproduced"
    assert ci_verdict(_s(1.5, 0.25), 1.0, above=False) == "not reproduced"
    assert ci_verdict(_s(1.1, 0.25), 1.0, above=False) == "inconclusive"
    # the same intervals, read against 0, are all above it: the threshold matters
    assert ci_verdict(_s(0.5, 0.25), 0.0, above=False) == "not reproduced"
    assert ci_verdict(_s(0.5, 0.25), 1.0, above=True) == "not reproduced"


# ---- the autoencoder's criterion: the UPPER CI bound must beat the mean image -------------------

BASE = {"mean_image_mse": 0.0675, "mean_image_psnr": 11.7, "pca_mse": 0.009, "pca_psnr": 20.4, "pca_components": 64}


def _ae_runs(values):
    return [
        {
            "loss_reduction": "sum",
            "seed": i,
            "test_mse": v,
            "psnr": 20.0,
            "seconds": 1.0,
            "final_train_loss": v,
            "data_status": "verified",
        }
        for i, v in enumerate(values)
    ]


def test_ae_structure_is_not_kept_when_only_the_mean_beats_the_mean_image():
    runs = _ae_runs([0.04, 0.06, 0.08])  # mean 0.06 < 0.0675 < mean + ci (~0.11)
    s = summarize_autoencoder(runs, BASE, default_reduction="sum")
    stat = s["readings"]["sum"]["test_mse"]
    assert stat["mean"] < BASE["mean_image_mse"] < stat["mean"] + stat["ci95"]
    assert stat["mean"] - stat["ci95"] < BASE["mean_image_mse"]
    assert s["claim"]["keeps_structure"] is False and s["claim"]["loses_detail"] is True
    assert s["readings"]["sum"]["learns"] is True, "'learns' compares the mean only"
    assert "\\newcommand{\\aeVerdict}{not reproduced}" in autoencoder_tex(s, {})["values"]
    models = {"code_size": 64, "claims": {"tradeoff": {"per_model": {}, "holds": True}}}
    assert {r["id"]: r for r in autoencoder_claims(s, models)}["ae-recognisable"]["verdict"] == "not reproduced"


def test_ae_structure_is_kept_when_the_whole_interval_beats_the_mean_image():
    s = summarize_autoencoder(_ae_runs([0.050, 0.051, 0.052]), BASE, default_reduction="sum")
    stat = s["readings"]["sum"]["test_mse"]
    assert stat["mean"] + stat["ci95"] < BASE["mean_image_mse"]
    assert s["claim"]["keeps_structure"] is True
    assert "\\newcommand{\\aeVerdict}{reproduced}" in autoencoder_tex(s, {})["values"]


# ---- the ViT claim reads the gap at the full fraction ----------------------------------------------


def test_vit_claim_reads_the_gap_at_the_full_fraction_not_the_smallest():
    gap_at = {0.1: -0.05, 0.5: 0.0, 1.0: 0.05}  # behind on 10%, ahead on 100%
    summary = summarize_vision(vision_runs(gap_at, data_status="verified"))
    assert summary["full_fraction"] == 1.0
    row = {c["id"]: c for c in vision_claims(summary)}["vision-vit-outperforms-cnn"]
    assert row["verdict"] == "reproduced" and "100%" in row["metric"] and row["measured"].startswith("+5.0")
    gap_at = {0.1: 0.05, 0.5: 0.0, 1.0: -0.05}  # ahead on 10%, behind on 100%
    summary = summarize_vision(vision_runs(gap_at, data_status="verified"))
    row = {c["id"]: c for c in vision_claims(summary)}["vision-vit-outperforms-cnn"]
    assert row["verdict"] == "not reproduced" and row["measured"].startswith("-5.0")


# ---- combining the verdicts against both recurrent models ----------------------------------------


@pytest.mark.parametrize(
    "verdicts,combined",
    [
        ([], "inconclusive"),
        (["inconclusive", "not reproduced"], "not reproduced"),
        (["not reproduced", "inconclusive"], "not reproduced"),
        (["reproduced", "inconclusive", "not reproduced"], "not reproduced"),
        (["inconclusive", "inconclusive"], "inconclusive"),
        (["reproduced", "inconclusive"], "inconclusive"),
        (["reproduced"], "reproduced"),
        (["not reproduced"], "not reproduced"),
    ],
)
def test_one_clear_failure_refutes_and_nothing_decides_nothing(verdicts, combined):
    assert combine_verdicts(verdicts) == combined
    assert combine_verdicts(iter(verdicts)) == combined, "a generator (as sequence_claims passes) gives the same"


SEEDS = ("0", "1", "2")


def _seq_summary(acc):
    """A minimal summary for sequence_claims; `acc` maps each model to its three per-seed test accuracies."""
    sent, lm, grid = {}, {}, {}
    for m, bpc, step in (("rnn", 2.6, 0.4), ("lstm", 2.4, 0.2), ("transformer", 2.0, 0.1)):
        sent[m] = {
            "accuracy_by_seed": dict(zip(SEEDS, acc[m])),
            "steps_to_target_by_seed": dict(zip(SEEDS, (10, 11, 12))),
            "reached_by_seed": {s: True for s in SEEDS},
            "reached_target": 3,
            "seeds": [0, 1, 2],
        }
        by = {
            "64": dict(zip(SEEDS, (bpc + 0.3, bpc + 0.31, bpc + 0.29))),
            "256": dict(zip(SEEDS, (bpc, bpc + 0.01, bpc - 0.01))),
        }
        lm[m] = {
            "bpc_by_seed": by,
            "improvement_by_seed": {s: by["64"][s] - by["256"][s] for s in SEEDS},
            "improvement": mean_ci([0.3, 0.3, 0.3]),
        }
        grid[m] = {"1024": {"step_seconds_all": [step, step * 1.02, step * 0.98]}}
    return {
        "sentiment": sent,
        "target_accuracy": 0.7,
        "char_lm": {"contexts": [64, 256], "models": lm},
        "throughput": {"device": "CPU", "lengths": [1024], "models": grid, "crossover": None},
    }


def _sentiment_verdict(acc):
    return {c["id"]: c["verdict"] for c in sequence_claims(_seq_summary(acc))}["seq-outperform-sentiment"]


def test_sequence_claim_is_inconclusive_when_one_model_straddles_zero():
    # transformer - rnn: clearly above 0; transformer - lstm: +0.001 +- ~0.05
    acc = {"rnn": (0.60, 0.61, 0.59), "lstm": (0.80, 0.76, 0.84), "transformer": (0.82, 0.80, 0.781)}
    assert ci_verdict(mean_ci(t - r for t, r in zip(acc["transformer"], acc["rnn"]))) == "reproduced"
    assert ci_verdict(mean_ci(t - s for t, s in zip(acc["transformer"], acc["lstm"]))) == "inconclusive"
    assert _sentiment_verdict(acc) == "inconclusive"


def test_sequence_claim_is_refuted_when_one_model_is_clearly_better_even_if_the_other_straddles():
    # transformer - rnn straddles 0; transformer - lstm clearly below 0
    acc = {"rnn": (0.80, 0.76, 0.84), "lstm": (0.90, 0.91, 0.89), "transformer": (0.82, 0.80, 0.781)}
    assert ci_verdict(mean_ci(t - r for t, r in zip(acc["transformer"], acc["rnn"]))) == "inconclusive"
    assert _sentiment_verdict(acc) == "not reproduced"
