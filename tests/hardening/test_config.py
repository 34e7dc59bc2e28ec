"""Bad configurations through the real `snakemake` command line: each stops before any job starts,
with a message that names the key (and the allowed values where there is a set).

tests/workflow/test_workflow.py already covers an unknown key, an empty seed list, a bad
data_checksums value, a negative NumPy learning rate, loss_reduction outside loss_reductions and
an unknown autoencoder data set.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO
from tests.workflow.conftest import snakemake

AE_MODELS = "['basic', 'conv', 'denoising_gaussian', 'denoising_mask', 'vae']"


@pytest.mark.parametrize(
    "override,problem,key,allowed",
    [
        (*case, "")[:4]
        for case in [
            ({"seeds": "abc"}, "'abc' is not of type 'array'", "['seeds']"),
            ({"seeds": [0, -1]}, "-1 is less than the minimum of 0", "['seeds'][1]"),
            (
                {"autoencoder": {"torch_ae": {"epochs": "ten"}}},
                "'ten' is not of type 'integer'",
                "['torch_ae']['epochs']",
            ),
            (
                {"autoencoder": {"torch_ae": {"batch_size": 0}}},
                "0 is less than the minimum of 1",
                "['torch_ae']['batch_size']",
            ),
            (
                {"autoencoder": {"torch_ae": {"learning_rate": -0.001}}},
                "-0.001 is less than or equal to the minimum of 0",
                "['torch_ae']['learning_rate']",
            ),
            (
                {"autoencoder": {"numpy_ae": {"epochs": 0}}},
                "0 is less than the minimum of 1",
                "['numpy_ae']['epochs']",
            ),
            (
                {"autoencoder": {"torch_ae": {"models": ["transformer"]}}},
                f"'transformer' is not one of {AE_MODELS}",
                "['torch_ae']['models'][0]",
            ),
            ({"download": {"retries": 0}}, "0 is less than the minimum of 1", "['download']['retries']"),
            (
                {"idx_datasets": {"my digits|x": {"base_urls": ["https://example.org/"], "md5": {}}}},
                "'my digits|x' does not match '^[a-z][a-z0-9_]*$'",
                "['idx_datasets']",
            ),
            (
                {"idx_datasets": {"kmnist": {"base_urls": ["example.org/kmnist/"], "md5": {}}}},
                "'example.org/kmnist/' does not match '^https?://'",
                "['idx_datasets']['kmnist']['base_urls'][0]",
            ),
            # the schema excerpt in the message lists the allowed values
            ({"data_checksums": 1}, "1 is not of type 'string'", "['data_checksums']", "'enum': ['strict', 'warn']"),
            ({"vision": {"fast": {"bf16": "yes"}}}, "'yes' is not one of [True, False, 'auto']", "['fast']['bf16']"),
        ]
    ],
    ids=[
        "seeds-wrong-type",
        "seed-negative",
        "epochs-wrong-type",
        "batch-size-0",
        "torch-lr-negative",
        "numpy-epochs-0",
        "unknown-ae-model",
        "retries-0",
        "idx-name-not-a-wildcard-value",
        "idx-url-without-scheme",
        "checksums-wrong-type",
        "bf16-not-true-false-or-auto",
    ],
)
def test_bad_config_stops_before_any_job_naming_key_and_allowed_values(tmp_path, override, problem, key, allowed):
    empty = tmp_path / "no-data"
    empty.mkdir()
    extra = tmp_path / "bad.yaml"
    extra.write_text(json.dumps({**override, "data_dir": str(empty)}))  # JSON is YAML
    work = tmp_path / "work"
    # a real run (not -n): had validation passed, the download job would start and write logs/
    done = snakemake(
        work,
        "--cores",
        "1",
        "resources/mnist/provenance.json",
        "--configfile",
        str(REPO / "config" / "config.yaml"),
        str(extra),
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Error validating config file" in out and problem in out, out[-3000:]
    assert f"On instance{key}" in out, f"the message must name the key {key}"
    assert allowed in out
    assert not any((work / d).exists() for d in ("logs", "resources", "results")), "no job may start"


def test_numbers_given_on_the_command_line_inside_a_mapping_arrive_as_strings(tmp_path):
    """Snakemake parses `--config key={'a': 0}` into {'a': '0'}: the error names the key but calls 0 a
    string. Users should put nested numbers in a YAML file (--configfile), as the tests above do."""
    done = snakemake(tmp_path, "-n", "--config", "download={'retries': 0}", check=False)
    out = done.stdout + done.stderr
    assert (
        done.returncode != 0 and "'0' is not of type 'integer'" in out and "On instance['download']['retries']" in out
    )
