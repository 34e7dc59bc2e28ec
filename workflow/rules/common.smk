# Config loading and validation, wildcard constraints, and the small functions rules share.
import os
import sys

from snakemake.utils import validate

# the package comes from this checkout, whether or not it was pip-installed, for the workflow
# itself and for its jobs (also those in the conda environments of envs/)
_SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, _SRC)

from dlrepro.data.sources import DATASETS
from dlrepro.environ import prepend_pythonpath, resolve_data_dir

prepend_pythonpath(_SRC)

validate(config, schema="../schemas/config.schema.yaml")

AE = config["autoencoder"]
if AE["numpy_ae"]["loss_reduction"] not in AE["numpy_ae"]["loss_reductions"]:
    raise ValueError(
        f"autoencoder.numpy_ae.loss_reduction={AE['numpy_ae']['loss_reduction']!r} must be one of "
        f"autoencoder.numpy_ae.loss_reductions={AE['numpy_ae']['loss_reductions']}"
    )

# where data comes from: the config key wins over $DLREPRO_DATA_DIR; "" means download
DATA_DIR = resolve_data_dir(config["data_dir"])
SEEDS = config["seeds"]


TORCH_AE = AE["torch_ae"]
if TORCH_AE["code_size"] not in TORCH_AE["code_sizes"]:
    raise ValueError(
        f"autoencoder.torch_ae.code_size={TORCH_AE['code_size']} must be one of "
        f"autoencoder.torch_ae.code_sizes={TORCH_AE['code_sizes']}"
    )


wildcard_constraints:
    seed=r"\d+",
    code=r"\d+",
    model="|".join(TORCH_AE["models"]),
    reduction="|".join(AE["numpy_ae"]["loss_reductions"]),
    dataset="|".join(DATASETS),


def fetch_params():
    """The data source settings every download rule receives."""
    return {
        "data_dir": DATA_DIR,
        "checksums": config["data_checksums"],
        **config["download"],
    }


def raw_files(wildcards):
    """The raw files a data set's download rule produces (input of its prepare rule)."""
    return getattr(rules, f"download_{wildcards.dataset}").output


def numpy_ae_params(wildcards):
    """The NumPy autoencoder's settings for one loss reading (the reading is the wildcard)."""
    settings = {k: v for k, v in AE["numpy_ae"].items() if k != "loss_reductions"}
    settings["loss_reduction"] = wildcards.reduction
    return settings


def numpy_ae_runs(name):
    """One file `name` per loss reading and seed."""
    return expand(
        "results/autoencoder/numpy_ae/{reduction}/seed{seed}/{name}",
        reduction=AE["numpy_ae"]["loss_reductions"],
        seed=SEEDS,
        name=name,
    )


def torch_ae_settings():
    """The training settings the torch autoencoders share (the rest of the block picks runs)."""
    picks = ("models", "code_size", "code_sizes", "vae_code_size")
    return {k: v for k, v in TORCH_AE.items() if k not in picks}


def numpy_ae_tuned_settings():
    """The paper's architecture and init, trained with Adam on the per-pixel mean MSE."""
    paper = AE["numpy_ae"]
    return {
        "hidden_dim": paper["hidden_dim"],
        "init_std": paper["init_std"],
        "optimizer": "adam",
        "loss_reduction": "mean",
        "snapshot_every": 1000,
        **AE["numpy_ae_tuned"],
    }


def torch_ae_code_sizes(model):
    """Code sizes a model is trained at: the whole curve for basic and conv, one size otherwise."""
    if model in ("basic", "conv"):
        return TORCH_AE["code_sizes"]
    return [TORCH_AE["vae_code_size"] if model == "vae" else TORCH_AE["code_size"]]


def torch_ae_runs(name):
    """One file `name` per configured torch model, code size and seed."""
    return [
        f"results/autoencoder/{model}/code{code}/seed{seed}/{name}"
        for model in TORCH_AE["models"]
        for code in torch_ae_code_sizes(model)
        for seed in SEEDS
    ]
