# The gan study (§2): the paper's GAN, LSGAN and BiGAN on MNIST (or gan.data.dataset), scored in the feature space of a
# classifier the pipeline trains itself (FID, Inception Score, class coverage).

from dlrepro.gan.settings import classifier_settings as gan_classifier_settings
from dlrepro.gan.settings import run_settings as gan_run_settings
from dlrepro.gan.settings import summary_settings as gan_summary_settings

validate_config("gan", "../schemas/gan.schema.yaml")

GAN = config["gan"]
# the FID floor compares real images at the sample sizes of the scores: it needs that many training images
_gan_train = (
    GAN["data"]["train_examples"] or 60000
)  # 0: all of MNIST's (another set: checked when its classifier trains)
for _key in ("samples_per_epoch", "final_samples"):
    if GAN["eval"][_key] > _gan_train:
        raise ValueError(
            f"gan.eval.{_key} ({GAN['eval'][_key]}) exceeds the training images the FID floor is "
            f"computed from (gan.data.train_examples: {_gan_train}); lower it or use more images"
        )
GAN_CACHE, GAN_PROVENANCE = idx_set_files("gan.data.dataset", GAN["data"]["dataset"])
# GPU jobs declare the `gpu` resource so profiles can run them one at a time
GAN_GPU = {"gpu": 1} if GAN["device"] == "cuda" else {}


wildcard_constraints:
    gan_model="|".join(GAN["models"]),


# one output folder per configured model and seed
GAN_RUNS = expand(
    "results/gan/{gan_model}/seed{seed}", gan_model=GAN["models"], seed=SEEDS
)


rule train_gan_classifier:
    input:
        cache=GAN_CACHE,
        provenance=GAN_PROVENANCE,
    output:
        weights="results/gan/classifier/classifier.pt",
        metrics="results/gan/classifier/metrics.json",
        reference="results/gan/classifier/reference.npz",
    log:
        "logs/train_gan_classifier/classifier.log",
    benchmark:
        "benchmarks-out/train_gan_classifier/classifier.tsv"
    # first in the queue: nine GAN runs wait for it, so on a few cores it is the run's critical path
    priority: 10
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2500,
        runtime=per_attempt(20),
    params:
        run=gan_classifier_settings(GAN),
    script:
        "../scripts/gan/train_gan_classifier.py"


rule train_gan:
    input:
        cache=GAN_CACHE,
        provenance=GAN_PROVENANCE,
        classifier=rules.train_gan_classifier.output.weights,
        reference=rules.train_gan_classifier.output.reference,
    output:
        metrics="results/gan/{gan_model}/seed{seed}/metrics.json",
        history="results/gan/{gan_model}/seed{seed}/history.csv",
        samples="results/gan/{gan_model}/seed{seed}/samples.npz",
    log:
        "logs/train_gan/{gan_model}/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_gan/{gan_model}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        **GAN_GPU,
        mem_mb=2500,
        runtime=per_attempt(30),
    params:
        run=lambda w: gan_run_settings(GAN, w.gan_model),
    script:
        "../scripts/gan/train_gan.py"


rule summarize_gan:
    input:
        runs=[f"{run}/metrics.json" for run in GAN_RUNS],
        histories=[f"{run}/history.csv" for run in GAN_RUNS],
        classifier=rules.train_gan_classifier.output.metrics,
    output:
        summary="results/gan/summary.json",
        claims="results/gan/claims.json",
        curves="results/gan/curves.csv",
        values="results/report/generated/gan_values.tex",
        settings="results/report/generated/gan_settings.tex",
        metrics="results/report/generated/gan_metrics.tex",
        probe="results/report/generated/gan_probe.tex",
    log:
        "logs/summarize_gan/summary.log",
    conda:
        "../../envs/report.yaml"
    params:
        settings=gan_summary_settings(GAN),
        seeds=SEEDS,
    script:
        "../scripts/gan/summarize_gan.py"


rule plot_gan:
    input:
        histories=[f"{run}/history.csv" for run in GAN_RUNS],
        samples=[f"{run}/samples.npz" for run in GAN_RUNS],
        summary=rules.summarize_gan.output.summary,
        curves=rules.summarize_gan.output.curves,
        anchors=workflow.source_path("../report/anchors.yaml"),
    output:
        figure2=report(
            "results/report/figures/gan_figure2.pdf",
            caption="../report/captions/gan_figure2.rst",
            category="GANs (paper section 2)",
        ),
        evolution=report(
            "results/report/figures/gan_evolution.pdf",
            caption="../report/captions/gan_evolution.rst",
            category="GANs (paper section 2)",
        ),
        ladder=report(
            "results/report/figures/gan_ladder.pdf",
            caption="../report/captions/gan_ladder.rst",
            category="GANs (paper section 2)",
        ),
        variants=report(
            "results/report/figures/gan_variants.pdf",
            caption="../report/captions/gan_variants.rst",
            category="GANs (paper section 2)",
        ),
        losses=report(
            "results/report/figures/gan_losses.pdf",
            caption="../report/captions/gan_losses.rst",
            category="GANs (paper section 2)",
        ),
        quality=report(
            "results/report/figures/gan_quality.pdf",
            caption="../report/captions/gan_quality.rst",
            category="GANs (paper section 2)",
        ),
        coverage=report(
            "results/report/figures/gan_coverage.pdf",
            caption="../report/captions/gan_coverage.rst",
            category="GANs (paper section 2)",
        ),
        reconstructions=report(
            "results/report/figures/gan_bigan_reconstructions.pdf",
            caption="../report/captions/gan_bigan_reconstructions.rst",
            category="GANs (paper section 2)",
        ),
        gif=report(
            "results/gan/gan_evolution.gif",
            caption="../report/captions/gan_evolution_gif.rst",
            category="GANs (paper section 2)",
        ),
    log:
        "logs/plot_gan/plot.log",
    conda:
        "../../envs/report.yaml"
    params:
        models=GAN["models"],
        seeds=SEEDS,
        epochs=GAN["optim"]["epochs"],
        evolution_epochs=GAN["figures"]["evolution_epochs"],
    script:
        "../scripts/gan/plot_gan.py"


REPORT_INPUTS.extend(
    [
        rules.summarize_gan.output.values,
        rules.summarize_gan.output.settings,
        rules.summarize_gan.output.metrics,
        rules.summarize_gan.output.probe,
        *rules.plot_gan.output,
    ]
)
CLAIMS.append(rules.summarize_gan.output.claims)
CURVES.append(rules.summarize_gan.output.curves)
