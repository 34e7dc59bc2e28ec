"""dlrepro: reproduce a deep-learning survey end to end from public data.

The package holds everything that computes: data download and caching
(`dlrepro.data`), models (`dlrepro.models`), training loops, metrics,
plotting and report values. Importing it does nothing; the Snakemake
workflow in `workflow/` calls it through thin scripts.
"""

__version__ = "0.1.0"
