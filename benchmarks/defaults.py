"""Not a benchmark: the benchmark scripts read the settings they time from here, config/config.yaml with its
schemas' defaults (the one home of the defaults: the config dataclasses have none), and build the recipe
with the study's own settings functions, as the workflow does. Each script is run directly, so its folder
is on the import path: `from defaults import study_defaults` (benchmarks/gpu/ puts benchmarks/ there first).
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def study_defaults(study: str) -> dict:
    """config/config.yaml's `study` block (autoencoder, gan, sequence or vision) as the workflow reads it:
    completed by the defaults of workflow/schemas/<study>.schema.yaml."""
    import yaml
    from snakemake.utils import validate

    block = yaml.safe_load((REPO / "config" / "config.yaml").read_text())[study]
    validate(block, str(REPO / "workflow" / "schemas" / f"{study}.schema.yaml"))
    return block
