# §1 autoencoders: the paper's NumPy autoencoder under each reading of "MSE", its tuned setting, the four
# PyTorch autoencoders, and the baselines (mean image, PCA). Each training job gets its run's settings
# from dlrepro.autoencoder.settings (`params: run`), so a config change reruns only the runs it touches.
from dlrepro.autoencoder.settings import (
    ae_baselines_run_settings,
    numpy_ae_run_settings,
    numpy_ae_tuned_run_settings,
    torch_ae_run_settings,
)

validate_config("autoencoder", "../schemas/autoencoder.schema.yaml")

AE = config["autoencoder"]
AE_CACHE, AE_PROVENANCE = idx_set_files(
    "autoencoder.data.dataset", AE["data"]["dataset"]
)
if AE["numpy_ae"]["loss_reduction"] not in AE["numpy_ae"]["loss_reductions"]:
    raise ValueError(
        f"autoencoder.numpy_ae.loss_reduction={AE['numpy_ae']['loss_reduction']!r} must be one of "
        f"autoencoder.numpy_ae.loss_reductions={AE['numpy_ae']['loss_reductions']}"
    )
TORCH_AE = AE["torch_ae"]
if TORCH_AE["code_size"] not in TORCH_AE["code_sizes"]:
    raise ValueError(
        f"autoencoder.torch_ae.code_size={TORCH_AE['code_size']} must be one of "
        f"autoencoder.torch_ae.code_sizes={TORCH_AE['code_sizes']}"
    )


wildcard_constraints:
    ae_code=r"\d+",
    ae_model="|".join(TORCH_AE["models"]),
    ae_reduction="|".join(AE["numpy_ae"]["loss_reductions"]),


# one results folder per reading of "MSE" and seed (reading-major: the learning-curve figure reads them so)
NUMPY_AE_RUNS = expand(
    "results/autoencoder/numpy_ae/{ae_reduction}/seed{seed}",
    ae_reduction=AE["numpy_ae"]["loss_reductions"],
    seed=SEEDS,
)
# the code size each torch model is compared at (the VAE has its own latent size)
TORCH_AE_CODE = {
    model: TORCH_AE["vae_code_size"] if model == "vae" else TORCH_AE["code_size"]
    for model in TORCH_AE["models"]
}
# one results folder per torch model, code size (the whole curve for basic and conv, one size otherwise) and seed
TORCH_AE_RUNS = [
    f"results/autoencoder/{model}/code{code}/seed{seed}"
    for model in TORCH_AE["models"]
    for code in (
        TORCH_AE["code_sizes"] if model in ("basic", "conv") else [TORCH_AE_CODE[model]]
    )
    for seed in SEEDS
]


rule train_numpy_autoencoder:
    input:
        cache=AE_CACHE,
        provenance=AE_PROVENANCE,
    output:
        metrics="results/autoencoder/numpy_ae/{ae_reduction}/seed{seed}/metrics.json",
        history="results/autoencoder/numpy_ae/{ae_reduction}/seed{seed}/history.csv",
        snapshots="results/autoencoder/numpy_ae/{ae_reduction}/seed{seed}/snapshots.npz",
    log:
        "logs/train_numpy_autoencoder/{ae_reduction}/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_numpy_autoencoder/{ae_reduction}/seed{seed}.tsv"
    conda:
        "../../envs/numpy.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=per_attempt(20),
    params:
        run=lambda w: numpy_ae_run_settings(AE, w.ae_reduction),
    script:
        "../scripts/autoencoder/train_numpy_autoencoder.py"


rule fit_autoencoder_baselines:
    input:
        cache=AE_CACHE,
        provenance=AE_PROVENANCE,
    output:
        metrics="results/autoencoder/baselines/metrics.json",
    log:
        "logs/fit_autoencoder_baselines/baselines.log",
    benchmark:
        "benchmarks-out/fit_autoencoder_baselines/baselines.tsv"
    conda:
        "../../envs/numpy.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        run=ae_baselines_run_settings(AE),
    script:
        "../scripts/autoencoder/fit_autoencoder_baselines.py"


rule summarize_autoencoder:
    input:
        runs=[f"{run}/metrics.json" for run in NUMPY_AE_RUNS],
        baselines=rules.fit_autoencoder_baselines.output.metrics,
    output:
        summary="results/autoencoder/summary.json",
    log:
        "logs/summarize_autoencoder/summary.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        default_reduction=AE["numpy_ae"]["loss_reduction"],
    script:
        "../scripts/autoencoder/summarize_autoencoder.py"


rule plot_autoencoder_reconstructions:
    input:
        snapshots=expand(
            "results/autoencoder/numpy_ae/{ae_reduction}/seed{seed}/snapshots.npz",
            ae_reduction=AE["numpy_ae"]["loss_reductions"],
            seed=SEEDS[0],
        ),
    output:
        figure1=report(
            "results/report/figures/ae_reconstructions.pdf",
            caption="../report/captions/ae_reconstructions.rst",
            category="Autoencoders (paper section 1)",
        ),
        readings=report(
            "results/report/figures/ae_loss_readings.pdf",
            caption="../report/captions/ae_loss_readings.rst",
            category="Autoencoders (paper section 1)",
        ),
    log:
        "logs/plot_autoencoder_reconstructions/plot.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        readings=AE["numpy_ae"]["loss_reductions"],
        default_reduction=AE["numpy_ae"]["loss_reduction"],
    script:
        "../scripts/autoencoder/plot_autoencoder_reconstructions.py"


rule plot_autoencoder_progression:
    input:
        snapshots=f"results/autoencoder/numpy_ae/{AE['numpy_ae']['loss_reduction']}/seed{SEEDS[0]}/snapshots.npz",
    output:
        figure=report(
            "results/report/figures/ae_progression.pdf",
            caption="../report/captions/ae_progression.rst",
            category="Autoencoders (paper section 1)",
        ),
    log:
        "logs/plot_autoencoder_progression/plot.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        rows=AE["figures"]["progression_rows"],
    script:
        "../scripts/autoencoder/plot_autoencoder_progression.py"


rule plot_autoencoder_learning_curves:
    input:
        histories=[f"{run}/history.csv" for run in NUMPY_AE_RUNS],
        baselines=rules.fit_autoencoder_baselines.output.metrics,
    output:
        figure=report(
            "results/report/figures/ae_learning_curves.pdf",
            caption="../report/captions/ae_learning_curves.rst",
            category="Autoencoders (paper section 1)",
        ),
    log:
        "logs/plot_autoencoder_learning_curves/plot.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        readings=AE["numpy_ae"]["loss_reductions"],
        seeds=SEEDS,
    script:
        "../scripts/autoencoder/plot_autoencoder_learning_curves.py"


rule train_numpy_autoencoder_tuned:
    input:
        cache=AE_CACHE,
        provenance=AE_PROVENANCE,
    output:
        metrics="results/autoencoder/numpy_ae_tuned/seed{seed}/metrics.json",
        history="results/autoencoder/numpy_ae_tuned/seed{seed}/history.csv",
        snapshots="results/autoencoder/numpy_ae_tuned/seed{seed}/snapshots.npz",
    log:
        "logs/train_numpy_autoencoder_tuned/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_numpy_autoencoder_tuned/seed{seed}.tsv"
    conda:
        "../../envs/numpy.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=per_attempt(20),
    params:
        run=numpy_ae_tuned_run_settings(AE),
    script:
        "../scripts/autoencoder/train_numpy_autoencoder.py"


rule train_torch_autoencoder:
    input:
        cache=AE_CACHE,
        provenance=AE_PROVENANCE,
    output:
        metrics="results/autoencoder/{ae_model}/code{ae_code}/seed{seed}/metrics.json",
        history="results/autoencoder/{ae_model}/code{ae_code}/seed{seed}/history.csv",
        samples="results/autoencoder/{ae_model}/code{ae_code}/seed{seed}/samples.npz",
    log:
        "logs/train_torch_autoencoder/{ae_model}/code{ae_code}/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_torch_autoencoder/{ae_model}/code{ae_code}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2500,
        runtime=per_attempt(30),
    params:
        run=lambda w: torch_ae_run_settings(AE, w.ae_model),
    script:
        "../scripts/autoencoder/train_torch_autoencoder.py"


rule summarize_autoencoder_models:
    input:
        torch_runs=[f"{run}/metrics.json" for run in TORCH_AE_RUNS],
        tuned_runs=expand(
            rules.train_numpy_autoencoder_tuned.output.metrics, seed=SEEDS
        ),
        paper=rules.summarize_autoencoder.output.summary,
    output:
        summary="results/autoencoder/models_summary.json",
    log:
        "logs/summarize_autoencoder_models/summary.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        code_size=TORCH_AE["code_size"],
    script:
        "../scripts/autoencoder/summarize_autoencoder_models.py"


rule plot_autoencoder_models:
    input:
        paper=f"results/autoencoder/numpy_ae/{AE['numpy_ae']['loss_reduction']}/seed{SEEDS[0]}/snapshots.npz",
        tuned=f"results/autoencoder/numpy_ae_tuned/seed{SEEDS[0]}/snapshots.npz",
        torch=[
            f"results/autoencoder/{m}/code{TORCH_AE_CODE[m]}/seed{SEEDS[0]}/samples.npz"
            for m in TORCH_AE["models"]
        ],
        summary=rules.summarize_autoencoder_models.output.summary,
    output:
        models=report(
            "results/report/figures/ae_models.pdf",
            caption="../report/captions/ae_models.rst",
            category="Autoencoders (paper section 1)",
        ),
        compression=report(
            "results/report/figures/ae_compression.pdf",
            caption="../report/captions/ae_compression.rst",
            category="Autoencoders (paper section 1)",
        ),
        denoising=report(
            "results/report/figures/ae_denoising.pdf",
            caption="../report/captions/ae_denoising.rst",
            category="Autoencoders (paper section 1)",
        ),
        vae=report(
            "results/report/figures/ae_vae.pdf",
            caption="../report/captions/ae_vae.rst",
            category="Autoencoders (paper section 1)",
        ),
    log:
        "logs/plot_autoencoder_models/plot.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        models=TORCH_AE["models"],
    script:
        "../scripts/autoencoder/plot_autoencoder_models.py"


rule autoencoder_claims:
    input:
        summary=rules.summarize_autoencoder.output.summary,
        models=rules.summarize_autoencoder_models.output.summary,
    output:
        claims="results/autoencoder/claims.json",
    log:
        "logs/autoencoder_claims/claims.log",
    conda:
        "../../envs/numpy.yaml"
    script:
        "../scripts/autoencoder/autoencoder_claims.py"


rule write_autoencoder_report_values:
    input:
        autoencoder=rules.summarize_autoencoder.output.summary,
        autoencoder_models=rules.summarize_autoencoder_models.output.summary,
    output:
        ae_values="results/report/generated/autoencoder_values.tex",
        ae_setting="results/report/generated/autoencoder_setting.tex",
        ae_metrics="results/report/generated/autoencoder_metrics.tex",
        ae_models_values="results/report/generated/autoencoder_models_values.tex",
        ae_models="results/report/generated/autoencoder_models.tex",
        ae_compression="results/report/generated/autoencoder_compression.tex",
    log:
        "logs/write_autoencoder_report_values/values.log",
    conda:
        "../../envs/report.yaml"
    params:
        # the settings table: the paper's setting as it ran (the data set, the NumPy block, the seeds)
        setting={
            "data": {"dataset": AE["data"]["dataset"]},
            "model": AE["numpy_ae"],
            "seeds": SEEDS,
        },
    script:
        "../scripts/autoencoder/write_autoencoder_report_values.py"


REPORT_INPUTS.extend(
    [
        *rules.plot_autoencoder_reconstructions.output,
        *rules.plot_autoencoder_progression.output,
        *rules.plot_autoencoder_learning_curves.output,
        *rules.plot_autoencoder_models.output,
        *rules.write_autoencoder_report_values.output,
    ]
)
CLAIMS.append(rules.autoencoder_claims.output.claims)
