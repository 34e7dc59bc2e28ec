"""The run contract seen from a user's seat: in a finished run, a config change plans exactly the jobs whose
settings it touches (each training job receives only its own run's settings, built by its study's package)."""

import json
import re

import pytest
import yaml

from tests.workflow.conftest import snakemake

TRAINING_RULES = {
    "train_numpy_autoencoder",
    "train_numpy_autoencoder_tuned",
    "train_torch_autoencoder",
    "fit_autoencoder_baselines",
    "train_gan_classifier",
    "train_gan",
    "train_sequence_classifier",
    "fit_sentiment_baseline",
    "tune_sentiment_lr",
    "train_char_language_model",
    "tune_char_lm_lr",
    "fit_char_ngram",
    "measure_sequence_throughput",
    "train_image_classifier",
    "tune_vision_lr",
    "fit_vision_baseline",
}
_JOB = re.compile(r"^rule (\w+):\n((?:    .*\n)+)", re.MULTILINE)


def planned_jobs(work, args, overlay: dict, tmp_path) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job a dry run with the `overlay` config file plans."""
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(overlay))
    # one --configfile with both files: given twice, Snakemake keeps only the last
    at = args.index("--configfile") + 2
    out = snakemake(work, "-n", *args[:at], str(path), *args[at:]).stdout
    jobs = []
    for rule, body in _JOB.findall(out):
        found = re.search(r"^    wildcards: (.*)$", body, re.MULTILINE)
        pairs = found.group(1).split(", ") if found else []
        jobs.append((rule, dict(p.split("=", 1) for p in pairs)))
    return jobs


def _training(jobs):
    return [(rule, w) for rule, w in jobs if rule in TRAINING_RULES]


def _tiny(work):
    return yaml.safe_load((work / "results" / "report" / "generated" / "config.yaml").read_text())


@pytest.mark.e2e
def test_retuning_the_vit_retrains_every_vit_run_and_no_cnn_run(tiny_run, tmp_path):
    work, args = tiny_run
    vision = _tiny(work)["vision"]
    jobs = _training(planned_jobs(work, args, {"vision": {"vit": {"learning_rate": 1.0e-3}}}, tmp_path))
    assert {rule for rule, _ in jobs} == {"tune_vision_lr", "train_image_classifier"}, jobs
    assert {w["vis_model"] for _, w in jobs} == {"vit"}, "a CNN run was planned for a ViT-only change"
    expected = len(vision["fractions"]) * len(_tiny(work)["seeds"])  # one job trains every budget (one WSD trunk)
    assert sum(rule == "train_image_classifier" for rule, _ in jobs) == expected
    assert sum(rule == "tune_vision_lr" for rule, _ in jobs) == 1, "the ViT's rate is tuned again, once"


@pytest.mark.e2e
def test_a_new_context_length_trains_only_the_new_language_model_runs(tiny_run, tmp_path):
    work, args = tiny_run
    config = _tiny(work)
    sequence = config["sequence"]
    contexts = [*sequence["char_lm"]["contexts"], 2 * max(sequence["char_lm"]["contexts"])]
    jobs = _training(planned_jobs(work, args, {"sequence": {"char_lm": {"contexts": contexts}}}, tmp_path))
    # the new context's tuning and ladder runs, and the n-gram baseline, which scores every context
    assert {rule for rule, _ in jobs} == {"tune_char_lm_lr", "train_char_language_model", "fit_char_ngram"}, jobs
    lm = [(rule, w) for rule, w in jobs if rule != "fit_char_ngram"]
    assert {w["seq_context"] for _, w in lm} == {str(contexts[-1])}
    ladders = len(sequence["models"]) * len(config["seeds"])  # one job per model and seed trains every budget
    assert len(lm) == ladders + len(sequence["models"])


@pytest.mark.e2e
def test_a_longer_sequence_ladder_reruns_each_ladder_job_once_and_no_tuning(tiny_run, tmp_path):
    work, args = tiny_run
    config = _tiny(work)
    sequence = config["sequence"]
    budgets = [*sequence["budgets"], 2 * max(sequence["budgets"])]
    jobs = _training(planned_jobs(work, args, {"sequence": {"budgets": budgets}}, tmp_path))
    # one job per model and seed (and context) trains every budget on one WSD trunk; the base budget's tuning stays
    assert {rule for rule, _ in jobs} == {"train_sequence_classifier", "train_char_language_model"}, jobs
    ladders = len(sequence["models"]) * len(config["seeds"])
    assert sum(rule == "train_sequence_classifier" for rule, _ in jobs) == ladders
    assert sum(rule == "train_char_language_model" for rule, _ in jobs) == ladders * len(
        sequence["char_lm"]["contexts"]
    )


@pytest.mark.e2e
def test_a_summary_criterion_retrains_nothing(tiny_run, tmp_path):
    work, args = tiny_run
    jobs = planned_jobs(work, args, {"sequence": {"sentiment": {"target_accuracy": 0.55}}}, tmp_path)
    assert jobs, "the summary that reads the criterion must rerun"
    assert not _training(jobs), _training(jobs)
    assert "summarize_sequence" in {rule for rule, _ in jobs}


@pytest.mark.e2e
def test_tune_false_plans_no_tuning_and_the_runs_take_the_configured_rate(tiny_run, tmp_path):
    work, args = tiny_run
    jobs = planned_jobs(work, args, {"vision": {"tune": False}}, tmp_path)
    assert "tune_vision_lr" not in {rule for rule, _ in jobs}
    assert "tune_vision_lr" not in {rule for rule, _ in planned_jobs(work, args, {}, tmp_path)}, "the run is complete"
    tuned = json.loads((work / "results" / "vision" / "tuning" / "vit.json").read_text())
    assert tuned["rates"] and tuned["chosen"] in tuned["rates"], "the tiny run tuned the ViT on its grid"
