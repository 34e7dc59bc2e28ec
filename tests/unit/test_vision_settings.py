"""The vision study's per-job settings (dlrepro.vision.settings) and its ladder job run through dlrepro.runner."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from dlrepro.io import write_json
from dlrepro.runner import run_job
from dlrepro.vision.settings import run_settings
from dlrepro.vision.study import load_vision_data, run_vision, train_job
from tests.conftest import default_config, snakemake_job, with_setting

torch.set_num_threads(1)

# the default config's vision block with tiny data, models and runs, on the CPU, the fast paths off
_VISION = default_config()["vision"]
VIS = {
    **_VISION,
    "device": "cpu",
    "fractions": [0.5, 1.0],
    "data": {**_VISION["data"], "train_examples": 64, "test_examples": 20},
    "train": {**_VISION["train"], "images": 64, "batch_size": 16, "eval_examples": 0, "eval_batch_size": 32},
    "fast": {**_VISION["fast"], "bf16": False, "channels_last": False},
    "cnn": {**_VISION["cnn"], "widths": [4, 8], "blocks": [1, 1]},
    "vit": {**_VISION["vit"], "patch_size": 8, "dim": 16, "depth": 1, "heads": 2},
}
# one ladder job per model and fraction (and seed): it trains every budget
RUNS = [(m, f) for m in ("cnn", "vit") for f in VIS["fractions"]]


def _runs(block: dict, model: str | None = None) -> dict:
    return {(m, f): run_settings(block, model=m, fraction=f) for m, f in RUNS if model is None or m == model}


def test_a_ladder_job_gets_its_model_block_the_recipe_the_sorted_budgets_and_what_it_reads_of_the_data():
    run = run_settings(with_setting(VIS, "budgets", [4, 1, 2]), model="vit", fraction=0.5)
    assert set(run) == {"train", "fast", "vit", "data", "fraction", "budgets", "device"}, "no other model's block"
    assert run["train"] == VIS["train"] and run["train"]["cooldown_fraction"] == 0.2, "the base images, the WSD shares"
    assert run["vit"] == VIS["vit"] and run["fast"] == VIS["fast"]
    assert run["data"] == {"dataset": "cifar10", "train_examples": 64, "test_examples": 20}
    assert (run["fraction"], run["budgets"], run["device"]) == (0.5, [1.0, 2.0, 4.0], "cpu")
    assert all(isinstance(b, float) for b in run["budgets"]), "as the former params.budget: floats"
    assert run_settings(VIS, model="vit", fraction=1.0) == {**run, "fraction": 1.0}, "the same images"


def test_a_change_to_the_vit_leaves_every_cnn_run_unchanged_and_reaches_every_vit_run():
    for path, value in [("vit.learning_rate", 1e-3), ("vit.depth", 2), ("vit.drop_path", 0.1)]:
        changed = with_setting(VIS, path, value)
        assert _runs(changed, "cnn") == _runs(VIS, "cnn"), path
        assert all(a != b for a, b in zip(_runs(changed, "vit").values(), _runs(VIS, "vit").values())), path
    changed = with_setting(VIS, "cnn.widths", [8, 16])
    assert _runs(changed, "vit") == _runs(VIS, "vit")


def test_changing_the_budgets_reruns_every_ladder_job_but_not_the_tuning():
    from dlrepro.vision.settings import tune_settings

    changed = with_setting(VIS, "budgets", [1, 2, 4, 8])  # one trunk trains them all: each job trains on to x8
    assert all(a != b for a, b in zip(_runs(changed).values(), _runs(VIS).values()))
    tune = {**VIS, "tune": {"grid": [0.5, 2], "seed": 0, "val_fraction": 0.25}}
    assert tune_settings(with_setting(tune, "budgets", [1, 2, 4, 8]), model="vit") == tune_settings(tune, model="vit")


@pytest.mark.parametrize(
    "path, value",
    [
        ("fractions", [0.25, 0.5, 1.0]),
        ("data.folder.train", "somewhere"),  # reaches a run through the prepared cache (an input) only
    ],
)
def test_settings_that_only_name_runs_change_no_run(path, value):
    changed = with_setting(VIS, path, value)
    assert _runs(changed) == _runs(VIS), path


@pytest.mark.parametrize(
    "path, value",
    [("train.batch_size", 8), ("fast.bf16", "auto"), ("data.train_examples", 32), ("device", "auto")],
)
def test_a_shared_setting_reaches_every_run(path, value):
    changed, before = _runs(with_setting(VIS, path, value)), _runs(VIS)
    assert all(changed[k] != before[k] for k in before), path


def test_the_default_config_builds_every_run_and_a_vit_overlay_leaves_the_cnn_runs_alone():
    vision = default_config()["vision"]  # the schema's defaults filled in, as the workflow reads it
    overlay = with_setting(vision, "vit.learning_rate", vision["vit"]["learning_rate"] / 2)
    for f in vision["fractions"]:
        cnn = run_settings(vision, model="cnn", fraction=f)
        assert run_settings(overlay, model="cnn", fraction=f) == cnn
        assert "vit" not in cnn and cnn["train"]["images"] == vision["train"]["images"]
        assert cnn["budgets"] == sorted(float(b) for b in vision["budgets"])
        json.dumps(cnn)  # plain data, as Snakemake stores params


def test_settings_share_nothing_with_the_config():
    block = copy.deepcopy(VIS)
    run = run_settings(block, model="cnn", fraction=1.0)
    run["cnn"]["widths"][0] = 99
    run["train"]["images"] = 100
    run["budgets"].append(8.0)
    assert block == VIS


def test_an_unknown_model_or_fraction_is_refused():
    with pytest.raises(ValueError, match="vision model must be one of cnn, vit, got 'mlp'"):
        run_settings(VIS, model="mlp", fraction=1.0)
    with pytest.raises(ValueError, match=r"fraction 0\.1 is not among the configured vision.fractions"):
        run_settings(VIS, model="cnn", fraction=0.1)


def _cache(tmp_path: Path) -> tuple[Path, Path]:
    """A CIFAR-shaped cache of 10 classes (class = mean colour, every class in the test set) and its provenance."""
    rng = np.random.default_rng(0)
    y = np.arange(100) % 10
    x = np.clip(y[:, None, None, None] * 25 + rng.normal(0, 10, (100, 3, 32, 32)), 0, 255).astype(np.uint8)
    cache = tmp_path / "cifar10.npz"
    np.savez(cache, x_train=x[:80], y_train=y[:80], x_test=x[80:], y_test=y[80:])
    provenance = tmp_path / "provenance.json"
    write_json(provenance, {"status": "unverified copy"})
    return cache, provenance


def _smk(tmp_path: Path, run: dict, wildcards: dict):
    """The ladder job's `snakemake`: each output a list of files, one per budget (budget1/..., budget2/...)."""
    cache, provenance = _cache(tmp_path)
    names = [f"budget{b:g}" for b in run["budgets"]]
    outputs = {key: [f"{b}/{key}.{ext}" for b in names] for key, ext in (("metrics", "json"), ("history", "csv"))}
    outputs["arrays"] = [f"{b}/arrays.npz" for b in names]
    inputs = {"cache": cache, "provenance": provenance}
    return snakemake_job(
        tmp_path,
        "train_image_classifier",
        run,
        inputs=inputs,
        outputs=outputs,
        wildcards=wildcards,
        out_dir="results/run",
    )


def test_the_ladder_job_writes_each_budgets_outputs_as_the_library_computes_them(tmp_path):
    run = run_settings(VIS, model="vit", fraction=0.5)
    smk = _smk(tmp_path, run, {"vis_model": "vit", "vis_frac": "50", "seed": "1"})
    run_job(smk, train_job)
    out = tmp_path / "results" / "run"
    ladder = [json.loads((out / f"budget{b}" / "metrics.json").read_text()) for b in (1, 2, 4)]
    metrics = ladder[1]
    # 128 images drawn from the (class-balanced, about 32) images of the half subset: about four passes
    assert metrics["budget"] == 2.0 and metrics["fraction"] == 0.5
    assert metrics["steps"] == 8 and metrics["epochs"] == pytest.approx(8 / (metrics["train_examples"] // 16))
    assert metrics["train_images"] == 128 and metrics["images_budget"] == 128
    assert metrics["data_status"] == "unverified copy" and metrics["model"] == "vit" and metrics["seed"] == 1
    assert [m["budget"] for m in ladder] == [1.0, 2.0, 4.0] and [m["steps"] for m in ladder] == [4, 8, 16]
    assert not (out / "budget1" / ".checkpoint.pt").exists(), "the runner removes the checkpoint once all are written"
    assert "attention_maps" in np.load(out / "budget2" / "arrays.npz").files
    assert len((out / "budget2" / "history.csv").read_text().splitlines()) == 1 + 4, "a header and four passes"

    data = load_vision_data(smk.input.cache, fraction=0.5, seed=1, train_examples=64, test_examples=20)
    direct = run_vision(data, "vit", run, seed=1, fraction=0.5, data_status="unverified copy")
    timing = {k for k in direct[0][0] if k.endswith("seconds") or k.endswith("per_second")}
    for written, (computed, _, _) in zip(ladder, direct, strict=True):
        assert {k: v for k, v in written.items() if k not in timing} == {
            k: v for k, v in computed.items() if k not in timing
        }


def test_the_training_job_refuses_data_without_a_provenance_status(tmp_path):
    smk = _smk(tmp_path, run_settings(VIS, model="cnn", fraction=1.0), {"vis_model": "cnn", "seed": "0"})
    write_json(smk.input.provenance, {"sha256": "..."})
    with pytest.raises(ValueError, match="has no 'status'"):
        run_job(smk, train_job)


def test_every_fraction_draws_the_same_training_images(tmp_path):
    """The budget is images seen: the half subset is cycled twice as often, in as many optimizer steps."""
    steps = {}
    for frac in (0.5, 1.0):
        run = run_settings(with_setting(VIS, "budgets", [1]), model="cnn", fraction=frac)
        (tmp_path / str(frac)).mkdir()
        smk = _smk(tmp_path / str(frac), run, {"vis_model": "cnn", "seed": "0"})
        run_job(smk, train_job)
        m = json.loads((tmp_path / str(frac) / "results" / "run" / "budget1" / "metrics.json").read_text())
        steps[frac] = (m["steps"], m["train_images"], m["epochs"], m["train_examples"])
    assert steps[0.5][:2] == steps[1.0][:2] == (4, 64)
    assert steps[1.0][2:] == (1.0, 64) and steps[0.5][2] == pytest.approx(4 / (steps[0.5][3] // 16))
    assert steps[0.5][3] < 40, "about half the images, each seen about twice"


@pytest.mark.parametrize("n", [5000, 12500, 25000, 50000, 50001, 333])
@pytest.mark.parametrize("batch,images", [(128, 20000), (512, 500000), (32, 250)])
def test_every_subset_size_gets_the_budgets_optimizer_steps(n, batch, images):
    """The loop runs round(passes x (n // batch)) steps; the passes make that round(images / batch) at any n."""
    from dlrepro.vision.study import passes

    b = min(batch, n)
    assert round(passes(images, n, batch) * (n // b)) == max(1, round(images / b))
