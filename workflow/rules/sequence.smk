# §3.1-3.2 the sequence study: vanilla RNN, LSTM and a Transformer encoder on sentiment (Task A),
# character language modelling at several context lengths (Task B) and throughput (Task C).

from dlrepro.sequence.settings import (
    char_lm_run_settings as seq_char_lm_run_settings,
    char_ngram_settings as seq_char_ngram_settings,
    sentiment_baseline_settings as seq_sentiment_baseline_settings,
    sentiment_run_settings as seq_sentiment_run_settings,
    throughput_run_settings as seq_throughput_run_settings,
)

validate_config("sequence", "../schemas/sequence.schema.yaml")

SEQ = config["sequence"]
SEQ_MODELS = SEQ["models"]
SEQ_SOURCE = SEQ["sentiment"]["data"]["source"]
SEQ_GPU = {"gpu": 1} if SEQ["device"] == "cuda" else {}
if SEQ_SOURCE == "csv":
    # the CSV file, checked here (before any job) so that a missing file or column, a blank label
    # or a file too small for the split stops the run at once, naming the key, the file and the row
    if not SEQ["sentiment"]["data"]["csv"]["path"]:
        raise ValueError(
            "sequence.sentiment.data.source=csv needs sequence.sentiment.data.csv.path"
        )
    from dlrepro.sequence.data import check_labelled_csv

    check_labelled_csv(
        SEQ["sentiment"]["data"]["csv"], SEQ["sentiment"]["data"]["split"]
    )


# the labelled texts: the rt_polarity cache and its provenance, or the configured CSV file
SEQ_SENTIMENT_INPUTS = (
    {"csv": SEQ["sentiment"]["data"]["csv"]["path"]}
    if SEQ_SOURCE == "csv"
    else {
        "cache": "resources/rt_polarity/rt_polarity.npz",
        "provenance": "resources/rt_polarity/provenance.json",
    }
)
# one path pattern per task; `{name}` is the file of a run
SEQ_SENTIMENT_RUN = (
    "results/sequence/sentiment/{seq_model}/budget{seq_budget}/seed{seed}/{name}"
)
SEQ_CHAR_LM_RUN = "results/sequence/char_lm/{seq_model}/ctx{seq_context}/budget{seq_budget}/seed{seed}/{name}"
# the compute ladder: multiples of each task's base schedule, sorted ("1", "2", "4" in the paths); one
# job per model and seed (and context) trains every budget on one warm-up-stable-decay trunk with a
# cool-down branch per budget (dlrepro.sequence.wsd), its outputs one file per budget in this order;
# every run records its counted training FLOPs, the ladder figure's axis (dlrepro.sequence.compute)
SEQ_BUDGETS = {budget_name(b): float(b) for b in sorted(SEQ["budgets"])}
SEQ_TOP = budget_name(max(SEQ["budgets"]))
SEQ_LONGEST = max(SEQ["char_lm"]["contexts"])
# the character corpus: the Tiny Shakespeare cache and its provenance, or the configured text file,
# checked here (before any job) so that a missing, binary or too-short file stops the run at once
SEQ_LM_DATA = SEQ["char_lm"]["data"]
if SEQ_LM_DATA["source"] == "file":
    from dlrepro.sequence.data import read_text_corpus

    _text = read_text_corpus(
        SEQ_LM_DATA["path"],
        longest_context=SEQ_LONGEST,
        test_fraction=SEQ_LM_DATA["test_fraction"],
    )
    if SEQ["char_lm"]["tune"]:
        from dlrepro.sequence.data import check_tuning_share

        check_tuning_share(
            len(_text),
            test_fraction=SEQ_LM_DATA["test_fraction"],
            val_fraction=SEQ["char_lm"]["tune"]["val_fraction"],
            longest_context=SEQ_LONGEST,
        )
    SEQ_LM_INPUTS = {"text": SEQ_LM_DATA["path"]}
else:
    SEQ_LM_INPUTS = {
        "cache": "resources/tiny_shakespeare/tiny_shakespeare.npz",
        "provenance": "resources/tiny_shakespeare/provenance.json",
    }


# learning-rate tuning before the ladder: its rules and the inputs the ladder's runs read
include: "sequence_tuning.smk"


rule train_sequence_classifier:
    input:
        **SEQ_SENTIMENT_INPUTS,
        **SEQ_SENTIMENT_LR,
    output:
        metrics=expand(
            SEQ_SENTIMENT_RUN,
            seq_model="{seq_model}",
            seq_budget=SEQ_BUDGETS,
            seed="{seed}",
            name="metrics.json",
        ),
        history=expand(
            SEQ_SENTIMENT_RUN,
            seq_model="{seq_model}",
            seq_budget=SEQ_BUDGETS,
            seed="{seed}",
            name="history.csv",
        ),
    log:
        "logs/train_sequence_classifier/{seq_model}/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_sequence_classifier/{seq_model}/seed{seed}.tsv"
    wildcard_constraints:
        seq_model="|".join(SEQ_MODELS),
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        **SEQ_GPU,
        mem_mb=2000,
        runtime=per_attempt(40),
    params:
        run=lambda w: seq_sentiment_run_settings(SEQ),
    script:
        "../scripts/sequence/train_sequence_classifier.py"


rule fit_sentiment_baseline:
    input:
        **SEQ_SENTIMENT_INPUTS,
    output:
        metrics="results/sequence/sentiment/baseline/{seq_baseline}/seed{seed}/metrics.json",
    log:
        "logs/fit_sentiment_baseline/{seq_baseline}/seed{seed}.log",
    benchmark:
        "benchmarks-out/fit_sentiment_baseline/{seq_baseline}/seed{seed}.tsv"
    wildcard_constraints:
        seq_baseline="bow|nblr",
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=per_attempt(30),
    params:
        run=lambda w: seq_sentiment_baseline_settings(SEQ, kind=w.seq_baseline),
    script:
        "../scripts/sequence/fit_sentiment_baseline.py"


rule train_char_language_model:
    input:
        **SEQ_LM_INPUTS,
        **SEQ_CHAR_LM_LR,
    output:
        metrics=expand(
            SEQ_CHAR_LM_RUN,
            seq_model="{seq_model}",
            seq_context="{seq_context}",
            seq_budget=SEQ_BUDGETS,
            seed="{seed}",
            name="metrics.json",
        ),
        history=expand(
            SEQ_CHAR_LM_RUN,
            seq_model="{seq_model}",
            seq_context="{seq_context}",
            seq_budget=SEQ_BUDGETS,
            seed="{seed}",
            name="history.csv",
        ),
        sample=expand(
            SEQ_CHAR_LM_RUN,
            seq_model="{seq_model}",
            seq_context="{seq_context}",
            seq_budget=SEQ_BUDGETS,
            seed="{seed}",
            name="sample.txt",
        ),
    log:
        "logs/train_char_language_model/{seq_model}/ctx{seq_context}/seed{seed}.log",
    benchmark:
        "benchmarks-out/train_char_language_model/{seq_model}/ctx{seq_context}/seed{seed}.tsv"
    wildcard_constraints:
        seq_model="|".join(SEQ_MODELS),
        seq_context=r"\d+",
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        **SEQ_GPU,
        mem_mb=2000,
        runtime=per_attempt(40),
    params:
        run=lambda w: seq_char_lm_run_settings(SEQ, context=int(w.seq_context)),
    script:
        "../scripts/sequence/train_char_language_model.py"


rule fit_char_ngram:
    input:
        **SEQ_LM_INPUTS,
    output:
        metrics="results/sequence/char_lm/baselines/kneser_ney/metrics.json",
    log:
        "logs/fit_char_ngram/kneser_ney.log",
    benchmark:
        "benchmarks-out/fit_char_ngram/kneser_ney.tsv"
    conda:
        "../../envs/numpy.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=per_attempt(10),
    params:
        run=seq_char_ngram_settings(SEQ),
    script:
        "../scripts/sequence/fit_char_ngram.py"


rule measure_sequence_throughput:
    output:
        throughput="results/sequence/throughput.json",
    log:
        "logs/measure_sequence_throughput/throughput.log",
    benchmark:
        "benchmarks-out/measure_sequence_throughput/throughput.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        **SEQ_GPU,
        mem_mb=3000,
        runtime=20,
    params:
        run=seq_throughput_run_settings(SEQ),
    script:
        "../scripts/sequence/measure_sequence_throughput.py"


rule summarize_sequence:
    input:
        sentiment=expand(
            SEQ_SENTIMENT_RUN,
            seq_model=SEQ_MODELS,
            seq_budget=SEQ_BUDGETS,
            seed=SEEDS,
            name="metrics.json",
        ),
        sentiment_histories=expand(
            SEQ_SENTIMENT_RUN,
            seq_model=SEQ_MODELS,
            seq_budget=SEQ_BUDGETS,
            seed=SEEDS,
            name="history.csv",
        ),
        char_lm=expand(
            SEQ_CHAR_LM_RUN,
            seq_model=SEQ_MODELS,
            seq_context=SEQ["char_lm"]["contexts"],
            seq_budget=SEQ_BUDGETS,
            seed=SEEDS,
            name="metrics.json",
        ),
        char_lm_histories=expand(
            SEQ_CHAR_LM_RUN,
            seq_model=SEQ_MODELS,
            seq_context=SEQ["char_lm"]["contexts"],
            seq_budget=SEQ_BUDGETS,
            seed=SEEDS,
            name="history.csv",
        ),
        throughput=rules.measure_sequence_throughput.output.throughput,
        char_ngram=rules.fit_char_ngram.output.metrics,
        baseline=expand(
            rules.fit_sentiment_baseline.output.metrics,
            seq_baseline=SEQ["sentiment"]["baseline"]["kinds"],
            seed=SEEDS,
        ),
    output:
        summary="results/sequence/summary.json",
        claims="results/sequence/claims.json",
        # each model's score and the paired gaps against counted training FLOPs (dlrepro.curves)
        curves="results/sequence/curves.csv",
    log:
        "logs/summarize_sequence/summary.log",
    conda:
        "../../envs/numpy.yaml"
    params:
        target_accuracy=SEQ["sentiment"]["target_accuracy"],
        model=SEQ["model"],
    script:
        "../scripts/sequence/summarize_sequence.py"


rule plot_sequence:
    input:
        summary=rules.summarize_sequence.output.summary,
        curves=rules.summarize_sequence.output.curves,
        # published reference points, drawn on the ladder figure's FLOP axis
        anchors=workflow.source_path("../report/anchors.yaml"),
        sentiment_histories=expand(
            SEQ_SENTIMENT_RUN,
            seq_model=SEQ_MODELS,
            seq_budget=SEQ_BUDGETS,
            seed=SEEDS,
            name="history.csv",
        ),
        char_lm_histories=expand(
            SEQ_CHAR_LM_RUN,
            seq_model=SEQ_MODELS,
            seq_context=SEQ["char_lm"]["contexts"],
            seq_budget=SEQ_BUDGETS,
            seed=SEEDS,
            name="history.csv",
        ),
    output:
        accuracy=report(
            "results/report/figures/seq_accuracy.pdf",
            caption="../report/captions/seq_accuracy.rst",
            category="Sequence models (paper sections 3.1-3.2)",
        ),
        context=report(
            "results/report/figures/seq_bpc_context.pdf",
            caption="../report/captions/seq_bpc_context.rst",
            category="Sequence models (paper sections 3.1-3.2)",
        ),
        throughput=report(
            "results/report/figures/seq_throughput.pdf",
            caption="../report/captions/seq_throughput.rst",
            category="Sequence models (paper sections 3.1-3.2)",
        ),
        curves=report(
            "results/report/figures/seq_learning_curves.pdf",
            caption="../report/captions/seq_learning_curves.rst",
            category="Sequence models (paper sections 3.1-3.2)",
        ),
        ladder=report(
            "results/report/figures/seq_ladder.pdf",
            caption="../report/captions/seq_ladder.rst",
            category="Sequence models (paper sections 3.1-3.2)",
        ),
    log:
        "logs/plot_sequence/plot.log",
    conda:
        "../../envs/numpy.yaml"
    script:
        "../scripts/sequence/plot_sequence.py"


rule write_sequence_report_values:
    input:
        summary=rules.summarize_sequence.output.summary,
        claims=rules.summarize_sequence.output.claims,
        samples=expand(
            SEQ_CHAR_LM_RUN,
            seq_model=SEQ_MODELS,
            seq_context=SEQ_LONGEST,
            seq_budget=SEQ_TOP,
            seed=SEEDS[0],
            name="sample.txt",
        ),
        sample_metrics=expand(
            SEQ_CHAR_LM_RUN,
            seq_model=SEQ_MODELS,
            seq_context=SEQ_LONGEST,
            seq_budget=SEQ_TOP,
            seed=SEEDS[0],
            name="metrics.json",
        ),
    output:
        values="results/report/generated/seq_values.tex",
        setting="results/report/generated/seq_setting.tex",
        accuracy="results/report/generated/seq_accuracy.tex",
        bpc="results/report/generated/seq_bpc.tex",
        samples="results/report/generated/seq_samples.tex",
    log:
        "logs/write_sequence_report_values/values.log",
    conda:
        "../../envs/report.yaml"
    params:
        setting=SEQ,
        seeds=SEEDS,
    script:
        "../scripts/sequence/write_sequence_report_values.py"


REPORT_INPUTS.extend(
    [*rules.plot_sequence.output, *rules.write_sequence_report_values.output]
)
CLAIMS.append(rules.summarize_sequence.output.claims)
CURVES.append(rules.summarize_sequence.output.curves)
