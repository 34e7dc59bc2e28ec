"""Metric-vs-compute and gap-vs-compute curves on one axis: counted training FLOPs (`dlrepro.flops`).

Every study that trains along a compute ladder writes its points to ``results/<study>/curves.csv``
(`write_curves`), one row per (panel, series, budget):

    study, panel, panel_title, metric, better, kind, series, budget, flops, value, ci95, n

- ``panel``: an id such as ``char_lm_ctx256``; ``panel_title`` and ``metric`` (the y label) say what it
  shows; ``better`` is ``higher`` or ``lower`` (for a gap: the claim's side is above 0 when ``higher``).
- ``kind``: ``metric`` (a model's own score) or ``gap`` (a difference between two models, paired by seed).
- ``flops``: the mean training FLOPs of the point's runs; a gap's point sits at the mean over the runs of
  the two models compared (they differ in FLOPs at the same budget).
- ``value``, ``ci95`` (half-width of the 95% interval over seeds, 0 for one seed), ``n`` (seeds).

The same function draws the pipeline's figures and a comparison of several results folders (say, a
CPU run of the default config and a GPU run of config/full.yaml), so their points fall on one curve::

    python3 -m dlrepro.curves results ../gpu-run/results --labels "CPU default" "GPU full" --out compare

Published reference points (``workflow/report/anchors.yaml``, `dlrepro.anchors`) are drawn on the
panels they name.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict
from pathlib import Path

from dlrepro.io import write_csv

__all__ = ["CURVE_FIELDS", "curve_row", "stat_point", "write_curves", "read_curves", "plot_curves", "main"]

CURVE_FIELDS = (
    "study",
    "panel",
    "panel_title",
    "metric",
    "better",
    "kind",
    "series",
    "budget",
    "flops",
    "value",
    "ci95",
    "n",
)
_NUMBERS = ("budget", "flops", "value", "ci95")
_LINESTYLES = ("-", "--", ":", "-.")


def curve_row(**fields) -> dict:
    """One point, checked: every field present, `kind` and `better` known, FLOPs positive."""
    missing = [f for f in CURVE_FIELDS if f not in fields]
    unknown = [f for f in fields if f not in CURVE_FIELDS]
    if missing or unknown:
        raise ValueError(f"curve row: missing {missing}, unknown {unknown}")
    if fields["kind"] not in ("metric", "gap") or fields["better"] not in ("higher", "lower"):
        raise ValueError(f"curve row: kind must be metric|gap and better higher|lower, got {fields}")
    if not (isinstance(fields["flops"], (int, float)) and fields["flops"] > 0):
        raise ValueError(
            f"curve row {fields['panel']}/{fields['series']}: FLOPs must be positive, got {fields['flops']}"
        )
    return {f: fields[f] for f in CURVE_FIELDS}


def stat_point(fields: dict, values, flops, *, scale: float = 1.0) -> dict:
    """One checked row from per-seed `values`: their mean and 95% CI (0 for one seed), both times `scale`,
    at the mean of `flops` (the training FLOPs of the runs behind the point); `fields` gives the rest."""
    from dlrepro.metrics import mean_ci

    stat, flops = mean_ci(values), list(flops)
    ci95 = stat["ci95"] if math.isfinite(stat["ci95"]) else 0.0
    point = dict(fields, value=scale * stat["mean"], ci95=scale * ci95, n=stat["n"], flops=sum(flops) / len(flops))
    return curve_row(**point)


def write_curves(path, rows: list[dict]) -> None:
    write_csv(path, [curve_row(**r) for r in rows], fieldnames=list(CURVE_FIELDS))


def read_curves(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for key in _NUMBERS:
            r[key] = float(r[key])
        r["n"] = int(r["n"])
    return rows


def _panels(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    found = defaultdict(list)
    for r in rows:
        found[(r["study"], r["panel"])].append(r)
    return found


def _draw_anchors(ax, anchors: list[dict], *, rightmost: float) -> None:
    """Stars; the points of one published run (labels "ResNet-18, 1 ep.", "ResNet-18, 2 ep." ...) joined by
    a dotted line and labelled once, at their last point, so that the labels stay apart."""
    groups = defaultdict(list)
    for a in anchors:
        groups[a["label"].split(",")[0]].append(a)
    for name, points in groups.items():
        points.sort(key=lambda a: a["flops"])
        x, y = [a["flops"] for a in points], [a["value"] for a in points]
        ax.plot(x, y, linestyle=":", color="black", linewidth=0.8, marker="*", markersize=8, zorder=5)
        last = points[-1]
        text = (
            last["label"]
            if len(points) == 1
            else f"{name} ({', '.join(a['label'].split(',', 1)[1].strip() for a in points)})"
        )
        left = last["flops"] >= rightmost  # the rightmost label reads leftwards, inside the axes
        ax.annotate(
            text,
            (last["flops"], last["value"]),
            textcoords="offset points",
            xytext=(-4, 3) if left else (4, 3),
            ha="right" if left else "left",
            fontsize=6,
        )


def _draw_panel(ax, runs: dict[str, list[dict]], anchors: list[dict]) -> None:
    from matplotlib.ticker import LogFormatterSciNotation

    first = next(rows for rows in runs.values() if rows)[0]
    for style, (label, rows) in zip(_LINESTYLES * 4, runs.items()):
        series = defaultdict(list)
        for r in rows:
            series[r["series"]].append(r)
        for name, points in sorted(series.items()):
            points.sort(key=lambda r: r["flops"])
            x = [p["flops"] for p in points]
            y = [p["value"] for p in points]
            err = [p["ci95"] if math.isfinite(p["ci95"]) else 0.0 for p in points]
            tag = name if len(runs) == 1 else f"{name} ({label})"
            ax.errorbar(x, y, yerr=err, linestyle=style, marker="o", markersize=3, capsize=2, label=tag)
    _draw_anchors(
        ax, anchors, rightmost=max([a["flops"] for a in anchors] + [r["flops"] for rows in runs.values() for r in rows])
    )
    if first["kind"] == "gap":
        ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ax.margins(x=0.08)
    # a panel under a decade wide has no power of ten to label: label a few of its minor ticks, never all
    ax.xaxis.set_minor_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(1.5, 0.05)))
    ax.tick_params(axis="x", which="both", labelsize=7)
    ax.set_xlabel("training FLOPs (counted; log scale)")
    ax.set_ylabel(first["metric"])
    ax.set_title(first["panel_title"], fontsize=9)
    ax.legend(fontsize=6)


def plot_curves(runs: dict[str, list[dict]], anchors: list[dict] = (), *, panels=None, columns: int = 2):
    """One figure, one axes per panel (in `panels` order, default: as first met), each run a line style.

    `runs` maps a label (a results folder) to its curve rows; `anchors` are `dlrepro.anchors` points,
    drawn on the panel they name (``study/panel``).
    """
    import matplotlib.pyplot as plt

    by_run = {label: _panels(rows) for label, rows in runs.items()}
    order = list(panels) if panels else list(dict.fromkeys(k for p in by_run.values() for k in p))
    if not order:
        raise ValueError("no curve points to draw")
    cols = min(columns, len(order))
    rows_n = math.ceil(len(order) / cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, 3.2 * rows_n), squeeze=False)
    for ax, key in zip(axes.flat, order):
        here = {label: p.get(key, []) for label, p in by_run.items()}
        named = [a for a in anchors if a["panel"] == f"{key[0]}/{key[1]}"]
        _draw_panel(ax, {k: v for k, v in here.items() if v}, named)
    for ax in list(axes.flat)[len(order) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def main(argv=None) -> None:
    """Draw every study's curves of one or more results folders on shared FLOP axes, one PDF per study."""
    from dlrepro.anchors import load_anchors

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("results", nargs="+", help="results folders (each holds <study>/curves.csv)")
    parser.add_argument("--labels", nargs="+", help="one label per folder (default: the folder names)")
    parser.add_argument("--out", required=True, help="folder for <study>_compute.pdf")
    parser.add_argument("--anchors", default=str(Path(__file__).resolve().parents[2] / "workflow/report/anchors.yaml"))
    args = parser.parse_args(argv)
    labels = args.labels or [str(Path(r)) for r in args.results]
    if len(labels) != len(args.results):
        parser.error("give one label per results folder")
    anchors = load_anchors(args.anchors) if args.anchors and Path(args.anchors).is_file() else []
    studies = sorted({p.parent.name for r in args.results for p in Path(r).glob("*/curves.csv")})
    if not studies:
        parser.error(f"no <study>/curves.csv under {', '.join(args.results)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for study in studies:
        runs = {}
        for label, folder in zip(labels, args.results):
            path = Path(folder) / study / "curves.csv"
            runs[label] = read_curves(path) if path.is_file() else []
        fig = plot_curves(runs, anchors)
        fig.savefig(out / f"{study}_compute.pdf")
        print(f"wrote {out / f'{study}_compute.pdf'} ({', '.join(k for k, v in runs.items() if v)})")


if __name__ == "__main__":
    main()
