"""Learning-rate tuning of the vision study's models (`dlrepro.tuning`, rule `tune_vision_lr`, per model):
one run per rate of the grid at the base budget alone (a ladder of one budget, under the ladder's
warm-up-stable-decay schedule), on the largest fraction less a seeded `val_fraction` of its images,
scored by its accuracy on those held-out training images. The test images are not given
to a tuning run (they are replaced by the held-out ones before training starts).
"""

from __future__ import annotations

from dlrepro.tuning import sweep

__all__ = ["validation_data", "tune_job"]


def validation_data(data: dict, fraction: float, seed: int) -> dict:
    """`data` with a seeded `fraction` of its training images held out in place of the test images."""
    from dlrepro.vision.baseline import held_out

    fit, val = held_out(len(data["y_train"]), fraction, seed)
    x, y = data["x_train"], data["y_train"]
    return {**data, "x_train": x[fit], "y_train": y[fit], "x_test": x[val], "y_test": y[val]}


def tune_job(job) -> dict:
    """The `tune_vision_lr` rule: the held-out accuracy of the job's model at every rate of the grid."""
    from dlrepro.vision.study import MODEL_NAMES, load_vision_data, run_vision

    run, kind = job.run, job.wildcards.vis_model
    tune = run["tune"]
    data = load_vision_data(job.input.cache, fraction=run["fraction"], seed=tune["seed"], **run["data"])
    data = validation_data(data, tune["val_fraction"], tune["seed"])
    status = job.data_status()

    def held_out_accuracy(settings: dict) -> float:
        ((metrics, _, _),) = run_vision(data, kind, settings, seed=tune["seed"], data_status=status, device=job.device)
        return metrics["test_accuracy"]  # on the held-out training images

    describe = {"study": "vision", "label": MODEL_NAMES[kind], "seed": tune["seed"]}
    record = sweep(run, [kind, "learning_rate"], held_out_accuracy, metric="accuracy", better="higher", **describe)
    return {"learning_rate": record}
