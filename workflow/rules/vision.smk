# The vision study (§3.3-3.4): a ResNet-style CNN and a ViT trained from scratch on CIFAR-10 (or
# vision.data.dataset: cifar100, folder), on
# class-balanced subsets of the training set (the performance trend), with computed verdicts.

from dlrepro.vision.settings import (
    baseline_settings as vision_baseline_settings,
    run_settings as vision_run_settings,
    tune_settings as vision_tune_settings,
)

validate_config("vision", "../schemas/vision.schema.yaml")

VIS = config["vision"]
VIS_MODELS = ["cnn", "vit"]
# a fraction's name in paths: percent of the training set (0.1 -> "10", 0.125 -> "12.5")
VIS_FRACS = {f"{100 * f:g}": f for f in VIS["fractions"]}
VIS_FULL = f"{100 * max(VIS['fractions']):g}"
# the compute ladder: multiples of train.images, the same at every fraction ("1", "2", "4"), ascending
# (the order of the training job's outputs, and of the runs it returns)
VIS_BUDGETS = {budget_name(b): float(b) for b in sorted(VIS["budgets"])}
VIS_TOP = budget_name(max(VIS["budgets"]))
VIS_GPU = 1 if VIS["device"] == "cuda" else 0


wildcard_constraints:
    vis_model="|".join(VIS_MODELS),
    vis_frac="|".join(k.replace(".", r"\.") for k in VIS_FRACS),


# one file per model, training fraction, budget and seed
VIS_RUN = (
    "results/vision/{vis_model}/frac{vis_frac}/budget{vis_budget}/seed{seed}/{name}"
)
# the same, the budget filled in and the job's wildcards kept: one ladder job's files
VIS_LADDER = "results/vision/{{vis_model}}/frac{{vis_frac}}/budget{vis_budget}/seed{{seed}}/{name}"
# the images: CIFAR-10 (the paper's reading), CIFAR-100 (fine labels) or a folder in ImageFolder layout
VIS_DATASET = VIS["data"]["dataset"]
if VIS_DATASET == "folder" and not (
    VIS["data"]["folder"]["train"] and VIS["data"]["folder"]["test"]
):
    raise ValueError(
        "vision.data.dataset=folder needs vision.data.folder.train and vision.data.folder.test"
    )
VIS_CACHE = "image_folder" if VIS_DATASET == "folder" else VIS_DATASET


# a user's image folder (vision.data.dataset: folder): no download, resized into a CIFAR-shaped cache
rule prepare_image_folder:
    input:
        train=VIS["data"]["folder"]["train"] or [],
        test=VIS["data"]["folder"]["test"] or [],
    output:
        cache="resources/image_folder/image_folder.npz",
        provenance="resources/image_folder/provenance.json",
    log:
        "logs/prepare_image_folder/prepare.log",
    conda:
        "../../envs/numpy.yaml"
    script:
        "../scripts/data/prepare_image_folder.py"


# learning-rate tuning (dlrepro.tuning): one sweep per model, read by every run of the ladder
VIS_TUNE = "results/vision/tuning/{vis_model}.json"
VIS_LR = {"learning_rate": VIS_TUNE} if VIS["tune"] else {}


rule tune_vision_lr:
    input:
        cache=f"resources/{VIS_CACHE}/{VIS_CACHE}.npz",
        provenance=f"resources/{VIS_CACHE}/provenance.json",
    output:
        learning_rate=VIS_TUNE,
    log:
        "logs/tune_vision_lr/{vis_model}.log",
    benchmark:
        "benchmarks-out/tune_vision_lr/{vis_model}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2500,
        runtime=per_attempt(60),
        gpu=VIS_GPU,
    params:
        run=lambda w: vision_tune_settings(VIS, model=w.vis_model),
    script:
        "../scripts/vision/tune_vision_lr.py"


# one job per model, fraction and seed trains every budget of the ladder: a warm-up-stable-decay trunk
# with a cool-down branch per budget (dlrepro.vision.wsd), each budget's outputs in its own folder
rule train_image_classifier:
    input:
        **VIS_LR,
        cache=f"resources/{VIS_CACHE}/{VIS_CACHE}.npz",
        provenance=f"resources/{VIS_CACHE}/provenance.json",
    output:
        metrics=expand(VIS_LADDER, vis_budget=VIS_BUDGETS, name="metrics.json"),
        history=expand(VIS_LADDER, vis_budget=VIS_BUDGETS, name="history.csv"),
        arrays=expand(VIS_LADDER, vis_budget=VIS_BUDGETS, name="arrays.npz"),
    log:
        "logs/train_image_classifier/{vis_model}/frac{vis_frac}/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_image_classifier/{vis_model}/frac{vis_frac}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2500,
        runtime=per_attempt(90),  # one job trains every budget (4.6 base runs)
        gpu=VIS_GPU,
    params:
        # this job's settings only (its model's block, the ladder's budgets): a change elsewhere reruns nothing here
        run=lambda w: vision_run_settings(
            VIS, model=w.vis_model, fraction=VIS_FRACS[w.vis_frac]
        ),
    script:
        "../scripts/vision/train_image_classifier.py"


# the simple baseline: a linear classifier on pixels, on each fraction's subset and seed
rule fit_vision_baseline:
    input:
        cache=f"resources/{VIS_CACHE}/{VIS_CACHE}.npz",
        provenance=f"resources/{VIS_CACHE}/provenance.json",
    output:
        metrics="results/vision/baselines/linear/frac{vis_frac}/seed{seed}/metrics.json",
    log:
        "logs/fit_vision_baseline/frac{vis_frac}/seed{seed}.log",
    benchmark:
        "benchmarks-out/fit_vision_baseline/frac{vis_frac}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=per_attempt(30),
    params:
        run=lambda w: vision_baseline_settings(VIS, fraction=VIS_FRACS[w.vis_frac]),
    script:
        "../scripts/vision/fit_vision_baseline.py"


rule summarize_vision:
    input:
        runs=expand(
            VIS_RUN,
            vis_model=VIS_MODELS,
            vis_frac=VIS_FRACS,
            vis_budget=VIS_BUDGETS,
            seed=SEEDS,
            name="metrics.json",
        ),
        baseline=expand(
            rules.fit_vision_baseline.output.metrics, vis_frac=VIS_FRACS, seed=SEEDS
        ),
    output:
        summary="results/vision/summary.json",
        claims="results/vision/claims.json",
        values="results/report/generated/vision_values.tex",
        setting="results/report/generated/vision_setting.tex",
        results="results/report/generated/vision_results.tex",
        trend="results/report/generated/vision_trend.tex",
        # accuracy and gap against counted training FLOPs (dlrepro.curves)
        curves="results/vision/curves.csv",
    log:
        "logs/summarize_vision/summary.log",
    conda:
        "../../envs/torch.yaml"
    params:
        # what the settings table reads
        settings={
            k: VIS[k]
            for k in ("budgets", "fractions", "train", "fast", "cnn", "vit", "tune")
        },
        seeds=SEEDS,
    script:
        "../scripts/vision/summarize_vision.py"


rule plot_vision:
    input:
        summary=rules.summarize_vision.output.summary,
        curves=rules.summarize_vision.output.curves,
        # published reference points, drawn on the ladder figure's FLOP axis
        anchors=workflow.source_path("../report/anchors.yaml"),
        runs=expand(
            VIS_RUN,
            vis_model=VIS_MODELS,
            vis_frac=VIS_FRACS,
            vis_budget=VIS_BUDGETS,
            seed=SEEDS,
            name="metrics.json",
        ),
        arrays=expand(
            VIS_RUN,
            vis_model=VIS_MODELS,
            vis_frac=VIS_FULL,
            vis_budget=VIS_TOP,
            seed=SEEDS,
            name="arrays.npz",
        ),
    output:
        trend=report(
            "results/report/figures/vision_trend.pdf",
            caption="../report/captions/vision_trend.rst",
            category="CNN vs ViT (paper sections 3.3-3.4)",
        ),
        confusion=report(
            "results/report/figures/vision_confusion.pdf",
            caption="../report/captions/vision_confusion.rst",
            category="CNN vs ViT (paper sections 3.3-3.4)",
        ),
        attention=report(
            "results/report/figures/vision_attention.pdf",
            caption="../report/captions/vision_attention.rst",
            category="CNN vs ViT (paper sections 3.3-3.4)",
        ),
        ladder=report(
            "results/report/figures/vision_ladder.pdf",
            caption="../report/captions/vision_ladder.rst",
            category="CNN vs ViT (paper sections 3.3-3.4)",
        ),
    log:
        "logs/plot_vision/plot.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/vision/plot_vision.py"


REPORT_INPUTS.extend(
    [
        *rules.plot_vision.output,
        rules.summarize_vision.output.values,
        rules.summarize_vision.output.setting,
        rules.summarize_vision.output.results,
        rules.summarize_vision.output.trend,
    ]
)
CLAIMS.append(rules.summarize_vision.output.claims)
CURVES.append(rules.summarize_vision.output.curves)
if VIS["tune"]:
    TUNING.extend(expand(VIS_TUNE, vis_model=VIS_MODELS))
