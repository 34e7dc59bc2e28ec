"""Claims vs evidence: one row per claim of the paper, with the criterion and a computed verdict.

Every study writes its rows to ``results/<study>/claims.json`` (a JSON list of objects with the keys
in `FIELDS`); the report gathers them into one table. Verdicts are computed by each study's code
from its results against a criterion fixed before looking; nothing here decides a verdict.
"""

from __future__ import annotations

from collections import Counter

from dlrepro.metrics import has_interval
from dlrepro.report import ae_claim_holds, fmt_pm, holds_verdict, latex_escape, macro

__all__ = ["FIELDS", "VERDICTS", "ClaimsError", "check_claims", "autoencoder_claims", "claims_table_tex", "claims_values_tex"]

FIELDS = ("id", "section", "claim", "metric", "criterion", "measured", "verdict")
VERDICTS = ("reproduced", "not reproduced", "inconclusive")
_VERDICT_STYLE = {"reproduced": "\\textbf{reproduced}", "not reproduced": "\\textbf{not reproduced}", "inconclusive": "inconclusive"}


class ClaimsError(ValueError):
    """A claims file that the report cannot use (missing keys, unknown verdict, duplicate id)."""


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
            raise ClaimsError(f"{source}: claim {row['id']}: verdict {row['verdict']!r} is not one of {', '.join(VERDICTS)}")
        if row["id"] in seen:
            raise ClaimsError(f"{source}: claim id {row['id']!r} appears twice")
        seen.add(row["id"])
    return rows


IMPLIED = "Implied, not stated:"  # how a row's claim starts when the paper implies it but does not say it


def _pm(stat: dict, digits: int = 4) -> str:
    """'mean +- ci', both to the decimal of the interval's second significant digit (`fmt_pm`)."""
    if not has_interval(stat):
        return f"{stat['mean']:.{digits}g} (one seed)"
    return fmt_pm(stat, digits)


def autoencoder_claims(summary: dict, models: dict) -> list[dict]:
    """The three claims of the paper's §1, from the autoencoder summaries (criteria in dlrepro.report)."""
    base = summary["baselines"]
    default = summary["readings"][summary["default_reduction"]]["test_mse"]
    claim = summary["claim"]
    rows = [
        {
            "id": "ae-recognisable",
            "section": "1.4",
            "claim": "Autoencoder reconstructions lose detail (blurred) but the digits stay discernible.",
            "metric": f"test MSE per pixel of the paper's NumPy autoencoder ({summary['default_reduction']} reading)",
            "criterion": "upper 95% CI bound below the mean-image baseline (structure kept) and mean above "
            "PCA with the same code size (detail lost); with one seed, inconclusive unless the latter fails",
            "measured": f"{_pm(default)}; mean image {base['mean_image_mse']:.4g}; PCA {base['pca_mse']:.4g}",
            "verdict": holds_verdict(ae_claim_holds(claim)),
        }
    ]
    conv = models["claims"].get("conv_better")
    rows.append(
        {
            "id": "ae-conv-better",
            "section": "1.5",
            "claim": "Convolutional autoencoders suit images better than fully connected ones.",
            "metric": f"conv minus basic test MSE at code size {models['code_size']}, paired by seed",
            "criterion": "95% CI entirely below zero (reproduced); entirely above zero (not reproduced); otherwise, "
            "or with one seed, inconclusive",
            "measured": _pm(conv["difference"]) if conv else "not run (conv or basic missing from the config)",
            "verdict": holds_verdict(conv["holds"] if conv else None),
        }
    )
    rows.append(
        {
            "id": "ae-tradeoff",
            "section": "1.5",
            "claim": "Autoencoders trade compression against fidelity.",
            "metric": "mean test MSE against code size, basic and convolutional models and PCA",
            "criterion": "falls strictly as the code grows, for every model",
            "measured": "; ".join(f"{m}: {'falls' if ok else 'does not fall'}" for m, ok in models["claims"]["tradeoff"]["per_model"].items()),
            "verdict": holds_verdict(models["claims"]["tradeoff"]["holds"]),
        }
    )
    return check_claims(rows, "autoencoder claims")


def _pm_tex(text: str) -> str:
    return latex_escape(text, notation=True).replace(" +- ", " $\\pm$ ")


def claims_table_tex(rows: list[dict]) -> str:
    """The claims-vs-evidence table: a longtable (it runs over pages as claims are added), booktabs rules."""
    col = ">{\\raggedright\\arraybackslash}p"
    header = "& claim of the paper & metric and criterion & measured & verdict \\\\\n\\midrule\n"
    lines = []
    for row in rows:
        lines.append(
            f"\\S{latex_escape(row['section'])} & {latex_escape(row['claim'], notation=True)} & "
            f"{latex_escape(row['metric'], notation=True)}; \\emph{{criterion:}} {latex_escape(row['criterion'], notation=True)} & "
            f"{_pm_tex(row['measured'])} & {_VERDICT_STYLE[row['verdict']]} \\\\"
        )
    return (
        "% generated by dlrepro.claims.claims_table_tex: do not edit\n"
        f"\\begin{{longtable}}{{@{{}}p{{0.04\\linewidth}}{col}{{0.22\\linewidth}}{col}{{0.3\\linewidth}}"
        f"{col}{{0.18\\linewidth}}{col}{{0.14\\linewidth}}@{{}}}}\n"
        "\\caption{Claims of the paper against the evidence of this run.}\\label{tab:claims}\\\\\n"
        "\\toprule\n" + header + "\\endfirsthead\n"
        "\\toprule\n" + header + "\\endhead\n"
        "\\bottomrule\n\\endfoot\n"
        + "\n\\addlinespace\n".join(lines)
        + "\n\\end{longtable}\n"
    )


def claims_values_tex(rows: list[dict]) -> str:
    """Macros counting the verdicts, for the abstract and the closing section."""
    counts = Counter(row["verdict"] for row in rows)
    out = "% generated by dlrepro.claims.claims_values_tex: do not edit\n"
    out += macro("claimsTotal", len(rows))
    implied = sum(row["claim"].startswith(IMPLIED) for row in rows)  # rows the paper implies but does not state
    out += macro("claimsImplied", "" if not implied else f" ({'one' if implied == 1 else implied} of them implied by the paper rather than stated)")
    out += macro("claimsReproduced", counts["reproduced"])
    out += macro("claimsNotReproduced", counts["not reproduced"])
    out += macro("claimsInconclusive", counts["inconclusive"])
    are = lambda n: f"{n} {'is' if n == 1 else 'are'}"  # noqa: E731
    out += macro("claimsCounts", f"{are(counts['reproduced'])} reproduced, {are(counts['not reproduced'])} not and "
                                 f"{are(counts['inconclusive'])} inconclusive")  # fmt: skip
    return out
