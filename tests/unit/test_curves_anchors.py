"""The compute axis's shared pieces: curve rows (dlrepro.curves), the published reference points
(dlrepro.anchors, workflow/report/anchors.yaml), and the one-glance verdict table (dlrepro.claims)."""

import pytest
import yaml

from dlrepro.anchors import ANCHOR_FIELDS, anchors_tex, load_anchors, placement_tex
from dlrepro.claims import claim_row, claims_glance_tex
from dlrepro.curves import curve_row, main, plot_curves, read_curves, write_curves
from tests.conftest import REPO

ANCHORS = REPO / "workflow" / "report" / "anchors.yaml"


def _row(series="LSTM, context 16", budget=1.0, flops=1e9, value=3.0, **kw):
    fields = dict(
        study="sequence",
        panel="char_lm",
        panel_title="character LM",
        metric="bits per character",
        better="lower",
        kind="metric",
        series=series,
        budget=budget,
        flops=flops,
        value=value,
        ci95=0.1,
        n=2,
    )
    return curve_row(**{**fields, **kw})


def test_curve_rows_are_checked():
    with pytest.raises(ValueError, match="missing"):
        curve_row(study="x")
    with pytest.raises(ValueError, match="kind"):
        _row(kind="ratio")
    with pytest.raises(ValueError, match="FLOPs must be positive"):
        _row(flops=0)


def test_curves_round_trip_through_csv(tmp_path):
    rows = [_row(budget=b, flops=1e9 * b, value=3 - b / 10) for b in (1.0, 2.0, 4.0)]
    write_curves(tmp_path / "curves.csv", rows)
    back = read_curves(tmp_path / "curves.csv")
    assert (
        [r["flops"] for r in back] == [1e9, 2e9, 4e9] and back[0]["n"] == 2 and back[0]["series"] == rows[0]["series"]
    )


def test_every_panel_is_drawn_on_a_log_flop_axis_with_its_anchors():
    rows = [_row(budget=b, flops=1e12 * b) for b in (1.0, 2.0)]
    rows += [_row(panel="char_lm_gap", kind="gap", better="higher", series="LSTM - Transformer", value=0.2)]
    anchor = {"panel": "sequence/char_lm", "label": "nanoGPT", "value": 2.7, "flops": 7.6e12}
    fig = plot_curves({"run": rows}, [anchor])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2 and all(ax.get_xscale() == "log" for ax in axes)
    assert "FLOPs" in axes[0].get_xlabel() and any(t.get_text() == "nanoGPT" for t in axes[0].texts)
    assert not axes[1].texts, "an anchor is drawn only on the panel it names"


def test_two_results_folders_are_drawn_on_the_same_axes(tmp_path):
    for name, scale in (("cpu", 1e12), ("gpu", 1e15)):
        write_curves(tmp_path / name / "sequence" / "curves.csv", [_row(flops=scale * b, budget=b) for b in (1.0, 2.0)])
    main([str(tmp_path / "cpu"), str(tmp_path / "gpu"), "--labels", "CPU", "GPU", "--out", str(tmp_path / "out")])
    assert (tmp_path / "out" / "sequence_compute.pdf").stat().st_size > 1000


def test_the_anchors_file_is_complete_and_every_point_has_its_source_and_flops():
    anchors = load_anchors(ANCHORS)
    assert {a["panel"] for a in anchors} == {"sequence/char_lm", "vision/accuracy"}
    assert all(a["source"] and a["flops_how"] for a in anchors)
    text = anchors_tex(anchors)
    assert "airbench94" in text and "nanoGPT" in text and "\\times 10^{14}" in text


def test_a_bad_anchor_is_refused_naming_it(tmp_path):
    good = {k: 1.0 if k in ("value", "flops") else "x/y" for k in ANCHOR_FIELDS}
    path = tmp_path / "anchors.yaml"
    path.write_text(yaml.safe_dump([{**good, "id": "a"}, {**good, "id": "b", "flops": "7.6e12"}]))
    with pytest.raises(ValueError, match="'b'.*flops must be a number"):
        load_anchors(path)
    path.write_text(yaml.safe_dump([{**good, "id": "a"}, {**good, "id": "a"}]))
    with pytest.raises(ValueError, match="appears twice"):
        load_anchors(path)


def test_placement_sets_our_largest_budget_beside_the_anchors():
    rows = [_row(budget=b, flops=1e12 * b, value=3 - b / 10) for b in (1.0, 4.0)]
    anchors = [{"panel": "sequence/char_lm", "label": "nanoGPT", "value": 2.71, "flops": 8e12}]
    text = placement_tex(rows, anchors)
    assert "this run: LSTM, context 16 & 2.6" in text and "nanoGPT & 2.71" in text and " & 2 \\\\" in text


def test_the_glance_table_has_one_line_per_claim_with_verdict_number_and_trend():
    rows = [
        claim_row(
            "a", "3.2", "Transformers outperform RNNs on text.", "m", "c", "gap +0.1 +- 0.05; more", "reproduced"
        ),
        claim_row("b", "1.4", "x " * 60, "m", "c", "0.23", "inconclusive", short="Blurry but recognisable"),
    ]
    rows[0]["trend"] = {"direction": "closing", "words": "the gap closes by 1 per doubling, towards the claim"}
    text = claims_glance_tex(rows)
    assert text.count("\\\\\n") >= 2 and "\\label{tab:glance}" in text
    assert "gap +0.1 $\\pm$ 0.05 &" in text and "closing, towards the claim" in text
    assert "Blurry but recognisable" in text and "\\textbf{reproduced}" in text
