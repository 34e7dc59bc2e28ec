"""Claims vs evidence: one row per claim of the paper, with the criterion and a computed verdict.

Every study writes its rows to ``results/<study>/claims.json`` (a JSON list of objects with the keys
in `FIELDS`); the report gathers them into one table. Verdicts are computed by each study's code
from its results against a criterion fixed before looking; nothing here decides a verdict.
"""

from __future__ import annotations

from collections import Counter

from dlrepro.metrics import has_interval
from dlrepro.report import fmt_pm, latex_escape, macro

__all__ = [
    "FIELDS",
    "VERDICTS",
    "ClaimsError",
    "claim_row",
    "combine_verdicts",
    "check_claims",
    "contract_rows",
    "pm_text",
    "claims_table_tex",
    "claims_glance_tex",
    "claims_values_tex",
    "claims_csv_rows",
]

FIELDS = ("id", "section", "claim", "metric", "criterion", "measured", "verdict")
# optional: how the row's gap moves along the study's compute ladder (`dlrepro.ladder.budget_trend`),
# judged at the largest budget; the claims table prints its words under the verdict. `short`: the claim
# in a few words and `key`: its deciding number, for the one-glance verdict table (without them the
# table shortens `claim` and takes `measured` up to its first ";")
OPTIONAL = ("trend", "short", "key")
VERDICTS = ("reproduced", "not reproduced", "inconclusive")
_VERDICT_STYLE = {
    "reproduced": "\\textbf{reproduced}",
    "not reproduced": "\\textbf{not reproduced}",
    "inconclusive": "inconclusive",
}


class ClaimsError(ValueError):
    """A claims file that the report cannot use (missing keys, unknown verdict, duplicate id)."""


def claim_row(
    id: str, section: str, claim: str, metric: str, criterion: str, measured: str, verdict: str, **extra
) -> dict:
    """One row of the claims table, in the contract's order (`FIELDS`); `extra` keys (e.g. `values`, the
    numbers behind `measured`) ride along for the study's own report and are dropped by `contract_rows`."""
    if verdict not in VERDICTS:
        raise ClaimsError(f"claim {id}: verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    extra = {k: v for k, v in extra.items() if not (k in OPTIONAL and v is None)}  # no trend (one budget): no key
    return dict(
        id=id,
        section=section,
        claim=claim,
        metric=metric,
        criterion=criterion,
        measured=measured,
        verdict=verdict,
        **extra,
    )


def combine_verdicts(verdicts) -> str:
    """One verdict from a claim tested against several baselines: it holds if it holds against each, one
    clear failure refutes it, anything else (or no comparison at all) is inconclusive."""
    verdicts = list(verdicts)
    if not verdicts:
        return "inconclusive"
    if all(v == "reproduced" for v in verdicts):
        return "reproduced"
    if any(v == "not reproduced" for v in verdicts):
        return "not reproduced"
    return "inconclusive"


def contract_rows(rows: list[dict]) -> list[dict]:
    """The rows as a claims.json holds them: the contract's keys in its order, then the optional ones present."""
    return [{k: row[k] for k in FIELDS} | {k: row[k] for k in OPTIONAL if row.get(k) is not None} for row in rows]


def claims_csv_rows(rows: list[dict]) -> list[dict]:
    """Flat rows for claims.csv: the contract's keys, then the trend's words, slope per doubling, its CI
    and direction (empty where a row has no trend)."""
    out = []
    for row in rows:
        t = row.get("trend") or {}
        slope = t.get("slope_per_doubling", {})
        out.append(
            {
                **{k: row[k] for k in FIELDS},
                "trend": t.get("words", ""),
                "trend_slope": slope.get("mean", ""),
                "trend_ci95": slope.get("ci95", ""),
                "trend_direction": t.get("direction", ""),
            }
        )
    return out


def check_claims(rows: list[dict], source: str = "claims") -> list[dict]:
    """Return `rows` unchanged if every row is complete; otherwise name the file, the row and the key."""
    if not isinstance(rows, list):
        raise ClaimsError(f"{source}: expected a JSON list of claim objects, got {type(rows).__name__}")
    seen = set()
    for i, row in enumerate(rows):
        missing = [k for k in FIELDS if k not in row]
        if missing:
            raise ClaimsError(f"{source}: claim {i} ({row.get('id', 'no id')}) lacks the key(s) {', '.join(missing)}")
        if row["verdict"] not in VERDICTS:
            raise ClaimsError(
                f"{source}: claim {row['id']}: verdict {row['verdict']!r} is not one of {', '.join(VERDICTS)}"
            )
        if row["id"] in seen:
            raise ClaimsError(f"{source}: claim id {row['id']!r} appears twice")
        seen.add(row["id"])
    return rows


IMPLIED = "Implied, not stated:"  # how a row's claim starts when the paper implies it but does not say it


def pm_text(stat: dict, digits: int = 4) -> str:
    """'mean +- ci', both to the decimal of the interval's second significant digit (`fmt_pm`)."""
    if not has_interval(stat):
        return f"{stat['mean']:.{digits}g} (one seed)"
    return fmt_pm(stat, digits)


def _pm_tex(text: str) -> str:
    return latex_escape(text, notation=True).replace(" +- ", " $\\pm$ ")


def _verdict_cell(row: dict) -> str:
    """The verdict, and under it the trend along the compute ladder where the row has one."""
    trend = row.get("trend")
    if not trend:
        return _VERDICT_STYLE[row["verdict"]]
    top = trend["budgets"][-1]
    at = f" at $\\times${top:g}" if trend.get("axis", "compute") == "compute" else ""
    return f"{_VERDICT_STYLE[row['verdict']]}{at}; {_pm_tex(trend['words'])}"


def claims_table_tex(rows: list[dict]) -> str:
    """The claims-vs-evidence table: a longtable (it runs over pages as claims are added), booktabs rules."""
    col = ">{\\raggedright\\arraybackslash}p"
    header = "& claim of the paper & metric and criterion & measured & verdict \\\\\n\\midrule\n"
    lines = []
    for row in rows:
        lines.append(
            f"\\S{latex_escape(row['section'])} & {latex_escape(row['claim'], notation=True)} & "
            f"{latex_escape(row['metric'], notation=True)}; \\emph{{criterion:}} {latex_escape(row['criterion'], notation=True)} & "
            f"{_pm_tex(row['measured'])} & {_verdict_cell(row)} \\\\"
        )
    return (
        "% generated by dlrepro.claims.claims_table_tex: do not edit\n"
        f"\\begin{{longtable}}{{@{{}}p{{0.04\\linewidth}}{col}{{0.2\\linewidth}}{col}{{0.27\\linewidth}}"
        f"{col}{{0.2\\linewidth}}{col}{{0.19\\linewidth}}@{{}}}}\n"
        "\\caption{Claims of the paper against the evidence of this run.}\\label{tab:claims}\\\\\n"
        "\\toprule\n" + header + "\\endfirsthead\n"
        "\\toprule\n" + header + "\\endhead\n"
        "\\bottomrule\n\\endfoot\n" + "\n\\addlinespace\n".join(lines) + "\n\\end{longtable}\n"
    )


def _short(text: str, limit: int = 70) -> str:
    """A claim's text cut at a word boundary to about `limit` characters."""
    text = text.removeprefix(IMPLIED).strip()
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit)].rstrip(",;:") + " ..."


def _glance_trend(row: dict) -> str:
    trend = row.get("trend")
    if not trend:
        return "--"
    words = trend.get("words", "")
    side = next((s for s in ("towards the claim", "away from the claim") if s in words), "")
    return ", ".join(w for w in (trend.get("direction", ""), side) if w)


def claims_glance_tex(rows: list[dict]) -> str:
    """The one-glance verdict table: one line per claim (section, the claim in a few words, verdict, the
    deciding number, the trend's direction along the compute ladder); the detailed table follows it."""
    lines = []
    for row in rows:
        key = row.get("key") or row["measured"].split(";")[0]
        lines.append(
            f"\\S{latex_escape(row['section'])} & {latex_escape(row.get('short') or _short(row['claim']), notation=True)} & "
            f"{_VERDICT_STYLE[row['verdict']]} & {_pm_tex(key)} & {latex_escape(_glance_trend(row))} \\\\"
        )
    col = ">{\\raggedright\\arraybackslash}p"
    return (
        "% generated by dlrepro.claims.claims_glance_tex: do not edit\n"
        f"\\begin{{longtable}}{{@{{}}p{{0.06\\linewidth}}{col}{{0.36\\linewidth}}{col}{{0.14\\linewidth}}"
        f"{col}{{0.26\\linewidth}}{col}{{0.14\\linewidth}}@{{}}}}\n"
        "\\caption{The verdicts at a glance (details in Table~\\ref{tab:claims}).}\\label{tab:glance}\\\\\n"
        "\\toprule\n& claim & verdict & deciding number & trend with compute \\\\\n\\midrule\n\\endfirsthead\n"
        "\\toprule\n& claim & verdict & deciding number & trend with compute \\\\\n\\midrule\n\\endhead\n"
        "\\bottomrule\n\\endfoot\n" + "\n".join(lines) + "\n\\end{longtable}\n"
    )


def claims_values_tex(rows: list[dict]) -> str:
    """Macros counting the verdicts, for the abstract and the closing section."""
    counts = Counter(row["verdict"] for row in rows)
    out = "% generated by dlrepro.claims.claims_values_tex: do not edit\n"
    out += macro("claimsTotal", len(rows))
    implied = sum(row["claim"].startswith(IMPLIED) for row in rows)  # rows the paper implies but does not state
    out += macro(
        "claimsImplied",
        ""
        if not implied
        else f" ({'one' if implied == 1 else implied} of them implied by the paper rather than stated)",
    )
    out += macro("claimsReproduced", counts["reproduced"])
    out += macro("claimsNotReproduced", counts["not reproduced"])
    out += macro("claimsInconclusive", counts["inconclusive"])
    are = lambda n: f"{n} {'is' if n == 1 else 'are'}"  # noqa: E731
    out += macro(
        "claimsCounts",
        f"{are(counts['reproduced'])} reproduced, {are(counts['not reproduced'])} not and "
        f"{are(counts['inconclusive'])} inconclusive",
    )
    return out
