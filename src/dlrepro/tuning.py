"""Learning-rate tuning, the same for every study: a geometric grid around the configured rate, one run
per rate at the base budget and one seed, scored on a validation part carved from the training data (a
tuning run is never given the test data), and the choice written to a file that the ladder's runs read.

A study's tuning job returns `sweep_record(...)`; the training rules of the ladder take that file as the
input `learning_rate`, and `dlrepro.runner.run_job` puts the chosen rate into the run's settings at the
record's `key` (e.g. ["optim", "learning_rate"]) before the job starts, so the job, its log header and
its checkpoint see the tuned rate. With a study's `tune: false` no tuning rule runs and the configured
rate is used. The report draws every sweep (`plot_sweeps`) and lists the choices (`sweeps_table`),
saying where the best rate sits at an edge of the grid (the optimum may lie beyond it).
"""

from __future__ import annotations

import copy
import math

__all__ = [
    "rates",
    "rate_words",
    "score_or_nan",
    "sweep_record",
    "sweep",
    "with_rate",
    "apply_choice",
    "sweeps_table",
    "plot_sweeps",
]


def rates(configured: float, grid) -> list[float]:
    """The rates tried: the configured rate times each factor of the grid (e.g. 0.5, 1, 2)."""
    return [float(configured) * float(g) for g in grid]


def rate_words(configured: float, tune, per: str) -> str:
    """A settings table's learning rate: the configured one, or where `tune` is set the grid around it."""
    if not tune:
        return f"{configured:g}"
    return f"tuned per {per} from {configured:g} x ({', '.join(f'{g:g}' for g in tune['grid'])})"


def score_or_nan(train_and_score, rate: float) -> float:
    """`train_and_score(rate)`, or NaN where that rate's run diverged (`guards.NonFiniteLossError`): a
    rate too high for the model is a result of the sweep, not a failure of it."""
    import logging

    from dlrepro.guards import NonFiniteLossError

    try:
        return float(train_and_score(rate))
    except NonFiniteLossError as err:
        logging.getLogger(__name__).warning("rate %g diverged: %s", rate, err)
        return float("nan")


def sweep_record(
    *,
    study: str,
    label: str,
    key: list[str],
    configured: float,
    tried: list[float],
    scores: list[float],
    metric: str,
    better: str,
    seed: int,
) -> dict:
    """The tuning file's content: what was tried, how each rate scored on validation, and the choice
    (the best score, the lower rate on ties), with `edge` "low" or "high" where it is the grid's end."""
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower', got {better!r}")
    if not tried or len(tried) != len(scores):
        raise ValueError("one score per rate tried is needed")
    sign = 1.0 if better == "higher" else -1.0
    valid = [i for i, s in enumerate(scores) if math.isfinite(s)]
    if not valid:
        raise ValueError(f"{label}: no rate of {tried} gave a finite validation score")
    best = max(valid, key=lambda i: (sign * scores[i], -tried[i]))
    order = sorted(range(len(tried)), key=lambda i: tried[i])
    edge = None if len(tried) < 2 else "low" if best == order[0] else "high" if best == order[-1] else None
    return {
        "study": study,
        "label": label,
        "key": list(key),
        "configured": float(configured),
        "rates": [float(r) for r in tried],
        "scores": [float(s) for s in scores],
        "metric": metric,
        "better": better,
        "seed": int(seed),
        "chosen": float(tried[best]),
        "best_score": float(scores[best]),
        "edge": edge,
    }


def _setting(run: dict, key: list[str]) -> tuple[dict, str]:
    """The dict that holds `key`'s last part in the run's settings, and that part; an absent key is an error."""
    *parents, last = key
    target = run
    for k in [*parents, last]:
        if not isinstance(target, dict) or k not in target:
            raise KeyError(f"the tuned key {key} is not in the run's settings")
        if k != last:
            target = target[k]
    return target, last


def with_rate(run: dict, key: list[str], rate: float) -> dict:
    """A copy of the run's settings with `rate` at `key` (e.g. ["optim", "learning_rate"])."""
    out = copy.deepcopy(run)
    target, last = _setting(out, key)
    target[last] = rate
    return out


def apply_choice(run: dict, record: dict) -> dict:
    """A copy of the run's settings with the record's chosen rate at the record's key."""
    return with_rate(run, record["key"], record["chosen"])


def sweep(run: dict, key: list[str], score, **describe) -> dict:
    """The tuning job's record: `score(settings)` (a validation score) for the run's settings with each
    rate of `run["tune"]["grid"]` around the configured one at `key`; a diverged rate scores NaN.
    `describe` gives `sweep_record` the study, label, metric, better and seed."""
    target, last = _setting(run, key)
    configured = target[last]
    tried = rates(configured, run["tune"]["grid"])
    scores = [score_or_nan(lambda r: score(with_rate(run, key, r)), rate) for rate in tried]
    return sweep_record(key=key, configured=configured, tried=tried, scores=scores, **describe)


def sweeps_table(records: list[dict]) -> str:
    """LaTeX rows: what was tuned, the rate configured and chosen, the best validation score, the edge."""
    from dlrepro.report import latex_escape, tabular

    rows = []
    for r in records:
        edge = {"low": "lowest tried", "high": "highest tried", None: "inside"}[r["edge"]]
        rows.append(
            f"{latex_escape(r['study'])} & {latex_escape(r['label'])} & {r['configured']:.3g} & {r['chosen']:.3g} & "
            f"{r['best_score']:.4g} {latex_escape(r['metric'])} & {edge} \\\\"
        )
    if not rows:
        rows = ["\\multicolumn{6}{l}{no learning rate was tuned (every study's tune is false)} \\\\"]
    return tabular("llrrlr", "study & model & configured & chosen & best validation score & in the grid", rows)


def plot_sweeps(records: list[dict]):
    """One panel per study and metric: validation score against the rate (log axis), a line per model,
    the chosen rate ringed."""
    from dlrepro.plotting import plt

    groups: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        groups.setdefault((r["study"], r["metric"]), []).append(r)
    n = max(1, len(groups))
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.0), squeeze=False)
    for ax, ((study, metric), rs) in zip(axes[0], groups.items()):
        for r in rs:
            points = sorted((x, y) for x, y in zip(r["rates"], r["scores"]) if math.isfinite(y))
            line = ax.plot(*zip(*points), marker="o", ms=3, label=r["label"])[0]
            ax.plot([r["chosen"]], [r["best_score"]], "o", ms=9, mfc="none", color=line.get_color())
        ax.set_xscale("log")
        ticks = sorted({x for r in rs for x in r["rates"]})  # the rates tried, not the log axis's own labels
        ax.set_xticks(ticks, [f"{x:.2g}" for x in ticks], fontsize=7, rotation=30)
        ax.minorticks_off()
        ax.set_xlabel("peak learning rate")
        ax.set_ylabel(f"validation {metric}")
        ax.set_title(study, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, frameon=False)
    if not groups:
        axes[0][0].text(0.5, 0.5, "no learning rate was tuned", ha="center", va="center")
        axes[0][0].set_axis_off()
    fig.tight_layout()
    return fig
