"""One vision training job's settings, built from the config's `vision` block and the job's wildcards.

The Snakefile imports this module while it parses (so it imports neither torch nor NumPy) and passes
the dict as the rule's one settings param, ``params.run``: Snakemake reruns a job when its params
change, so each job's dict holds exactly what its results depend on and nothing else. A change of
`vision.vit.learning_rate` then retrains the ViT jobs and leaves the CNN jobs alone.

    run = run_settings(config["vision"], model="vit", fraction=0.1)
    run["budgets"]  # [1.0, 2.0, 4.0]: one job trains every budget (a WSD trunk, a cool-down branch each)
    run["train"]["images"]  # the base images: a budget's run draws images x budget, at every fraction
"""

from __future__ import annotations

import copy

from dlrepro.runner import canonical

__all__ = ["MODELS", "DATA_KEYS", "run_settings", "baseline_settings", "tune_settings"]

MODELS = ("cnn", "vit")
# what a run reads of `vision.data`; the image folders reach it through the prepared cache (an input)
DATA_KEYS = ("dataset", "train_examples", "test_examples")


def run_settings(vision: dict, *, model: str, fraction: float) -> dict:
    """The settings of the ladder job of `model` ("cnn" | "vit") on `fraction` of the training set: one
    warm-up-stable-decay trunk with a cool-down branch per budget (`dlrepro.vision.wsd`).

    `vision` is the validated config block (defaults filled in by its schema). The dict holds the shared
    recipe ``train`` (its ``images`` the base budget's: a budget's run draws ``images * budget``
    training images, the same at every fraction, so a small subset is cycled more often; its
    ``warmup_fraction`` a share of the smallest budget's steps, its ``cooldown_fraction`` of each
    budget's), the fast paths ``fast``, this model's block under its own name (not the other model's),
    the data settings the job reads (``data``: `DATA_KEYS`), the sorted ``budgets`` it trains, and its
    ``fraction`` and ``device``. No list of all fractions or models: those only name the jobs.
    """
    return _ladder_settings(vision, model=model, fraction=fraction, budgets=vision["budgets"])


def _ladder_settings(vision: dict, *, model: str, fraction: float, budgets) -> dict:
    if model not in MODELS:
        raise ValueError(f"vision model must be one of {', '.join(MODELS)}, got {model!r}")
    if fraction not in vision["fractions"]:
        raise ValueError(f"fraction {fraction!r} is not among the configured vision.fractions {vision['fractions']}")
    return canonical(
        {
            "train": copy.deepcopy(vision["train"]),
            "fast": copy.deepcopy(vision["fast"]),
            model: copy.deepcopy(vision[model]),
            "data": {key: vision["data"][key] for key in DATA_KEYS},
            "fraction": fraction,
            "budgets": sorted(float(b) for b in budgets),
            "device": vision["device"],
        }
    )


def baseline_settings(vision: dict, *, fraction: float) -> dict:
    """The pixel baseline's settings (`dlrepro.vision.baseline`) on `fraction` of the training set: the
    config's `vision.baseline` block, the data settings and the fraction. No budget, recipe or model:
    the linear fit is deterministic and outside the compute ladder."""
    if fraction not in vision["fractions"]:
        raise ValueError(f"fraction {fraction!r} is not among the configured vision.fractions {vision['fractions']}")
    return canonical(
        {
            "baseline": copy.deepcopy(vision["baseline"]),
            "data": {key: vision["data"][key] for key in DATA_KEYS},
            "fraction": fraction,
        }
    )


def tune_settings(vision: dict, *, model: str) -> dict:
    """A tuning job's settings (`dlrepro.vision.tune`, one per model): the ladder job's settings on the
    largest fraction with the base budget alone (the smallest of the ladder: a ladder of one, whose
    warm-up is the ladder's), and the `tune` block (grid of factors of the configured rate, seed,
    held-out share of the training images). Budgets added above the base retune nothing."""
    base = [min(vision["budgets"])]
    run = _ladder_settings(vision, model=model, fraction=max(vision["fractions"]), budgets=base)
    return canonical({**run, "tune": copy.deepcopy(vision["tune"])})
