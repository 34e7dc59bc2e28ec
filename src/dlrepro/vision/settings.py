"""One vision training run's settings, built from the config's `vision` block and the run's wildcards.

The Snakefile imports this module while it parses (so it imports neither torch nor NumPy) and passes
the dict as the rule's one settings param, ``params.run``: Snakemake reruns a job when its params
change, so each run's dict holds exactly what its result depends on and nothing else. A change of
`vision.vit.learning_rate` then retrains the ViT runs and leaves the CNN runs alone.

    run = run_settings(config["vision"], model="vit", fraction=0.1, budget=2.0)
    run["train"]["epochs"]  # the block's epochs x 2 (may be fractional)
"""

from __future__ import annotations

import copy

from dlrepro.runner import canonical

__all__ = ["MODELS", "DATA_KEYS", "run_settings"]

MODELS = ("cnn", "vit")
# what a run reads of `vision.data`; the image folders reach it through the prepared cache (an input)
DATA_KEYS = ("dataset", "train_examples", "test_examples")


def run_settings(vision: dict, *, model: str, fraction: float, budget: float) -> dict:
    """The settings of the run of `model` ("cnn" | "vit") on `fraction` of the training set at `budget`.

    `vision` is the validated config block (defaults filled in by its schema). The dict holds the shared
    recipe ``train`` with its epochs times the budget (``epochs * budget``, fractional products end the
    last pass early), the fast paths ``fast``, this model's block under its own name (not the other
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
    train["epochs"] = train["epochs"] * budget
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
