"""Published reference points (``workflow/report/anchors.yaml``) on the FLOP axis of the report's figures.

An anchor is a result published elsewhere at a stated or estimated training compute: drawn as a star on
the panel it names (`dlrepro.curves`), listed with its source and how its FLOPs were obtained in the
report's appendix (`anchors_tex`), and set beside this run's points on the same panel (`placement_tex`).
"""

from __future__ import annotations

import math

from dlrepro.report import latex_escape

__all__ = ["ANCHOR_FIELDS", "load_anchors", "anchors_tex", "placement_tex", "sci"]

ANCHOR_FIELDS = ("id", "panel", "label", "value", "flops", "flops_how", "setting", "source")


def load_anchors(path) -> list[dict]:
    """The anchors file's entries, checked: every field, unique ids, `<study>/<panel>` panels, FLOPs > 0."""
    import yaml

    with open(path, encoding="utf-8") as f:
        entries = yaml.safe_load(f) or []
    if not isinstance(entries, list):
        raise ValueError(f"{path}: a list of anchors expected")
    seen = set()
    for i, entry in enumerate(entries):
        where = f"{path}: entry {i + 1} ({entry.get('id', '?') if isinstance(entry, dict) else entry!r})"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: a mapping expected")
        missing = [k for k in ANCHOR_FIELDS if k not in entry]
        unknown = [k for k in entry if k not in ANCHOR_FIELDS]
        if missing or unknown:
            raise ValueError(f"{where}: missing {missing}, unknown {unknown}")
        if entry["id"] in seen:
            raise ValueError(f"{where}: id {entry['id']!r} appears twice")
        seen.add(entry["id"])
        if entry["panel"].count("/") != 1:
            raise ValueError(f"{where}: panel must read <study>/<panel>, got {entry['panel']!r}")
        for key in ("value", "flops"):
            if not isinstance(entry[key], (int, float)) or not math.isfinite(entry[key]):
                raise ValueError(f"{where}: {key} must be a number, got {entry[key]!r}")
        if entry["flops"] <= 0:
            raise ValueError(f"{where}: flops must be positive, got {entry['flops']}")
    return entries


def sci(x: float) -> str:
    """FLOPs for LaTeX: 7.6e12 -> 7.6 \\times 10^{12} (in math mode)."""
    if not math.isfinite(x) or x <= 0:
        return "--"
    exponent = math.floor(math.log10(x))
    mantissa = x / 10**exponent
    return f"${mantissa:.2g} \\times 10^{{{exponent}}}$"


def _groups(anchors: list[dict]) -> list[list[dict]]:
    """Anchors of one published run (same panel, setting, FLOP formula and source: "ResNet-18, 1 ep.",
    "ResNet-18, 2 ep." ...) together, in file order."""
    groups: dict[tuple, list[dict]] = {}
    for a in anchors:
        groups.setdefault((a["panel"], a["setting"], a["flops_how"], a["source"]), []).append(a)
    return list(groups.values())


def anchors_tex(anchors: list[dict]) -> str:
    """The appendix table: every published run, its panel, values, FLOPs, how the FLOPs were obtained, its
    source (one line per run: its points' values and FLOPs side by side)."""
    lines = [
        "\\begin{longtable}{p{0.15\\linewidth}p{0.1\\linewidth}p{0.12\\linewidth}p{0.3\\linewidth}p{0.23\\linewidth}}",
        "\\toprule",
        "point & value & FLOPs & setting; how the FLOPs were obtained & source \\\\",
        "\\midrule",
        "\\endhead",
    ]
    for group in _groups(anchors):
        first = group[0]
        name = (
            first["label"]
            if len(group) == 1
            else first["label"].split(",")[0]
            + " ("
            + ", ".join(a["label"].split(",", 1)[1].strip() for a in group)
            + ")"
        )
        values = " / ".join(f"{a['value']:g}" for a in group)
        flops = " / ".join(sci(a["flops"]) for a in group)
        lines.append(
            f"{latex_escape(name)} ({latex_escape(first['panel'])}) & {values} & {flops} & "
            f"{latex_escape(first['setting'])}; FLOPs: {latex_escape(first['flops_how'])} & {latex_escape(first['source'])} \\\\"
        )
    lines += ["\\bottomrule", "\\end{longtable}"]
    return "\n".join(lines) + "\n"


def _ratio(x: float) -> str:
    if not math.isfinite(x):
        return "--"
    if x >= 1000:  # two significant digits, as the FLOPs themselves
        return sci(x)
    return f"{x:.0f}" if x >= 10 else f"{x:.2g}"


def _our_points(rows: list[dict], panel: str) -> list[dict]:
    """This run's point of each series at its largest compute on `panel` (<study>/<panel>)."""
    best = {}
    for r in rows:
        if f"{r['study']}/{r['panel']}" == panel and (
            r["series"] not in best or r["flops"] > best[r["series"]]["flops"]
        ):
            best[r["series"]] = r
    return [best[k] for k in sorted(best)]


def placement_tex(rows: list[dict], anchors: list[dict]) -> str:
    """Where this run sits against the anchors: per panel with anchors, our largest-budget point of each
    series and each anchor, with its FLOPs and the ratio of FLOPs to ours."""
    lines = [
        "\\begin{longtable}{llrrr}",
        "\\caption{This run's points at its largest budget beside the published ones, on each panel that has"
        " them (FLOPs / ours: a point's training FLOPs over this run's largest on the panel).}\\label{tab:placement}\\\\",
        "\\toprule",
        "panel & point & value & training FLOPs & FLOPs / ours \\\\",
        "\\midrule",
        "\\endhead",
    ]
    for panel in dict.fromkeys(a["panel"] for a in anchors):
        ours = _our_points(rows, panel)
        reference = max((r["flops"] for r in ours), default=math.nan)
        for r in ours:
            value = f"{r['value']:.3g} $\\pm$ {r['ci95']:.2g}" if r["n"] > 1 else f"{r['value']:.3g}"
            lines.append(
                f"{latex_escape(panel)} & this run: {latex_escape(r['series'])} & {value} & {sci(r['flops'])} & "
                f"{_ratio(r['flops'] / reference)} \\\\"
            )
        for a in (a for a in anchors if a["panel"] == panel):
            ratio = _ratio(a["flops"] / reference)
            lines.append(
                f"{latex_escape(panel)} & {latex_escape(a['label'])} & {a['value']:g} & {sci(a['flops'])} & {ratio} \\\\"
            )
        lines.append("\\midrule")
    lines += ["\\bottomrule", "\\end{longtable}"]
    return "\n".join(lines) + "\n"
