# The sequence study's learning-rate tuning (dlrepro.tuning), included by sequence.smk before the
# ladder's rules: one sweep per sentiment model and seed, per language model and context; the ladder's
# runs take the choice as their input `learning_rate` (empty where a task's tune is false).

from dlrepro.sequence.settings import (
    char_lm_tune_settings as seq_char_lm_tune_settings,
    sentiment_tune_settings as seq_sentiment_tune_settings,
)

# learning-rate tuning (dlrepro.tuning), read by the ladder's runs: per sentiment model and seed (each
# seed cuts its own split, so each tunes on its own validation part), per language model and context
SEQ_TUNE_SENTIMENT = "results/sequence/tuning/sentiment/{seq_model}/seed{seed}.json"
SEQ_TUNE_CHAR_LM = "results/sequence/tuning/char_lm/{seq_model}/ctx{seq_context}.json"
SEQ_SENTIMENT_LR = (
    {"learning_rate": SEQ_TUNE_SENTIMENT} if SEQ["sentiment"]["tune"] else {}
)
SEQ_CHAR_LM_LR = {"learning_rate": SEQ_TUNE_CHAR_LM} if SEQ["char_lm"]["tune"] else {}


rule tune_sentiment_lr:
    input:
        **SEQ_SENTIMENT_INPUTS,
    output:
        learning_rate=SEQ_TUNE_SENTIMENT,
    log:
        "logs/tune_sentiment_lr/{seq_model}/seed{seed}.log",
    benchmark:
        "benchmarks-out/tune_sentiment_lr/{seq_model}/seed{seed}.tsv"
    wildcard_constraints:
        seq_model="|".join(SEQ_MODELS),
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        **SEQ_GPU,
        mem_mb=2000,
        runtime=per_attempt(30),
    params:
        run=lambda w: seq_sentiment_tune_settings(SEQ),
    script:
        "../scripts/sequence/tune_sentiment_lr.py"


rule tune_char_lm_lr:
    input:
        **SEQ_LM_INPUTS,
    output:
        learning_rate=SEQ_TUNE_CHAR_LM,
    log:
        "logs/tune_char_lm_lr/{seq_model}/ctx{seq_context}.log",
    benchmark:
        "benchmarks-out/tune_char_lm_lr/{seq_model}/ctx{seq_context}.tsv"
    wildcard_constraints:
        seq_model="|".join(SEQ_MODELS),
        seq_context=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        **SEQ_GPU,
        mem_mb=2000,
        runtime=per_attempt(30),
    params:
        run=lambda w: seq_char_lm_tune_settings(SEQ, context=int(w.seq_context)),
    script:
        "../scripts/sequence/tune_char_lm_lr.py"


if SEQ["sentiment"]["tune"]:
    TUNING.extend(expand(SEQ_TUNE_SENTIMENT, seq_model=SEQ_MODELS, seed=SEEDS))
if SEQ["char_lm"]["tune"]:
    TUNING.extend(
        expand(
            SEQ_TUNE_CHAR_LM,
            seq_model=SEQ_MODELS,
            seq_context=SEQ["char_lm"]["contexts"],
        )
    )
