"""The compute ladder: budget names, scaled schedules, and the trend of a paired gap (slope per doubling
of compute with its CI, and whether the gap closes, widens or stays flat), checked against hand-computed
cases; then how claims carry a trend into claims.json and the claims table."""

import math

import pytest

from dlrepro.claims import claim_row, claims_table_tex, contract_rows
from dlrepro.ladder import binding_trend, budget_name, budget_trend, scaled, slope_per_doubling, trend_words

# three seeds, budgets x1, x2, x4 (log2: 0, 1, 2); the slope of each seed is (gap at x4 - gap at x1) / 2
CLOSING = {
    1: {"0": -0.10, "1": -0.12, "2": -0.08},
    2: {"0": -0.07, "1": -0.09, "2": -0.06},
    4: {"0": -0.04, "1": -0.05, "2": -0.03},
}


def test_budget_names_and_scaled_schedules():
    assert [budget_name(b) for b in (1, 2.0, 4, 0.5, 0.25)] == ["1", "2", "4", "0.5", "0.25"]
    assert scaled(500, 4) == 2000 and scaled(2, 0.5) == 1 and scaled(1, 0.25) == 1, "at least one step or epoch"
    for bad in (0, -1, float("nan"), "2"):
        with pytest.raises(ValueError, match="positive number"):
            budget_name(bad)


def test_slope_per_doubling_is_the_least_squares_slope_over_log2_budget():
    assert slope_per_doubling([1, 2, 4], [-0.10, -0.07, -0.04]) == pytest.approx(0.03)
    assert slope_per_doubling([1, 2, 4], [0.0, 0.3, 0.0]) == pytest.approx(0.0), "a bump has no slope"
    assert slope_per_doubling([1, 4], [1.0, 0.0]) == pytest.approx(-0.5), "two doublings"
    with pytest.raises(ValueError, match="two different budgets"):
        slope_per_doubling([2, 2], [0.0, 1.0])


def test_trend_against_a_hand_computed_case():
    t = budget_trend(CLOSING, unit="points", scale=100)
    # per-seed slopes 0.030, 0.035, 0.025: mean 0.030, sd 0.005, CI = t(0.975, 2) * 0.005 / sqrt(3)
    assert t["slope_per_doubling"]["mean"] == pytest.approx(0.030)
    assert t["slope_per_doubling"]["ci95"] == pytest.approx(4.303 * 0.005 / math.sqrt(3))
    assert t["slope_per_doubling"]["n"] == 3
    assert t["gap_by_budget"]["4.0"]["mean"] == pytest.approx(-0.04)
    assert t["budgets"] == [1.0, 2.0, 4.0] and t["seeds"] == ["0", "1", "2"]
    assert t["direction"] == "closing", "behind at x4 and rising: the gap closes"
    assert t["words"] == "the gap closes by 3.00 +- 1.24 points per doubling of compute, towards the claim"


def test_widening_flat_and_edge_cases():
    mirrored = {b: {s: -g for s, g in seeds.items()} for b, seeds in CLOSING.items()}  # ahead at x4 and falling
    assert budget_trend(mirrored)["direction"] == "closing"
    growing = {b: {s: -g for s, g in seeds.items()} for b, seeds in reversed(CLOSING.items())}
    growing = dict(zip(CLOSING, growing.values()))  # ahead and rising: the gap grows
    assert budget_trend(growing)["direction"] == "widening"
    assert "widens by" in budget_trend(growing)["words"] and budget_trend(growing)["words"].endswith(
        "towards the claim"
    )
    assert budget_trend(mirrored)["words"].endswith("away from the claim"), "ahead, but less so with more compute"
    noisy = {
        1: {"0": 0.0, "1": 0.1, "2": -0.1},
        2: {"0": 0.05, "1": -0.05, "2": 0.0},
        4: {"0": 0.1, "1": -0.1, "2": 0.0},
    }
    assert budget_trend(noisy)["direction"] == "flat", "a CI containing 0 is no trend"
    assert budget_trend(noisy)["words"].startswith("no clear trend")
    at_zero = {
        1: {"0": -0.2, "1": -0.21, "2": -0.19},
        2: {"0": -0.1, "1": -0.11, "2": -0.09},
        4: {"0": 0.0, "1": 0.0, "2": 0.0},
    }
    assert budget_trend(at_zero)["direction"] == "widening", "no side at x4: a clear slope moves the gap away from 0"
    one_seed = {b: {"0": g["0"]} for b, g in CLOSING.items()}
    assert budget_trend(one_seed)["direction"] == "flat" and "one seed" in budget_trend(one_seed)["words"]
    assert budget_trend({1: {"0": 0.1}}) is None, "one budget: no trend"
    assert budget_trend({1: {"0": 0.1}, 2: {"1": 0.2}}) is None, "no seed at every budget"
    partial = {**CLOSING, 4: {"0": -0.04, "1": -0.05}}  # seed 2 missing at x4: it drops out everywhere
    assert budget_trend(partial)["seeds"] == ["0", "1"]
    assert trend_words(None) == "no trend (one budget)"


def test_exact_counts_have_a_direction_without_an_interval():
    counted = {32: {"count": math.log2(33 / 4)}, 64: {"count": math.log2(65 / 4)}, 128: {"count": math.log2(129 / 4)}}
    t = budget_trend(counted, axis="the sequence length", exact=True)
    assert t["slope_per_doubling"]["ci95"] == 0.0 and t["direction"] == "widening"
    assert t["words"].endswith("(counted) per doubling of the sequence length, towards the claim")


def test_the_binding_baseline_is_the_one_closest_to_failing_the_claim():
    far = budget_trend({b: {s: g + 0.5 for s, g in seeds.items()} for b, seeds in CLOSING.items()})
    near = budget_trend(CLOSING)
    t = binding_trend({"rnn": far, "lstm": near, "gru": None})
    assert t["against"] == "lstm" and t["words"].startswith("against lstm: the gap closes")
    assert set(t["by_baseline"]) == {"rnn", "lstm"}
    assert binding_trend({"rnn": None}) is None


def test_a_claim_carries_its_trend_into_claims_json_and_the_table():
    trend = budget_trend(CLOSING, unit="points", scale=100)
    row = claim_row(
        "x-claim",
        "3.3",
        "A beats B.",
        "accuracy",
        "CI above 0",
        "-4.0 +- 2.5",
        "not reproduced",
        trend=trend,
        values={},
    )
    plain = claim_row("y-claim", "3.3", "C beats D.", "accuracy", "CI above 0", "+1.0 +- 0.5", "reproduced", trend=None)
    assert "trend" not in plain, "no trend: no key"
    rows = contract_rows([row, plain])
    assert list(rows[0]) == ["id", "section", "claim", "metric", "criterion", "measured", "verdict", "trend"]
    assert "values" not in rows[0] and "trend" not in rows[1]
    tex = claims_table_tex(rows)
    assert (
        "\\textbf{not reproduced} at $\\times$4; the gap closes by 3.00 $\\pm$ 1.24 points per doubling of compute, towards"
        in tex
    )
