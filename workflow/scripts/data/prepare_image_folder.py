"""Turn the configured ImageFolder trees into the vision study's CIFAR-shaped cache, with its provenance."""

from pathlib import Path

from dlrepro.data.folders import manifest_sha256, read_image_folder
from dlrepro.data.prepare import write_cache
from dlrepro.io import log_header, setup_logging, write_json

setup_logging(snakemake.log[0])
train, test = snakemake.input.train, snakemake.input.test
log_header(train=train, test=test)
arrays = read_image_folder(train, test)
write_cache(arrays, snakemake.output.cache)
write_json(
    snakemake.output.provenance,
    {
        "dataset": "image_folder",
        "description": f"ImageFolder trees {train} and {test}",
        "mode": "offline",
        "data_dir": str(Path(train).resolve().parent),
        "checksums": "none published",
        "status": f"user folder ({Path(train).name})",
        "files": [
            {
                "name": "image folder",
                "source": str(Path(train).resolve()),
                "status": f"user folder ({Path(train).name})",
                "manifest_sha256": manifest_sha256(train, test),
                "images": {"train": len(arrays["y_train"]), "test": len(arrays["y_test"])},
                "classes": arrays["class_names"].tolist(),
            }
        ],
    },
)
