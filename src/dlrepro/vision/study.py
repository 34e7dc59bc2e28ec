"""The vision study's glue: one model's compute ladder (data subset -> a trained model per budget ->
metrics), the training job of the workflow (`train_job`), the summary over seeds and fractions, the performance trend, and the curves
against training FLOPs (`vision_curves`; the verdicts on the paper's claims are in `report`).

    data = load_vision_data("resources/cifar10/cifar10.npz", fraction=0.25, seed=0)
    for metrics, history, arrays in run_vision(data, "vit", settings, seed=0, data_status="verified"):
        ...  # one run per budget of settings["budgets"], ascending
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from dlrepro.curves import stat_point
from dlrepro.data.prepare import load_cache
from dlrepro.data.verify import combined_status
from dlrepro.ladder import budget_name
from dlrepro.metrics import mean_ci

__all__ = [
    "load_vision_data",
    "run_vision",
    "train_job",
    "fit_baseline_job",
    "summarize_vision",
    "vision_curves",
    "slope",
]

MODEL_NAMES = {"cnn": "CNN (ResNet)", "vit": "ViT"}


def load_vision_data(
    cache_path, *, fraction: float, seed: int, train_examples: int = 0, test_examples: int = 0, dataset: str = "cifar10"
) -> dict:
    """A class-balanced seeded `fraction` of the first `train_examples` training images (0 = all), and the test set.

    CIFAR-10 is normalised with its published channel statistics; any other set with those of its own
    training images (computed over the first `train_examples`, before the fraction is drawn).
    """
    from dlrepro.vision.data import CIFAR10_MEAN, CIFAR10_STD, balanced_subset  # torch loads only when needed

    cache = load_cache(cache_path)
    x, y = cache["x_train"], cache["y_train"]
    if train_examples:
        x, y = x[:train_examples], y[:train_examples]
    idx = balanced_subset(y, fraction, seed)
    n_test = test_examples or len(cache["x_test"])
    n_classes = len(cache["class_names"]) if "class_names" in cache else 10
    data = {
        "x_train": x[idx],
        "y_train": y[idx],
        "x_test": cache["x_test"][:n_test],
        "y_test": cache["y_test"][:n_test],
        "dataset": dataset,
        "n_classes": n_classes,
        "mean": CIFAR10_MEAN,
        "std": CIFAR10_STD,
    }
    if "class_names" in cache:
        data["class_names"] = cache["class_names"]
    if dataset != "cifar10":
        channels = [x[:, c] for c in range(3)]  # one channel's float64 temporaries at a time, not the whole set's
        data["mean"] = tuple(float(ch.mean(dtype=np.float64)) / 255 for ch in channels)
        data["std"] = tuple(float(ch.std(dtype=np.float64)) / 255 for ch in channels)
    return data


def model_settings(settings: dict, kind: str) -> tuple[dict, dict]:
    """Split a model's config block into constructor arguments and its optimizer settings."""
    block = dict(settings[kind])
    optim = {"learning_rate": block.pop("learning_rate"), "weight_decay": block.pop("weight_decay")}
    family = block.pop("optimizer", "shared")  # "shared": the recipe's train.optimizer
    optim["optimizer"] = settings["train"]["optimizer"] if family == "shared" else family
    for key in ("widths", "blocks"):
        if key in block:
            block[key] = tuple(block[key])
    return block, optim


def passes(images: float, n: int, batch_size: int) -> float:
    """The passes over `n` training images that draw `images` of them in round(images / batch) full
    batches (the training loop drops each pass's incomplete batch, so a pass is n // batch steps): a
    run's budget is images seen, not passes, so a small subset (or a small data set of one's own) is
    cycled more often and every fraction of the data gets the same optimizer steps and compute."""
    if n < 1:
        raise ValueError("the training subset is empty")
    batch = min(batch_size, n)
    return max(1, round(images / batch)) / (n // batch)


def run_vision(
    data: dict,
    kind: str,
    settings: dict,
    *,
    seed: int,
    data_status: str,
    fraction: float = 1.0,
    device="cpu",
    checkpoint=None,
    stop_after_epoch=None,
):
    """Train one model for one seed on `data` at every budget of `settings["budgets"]` (one WSD trunk with a
    cool-down branch per budget: `dlrepro.vision.wsd`); `settings` holds `train`, `fast`, the model's block
    and `budgets` (other keys, such as a run's `data`, are not read here). A budget's run draws
    `train.images` x budget training images, the same for every size of `data` (`passes`). `data_status`
    (the data set's provenance status), `fraction` and the budget are recorded in each run's metrics;
    `checkpoint` is a `dlrepro.checkpoint.Checkpointer` (None: none), left in place for the caller to
    remove. Returns one (metrics, history, arrays) per budget, ascending, or None where stopped early."""
    from dlrepro.device import resolve_bf16
    from dlrepro.vision.training import TrainConfig
    from dlrepro.vision.wsd import train_ladder

    arch, optim = model_settings(settings, kind)
    if "n_classes" in data:  # the data set's classes size the heads (CIFAR-10: 10, CIFAR-100: 100, a folder: its own)
        arch["num_classes"] = data["n_classes"]
    fast = {
        **settings["fast"],
        "bf16": resolve_bf16(settings["fast"]["bf16"], device),
    }  # `auto`: where it pays
    budgets = sorted(float(b) for b in settings["budgets"])
    images = [round(settings["train"]["images"] * b) for b in budgets]  # as the former per-budget runs rounded
    train = {k: v for k, v in settings["train"].items() if k != "images"}
    train["epochs"] = [passes(i, len(data["y_train"]), train["batch_size"]) for i in images]
    cfg = TrainConfig.from_dict({**train, **fast, "optimizer": optim.pop("optimizer")})
    run = {"seed": seed, "device": device, "checkpoint": checkpoint, "stop_after_epoch": stop_after_epoch}
    out = train_ladder(kind, arch, cfg, data, **run, **optim)
    for (metrics, _, arrays), budget, drawn in zip(out or [], budgets, images):
        if "class_names" in data:
            arrays["class_names"] = np.asarray(data["class_names"])
        metrics.update(
            fraction=fraction,
            budget=budget,
            images_budget=drawn,
            data_status=data_status,
            optimizer=cfg.optimizer,
            bf16=cfg.bf16,
            **optim,
            dataset=data.get("dataset", "cifar10"),
            n_classes=data.get("n_classes", 10),
        )
    return out  # None where stopped early


def train_job(job) -> dict:
    """The rule `train_image_classifier` (run by `dlrepro.runner.run_job`): the model of the `vis_model`
    wildcard, trained for the `seed` wildcard on the run's class-balanced fraction of the prepared images
    at every budget of the ladder (one WSD trunk, a cool-down branch per budget), with the job's settings
    `job.run` (`dlrepro.vision.settings.run_settings`), on `job.device`, checkpointed by `job.checkpoint`.
    Returns the rule's outputs, each a list in the order of the sorted budgets (the rule's): the metrics
    (with the run's `budget` and the data set's provenance status), the per-epoch histories, the
    figures' arrays."""
    run, seed = job.run, int(job.wildcards.seed)
    data = load_vision_data(job.input.cache, fraction=run["fraction"], seed=seed, **run["data"])
    results = run_vision(
        data,
        job.wildcards.vis_model,
        run,
        seed=seed,
        fraction=run["fraction"],
        device=job.device,
        checkpoint=job.checkpoint,
        data_status=job.data_status(),
    )
    return {name: [r[i] for r in results] for i, name in enumerate(("metrics", "history", "arrays"))}


def fit_baseline_job(job) -> dict:
    """The rule `fit_vision_baseline`: the linear classifier on pixels (`dlrepro.vision.baseline`) on the
    run's class-balanced fraction of the prepared images for the `seed` wildcard: the networks' subset."""
    from dlrepro.vision.baseline import run_pixel_baseline

    run, seed = job.run, int(job.wildcards.seed)
    status = job.data_status()
    data = load_vision_data(job.input.cache, fraction=run["fraction"], seed=seed, **run["data"])
    metrics = run_pixel_baseline(data, run["baseline"], seed=seed)
    metrics.update(fraction=run["fraction"], data_status=status, dataset=data.get("dataset", "cifar10"))
    return {"metrics": metrics}


def slope(x, y) -> float:
    """Least-squares slope of y on x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(np.polyfit(x, y, 1)[0])


def _recorded_bf16(runs: list[dict]):
    """Whether the runs trained under bf16 autocast: True, False, "mixed", or None where no run recorded it."""
    used = {r["bf16"] for r in runs if "bf16" in r}
    return None if not used else used.pop() if len(used) == 1 else "mixed"


def _budget(run: dict) -> str:
    return budget_name(run.get("budget", 1.0))


def summarize_vision(runs: list[dict], baseline: list[dict] | None = None) -> dict:
    """The summary at the largest budget of the compute ladder (`_summarize_budget`), and under
    `ladder` every budget's per-seed gaps at the full fraction and per-seed data-trend slopes, from
    which the claims' trends along the budgets are computed. A run without `budget` counts as x1.
    `baseline` holds the linear pixel classifier's runs (`dlrepro.vision.baseline`), summarised per
    fraction under `baseline` (empty if none ran)."""
    budgets = [budget_name(b) for b in sorted({float(r.get("budget", 1.0)) for r in runs})]
    per = {b: _summarize_budget([r for r in runs if _budget(r) == b]) for b in budgets}
    summary = dict(per[budgets[-1]], budget=budgets[-1], budgets=budgets)
    summary["ladder"] = {b: {k: p[k] for k in ("gap_by_seed", "slope_by_seed") if k in p} for b, p in per.items()}
    summary["baseline"] = _baseline_stats(baseline or [])
    return summary


def _baseline_stats(runs: list[dict]) -> dict:
    """The linear pixel baseline per fraction: test accuracy, seconds and training FLOPs (mean and 95% CI
    over seeds), its weights, forward FLOPs per image and the chosen L2 per seed."""
    stats = {}
    for frac in sorted({r["fraction"] for r in runs}):
        rs = sorted((r for r in runs if r["fraction"] == frac), key=lambda r: r["seed"])
        stats[str(frac)] = {
            "test_accuracy": mean_ci(r["test_accuracy"] for r in rs),
            "seconds": mean_ci(r["seconds"] for r in rs),
            "train_flops": mean_ci(r["train_flops"] for r in rs),
            "parameters": rs[0]["parameters"],
            "flops_per_image": rs[0]["flops_per_image"],
            "l2_by_seed": {str(r["seed"]): r["l2"] for r in rs},
            "recipe": rs[0]["recipe"],
        }
    return stats


def _summarize_budget(runs: list[dict]) -> dict:
    """Accuracy, cost and speed per model and fraction (mean and 95% CI over seeds), the paired
    ViT-minus-CNN gap per fraction, and its trend with the training-set size, for the runs of one budget."""
    groups = defaultdict(list)
    for r in runs:
        groups[(r["model"], r["fraction"])].append(r)
    fractions = sorted({r["fraction"] for r in runs})
    models = [m for m in ("cnn", "vit") if any(r["model"] == m for r in runs)]
    table = {}
    for (model, frac), rs in groups.items():
        table.setdefault(model, {})[str(frac)] = {
            "test_accuracy": mean_ci(r["test_accuracy"] for r in rs),
            "train_seconds": mean_ci(r["train_seconds"] for r in rs),
            "images_per_second": mean_ci(r["images_per_second"] for r in rs),
            "train_examples": int(np.mean([r["train_examples"] for r in rs])),
            "passes": float(np.mean([r["epochs"] for r in rs])),  # over this subset: the same images at every fraction
            "parameters": rs[0]["parameters"],
            "flops_per_image": rs[0]["flops_per_image"],
            "seeds": sorted(r["seed"] for r in rs),
        }
    acc = {(r["model"], r["fraction"], r["seed"]): r["test_accuracy"] for r in runs}
    seeds = sorted({r["seed"] for r in runs})
    summary = {
        "models": models,
        "fractions": fractions,
        "table": table,
        "gap": {},
        "trend": None,
        "data_status": combined_status(r["data_status"] for r in runs),
        "dataset": runs[0].get("dataset", "cifar10"),
        "n_classes": runs[0].get("n_classes", 10),
        "device": sorted({r["device"] for r in runs}),
        "test_examples": max(r["test_examples"] for r in runs),
        "bf16": _recorded_bf16(runs),
    }
    if models != ["cnn", "vit"]:
        return summary
    gaps = {
        f: {s: acc[("vit", f, s)] - acc[("cnn", f, s)] for s in seeds if ("vit", f, s) in acc and ("cnn", f, s) in acc}
        for f in fractions
    }
    summary["gap"] = {str(f): mean_ci(g.values()) for f, g in gaps.items() if g}
    full = max(fractions)
    summary["gap_by_seed"] = {str(s): g for s, g in gaps[full].items()}
    if len(fractions) >= 2:
        both = [s for s in seeds if all(s in gaps[f] for f in fractions)]
        slopes = [slope(np.log10(fractions), [gaps[f][s] for f in fractions]) for s in both]
        summary["slope_by_seed"] = {str(s): v for s, v in zip(both, slopes)}
        smallest = min(fractions)
        summary["trend"] = {
            "slope_per_decade": mean_ci(slopes),  # gap change per tenfold more training data
            "gap_change": mean_ci(gaps[full][s] - gaps[smallest][s] for s in both),
            "smallest_fraction": smallest,
            "full_fraction": full,
        }
    summary["full_fraction"] = full
    return summary


def _flops(rs: list[dict]) -> list[float]:
    """The runs' training FLOPs (each run's `train_flops`, `dlrepro.flops`)."""
    missing = sorted({f"{r['model']} fraction {r['fraction']} seed {r['seed']}" for r in rs if "train_flops" not in r})
    if missing:
        raise ValueError(
            f"vision runs without train_flops (metrics from before FLOPs were counted; rerun them): {missing}"
        )
    return [r["train_flops"] for r in rs]


def _point(panel: dict, series: str, budget: float, rs: list[dict], values) -> dict:
    """One curve point: the mean and 95% CI (0 for one seed) of `values` in percent, at the runs' mean FLOPs."""
    return stat_point(dict(panel, series=series, budget=budget), values, _flops(rs), scale=100)


def vision_curves(runs: list[dict], baseline: list[dict] | None = None) -> list[dict]:
    """The study's points against training FLOPs (`dlrepro.curves`): panel `accuracy`, each model's test
    accuracy (%) at the largest fraction, one point per budget; panel `gap`, the ViT-minus-CNN accuracy
    (points, paired by seed) at every fraction, one point per budget at the mean FLOPs of both models'
    runs. Each value is the mean and 95% CI over seeds. The linear pixel `baseline` adds one point to
    the accuracy panel, at the largest fraction and its own training FLOPs."""
    groups = defaultdict(dict)  # (budget, fraction, model) -> seed -> run
    for r in runs:
        groups[(float(r.get("budget", 1.0)), r["fraction"], r["model"])][r["seed"]] = r
    full = max(r["fraction"] for r in runs)
    base = {"study": "vision", "better": "higher"}
    accuracy = dict(base, panel="accuracy", kind="metric", metric="test accuracy (%)")
    accuracy["panel_title"] = f"Test accuracy, {100 * full:g}% of the training set"
    gap = dict(base, panel="gap", kind="gap", metric="ViT - CNN accuracy (points)")
    gap["panel_title"] = "ViT - CNN accuracy, paired by seed"
    rows = []
    for budget in sorted({b for b, _, _ in groups}):
        for model in ("cnn", "vit"):
            if rs := list(groups.get((budget, full, model), {}).values()):
                rows.append(_point(accuracy, MODEL_NAMES[model], budget, rs, [r["test_accuracy"] for r in rs]))
        for frac in sorted({f for b, f, _ in groups if b == budget}):
            cnn, vit = (groups.get((budget, frac, m), {}) for m in ("cnn", "vit"))
            if seeds := sorted(set(cnn) & set(vit)):
                diffs = [vit[s]["test_accuracy"] - cnn[s]["test_accuracy"] for s in seeds]
                both = [cnn[s] for s in seeds] + [vit[s] for s in seeds]
                rows.append(_point(gap, f"{100 * frac:g}% of the training set", budget, both, diffs))
    if linear := [r for r in baseline or [] if r["fraction"] == full]:
        rows.append(_point(accuracy, "linear on pixels", 1.0, linear, [r["test_accuracy"] for r in linear]))
    return rows
