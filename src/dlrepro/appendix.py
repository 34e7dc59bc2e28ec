"""The report's provenance appendix: the run's environment, its configuration, and its compute.

Compute comes from the ``benchmark:`` files Snakemake writes for each job (wall seconds and peak
resident memory); each rule is credited to the study the workflow names for it (the rule file that
declares it), in the order the workflow gives.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections import defaultdict
from pathlib import Path

import yaml

from dlrepro.report import latex_escape, macro

__all__ = ["config_hash", "config_yaml", "read_benchmarks", "compute_summary", "compute_table_tex", "environment_tex"]


def config_hash(config: dict) -> str:
    """SHA-256 (first 12 hex digits) of the effective configuration, keys sorted."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]


def config_yaml(config: dict) -> str:
    """The effective configuration as YAML (defaults filled in by the schema), for the appendix."""
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None, width=88)


# Snakemake samples a job's memory at intervals: a job of a second or two may be sampled only while its
# process starts, before Python is loaded (max_rss 0.9 MiB for a NumPy job). No job here runs in less
# than this, so a smaller value is read as "not sampled".
MIN_SAMPLED_RSS_MIB = 16.0


def _peak(*values: float | None) -> float | None:
    """The largest of some peaks; None (not sampled) only when all are."""
    return max((v for v in values if v is not None), default=None)


def read_benchmarks(root: str | Path) -> list[dict]:
    """Every Snakemake benchmark file under `root` (``<rule>/<wildcards>.tsv``): rule, job, seconds, MiB."""
    root = Path(root)
    records = []
    for path in sorted(root.rglob("*.tsv")):
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        if not rows:
            continue
        row = rows[-1]  # a benchmark repeated n times keeps one line per repeat; the last is the run we kept

        def number(key, row=row):
            try:
                return float(row[key])
            except (KeyError, TypeError, ValueError):  # "NA" when the job was too short to sample
                return math.nan

        rss = number("max_rss")
        if rss < MIN_SAMPLED_RSS_MIB:  # a job that ended before Snakemake's first real memory sample
            rss = math.nan
        rel = path.relative_to(root)
        records.append(
            {"rule": rel.parts[0], "job": str(rel.with_suffix("")), "seconds": number("s"), "max_rss_mib": rss}
        )
    return records


def compute_summary(records: list[dict], rule_studies: dict[str, str], order: list[str]) -> dict:
    """Per study and per rule: jobs, total wall seconds, peak memory (None where no job was sampled);
    and the total. `rule_studies` maps each rule to its study's label (a rule not in it: "other"),
    `order` lists the labels in the report's order."""
    per_rule = defaultdict(lambda: {"jobs": 0, "seconds": 0.0, "max_rss_mib": None})
    for rec in records:
        r = per_rule[rec["rule"]]
        r["jobs"] += 1
        r["seconds"] += 0.0 if math.isnan(rec["seconds"]) else rec["seconds"]
        if not math.isnan(rec["max_rss_mib"]):
            r["max_rss_mib"] = _peak(r["max_rss_mib"], rec["max_rss_mib"])
    studies = defaultdict(lambda: {"jobs": 0, "seconds": 0.0, "max_rss_mib": None, "rules": {}})
    for rule, r in sorted(per_rule.items()):
        r["seconds"] = round(r["seconds"], 2)
        study = rule_studies.get(rule, "other")
        s = studies[study]
        s["rules"][rule] = r
        s["jobs"] += r["jobs"]
        s["seconds"] += r["seconds"]
        s["max_rss_mib"] = _peak(s["max_rss_mib"], r["max_rss_mib"])
    ordered = {k: studies[k] for k in [*order, "other"] if k in studies}
    for s in ordered.values():
        s["seconds"] = round(s["seconds"], 2)
    total = round(sum(s["seconds"] for s in ordered.values()), 2)
    peak = _peak(*(s["max_rss_mib"] for s in ordered.values()))
    return {"studies": ordered, "total_seconds": total, "peak_rss_mib": peak}


def _mib(value: float | None) -> str:
    return "--" if value is None else f"{value:.0f}"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def compute_table_tex(summary: dict, device: str) -> dict[str, str]:
    """A short per-study table and a per-rule table (job-seconds, so parallel jobs add up)."""
    study_lines, rule_lines = [], []
    for study, s in summary["studies"].items():
        study_lines.append(
            f"{latex_escape(study)} & {s['jobs']} & {_minutes(s['seconds'])} & {_mib(s['max_rss_mib'])} & {latex_escape(device)} \\\\"
        )
        for rule, r in s["rules"].items():
            rule_lines.append(
                f"{latex_escape(study)} & \\texttt{{{latex_escape(rule)}}} & {r['jobs']} & {r['seconds']:.1f} & {_mib(r['max_rss_mib'])} \\\\"
            )
    studies = (
        "% generated by dlrepro.appendix.compute_table_tex: do not edit\n"
        "\\begin{tabular}{lrrrl}\n\\toprule\n"
        "study & jobs & compute (min) & peak memory (MiB) & device \\\\\n\\midrule\n"
        + "\n".join(study_lines)
        + f"\n\\midrule\nall & {sum(s['jobs'] for s in summary['studies'].values())} & {_minutes(summary['total_seconds'])} & "
        f"{_mib(summary['peak_rss_mib'])} & \\\\\n\\bottomrule\n\\end{{tabular}}\n"
    )
    rules = (
        "% generated by dlrepro.appendix.compute_table_tex: do not edit\n"
        "\\begin{longtable}{llrrr}\n\\toprule\n"
        "study & rule & jobs & seconds & peak memory (MiB) \\\\\n\\midrule\n\\endhead\n"
        + "\n".join(rule_lines)
        + "\n\\bottomrule\n\\end{longtable}\n"
    )
    return {"studies": studies, "rules": rules}


def environment_tex(
    env: dict, *, config_name: str, config_digest: str, seeds: list[int], total_seconds: float, notice: str = ""
) -> str:
    """Macros for the title page and the appendix: when, on what, with which config, and the config's
    `report_notice` as a framed note (`\\runNoticeBox`, empty without one)."""
    clean = {True: "clean tree", False: "uncommitted changes", None: "tree state unknown"}[env["git_clean"]]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    gpu = env.get("gpu") or "none"
    out = "% generated by dlrepro.appendix.environment_tex: do not edit\n"
    out += macro("runDate", latex_escape(env["date"]))
    out += macro("runHardware", latex_escape(f"{env['cpu']}, {env['cores']} cores"))
    out += macro("runGpu", latex_escape(gpu))
    out += macro("runBlas", latex_escape(env.get("blas", "not recorded")))
    out += macro("runMalloc", latex_escape(env.get("malloc", "not recorded")))
    out += macro("runPython", latex_escape(env["python"]))
    out += macro("runVersions", latex_escape(f"Python {env['python']}, {versions}"))
    out += macro("runCommit", latex_escape(f"{env['git_commit']} ({clean})"))
    out += macro("runConfigName", latex_escape(config_name))
    out += macro("runConfigHash", config_digest)
    out += macro("runSeeds", ", ".join(map(str, seeds)))
    out += macro("runComputeMinutes", _minutes(total_seconds))
    box = f"\\par\\medskip\\noindent\\fbox{{\\parbox{{0.96\\linewidth}}{{\\textbf{{Note.}} {latex_escape(notice.strip())}}}}}\\par\\medskip"
    out += macro("runNoticeBox", box if notice.strip() else "")
    return out
