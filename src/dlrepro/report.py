"""Report values: summaries of results and the LaTeX snippets (`\\input` files) the report is built from.

Nothing here types a number: every value comes from result files, and every verdict is computed
from a criterion stated next to it.
"""

from __future__ import annotations

import math

from dlrepro.metrics import has_interval

__all__ = [
    "latex_escape",
    "fmt",
    "fmt_ci",
    "fmt_pm",
    "macro",
    "tabular",
    "settings_table",
    "provenance_tex",
    "HOLDS",
    "holds_verdict",
]


# plain-text notation in result strings (claims.json, settings) typeset as what it stands for
_NOTATION = {"->": r"$\rightarrow$", ">=": r"$\geq$", "<=": r"$\leq$", "^2": r"$^2$"}


def latex_escape(text: str, *, notation: bool = False) -> str:
    """`text` with LaTeX's special characters escaped. With `notation` (prose: claims, settings), also
    ->, >=, <= and ^2 (not followed by a digit) typeset as the symbols they stand for; names, paths and
    versions keep their characters."""
    repl = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    text, out, i = str(text), [], 0
    while i < len(text):
        pair = text[i : i + 2]
        if notation and pair in _NOTATION and not (pair == "^2" and text[i + 2 : i + 3].isdigit()):
            out.append(_NOTATION[pair])
            i += 2
        else:
            out.append(repl.get(text[i], text[i]))
            i += 1
    return "".join(out)


def fmt(x: float, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "--"
    return f"{x:.{digits}g}" if abs(x) < 1e-3 or abs(x) >= 1e4 else f"{x:.{digits}f}"


def fmt_ci(stat: dict, digits: int = 4) -> str:
    """'mean \\pm ci', both to the decimal of the interval's second significant digit.

    A single seed (or an interval that is not finite) gives just the mean, formatted by `fmt`.
    """
    mean, half = stat["mean"], stat["ci95"]
    if not has_interval(stat):
        return fmt(mean, digits)
    if half == 0:
        return f"{fmt(mean, digits)} $\\pm$ 0"
    decimals = min(max(0, 1 - math.floor(math.log10(half))), 8)
    return f"{mean:.{decimals}f} $\\pm$ {half:.{decimals}f}"


def fmt_pm(stat: dict, digits: int = 4) -> str:
    """`fmt_ci` in plain text, 'mean +- ci' (claims.json is read by people and by the HTML report too)."""
    return fmt_ci(stat, digits).replace(" $\\pm$ ", " +- ")


def macro(name: str, value) -> str:
    assert name.isalpha(), f"LaTeX macro names are letters only: {name!r}"
    return f"\\newcommand{{\\{name}}}{{{value}}}\n"


def tabular(spec: str, header: str, lines: list[str], *, width: str | None = None) -> str:
    """A booktabs table: `header` (cells joined by &, without the closing \\\\), then `lines` (each a
    finished row). With `width`, a tabularx of that width (its X columns stretch)."""
    begin, end = ("tabularx", f"{{{width}}}") if width else ("tabular", "")
    return (
        f"\\begin{{{begin}}}{end}{{{spec}}}\n\\toprule\n{header} \\\\\n\\midrule\n"
        + "\n".join(lines)
        + f"\n\\bottomrule\n\\end{{{begin}}}\n"
    )


def settings_table(lines: list[str]) -> str:
    """A study's settings as it ran: 'setting & value' rows (each finished) in a full-width table."""
    return tabular("lX", "setting & value", lines, width="\\linewidth")


def provenance_tex(records: list[dict]) -> str:
    """A table of the data sets used: source, mode, checksum status (and why a copy is unverified)."""
    lines = []
    for rec in records:
        n_bad = sum(f["status"] == "unverified copy" for f in rec["files"])
        n_contents = sum(f.get("verified_by") == "contents" for f in rec["files"])
        why = f" ({n_bad} of {len(rec['files'])} files differ from the published checksums)" if n_bad else ""
        if n_contents:  # recompressed copies whose decompressed data are the published bytes
            why += f" ({n_contents} of {len(rec['files'])} files by their decompressed contents)"
        source = "offline copy" if rec["mode"] == "offline" else "download"
        lines.append(
            f"{latex_escape(rec['dataset'])} & {source} & {len(rec['files'])} & "
            f"\\textbf{{{latex_escape(rec['status'])}}}{why} \\\\"
        )
    return (
        "\\begin{tabularx}{\\linewidth}{llrX}\n\\toprule\n"
        "data set & obtained by & files & checksum status \\\\\n\\midrule\n"
        + "\n".join(lines)
        + "\n\\bottomrule\n\\end{tabularx}\n"
    )


# a verdict word -> the outcome of its criterion (the inverse of holds_verdict)
HOLDS = {"reproduced": True, "not reproduced": False, "inconclusive": None}


def holds_verdict(holds: bool | None) -> str:
    """The verdict word of a criterion's outcome: True, False, or None (decides nothing)."""
    return "inconclusive" if holds is None else "reproduced" if holds else "not reproduced"
