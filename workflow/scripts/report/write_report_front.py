"""The report's front matter and appendix: claims table, run description, data, config, compute."""

from pathlib import Path

from dlrepro.appendix import (
    compute_summary,
    compute_table_tex,
    config_hash,
    config_yaml,
    environment_tex,
    read_benchmarks,
)
from dlrepro.claims import check_claims, claims_csv_rows, claims_glance_tex, claims_table_tex, claims_values_tex
from dlrepro.io import read_json, setup_logging, write_csv, write_json
from dlrepro.report import provenance_tex

setup_logging(snakemake.log[0])
out, params = snakemake.output, snakemake.params
rows = [row for path in snakemake.input.claims for row in check_claims(read_json(path), path)]
Path(out.claims_glance).write_text(claims_glance_tex(rows))
Path(out.claims_table).write_text(claims_table_tex(rows))
Path(out.claims_values).write_text(claims_values_tex(rows))
write_csv(out.claims_csv, claims_csv_rows(rows))
Path(out.provenance).write_text(provenance_tex([read_json(p) for p in snakemake.input.provenance]))

env = read_json(snakemake.input.environment)
compute = compute_summary(read_benchmarks(params.benchmarks), params.rule_studies, params.study_order)
write_json(out.compute, compute)
per_rule = [
    {"study": study, "rule": rule, **r} for study, s in compute["studies"].items() for rule, r in s["rules"].items()
]
write_csv(out.compute_csv, per_rule, fieldnames=["study", "rule", "jobs", "seconds", "max_rss_mib"])
device = env.get("gpu") or "CPU"
tables = compute_table_tex(compute, device)
Path(out.compute_studies).write_text(tables["studies"])
Path(out.compute_rules).write_text(tables["rules"])
Path(out.config).write_text(config_yaml(params.config))
Path(out.run_info).write_text(
    environment_tex(
        env,
        config_name=params.config_name,
        config_digest=config_hash(params.config),
        seeds=params.config["seeds"],
        total_seconds=compute["total_seconds"],
        notice=params.config["report_notice"],
    )
)
