"""The sequence study's points against counted training FLOPs: results/sequence/curves.csv (`dlrepro.curves`).

One point per model (or pair of models) and budget, from every run's metrics (`train_flops`, counted by
`dlrepro.sequence.compute`), mean and 95% CI over seeds (0 for one seed):

- ``sentiment``: each model's test accuracy (%) at the epoch of its best validation accuracy, and the
  bag-of-n-grams baselines' (`dlrepro.sequence.baseline`, one point each at its own training FLOPs);
- ``sentiment_gap``: the Transformer's accuracy minus each recurrent model's, paired by seed (points);
- ``char_lm``: each model's held-out bits per character at each context ("LSTM, context 256");
- ``char_lm_gap``: each recurrent model's bpc minus the Transformer's at each context, paired by seed:
  above 0 favours the Transformer (``better: higher``).

A point's FLOPs are the mean training FLOPs of its runs; a gap's, the mean over both models' runs.
Pure Python (the summary rule runs without torch); the figure is `dlrepro.curves.plot_curves`.
"""

from __future__ import annotations

from collections import defaultdict

from dlrepro.curves import stat_point
from dlrepro.sequence.models import BASELINES, RECURRENT, SEQ_MODELS

__all__ = ["SHORT", "PANELS", "sequence_curves", "curve_panels"]

STUDY = "sequence"
SHORT = {"rnn": "RNN", "lstm": "LSTM", "transformer": "Transformer"}  # series names
PANELS = ("sentiment", "sentiment_gap", "char_lm", "char_lm_gap")  # the figure's order
_SPEC = {  # panel -> (title, y label, better, kind)
    "sentiment": ("Sentiment (Task A): test accuracy", "test accuracy (%)", "higher", "metric"),
    "sentiment_gap": ("Sentiment: Transformer - recurrent, by seed", "accuracy gap (points)", "higher", "gap"),
    "char_lm": ("Character LM (Task B): held-out bits per character", "held-out bpc", "lower", "metric"),
    "char_lm_gap": (
        "Character LM: recurrent - Transformer, by seed",
        "bpc gap (> 0: Transformer better)",
        "higher",
        "gap",
    ),
}


def _train_flops(run: dict) -> float:
    flops = run.get("train_flops")
    if not (isinstance(flops, (int, float)) and flops > 0):
        where = f"{run.get('model')} seed {run.get('seed')} budget {run.get('budget')}"
        where += f" context {run['context']}" if "context" in run else ""
        raise ValueError(
            f"sequence run {where} has no counted train_flops in its metrics.json (written before the FLOPs "
            "were recorded): delete it and run it again"
        )
    return float(flops)


def _point(panel: str, series: str, budget: float, values: list[float], runs: list[dict]) -> dict:
    title, metric, better, kind = _SPEC[panel]
    fields = dict(study=STUDY, panel=panel, panel_title=title, metric=metric, better=better, kind=kind)
    return stat_point(dict(fields, series=series, budget=float(budget)), values, map(_train_flops, runs))


def _by(runs: list[dict], *keys: str) -> dict[tuple, dict]:
    """Runs grouped by `keys` (budget as a float), each group a {seed: run} map."""
    groups = defaultdict(dict)
    for r in runs:
        groups[tuple(float(r.get(k, 1.0)) if k == "budget" else r[k] for k in keys)][r["seed"]] = r
    return groups


def _models(groups: dict) -> list[str]:
    present = {key[0] for key in groups}
    return [m for m in SEQ_MODELS if m in present]


def _sentiment(runs: list[dict]) -> list[dict]:
    groups, rows = _by(runs, "model", "budget"), []
    budgets = sorted({b for _, b in groups})
    for m in _models(groups):
        for b in budgets:
            seeds = groups.get((m, b), {})
            if seeds:
                values = [100.0 * r["test_accuracy"] for r in seeds.values()]
                rows.append(_point("sentiment", SHORT[m], b, values, list(seeds.values())))
    for r_model in (m for m in RECURRENT if "transformer" in _models(groups) and m in _models(groups)):
        for b in budgets:
            t, r = groups.get(("transformer", b), {}), groups.get((r_model, b), {})
            seeds = sorted(set(t) & set(r))
            if seeds:
                gaps = [100.0 * (t[s]["test_accuracy"] - r[s]["test_accuracy"]) for s in seeds]
                paired = [t[s] for s in seeds] + [r[s] for s in seeds]
                rows.append(_point("sentiment_gap", f"Transformer - {SHORT[r_model]}", b, gaps, paired))
    return rows


def _char_lm(runs: list[dict]) -> list[dict]:
    groups, rows = _by(runs, "model", "context", "budget"), []
    contexts = sorted({c for _, c, _ in groups})
    budgets = sorted({b for _, _, b in groups})
    models = _models(groups)
    for m in models:
        for c in contexts:
            for b in budgets:
                seeds = groups.get((m, c, b), {})
                if seeds:
                    values = [r["test_bpc"] for r in seeds.values()]
                    rows.append(_point("char_lm", f"{SHORT[m]}, context {c}", b, values, list(seeds.values())))
    for r_model in (m for m in RECURRENT if "transformer" in models and m in models):
        for c in contexts:
            for b in budgets:
                t, r = groups.get(("transformer", c, b), {}), groups.get((r_model, c, b), {})
                seeds = sorted(set(t) & set(r))
                if seeds:
                    gaps = [r[s]["test_bpc"] - t[s]["test_bpc"] for s in seeds]
                    paired = [t[s] for s in seeds] + [r[s] for s in seeds]
                    series = f"{SHORT[r_model]} - Transformer, context {c}"
                    rows.append(_point("char_lm_gap", series, b, gaps, paired))
    return rows


def _baseline(runs: list[dict]) -> list[dict]:
    """Each baseline's one point in the sentiment panel: its mean test accuracy over seeds at its mean FLOPs."""
    rows = []
    for kind, label in BASELINES.items():
        own = [r for r in runs if r["model"] == kind]
        if own:
            rows.append(_point("sentiment", f"{label} baseline", 1.0, [100.0 * r["test_accuracy"] for r in own], own))
    return rows


def sequence_curves(sentiment: list[dict], char_lm: list[dict], *, baseline: list[dict] | None = None) -> list[dict]:
    """Every point of the four panels (module docstring) from the runs' metrics, for `dlrepro.curves.write_curves`."""
    return [*_sentiment(sentiment), *_baseline(baseline or []), *_char_lm(char_lm)]


def curve_panels(rows: list[dict]) -> list[tuple[str, str]]:
    """The (study, panel) keys of `dlrepro.curves.plot_curves` that `rows` fill, in the figure's order."""
    present = {r["panel"] for r in rows}
    return [(STUDY, p) for p in PANELS if p in present]
