# §1 autoencoders: the paper's NumPy autoencoder under each reading of "MSE", and its baselines.


rule train_numpy_autoencoder:
    input:
        cache=AE_CACHE,
        provenance=AE_PROVENANCE,
    output:
        metrics="results/autoencoder/numpy_ae/{reduction}/seed{seed}/metrics.json",
        history="results/autoencoder/numpy_ae/{reduction}/seed{seed}/history.csv",
        snapshots="results/autoencoder/numpy_ae/{reduction}/seed{seed}/snapshots.npz",
    log:
        "logs/train_numpy_autoencoder/{reduction}/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_numpy_autoencoder/{reduction}/seed{seed}.tsv"
    conda:
        "../../envs/numpy.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=per_attempt(20),
    params:
        model=numpy_ae_params,
        data=AE["data"],
    script:
        "../scripts/autoencoder/train_numpy.py"


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
        data=AE["data"],
        baselines=dict(AE["baselines"], code_sizes=TORCH_AE["code_sizes"]),
    script:
        "../scripts/autoencoder/fit_baselines.py"


rule summarize_autoencoder:
    input:
        runs=numpy_ae_runs("metrics.json"),
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
        "../scripts/autoencoder/summarize.py"


rule plot_autoencoder_reconstructions:
    input:
        snapshots=expand(
            "results/autoencoder/numpy_ae/{reduction}/seed{seed}/snapshots.npz",
            reduction=AE["numpy_ae"]["loss_reductions"],
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
        "../scripts/autoencoder/plot_reconstructions.py"


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
        "../scripts/autoencoder/plot_progression.py"


rule plot_autoencoder_learning_curves:
    input:
        histories=numpy_ae_runs("history.csv"),
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
        "../scripts/autoencoder/plot_learning_curves.py"


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
        model=numpy_ae_tuned_settings(),
        data=AE["data"],
    script:
        "../scripts/autoencoder/train_numpy.py"


rule train_torch_autoencoder:
    input:
        cache=AE_CACHE,
        provenance=AE_PROVENANCE,
    output:
        metrics="results/autoencoder/{model}/code{code}/seed{seed}/metrics.json",
        history="results/autoencoder/{model}/code{code}/seed{seed}/history.csv",
        samples="results/autoencoder/{model}/code{code}/seed{seed}/samples.npz",
    log:
        "logs/train_torch_autoencoder/{model}/code{code}/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_torch_autoencoder/{model}/code{code}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2500,
        runtime=per_attempt(30),
    params:
        model=torch_ae_settings(),
        data=AE["data"],
    script:
        "../scripts/autoencoder/train_torch.py"


rule summarize_autoencoder_models:
    input:
        torch_runs=torch_ae_runs("metrics.json"),
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
        "../scripts/autoencoder/summarize_models.py"


rule plot_autoencoder_models:
    input:
        paper=f"results/autoencoder/numpy_ae/{AE['numpy_ae']['loss_reduction']}/seed{SEEDS[0]}/snapshots.npz",
        tuned=f"results/autoencoder/numpy_ae_tuned/seed{SEEDS[0]}/snapshots.npz",
        torch=[
            f"results/autoencoder/{m}/code{torch_ae_code_size(m)}/seed{SEEDS[0]}/samples.npz"
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
        "../scripts/autoencoder/plot_models.py"


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
        "../scripts/autoencoder/claims.py"


CLAIMS.append(rules.autoencoder_claims.output.claims)
