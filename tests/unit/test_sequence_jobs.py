"""The sequence study's rules as jobs of the one runner (dlrepro.runner.run_job): each writes its rule's
outputs (a ladder job one file per budget), records where its data came from and its budget, and leaves no
checkpoint behind."""

import csv
import json

import pytest
import torch
from snakemake.utils import validate

from dlrepro.runner import run_job
from dlrepro.sequence.settings import char_lm_run_settings, sentiment_run_settings, throughput_run_settings
from dlrepro.sequence.study import measure_throughput_job, train_char_lm_job, train_sentiment_job
from tests.conftest import REPO, TINY_SEQUENCE_MODEL, snakemake_job

torch.set_num_threads(1)


def _seq(**blocks) -> dict:
    """A sequence block with the schema's defaults, tiny models and the given `blocks` on top."""
    seq = {"device": "cpu", "model": dict(TINY_SEQUENCE_MODEL), **blocks}
    validate(seq, str(REPO / "workflow" / "schemas" / "sequence.schema.yaml"))
    return seq


def _per_budget(**files) -> dict:
    """A ladder job's outputs (x1 and x2), as its rule declares them: a list of files per name."""
    return {name: [f"budget{b}/{file}" for b in (1, 2)] for name, file in files.items()}


def test_a_sentiment_job_on_a_csv_file_records_its_source_status_and_budget(tmp_path):
    path = tmp_path / "reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["review", "verdict"])
        for i in range(40):
            writer.writerow(
                [("loved it, wonderful" if i % 2 else "hated it, awful") + f" {i}", "up" if i % 2 else "down"]
            )
    csv_spec = {"path": str(path), "text_column": "review", "label_column": "verdict"}
    data = {"source": "csv", "csv": csv_spec, "split": {"train": 0.6, "val": 0.2, "test": 0.2}, "min_count": 1}
    seq = _seq(sentiment={"data": data, "optim": {"epochs": 1, "batch_size": 8}})
    run = sentiment_run_settings(seq, budgets=[2, 1])
    assert run["budgets"] == [1.0, 2.0], "sorted, as the rule's lists of outputs"
    outputs = _per_budget(metrics="metrics.json", history="history.csv")
    wildcards = {"seq_model": "lstm", "seed": "0"}
    smk = snakemake_job(
        tmp_path, "train_sequence_classifier", run, inputs={"csv": path}, outputs=outputs, wildcards=wildcards
    )
    run_job(smk, train_sentiment_job)
    for budget in (1, 2):
        out = tmp_path / "out" / f"budget{budget}"
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["data_status"] == "user CSV (reviews.csv)" and metrics["source"] == "csv"
        assert metrics["budget"] == budget and metrics["epochs_run"] == budget and metrics["classes"] == ["down", "up"]
        assert (out / "history.csv").read_text().startswith("epoch,step,tokens,train_loss,val_accuracy,")
    assert not list((tmp_path / "out").rglob(".checkpoint.pt"))


def test_a_language_model_job_on_a_text_file_writes_its_metrics_history_and_sample(tmp_path):
    path = tmp_path / "poems.txt"
    path.write_text("to be or not to be, that is the question. " * 20, encoding="utf-8")
    optim = {"steps": 2, "tokens_per_step": 64, "eval_every": 1, "eval_tokens": 64}
    seq = _seq(char_lm={"data": {"source": "file", "path": str(path)}, "optim": optim, "samples": {"chars": 10}})
    run = char_lm_run_settings(seq, context=8, budgets=[1, 2])
    outputs = _per_budget(metrics="metrics.json", history="history.csv", sample="sample.txt")
    wildcards = {"seq_model": "transformer", "seq_context": "8", "seed": "1"}
    smk = snakemake_job(
        tmp_path, "train_char_language_model", run, inputs={"text": path}, outputs=outputs, wildcards=wildcards
    )
    run_job(smk, train_char_lm_job)
    for budget in (1, 2):
        out = tmp_path / "out" / f"budget{budget}"
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["data_status"] == "user file (poems.txt)" and metrics["source"] == "poems.txt"
        assert metrics["budget"] == budget and metrics["steps"] == 2 * budget and metrics["context"] == 8
        assert len((out / "sample.txt").read_text(encoding="utf-8")) == 10
        steps = [int(r["step"]) for r in csv.DictReader(open(out / "history.csv"))]
        assert steps == list(range(1, 2 * budget + 1))


def test_a_language_model_job_refuses_a_provenance_record_without_a_status(tmp_path):
    provenance = tmp_path / "provenance.json"
    provenance.write_text("{}")
    run = char_lm_run_settings(_seq(), context=8, budgets=[1])
    outputs = {"metrics": ["metrics.json"], "history": ["history.csv"], "sample": ["sample.txt"]}
    wildcards = {"seq_model": "lstm", "seq_context": "8", "seed": "0"}
    inputs = {"cache": str(tmp_path / "tiny_shakespeare.npz"), "provenance": str(provenance)}
    smk = snakemake_job(tmp_path, "train_char_language_model", run, inputs=inputs, outputs=outputs, wildcards=wildcards)
    with pytest.raises(ValueError, match="no 'status'"):
        run_job(smk, train_char_lm_job)


def test_the_throughput_job_names_its_device_and_measures_every_model(tmp_path):
    seq = _seq(models=["lstm", "transformer"], throughput={"lengths": [8, 16], "tokens_per_step": 32, "repeats": 2})
    run, outputs = throughput_run_settings(seq), {"throughput": "throughput.json"}
    smk = snakemake_job(tmp_path, "measure_sequence_throughput", run, outputs=outputs)
    run_job(smk, measure_throughput_job, checkpoint=None)
    result = json.loads((tmp_path / "out" / "throughput.json").read_text())
    assert result["device"] == "CPU, 1 thread, CPU time"
    assert [(r["model"], r["length"]) for r in result["rows"]] == [
        ("lstm", 8),
        ("transformer", 8),
        ("lstm", 16),
        ("transformer", 16),
    ]
