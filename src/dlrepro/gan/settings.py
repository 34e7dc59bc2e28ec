"""The settings each job of the GAN study depends on, built from the config's `gan` block.

Imported by the workflow when it parses the rules (so it imports neither torch nor NumPy): each rule
passes one of these dicts as its one settings param, and Snakemake reruns a job when its dict
changes. A dict holds exactly what its job reads, so a config change reruns only the jobs it touches:

- `run_settings`: one GAN run (a model and a seed). The data, the networks, the optimiser, the
  scoring sample sizes, `cuda_graph` and the device, and the metric classifier's architecture
  (needed to load its weights; its training settings reach the run only through the weights file).
  The BiGAN's probe and reconstruction settings only in the BiGAN's runs. No other model's run,
  no list of models, no `budgets` (the ladder reads the finished runs again: no training depends
  on it), no claim criterion. The GAN's epochs are not scaled by a budget.
- `classifier_settings`: the metric classifier (CPU only, so no device): the data, its own block,
  and the sample sizes of the FID floor it records.
- `summary_settings`: what the summary, claims and report tables read.
"""

from __future__ import annotations

from copy import deepcopy

from dlrepro.runner import canonical

__all__ = ["run_settings", "classifier_settings", "summary_settings", "EVAL_KEYS", "BIGAN_EVAL_KEYS"]

# the scoring settings of every run, and those only the BiGAN's runs read (its probe and reconstructions)
EVAL_KEYS = ("samples_per_epoch", "final_samples", "grid_samples")
BIGAN_EVAL_KEYS = ("probe_train", "probe_steps", "reconstruction_digits")


def run_settings(gan: dict, model: str) -> dict:
    """The settings of one GAN run of `model` (gan, lsgan or bigan) from the config's `gan` block.

    The seed is the run's other wildcard: every seed of a model gets the same dict. Keys: ``device``,
    ``cuda_graph``, ``data``, ``model``, ``optim``, ``eval`` (the BiGAN's probe keys only for it) and
    ``classifier`` (its ``channels`` and ``hidden``: the architecture its weights load into).
    """
    if model not in gan["models"]:
        raise ValueError(f"gan model {model!r} is not among the configured gan.models {gan['models']}")
    eval_keys = EVAL_KEYS + (BIGAN_EVAL_KEYS if model == "bigan" else ())
    return canonical(
        {
            "device": gan["device"],
            "cuda_graph": gan["cuda_graph"],
            "data": deepcopy(gan["data"]),
            "model": deepcopy(gan["model"]),
            "optim": deepcopy(gan["optim"]),
            "eval": {k: gan["eval"][k] for k in eval_keys},
            "classifier": {k: deepcopy(gan["classifier"][k]) for k in ("channels", "hidden")},
        }
    )


def classifier_settings(gan: dict) -> dict:
    """The settings of the metric classifier's job: ``data``, ``classifier`` (its whole block: seed,
    training, architecture, bf16, the accuracy it is checked against) and ``eval`` (the per-epoch and
    final sample sizes, at which it records the train-vs-test FID floor)."""
    return canonical(
        {
            "data": deepcopy(gan["data"]),
            "classifier": deepcopy(gan["classifier"]),
            "eval": {k: gan["eval"][k] for k in ("samples_per_epoch", "final_samples")},
        }
    )


def summary_settings(gan: dict) -> dict:
    """What the summary rule reads: the models (the tables' rows), the settings its table reports
    (``model``, ``optim``, ``eval``, ``classifier``), the claim criteria and the ladder's ``budgets``."""
    return canonical({k: gan[k] for k in ("models", "model", "optim", "eval", "classifier", "claims", "budgets")})
