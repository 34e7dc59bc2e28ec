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


wildcard_constraints:
    seed=r"\d+",
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
