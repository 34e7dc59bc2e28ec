"""Metrics against hand-computed values; report summaries and their computed verdicts."""

import math

import numpy as np
import pytest

from dlrepro.autoencoder.report import autoencoder_tex, summarize_autoencoder
from dlrepro.metrics import mean_ci, mean_image_mse, pca_mse, psnr
from dlrepro.report import fmt_ci, latex_escape, provenance_tex


def test_mean_ci_by_hand():
    stat = mean_ci([1.0, 2.0, 3.0])  # mean 2, sd 1, t(0.975, 2) = 4.303
    assert stat["mean"] == 2.0 and stat["n"] == 3
    assert stat["ci95"] == pytest.approx(4.303 / math.sqrt(3))
    assert math.isnan(mean_ci([5.0])["ci95"])
    with pytest.raises(ValueError):
        mean_ci([])


def test_psnr_by_hand():
    assert psnr(0.01) == pytest.approx(20.0)
    assert psnr(0.0) == math.inf


def test_mean_image_mse_by_hand():
    train = np.array([[0.0, 1.0], [1.0, 1.0]])  # mean image (0.5, 1.0)
    test = np.array([[1.0, 0.0]])
    assert mean_image_mse(train, test) == pytest.approx((0.25 + 1.0) / 2)


def test_pca_mse_matches_svd_and_vanishes_at_full_rank():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6))
    mean = x.mean(0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    basis = vt[:2].T
    expected = np.mean(((x - mean) - (x - mean) @ basis @ basis.T) ** 2)
    assert pca_mse(x, x, 2) == pytest.approx(expected, rel=1e-8)
    assert pca_mse(x, x, 6) == pytest.approx(0.0, abs=1e-20)
    with pytest.raises(ValueError, match="n_components"):
        pca_mse(x, x, 7)


def test_fmt_ci_rounds_to_the_interval():
    assert fmt_ci({"mean": 0.0108, "ci95": 0.0004049, "n": 3}) == "0.01080 $\\pm$ 0.00040"
    assert fmt_ci({"mean": 19.668, "ci95": 0.163, "n": 3}) == "19.67 $\\pm$ 0.16"


def test_latex_escape():
    assert latex_escape("sum_pixels & 5% #1") == r"sum\_pixels \& 5\% \#1"
    prose = "784 -> 64, N(0, 0.01^2), x >= 0.9, y <= 1, a^b, x^20"
    assert latex_escape(prose, notation=True) == (
        r"784 $\rightarrow$ 64, N(0, 0.01$^2$), x $\geq$ 0.9, y $\leq$ 1, a\textasciicircum{}b, x\textasciicircum{}20"
    )
    assert latex_escape("runs/lr->1e-3.yaml") == r"runs/lr->1e-3.yaml", "names and paths keep their characters"


def _runs(reduction, values, status="verified"):
    return [
        {
            "loss_reduction": reduction,
            "seed": i,
            "test_mse": v,
            "psnr": psnr(v),
            "seconds": 1.0,
            "final_train_loss": v,
            "data_status": status,
        }
        for i, v in enumerate(values)
    ]


BASE = {"mean_image_mse": 0.0675, "mean_image_psnr": 11.7, "pca_mse": 0.009, "pca_psnr": 20.4, "pca_components": 64}


def test_verdict_reproduced_when_between_the_baselines():
    s = summarize_autoencoder(
        _runs("sum", [0.010, 0.011, 0.0105]) + _runs("mean", [0.23, 0.23, 0.23]), BASE, default_reduction="sum"
    )
    assert s["claim"] == {"keeps_structure": True, "loses_detail": True}
    assert s["readings"]["sum"]["learns"] and not s["readings"]["mean"]["learns"]
    tex = autoencoder_tex(s, {"epochs": "10"})
    assert "\\newcommand{\\aeVerdict}{reproduced}" in tex["values"]
    assert "\\aeMseSumPixels" not in tex["values"] and "\\newcommand{\\aeMseMean}" in tex["values"]
    assert "(default)" in tex["metrics_table"]


def test_verdict_not_reproduced_when_no_better_than_the_mean_image():
    s = summarize_autoencoder(_runs("mean", [0.23, 0.231, 0.232]), BASE, default_reduction="mean")
    assert s["claim"]["keeps_structure"] is False
    assert "{not reproduced}" in autoencoder_tex(s, {})["values"]


def test_unverified_data_propagates():
    s = summarize_autoencoder(_runs("sum", [0.01, 0.011], status="unverified copy"), BASE, default_reduction="sum")
    assert s["data_status"] == "unverified copy"
    record = {
        "dataset": "cifar10",
        "mode": "offline",
        "status": "unverified copy",
        "files": [{"status": "unverified copy"}, {"status": "verified"}],
    }
    assert "1 of 2 files differ" in provenance_tex([record])


def test_one_seed_leaves_the_structure_part_undecided_and_the_claim_inconclusive():
    s = summarize_autoencoder(_runs("sum", [0.010]), BASE, default_reduction="sum")
    assert s["claim"] == {"keeps_structure": None, "loses_detail": True}
    values = autoencoder_tex(s, {})["values"]
    assert "{inconclusive}" in values and "undecided with one seed" in values
    # a part that fails still decides: one seed below the PCA optimum fails "loses detail"
    s = summarize_autoencoder(_runs("sum", [0.005]), BASE, default_reduction="sum")
    assert s["claim"]["loses_detail"] is False and "{not reproduced}" in autoencoder_tex(s, {})["values"]
