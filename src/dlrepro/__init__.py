"""dlrepro: reproduce a deep-learning survey end to end from public data.

The package holds everything that computes. Each study is a subpackage with the same
core modules (models, training, study, report, plots): `dlrepro.autoencoder`,
`dlrepro.gan`, `dlrepro.sequence`, `dlrepro.vision`. The shared modules serve all of
them and name none: data download, verification and caching (`dlrepro.data`),
metrics, report and claims formatting, plotting, checkpoints. Importing it does
nothing; the Snakemake workflow in `workflow/` calls it through thin scripts
(`workflow/scripts/<study>/<verb>.py`); docs/architecture.md has the map.
"""

__version__ = "0.1.0"
