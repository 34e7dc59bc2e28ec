"""The short message a bad config gets (dlrepro.config_errors), from Snakemake's own validation error."""

import copy

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from dlrepro.config_errors import validation_summary
from tests.conftest import REPO

SCHEMAS = REPO / "workflow" / "schemas"


def _summary(section: str, change) -> str:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    change(config)
    data, schema = (
        (config[section], SCHEMAS / f"{section}.schema.yaml") if section else (config, SCHEMAS / "config.schema.yaml")
    )
    with pytest.raises(WorkflowError) as caught:
        validate(copy.deepcopy(data), schema=str(schema))
    text = validation_summary(caught.value, section=section, schema_file="workflow/schemas/x.schema.yaml")
    assert text is not None and text.startswith("Error validating config file: ")
    assert text.endswith("every key, its type and allowed values: workflow/schemas/x.schema.yaml")
    assert len(text.splitlines()) <= 4
    return text


def test_an_unknown_top_level_key_lists_the_keys_allowed_there():
    text = _summary("", lambda c: c.update(data_dri="x"))
    assert "'data_dri' was unexpected" in text and "at the top level of the config" in text
    assert "keys allowed here: seeds, data_dir, data_checksums" in text


def test_a_bad_value_names_its_path_and_shows_the_allowed_values():
    text = _summary("", lambda c: c.update(data_checksums="wran"))
    assert (
        "at data_checksums (On instance['data_checksums'] of the config)" in text
        and "'enum': ['strict', 'warn']" in text
    )
    text = _summary("autoencoder", lambda c: c["autoencoder"]["torch_ae"].update(models=["basic", "transformer"]))
    assert "at autoencoder.torch_ae.models.1 (On instance['torch_ae']['models'][1] of config['autoencoder'])" in text


def test_a_study_block_is_named_as_its_section():
    text = _summary("vision", lambda c: c["vision"]["fast"].update(bf16="yes"))
    assert "at vision.fast.bf16 (On instance['fast']['bf16'] of config['vision'])" in text and "'auto'" in text


@pytest.mark.parametrize(
    "change,expect",
    [
        (lambda c: c.update(seeds=[]), "should be non-empty"),
        (lambda c: c.update(seeds=[1, 1]), "non-unique elements"),
        (lambda c: c.update(idx_datasets=5), "expected there: object"),  # a large schema without properties
        (lambda c: c.update(idx_datasets={"Bad Name": {"base_urls": ["https://x/"], "md5": {}}}), "does not match"),
    ],
    ids=["min-items", "unique-items", "wrong-type-of-a-mapping", "property-name-pattern"],
)
def test_other_kinds_of_violation_give_a_short_message(change, expect):
    assert expect in _summary("", change)


def test_an_error_without_a_validation_cause_is_left_alone():
    assert validation_summary(WorkflowError("something else"), section="", schema_file="s") is None
