"""Learning-rate tuning of the sequence study's models (`dlrepro.tuning`): one run per rate of the grid
at the base budget alone (the smallest of the ladder, under the ladder's warm-up-stable-decay schedule: a
ladder of one budget, `settings.*_tune_settings`), scored on validation data only.

- sentiment (rule `tune_sentiment_lr`, per model and seed): the seed's split's validation part, its best
  accuracy over the epochs (the test part is not given to the run: `study.run_sentiment(
  validation_only=True)`). Each seed cuts its own split, so each seed tunes its own rate: a rate chosen
  on seed 0's validation part would have seen part of seed 1's test part;
- character LM (rule `tune_char_lm_lr`, per model and context): the last `val_fraction` of the training
  part held out in place of the test tail (`data.validation_corpus`), its bits per character.
"""

from __future__ import annotations

from dlrepro.sequence.models import LABELS
from dlrepro.tuning import sweep

__all__ = ["tune_sentiment_job", "tune_char_lm_job"]

RATE = ["optim", "learning_rate"]  # where both tasks' runs hold the peak learning rate


def tune_sentiment_job(job) -> dict:
    """The `tune_sentiment_lr` rule: the validation accuracy of the job's model at every rate of the grid,
    on the split of the job's seed (the seed of the ladder's runs that read the choice)."""
    from dlrepro.sequence.study import job_texts, run_sentiment

    texts, labels, classes, _ = job_texts(job)
    kind, seed = job.wildcards.seq_model, int(job.wildcards.seed)

    def validation_accuracy(settings: dict) -> float:
        ((metrics, _),) = run_sentiment(
            texts, labels, classes, kind, settings, seed=seed, device=job.device, validation_only=True
        )
        return metrics["val_accuracy"]

    describe = {"study": "sentiment", "label": f"{LABELS[kind]}, seed {seed}", "seed": seed}
    record = sweep(job.run, RATE, validation_accuracy, metric="accuracy", better="higher", **describe)
    return {"learning_rate": record}


def tune_char_lm_job(job) -> dict:
    """The `tune_char_lm_lr` rule: the validation bits per character of the job's model and context at
    every rate of the grid."""
    from dlrepro.sequence.study import job_corpus, run_char_lm

    text, _, _ = job_corpus(job, job.run["context"])
    kind, context, tune = job.wildcards.seq_model, job.run["context"], job.run["tune"]

    def validation_bpc(settings: dict) -> float:
        ((metrics, _, _),) = run_char_lm(
            text,
            kind,
            settings,
            context=context,
            seed=tune["seed"],
            device=job.device,
            validation_fraction=tune["val_fraction"],
        )
        return metrics["test_bpc"]  # on the held-out share of the training part

    describe = {"study": "character LM", "label": f"{LABELS[kind]}, context {context}", "seed": tune["seed"]}
    record = sweep(job.run, RATE, validation_bpc, metric="bits per character", better="lower", **describe)
    return {"learning_rate": record}
