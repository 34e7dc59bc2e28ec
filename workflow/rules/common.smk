# Config loading and validation, wildcard constraints, and the small functions rules share.
import os

from snakemake.utils import validate

from dlrepro.data.sources import DATASETS


validate(config, schema="../schemas/config.schema.yaml")

AE = config["autoencoder"]
if AE["numpy_ae"]["loss_reduction"] not in AE["numpy_ae"]["loss_reductions"]:
    raise ValueError(
        f"autoencoder.numpy_ae.loss_reduction={AE['numpy_ae']['loss_reduction']!r} must be one of "
        f"autoencoder.numpy_ae.loss_reductions={AE['numpy_ae']['loss_reductions']}"
    )

# where data comes from: the config key wins over the environment variable
DATA_DIR = config["data_dir"] or os.environ.get("DLREPRO_DATA_DIR", "")
if DATA_DIR and not os.path.isdir(DATA_DIR):
    raise ValueError(f"data_dir={DATA_DIR!r} is not a directory")
SEEDS = config["seeds"]


wildcard_constraints:
    seed=r"\d+",
    reduction="|".join(AE["numpy_ae"]["loss_reductions"]),
    dataset="|".join(DATASETS),


def fetch_params():
    """The data source settings every download rule receives."""
    return {
        "data_dir": os.path.abspath(DATA_DIR) if DATA_DIR else "",
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
