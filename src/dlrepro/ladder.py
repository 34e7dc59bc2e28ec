"""The compute ladder: budgets as multiples of a base schedule, and how a paired gap moves along them.

A study trains each comparison at several budgets (`budgets: [1, 2, 4]` in its config block, each
budget's files under `budget{name}/`), scaling the base schedule's steps or epochs (`scaled`); one job
trains every budget on one warm-up-stable-decay run with a cool-down branch per budget
(`dlrepro.schedules.ladder_branches`).

A comparison trained at several budgets (multiples of a base schedule: x1, x2, x4 ...) gives, for
every seed, one difference ("gap") per budget, oriented so that above 0 favours the claim. For each
seed the least-squares slope of the gap over log2(budget) is the change per doubling of compute;
the mean of those slopes over seeds and its 95% t-interval are the trend. Its direction is read
against the gap at the largest budget:

- ``closing``: the CI of the slope lies wholly on the side opposite to that gap (the gap shrinks
  towards 0 as compute grows);
- ``widening``: the CI lies wholly on the gap's own side (the gap grows in size);
- ``flat``: the CI contains 0, or there is no interval (one seed, or fewer than two budgets).

A gap of exactly 0 at the largest budget has no side; any clear slope then widens it.
"""

from __future__ import annotations

import math

import numpy as np

from dlrepro.metrics import has_interval, mean_ci

__all__ = ["DIRECTIONS", "budget_name", "scaled", "slope_per_doubling", "budget_trend", "binding_trend", "trend_words"]

DIRECTIONS = ("closing", "widening", "flat")


def budget_name(budget: float) -> str:
    """A budget as it appears in paths and tables: 1 -> "1", 0.5 -> "0.5", 4.0 -> "4"."""
    if not (isinstance(budget, (int, float)) and math.isfinite(budget) and budget > 0):
        raise ValueError(f"a budget must be a positive number, got {budget!r}")
    return f"{float(budget):g}"


def scaled(base: int, budget: float) -> int:
    """`base` steps or epochs times `budget`, rounded, at least 1."""
    return max(1, int(round(base * float(budget))))


def slope_per_doubling(budgets, gaps) -> float:
    """Least-squares slope of `gaps` over log2(`budgets`): the change of the gap per doubling of compute."""
    x, y = np.log2(np.asarray(budgets, dtype=np.float64)), np.asarray(gaps, dtype=np.float64)
    if x.size < 2 or np.ptp(x) == 0:
        raise ValueError(f"a slope needs at least two different budgets, got {list(budgets)}")
    xc = x - x.mean()
    return float((xc * (y - y.mean())).sum() / (xc * xc).sum())


def _direction(slope: dict, final_gap: float, exact: bool = False) -> str:
    if not exact and not has_interval(slope):
        return "flat"
    low, high = (
        (slope["mean"], slope["mean"]) if exact else (slope["mean"] - slope["ci95"], slope["mean"] + slope["ci95"])
    )
    if low <= 0 <= high:
        return "flat"
    rising = low > 0
    if final_gap == 0:
        return "widening"
    return "widening" if rising == (final_gap > 0) else "closing"


def budget_trend(
    gaps: dict, *, unit: str = "", scale: float = 1.0, axis: str = "compute", exact: bool = False
) -> dict | None:
    """The trend of a paired gap along the ladder. `gaps` maps budget -> {seed: gap}; only seeds with a
    gap at every budget count. `scale` multiplies the numbers for display (`unit` names them, e.g.
    100 and "points" for accuracies); the stored slope is in the gap's own unit. None with fewer than
    two budgets or no seed common to all of them. `axis` names what the budgets double (words only);
    `exact` marks gaps that are counts rather than samples (one series, no interval, the direction
    from the slope's sign)."""
    budgets = sorted(gaps, key=float)
    if len(budgets) < 2:
        return None
    seeds = sorted(set.intersection(*(set(gaps[b]) for b in budgets)), key=str)
    if not seeds:
        return None
    slopes = [slope_per_doubling([float(b) for b in budgets], [gaps[b][s] for b in budgets]) for s in seeds]
    slope = mean_ci(slopes)
    final = mean_ci(gaps[budgets[-1]][s] for s in seeds)
    if exact:
        slope["ci95"] = 0.0
    direction = _direction(slope, final["mean"], exact)
    trend = {
        "budgets": [float(b) for b in budgets],
        "slope_per_doubling": slope,
        "gap_by_budget": {str(float(b)): mean_ci(gaps[b][s] for s in seeds) for b in budgets},
        "direction": direction,
        "seeds": [str(s) for s in seeds],
        "unit": unit,
        "scale": scale,
        "axis": axis,
        "exact": exact,
    }
    trend["words"] = trend_words(trend)
    return trend


def _num(x: float, scale: float) -> str:
    v = abs(x * scale)
    digits = 3 if v == 0 or not math.isfinite(v) else max(0, 2 - int(math.floor(math.log10(v))))
    return f"{v:.{min(digits, 4)}f}"


def trend_words(trend: dict | None) -> str:
    """The trend in words, e.g. "the gap closes by 2.1 +- 0.8 points per doubling of compute"."""
    if trend is None:
        return "no trend (one budget)"
    s, scale = trend["slope_per_doubling"], trend["scale"]
    unit = f" {trend['unit']}" if trend["unit"] else ""
    if trend.get("exact"):
        amount = f"{_num(s['mean'], scale)} (counted)"
    elif has_interval(s):
        amount = f"{_num(s['mean'], scale)} +- {_num(s['ci95'], scale)}"
    else:
        amount = f"{_num(s['mean'], scale)} (one seed, no CI)"
    per = f"per doubling of {trend.get('axis', 'compute')}"
    if trend["direction"] == "flat":
        sign = "+" if s["mean"] >= 0 else "-"
        return f"no clear trend along the budgets (slope {sign}{amount}{unit} {per})"
    verb = "closes" if trend["direction"] == "closing" else "widens"
    side = "towards the claim" if s["mean"] > 0 else "away from the claim"  # gaps are oriented: above 0 favours it
    return f"the gap {verb} by {amount}{unit} {per}, {side}"


def binding_trend(trends: dict) -> dict | None:
    """Of a claim's trends against several baselines (name -> trend), the one against the baseline that
    binds: the smallest gap at the largest budget (the comparison closest to failing the claim), with
    `against` naming it and its words saying so. None where no baseline has a trend."""
    named = {k: t for k, t in trends.items() if t is not None}
    if not named:
        return None
    name = min(named, key=lambda k: named[k]["gap_by_budget"][str(named[k]["budgets"][-1])]["mean"])
    trend = dict(named[name], against=name, by_baseline=named)
    trend["words"] = f"against {name}: {trend_words(named[name])}"
    return trend
