# The report: generated values and tables (never typed numbers), then latexmk.
import os

# the compute table credits every job to the study whose rule file declares its rule, in this order
STUDY_LABELS = {
    "data": "data",
    "autoencoder": "autoencoders",
    "gan": "GANs",
    "sequence": "sequence models",
    "vision": "vision",
    "report": "report",
}
RULE_STUDIES = {
    r.name: STUDY_LABELS.get(
        os.path.splitext(os.path.basename(r.snakefile))[0], "other"
    )
    for r in workflow.rules
}


rule record_environment:
    input:
        # recorded once every study's results exist: the environment they were computed in
        claims=CLAIMS,
    output:
        environment="results/report/environment.json",
    log:
        "logs/record_environment/environment.log",
    conda:
        "../../envs/report.yaml"
    params:
        repo_dir=workflow.basedir,
    script:
        "../scripts/report/record_environment.py"


rule write_report_front:
    input:
        claims=CLAIMS,
        environment=rules.record_environment.output.environment,
        provenance=used_provenance(),
    output:
        claims_glance="results/report/generated/claims_glance.tex",
        claims_table="results/report/generated/claims_table.tex",
        claims_values="results/report/generated/claims_values.tex",
        provenance="results/report/generated/provenance.tex",
        run_info="results/report/generated/run_info.tex",
        compute="results/report/compute.json",
        claims_csv=report(
            "results/report/claims.csv",
            caption="../report/captions/claims.rst",
            category="Report",
        ),
        compute_csv=report(
            "results/report/compute.csv",
            caption="../report/captions/compute.rst",
            category="Report",
        ),
        compute_studies="results/report/generated/compute_studies.tex",
        compute_rules="results/report/generated/compute_rules.tex",
        config="results/report/generated/config.yaml",
    log:
        "logs/write_report_front/front.log",
    conda:
        "../../envs/report.yaml"
    params:
        config=config,
        config_name=config_name(),
        rule_studies=RULE_STUDIES,
        study_order=list(STUDY_LABELS.values()),
        benchmarks="benchmarks-out",
    script:
        "../scripts/report/write_report_front.py"


rule write_compute_anchors:
    input:
        anchors=workflow.source_path("../report/anchors.yaml"),
        curves=CURVES,
    output:
        anchors="results/report/generated/anchors.tex",
        placement="results/report/generated/placement.tex",
    log:
        "logs/write_compute_anchors/anchors.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/report/write_compute_anchors.py"


rule write_tuning_report:
    input:
        sweeps=TUNING,
    output:
        figure=report(
            "results/report/figures/tuning.pdf",
            caption="../report/captions/tuning.rst",
            category="Learning-rate tuning",
        ),
        table="results/report/generated/tuning.tex",
    log:
        "logs/write_tuning_report/tuning.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/report/write_tuning_report.py"


rule build_report:
    input:
        template=workflow.source_path("../report/report.tex"),
        sections=[
            workflow.source_path(f"../report/sections/{name}.tex")
            for name in ("autoencoder", "gan", "sequence", "vision", "closing")
        ],
        front=rules.write_report_front.output,
        anchors=rules.write_compute_anchors.output,
        tuning=rules.write_tuning_report.output,
        environment=rules.record_environment.output.environment,
        # each study's figures and generated values and tables (appended by its .smk file)
        studies=REPORT_INPUTS,
    output:
        pdf=report(
            "results/report/report.pdf",
            caption="../report/captions/report_pdf.rst",
            category="Report",
        ),
    log:
        "logs/build_report/latexmk.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/report/build_report.py"
