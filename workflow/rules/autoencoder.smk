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
        runtime=20,
    params:
        model=numpy_ae_params,
        data=AE["data"],
    script:
        "../scripts/train_numpy_autoencoder.py"


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
        "../scripts/fit_autoencoder_baselines.py"


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
        "../scripts/summarize_autoencoder.py"


rule plot_autoencoder_reconstructions:
    input:
        snapshots=expand(
            "results/autoencoder/numpy_ae/{reduction}/seed{seed}/snapshots.npz",
            reduction=AE["numpy_ae"]["loss_reductions"],
            seed=SEEDS[0],
        ),
    output:
        figure1="results/report/figures/ae_reconstructions.pdf",
        readings="results/report/figures/ae_loss_readings.pdf",
    log:
        "logs/plot_autoencoder_reconstructions/plot.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        readings=AE["numpy_ae"]["loss_reductions"],
        default_reduction=AE["numpy_ae"]["loss_reduction"],
    script:
        "../scripts/plot_autoencoder_reconstructions.py"


rule plot_autoencoder_progression:
    input:
        snapshots=f"results/autoencoder/numpy_ae/{AE['numpy_ae']['loss_reduction']}/seed{SEEDS[0]}/snapshots.npz",
    output:
        figure="results/report/figures/ae_progression.pdf",
    log:
        "logs/plot_autoencoder_progression/plot.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        rows=AE["figures"]["progression_rows"],
    script:
        "../scripts/plot_autoencoder_progression.py"


rule plot_autoencoder_learning_curves:
    input:
        histories=numpy_ae_runs("history.csv"),
        baselines=rules.fit_autoencoder_baselines.output.metrics,
    output:
        figure="results/report/figures/ae_learning_curves.pdf",
    log:
        "logs/plot_autoencoder_learning_curves/plot.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        readings=AE["numpy_ae"]["loss_reductions"],
        seeds=SEEDS,
    script:
        "../scripts/plot_autoencoder_learning_curves.py"


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
        runtime=20,
    params:
        model=numpy_ae_tuned_settings(),
        data=AE["data"],
    script:
        "../scripts/train_numpy_autoencoder.py"


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
        runtime=30,
    params:
        model=torch_ae_settings(),
        data=AE["data"],
    script:
        "../scripts/train_torch_autoencoder.py"


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
        "../scripts/summarize_autoencoder_models.py"


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
        models="results/report/figures/ae_models.pdf",
        compression="results/report/figures/ae_compression.pdf",
        denoising="results/report/figures/ae_denoising.pdf",
        vae="results/report/figures/ae_vae.pdf",
    log:
        "logs/plot_autoencoder_models/plot.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        models=TORCH_AE["models"],
    script:
        "../scripts/plot_autoencoder_models.py"
