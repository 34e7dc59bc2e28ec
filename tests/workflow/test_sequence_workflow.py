"""The sequence study end to end on the tiny config and synthetic data, and on a CSV chosen by config."""

import csv
import json

import pytest

from tests.conftest import REPO
from tests.workflow.conftest import snakemake

VERDICTS = {"reproduced", "not reproduced", "inconclusive"}


@pytest.mark.e2e
def test_sequence_study_on_the_tiny_config(tiny_run):
    work, _ = tiny_run  # the shared complete tiny run (synthetic offline data)

    claims = json.loads((work / "results/sequence/claims.json").read_text())
    assert [c["id"] for c in claims] == [
        "seq-outperform-sentiment",
        "seq-outperform-charlm",
        "seq-longer-context",
        "seq-parallel",
        "seq-train-efficiently",
    ]
    assert all(c["verdict"] in VERDICTS and c["section"] == "3.2" and c["measured"] for c in claims)
    summary = json.loads((work / "results/sequence/summary.json").read_text())
    assert (
        set(summary["sentiment"]) == {"lstm", "transformer"} and summary["sentiment"]["lstm"]["test_accuracy"]["n"] == 2
    )
    assert all(0 <= s["test_accuracy"]["mean"] <= 1 for s in summary["sentiment"].values())
    assert (
        summary["char_lm"]["contexts"] == [8, 16]
        and 0 < summary["char_lm"]["models"]["transformer"]["contexts"]["16"]["test_bpc"]["mean"] < 8
    )
    assert set(summary["throughput"]["models"]["lstm"]) == {"8", "32"}
    assert summary["data_status"] == ["unverified copy"], "synthetic data cannot match the published checksums"
    values = (work / "results/report/generated/seq_values.tex").read_text()
    assert "\\newcommand{\\seqVerdictSentiment}" in values and "\\newcommand{\\seqAccTransformer}{0." in values
    assert "\\begin{verbatim}" in (work / "results/report/generated/seq_samples.tex").read_text()
    assert all(c["trend"]["budgets"] == [1.0, 2.0, 4.0] for c in claims if c["id"] != "seq-parallel"), (
        "a trend along the tiny ladder"
    )
    assert claims[3]["trend"]["axis"] == "the sequence length"
    assert summary["lm_steps"] == 32 and sorted(summary["lm_ladder"]) == ["1", "2", "4"], (
        "the tables read x4 of 8 steps"
    )
    for figure in ("seq_accuracy", "seq_bpc_context", "seq_throughput", "seq_learning_curves", "seq_ladder"):
        assert (work / "results/report/figures" / f"{figure}.pdf").stat().st_size > 1000
    assert not list((work / "results/sequence").rglob(".checkpoint.pt")), (
        "checkpoints are removed after the outputs are written"
    )
    log = (work / "logs/train_sequence_classifier/lstm/seed0.log").read_text()  # one job trains the whole ladder
    assert log.count("val_acc") >= 1 and "x4: cool-down" in log
    assert list((work / "benchmarks-out/train_char_language_model").rglob("*.tsv"))


@pytest.mark.e2e
def test_sentiment_task_on_any_csv_by_config_only(tmp_path):
    path = tmp_path / "reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "review", "verdict"])
        for i in range(80):
            words = "loved it , wonderful acting" if i % 2 else "hated it , awful plot"
            writer.writerow([i, f"{words} {i}", "thumbs up" if i % 2 else "thumbs down"])
    extra = tmp_path / "csv.yaml"
    extra.write_text(
        json.dumps(
            {
                "sequence": {
                    "sentiment": {
                        "data": {
                            "source": "csv",
                            "csv": {"path": str(path), "text_column": "review", "label_column": "verdict"},
                        }
                    }
                }
            }
        )
    )
    work = tmp_path / "work"
    snakemake(
        work,
        "results/sequence/sentiment/transformer/budget1/seed0/metrics.json",
        "--cores",
        "2",
        "--show-failed-logs",
        "--configfile",
        str(REPO / "config" / "tiny.yaml"),
        str(extra),
    )
    metrics = json.loads((work / "results/sequence/sentiment/transformer/budget1/seed0/metrics.json").read_text())
    assert metrics["classes"] == ["thumbs down", "thumbs up"] and metrics["source"] == "csv"
    assert metrics["train_examples"] + metrics["val_examples"] + metrics["test_examples"] == 80
    assert metrics["data_status"] == "user CSV (reviews.csv)"
    assert not (work / "resources" / "rt_polarity").exists(), "a CSV source needs no download"


@pytest.mark.e2e
def test_char_lm_on_any_text_file_by_config_only(tmp_path):
    path = tmp_path / "poems.txt"
    verse = "Über die Brücke geht der Fluss, und die Möwe singt. "  # non-ASCII: characters, not bytes
    path.write_text(verse * 80 + "Ω!", encoding="utf-8")  # Ω and ! occur only in the held-out tail
    extra = tmp_path / "text.yaml"
    extra.write_text(json.dumps({"sequence": {"char_lm": {"data": {"source": "file", "path": str(path)}}}}))
    work = tmp_path / "work"
    run = "results/sequence/char_lm/lstm/ctx16/budget2/seed0/"
    snakemake(
        work,
        run + "metrics.json",
        "--cores",
        "2",
        "--show-failed-logs",
        "--configfile",
        str(REPO / "config" / "tiny.yaml"),
        str(extra),
    )
    metrics = json.loads((work / run / "metrics.json").read_text())
    assert metrics["data_status"] == "user file (poems.txt)" and metrics["source"] == "poems.txt"
    assert metrics["train_chars"] + metrics["test_chars"] == len(path.read_text(encoding="utf-8"))
    assert metrics["unknown_test_chars"] == 2 and metrics["alphabet_size"] == len(set(verse))
    assert 0 < metrics["test_bpc"] < 10
    assert not (work / "resources" / "tiny_shakespeare").exists(), "a text file source needs no download"


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        (b"", "has 0 characters"),
        (b"abc\x00def" * 100, "NUL bytes"),
        (b"\xff\xfe not utf-8" * 100, "not UTF-8"),
        (b"short" * 10, "has 50 characters; the longest context (16) with test_fraction 0.2 needs at least 85"),
    ],
    ids=["missing", "empty", "binary", "latin", "too-short"],
)
def test_a_bad_text_file_stops_the_run_before_any_job_naming_key_and_file(tmp_path, content, message):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_bytes(content)
    extra = tmp_path / "text.yaml"
    extra.write_text(json.dumps({"sequence": {"char_lm": {"data": {"source": "file", "path": str(path)}}}}))
    work = tmp_path / "work"
    result = snakemake(work, "-n", "--configfile", str(REPO / "config" / "tiny.yaml"), str(extra), check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and message in out and "sequence.char_lm.data.path" in out and str(path) in out, out[
        -2000:
    ]
