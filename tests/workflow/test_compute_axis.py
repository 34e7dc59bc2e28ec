"""The compute axis in a finished tiny run: every training run's counted FLOPs, each ladder study's curves on
that axis, the anchors beside them in the appendix, and the one-glance verdict table."""

import json

import pytest

from dlrepro.curves import read_curves


@pytest.mark.e2e
def test_every_training_run_records_its_counted_training_flops(tiny_run):
    work, _ = tiny_run
    runs = [
        p
        for p in (work / "results").rglob("metrics.json")
        if "baselines" not in p.parts  # the mean-image and PCA baselines are fitted, not trained
    ]
    assert len(runs) > 50
    missing = [str(p.relative_to(work)) for p in runs if not json.loads(p.read_text()).get("train_flops", 0) > 0]
    assert not missing, missing


@pytest.mark.e2e
@pytest.mark.parametrize("study,panels", [("vision", {"accuracy", "gap"}), ("sequence", {"char_lm", "sentiment"})])
def test_a_ladder_study_writes_its_points_on_the_flop_axis(tiny_run, study, panels):
    work, _ = tiny_run
    rows = read_curves(work / "results" / study / "curves.csv")
    assert panels <= {r["panel"] for r in rows}
    for panel in panels:  # a model's FLOPs grow with its budget
        for series in {r["series"] for r in rows if r["panel"] == panel and r["kind"] == "metric"}:
            points = sorted((r["budget"], r["flops"]) for r in rows if r["panel"] == panel and r["series"] == series)
            assert [f for _, f in points] == sorted(f for _, f in points), (panel, series, points)


@pytest.mark.e2e
def test_the_report_sets_this_run_beside_the_published_points_and_opens_with_the_glance_table(tiny_run):
    work, _ = tiny_run
    generated = work / "results" / "report" / "generated"
    placement = (generated / "placement.tex").read_text()
    assert "this run:" in placement and "nanoGPT CPU config" in placement and "airbench94" in placement
    assert "kentaroy47" in (generated / "anchors.tex").read_text()
    glance = (generated / "claims_glance.tex").read_text()
    claims = [
        row
        for s in ("autoencoder", "gan", "sequence", "vision")
        for row in json.loads((work / "results" / s / "claims.json").read_text())
    ]
    assert glance.count("\\S") == len(claims)
