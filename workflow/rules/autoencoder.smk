# §1 autoencoders: the paper's NumPy autoencoder under each reading of "MSE", and its baselines.


rule train_numpy_autoencoder:
    input:
        cache="resources/mnist/mnist.npz",
        provenance=rules.download_mnist.output.provenance,
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
        cache="resources/mnist/mnist.npz",
        provenance=rules.download_mnist.output.provenance,
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
        baselines=AE["baselines"],
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
