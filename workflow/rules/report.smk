# The report: generated values and tables (never typed numbers), then latexmk.


rule write_report_values:
    input:
        autoencoder=rules.summarize_autoencoder.output.summary,
        autoencoder_models=rules.summarize_autoencoder_models.output.summary,
        provenance=[AE_PROVENANCE],
    output:
        ae_values="results/report/generated/autoencoder_values.tex",
        ae_setting="results/report/generated/autoencoder_setting.tex",
        ae_metrics="results/report/generated/autoencoder_metrics.tex",
        ae_models_values="results/report/generated/autoencoder_models_values.tex",
        ae_models="results/report/generated/autoencoder_models.tex",
        ae_compression="results/report/generated/autoencoder_compression.tex",
        provenance="results/report/generated/provenance.tex",
        run_info="results/report/generated/run_info.tex",
    log:
        "logs/write_report_values/values.log",
    conda:
        "../../envs/report.yaml"
    params:
        ae_setting={
            "data": AE["data"],
            "model": AE["numpy_ae"],
            "seeds": SEEDS,
        },
        repo_dir=workflow.basedir,
    script:
        "../scripts/write_report_values.py"


rule build_report:
    input:
        template=workflow.source_path("../report/report.tex"),
        sections=[
            workflow.source_path(f"../report/sections/{name}.tex")
            for name in ("autoencoder", "gan", "sequence", "vision")
        ],
        values=rules.write_report_values.output,
        figures=[
            rules.plot_autoencoder_reconstructions.output.figure1,
            rules.plot_autoencoder_reconstructions.output.readings,
            rules.plot_autoencoder_progression.output.figure,
            rules.plot_autoencoder_learning_curves.output.figure,
            *rules.plot_autoencoder_models.output,
        ],
        studies=REPORT_INPUTS,
    output:
        pdf="results/report/report.pdf",
    log:
        "logs/build_report/latexmk.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/build_report.py"
