"""The GAN study's compute ladder as curves on the FLOP axis (`dlrepro.curves`): results/gan/curves.csv.

The ladder reads the LSGAN-vs-GAN stability criterion (`dlrepro.gan.report.instability`) from the first
k epochs of the same runs, k each ladder epoch count (3, 5 and 10 by default): a run stopped at epoch k
is the run of that budget (constant step size), so its FLOPs are those of k epochs (`history.csv`'s
`train_flops`, `dlrepro.gan.flops`). Two panels:

- ``gan/instability`` (metric, lower is better): each model's instability, mean and 95% CI over seeds;
- ``gan/instability_gap`` (gap, above 0 favours the claim): GAN minus LSGAN, paired by seed, at the mean
  FLOPs of the two models' runs.

A point whose criterion is undefined (fewer than 3 epochs read: no two differences in the second half)
is left out; the BiGAN is no part of the criterion.
"""

from __future__ import annotations

import math

from dlrepro.curves import stat_point
from dlrepro.gan.report import MODEL_LABELS, instability

__all__ = ["COMPARED", "ladder_curves"]

COMPARED = ("gan", "lsgan")  # the stability claim's models: the gap is the first's minus the second's
STUDY = "gan"


def _point(panel: str, kind: str, series: str, k: int, flops: list[float], values: list[float]) -> dict | None:
    if not all(math.isfinite(v) for v in values):
        return None
    metric = kind == "metric"
    fields = {
        "study": STUDY,
        "panel": panel,
        "panel_title": "FID instability of each model" if metric else "LSGAN's stability gain: GAN - LSGAN",
        "metric": "instability (mean |change of log FID|)" if metric else "GAN - LSGAN instability",
        "better": "lower" if metric else "higher",
        "kind": kind,
        "series": series,
        "budget": float(k),  # training epochs read
    }
    return stat_point(fields, values, flops)


def ladder_curves(histories: dict[tuple[str, int], list[dict]], at: list[int]) -> list[dict]:
    """Curve rows (`dlrepro.curves` fields) of the ladder epochs `at` from the runs' history rows (one per
    epoch from 0, with `fid` and the cumulative `train_flops`), keyed by (model, seed); none without
    both compared models."""
    seeds = {m: sorted(s for kind, s in histories if kind == m) for m in COMPARED}
    paired = sorted(set(seeds["gan"]) & set(seeds["lsgan"]))
    if not paired:
        return []
    rows = []
    for k in at:
        value, flops = {}, {}
        for m in COMPARED:
            runs = [histories[(m, s)] for s in seeds[m]]
            value[m] = {s: instability([row["fid"] for row in h[1 : k + 1]]) for s, h in zip(seeds[m], runs)}
            flops[m] = [float(h[k]["train_flops"]) for h in runs]
        for m in COMPARED:
            rows.append(_point("instability", "metric", MODEL_LABELS[m], k, flops[m], list(value[m].values())))
        gaps = [value["gan"][s] - value["lsgan"][s] for s in paired]
        rows.append(_point("instability_gap", "gap", "GAN - LSGAN", k, flops["gan"] + flops["lsgan"], gaps))
    return [r for r in rows if r is not None]
