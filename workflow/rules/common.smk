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


# what the report needs from each study: its figures and generated tables (REPORT_INPUTS), its
# claims-vs-evidence rows (CLAIMS, one JSON list per study) and its compute curves (CURVES); each
# study's .smk file appends to them
REPORT_INPUTS = []
CLAIMS = []
# each study's metric- and gap-vs-FLOPs points (results/<study>/curves.csv, dlrepro.curves), for the
# appendix that sets them beside the published reference points (workflow/report/anchors.yaml)
CURVES = []
# each tuned model's learning-rate sweep (dlrepro.tuning: results/<study>/tuning/...json), drawn and
# listed in the report's appendix; empty where every study's tune is false
TUNING = []

# where data comes from: the config key wins over $DLREPRO_DATA_DIR; "" means download
DATA_DIR = resolve_data_dir(config["data_dir"])
SEEDS = config["seeds"]


wildcard_constraints:
    seed=r"\d+",
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
