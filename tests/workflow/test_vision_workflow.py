"""The vision study end to end on the tiny config and a synthetic CIFAR-10 copy: `snakemake` on its targets."""

import json

import numpy as np
import pytest


TARGETS = ["results/vision/claims.json", "results/report/figures/vision_trend.pdf",
           "results/report/figures/vision_confusion.pdf", "results/report/figures/vision_attention.pdf"]  # fmt: skip


@pytest.mark.e2e
def test_vision_study_on_the_tiny_config(tiny_run):
    work, _ = tiny_run  # the shared complete tiny run (synthetic offline data)

    claims = json.loads((work / "results/vision/claims.json").read_text())
    assert [c["id"] for c in claims] == ["vision-vit-outperforms-cnn", "vision-advantage-grows-with-data"]
    assert all(c["verdict"] in ("reproduced", "not reproduced", "inconclusive") and "unverified copy" in c["measured"] for c in claims)
    summary = json.loads((work / "results/vision/summary.json").read_text())
    assert summary["fractions"] == [0.5, 1.0] and summary["gap"]["1.0"]["n"] == 2
    run = work / "results/vision/vit/frac50/seed1"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["fraction"] == 0.5 and metrics["data_status"] == "unverified copy" and 0 <= metrics["test_accuracy"] <= 1
    assert metrics["test_examples"] == 50 and metrics["flops_per_image"] > 0 and metrics["images_per_second"] > 0
    assert not (run / ".checkpoint.pt").exists(), "the checkpoint is removed once the outputs are written"
    arrays = np.load(run / "arrays.npz")
    assert arrays["confusion"].sum() == 50 and arrays["attention_maps"].shape[1:] == (4, 4)
    values = (work / "results/report/generated/vision_values.tex").read_text()
    assert "\\visVerdictOutperforms" in values and "\\visVerdictGrows" in values and "unverified copy" in values
    for name in ("setting", "results", "trend"):
        assert "\\bottomrule" in (work / f"results/report/generated/vision_{name}.tex").read_text()
    for target in TARGETS[1:]:
        assert (work / target).read_bytes()[:4] == b"%PDF"
    assert list((work / "benchmarks-out/train_image_classifier").rglob("*.tsv"))
