# Config loading and validation, wildcard constraints, and the small functions rules share.
import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# the package comes from this checkout, whether or not it was pip-installed, for the workflow
# itself and for its jobs (also those in the conda environments of envs/)
_SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, _SRC)

from dlrepro.config_errors import validation_summary
from dlrepro.data.sources import DATASETS, IDX_FILES, IDX_IMAGE_SETS
from dlrepro.environ import prepend_pythonpath, resolve_data_dir, use_matplotlibrc
from dlrepro.ladder import budget_name
from dlrepro.malloc import set_job_environment

prepend_pythonpath(_SRC)
# one matplotlib style for every figure job (fonts embedded as TrueType, no display)
use_matplotlibrc(os.path.join(workflow.basedir, "workflow", "matplotlibrc"))
# glibc keeps freed memory in each job instead of unmapping it: the NumPy steps ran 2x faster without
# the page faults (src/dlrepro/malloc.py); a setting already in the environment wins
set_job_environment()


def validate_config(section: str, schema: str) -> None:
    """`validate` of config[section] (the whole config for ""), with a short message on failure."""
    try:
        validate(config[section] if section else config, schema=schema)
    except WorkflowError as err:
        summary = validation_summary(
            err,
            section=section,
            schema_file=os.path.normpath(os.path.join("workflow/rules", schema)),
        )
        if summary is None:
            raise
        raise WorkflowError(summary) from None


validate_config("", "../schemas/config.schema.yaml")

# image sets in MNIST's layout: the built-in ones, and those the config declares
IDX_SETS = {name: None for name in IDX_IMAGE_SETS}
for _name, _spec in config["idx_datasets"].items():
    if _name in DATASETS:
        raise ValueError(
            f"idx_datasets.{_name}: the name of a built-in data set; choose another"
        )
    IDX_SETS[_name] = _spec
ALL_DATASETS = [*DATASETS, *IDX_SETS]


def idx_set_files(key, name):
    """The cache and provenance of the IDX image set `name` chosen by config key `key` (refused before any
    job if it is not one)."""
    if name not in IDX_SETS:
        raise ValueError(
            f"{key}={name!r} is not an IDX image set; "
            f"allowed: {', '.join(IDX_SETS)} (declare more under idx_datasets)"
        )
    return f"resources/{name}/{name}.npz", f"resources/{name}/provenance.json"


AE = config["autoencoder"]
AE_DATASET = AE["data"]["dataset"]
AE_CACHE, AE_PROVENANCE = idx_set_files("autoencoder.data.dataset", AE_DATASET)
if AE["numpy_ae"]["loss_reduction"] not in AE["numpy_ae"]["loss_reductions"]:
    raise ValueError(
        f"autoencoder.numpy_ae.loss_reduction={AE['numpy_ae']['loss_reduction']!r} must be one of "
        f"autoencoder.numpy_ae.loss_reductions={AE['numpy_ae']['loss_reductions']}"
    )

# what the report needs from each study: its figures and generated tables (REPORT_INPUTS) and its
# claims-vs-evidence rows (CLAIMS, one JSON list per study); each study's .smk file appends to them
REPORT_INPUTS = []
CLAIMS = []

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
    dataset="|".join(ALL_DATASETS),


def per_attempt(minutes):
    """A training rule's time limit (`runtime`, minutes) that grows with each retry: a job a cluster killed
    at its limit is resubmitted (the SLURM profile's `retries`) with `minutes * attempt` and resumes
    from its checkpoint. Local runs ignore `runtime`."""
    return lambda wildcards, attempt: minutes * attempt


def fetch_params():
    """The data source settings every download rule receives."""
    return {
        "data_dir": DATA_DIR,
        "checksums": config["data_checksums"],
        **config["download"],
    }


def raw_files(wildcards):
    """The raw files a data set's download rule produces (input of its prepare rule)."""
    if wildcards.dataset in IDX_SETS:
        return expand(
            "resources/{dataset}/{name}", dataset=wildcards.dataset, name=IDX_FILES
        )
    return getattr(rules, f"download_{wildcards.dataset}").output


def idx_dataset_spec(wildcards):
    """A declared IDX set's URLs and checksums (None for a built-in one)."""
    return IDX_SETS[wildcards.dataset]


def cache_format(wildcards):
    return "idx_images" if wildcards.dataset in IDX_SETS else wildcards.dataset


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


def torch_ae_code_size(model):
    """The code size a model is compared at (the VAE has its own latent size)."""
    return TORCH_AE["vae_code_size"] if model == "vae" else TORCH_AE["code_size"]


def torch_ae_code_sizes(model):
    """Code sizes a model is trained at: the whole curve for basic and conv, one size otherwise."""
    if model in ("basic", "conv"):
        return TORCH_AE["code_sizes"]
    return [torch_ae_code_size(model)]


def torch_ae_runs(name):
    """One file `name` per configured torch model, code size and seed."""
    return [
        f"results/autoencoder/{model}/code{code}/seed{seed}/{name}"
        for model in TORCH_AE["models"]
        for code in torch_ae_code_sizes(model)
        for seed in SEEDS
    ]


def used_provenance():
    """The provenance record of every data set some rule of this run reads (for the report's data table)."""
    found = {
        str(f)
        for r in workflow.rules
        for f in r.input
        if isinstance(f, str)
        and f.startswith("resources")
        and os.path.basename(f) == "provenance.json"
        and "{" not in f
    }
    return sorted(found)


def config_name():
    """Which config files made this run (the default, or those given with --configfile)."""
    given = [
        os.path.relpath(p, workflow.basedir) for p in workflow.overwrite_configfiles
    ]
    return ", ".join(given) if given else "config/config.yaml"


onstart:
    # a results folder that is a file, or a read-only one, stops the run before any job, with its name
    from dlrepro.guards import check_output_dirs

    check_output_dirs("resources", "results", "logs", "benchmarks-out")
