"""The vision study end to end on the tiny config and a synthetic CIFAR-10 copy: `snakemake` on its targets."""

import json

import numpy as np
import pytest

TARGETS = [
    "results/vision/claims.json",
    "results/report/figures/vision_trend.pdf",
    "results/report/figures/vision_confusion.pdf",
    "results/report/figures/vision_attention.pdf",
    "results/report/figures/vision_ladder.pdf",
]


@pytest.mark.e2e
def test_vision_study_on_the_tiny_config(tiny_run):
    work, _ = tiny_run  # the shared complete tiny run (synthetic offline data)

    claims = json.loads((work / "results/vision/claims.json").read_text())
    assert [c["id"] for c in claims] == ["vision-vit-outperforms-cnn", "vision-advantage-grows-with-data"]
    assert all(
        c["verdict"] in ("reproduced", "not reproduced", "inconclusive") and "unverified copy" in c["measured"]
        for c in claims
    )
    summary = json.loads((work / "results/vision/summary.json").read_text())
    assert summary["fractions"] == [0.5, 1.0] and summary["gap"]["1.0"]["n"] == 2
    assert summary["budgets"] == ["1", "2", "4"] and all(c["trend"]["budgets"] == [1.0, 2.0, 4.0] for c in claims)
    run = work / "results/vision/vit/frac50/budget4/seed1"
    metrics = json.loads((run / "metrics.json").read_text())
    assert (
        metrics["fraction"] == 0.5
        and metrics["budget"] == 4
        and metrics["data_status"] == "unverified copy"
        and 0 <= metrics["test_accuracy"] <= 1
    )
    assert metrics["test_examples"] == 50 and metrics["flops_per_image"] > 0 and metrics["images_per_second"] > 0
    # the budget is images drawn (tiny: 250 x 4), the same steps at every fraction, the half subset cycled more
    assert metrics["steps"] == round(1000 / 32) and metrics["train_images"] == 32 * metrics["steps"]
    assert metrics["epochs"] == pytest.approx(metrics["steps"] / (metrics["train_examples"] // 32))
    full = json.loads((work / "results/vision/vit/frac100/budget4/seed1/metrics.json").read_text())
    assert full["steps"] == metrics["steps"] and full["epochs"] < metrics["epochs"]
    # one job per model, fraction and seed trains every budget; its checkpoint (beside budget1's files) is gone
    assert not list((work / "results/vision").rglob(".checkpoint.pt")), "removed once the outputs are written"
    arrays = np.load(run / "arrays.npz")
    assert arrays["confusion"].sum() == 50 and arrays["attention_maps"].shape[1:] == (4, 4)
    values = (work / "results/report/generated/vision_values.tex").read_text()
    assert "\\visVerdictOutperforms" in values and "\\visVerdictGrows" in values and "unverified copy" in values
    for name in ("setting", "results", "trend"):
        assert "\\bottomrule" in (work / f"results/report/generated/vision_{name}.tex").read_text()
    for target in TARGETS[1:]:
        assert (work / target).read_bytes()[:4] == b"%PDF"
    assert list((work / "benchmarks-out/train_image_classifier").rglob("*.tsv"))


def _vision_on(tmp_path, data_config: dict, *config_args: str):
    from tests.conftest import REPO
    from tests.workflow.conftest import snakemake

    extra = tmp_path / "vision.yaml"
    extra.write_text(
        json.dumps({"seeds": [0], "vision": {"budgets": [1], "data": data_config}})
    )  # one budget: a data swap, not a ladder
    work = tmp_path / "work"
    targets = [*TARGETS, "results/report/generated/vision_values.tex"]
    snakemake(
        work,
        *targets,
        "--cores",
        "2",
        "--show-failed-logs",
        "--configfile",
        str(REPO / "config" / "tiny.yaml"),
        str(extra),
        *config_args,
    )
    return work


@pytest.mark.e2e
def test_vision_study_on_cifar100_by_config_only(tmp_path):
    from dlrepro.data.synthetic import write_cifar100

    write_cifar100(
        tmp_path / "data", n_train=400, n_test=100, seed=1
    )  # the real layout, the archive's members extracted
    work = _vision_on(
        tmp_path, {"dataset": "cifar100"}, "--config", f"data_dir={tmp_path / 'data'}", "data_checksums=warn"
    )
    metrics = json.loads((work / "results/vision/vit/frac100/budget1/seed0/metrics.json").read_text())
    assert metrics["dataset"] == "cifar100" and metrics["n_classes"] == 100
    arrays = np.load(work / "results/vision/cnn/frac100/budget1/seed0/arrays.npz")
    assert arrays["confusion"].shape == (100, 100), "100-class heads"
    claims = json.loads((work / "results/vision/claims.json").read_text())
    assert "on CIFAR-100" in claims[0]["metric"]
    assert "\\newcommand{\\visDataset}{CIFAR-100}" in (work / "results/report/generated/vision_values.tex").read_text()
    assert not (work / "resources" / "cifar10").exists(), "CIFAR-10 is neither fetched nor used"


@pytest.mark.e2e
def test_vision_study_on_an_image_folder_by_config_only(tmp_path):
    from dlrepro.data.synthetic import write_image_folder

    root = write_image_folder(tmp_path / "pets", classes=("cat", "dog", "owl"), n_train=20, n_test=6)
    work = _vision_on(
        tmp_path, {"dataset": "folder", "folder": {"train": str(root / "train"), "test": str(root / "test")}}
    )
    metrics = json.loads((work / "results/vision/cnn/frac100/budget1/seed0/metrics.json").read_text())
    assert metrics["dataset"] == "folder" and metrics["n_classes"] == 3 and metrics["train_examples"] == 60
    assert metrics["data_status"] == "user folder (train)"
    prov = json.loads((work / "resources/image_folder/provenance.json").read_text())
    assert prov["files"][0]["classes"] == ["cat", "dog", "owl"] and len(prov["files"][0]["manifest_sha256"]) == 64
    arrays = np.load(work / "results/vision/vit/frac100/budget1/seed0/arrays.npz")
    assert arrays["class_names"].tolist() == ["cat", "dog", "owl"] and arrays["confusion"].shape == (3, 3)
    values = (work / "results/report/generated/vision_values.tex").read_text()
    assert "no checksum is published" in values and "\\newcommand{\\visDataset}{an image folder}" in values


def test_an_incomplete_folder_config_stops_before_any_job(tmp_path):
    from tests.conftest import REPO
    from tests.workflow.conftest import snakemake

    extra = tmp_path / "vision.yaml"
    extra.write_text(json.dumps({"vision": {"data": {"dataset": "folder", "folder": {"train": "somewhere"}}}}))
    done = snakemake(
        tmp_path / "work", "-n", "--configfile", str(REPO / "config" / "tiny.yaml"), str(extra), check=False
    )
    assert done.returncode != 0 and "vision.data.folder.train and vision.data.folder.test" in done.stdout + done.stderr
