"""One vision training run's settings, built from the config's `vision` block and the run's wildcards.

The Snakefile imports this module while it parses (so it imports neither torch nor NumPy) and passes
the dict as the rule's one settings param, ``params.run``: Snakemake reruns a job when its params
change, so each run's dict holds exactly what its result depends on and nothing else. A change of
`vision.vit.learning_rate` then retrains the ViT runs and leaves the CNN runs alone.

    run = run_settings(config["vision"], model="vit", fraction=0.1, budget=2.0)
    run["train"]["images"]  # the block's images x 2: training images drawn, at every fraction
"""

from __future__ import annotations

import copy

from dlrepro.runner import canonical

__all__ = ["MODELS", "DATA_KEYS", "run_settings", "baseline_settings", "tune_settings"]

MODELS = ("cnn", "vit")
# what a run reads of `vision.data`; the image folders reach it through the prepared cache (an input)
DATA_KEYS = ("dataset", "train_examples", "test_examples")


def run_settings(vision: dict, *, model: str, fraction: float, budget: float) -> dict:
    """The settings of the run of `model` ("cnn" | "vit") on `fraction` of the training set at `budget`.

    `vision` is the validated config block (defaults filled in by its schema). The dict holds the shared
    recipe ``train`` with its images times the budget (``images * budget``: the training images drawn,
    the same at every fraction, so a small subset is cycled more often), the fast paths ``fast``, this model's block under its own name (not the other
    model's), the data settings the run reads (``data``: `DATA_KEYS`), and the run's ``fraction``,
    ``budget`` and ``device``. No list of all fractions, budgets or models: those only name the runs.
    """
    if model not in MODELS:
        raise ValueError(f"vision model must be one of {', '.join(MODELS)}, got {model!r}")
    if fraction not in vision["fractions"]:
        raise ValueError(f"fraction {fraction!r} is not among the configured vision.fractions {vision['fractions']}")
    if budget not in vision["budgets"]:
        raise ValueError(f"budget {budget!r} is not among the configured vision.budgets {vision['budgets']}")
    budget = float(budget)
    train = copy.deepcopy(vision["train"])
    train["images"] = round(train["images"] * budget)
    return canonical(
        {
            "train": train,
            "fast": copy.deepcopy(vision["fast"]),
            model: copy.deepcopy(vision[model]),
            "data": {key: vision["data"][key] for key in DATA_KEYS},
            "fraction": fraction,
            "budget": budget,
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
    """A tuning job's settings (`dlrepro.vision.tune`, one per model): the run's settings at the base
    budget (the smallest of the ladder) on the largest fraction, and the `tune` block (grid of factors
    of the configured rate, seed, held-out share of the training images)."""
    run = run_settings(vision, model=model, fraction=max(vision["fractions"]), budget=min(vision["budgets"]))
    return canonical({**run, "tune": copy.deepcopy(vision["tune"])})
