"""The sequence section's generated LaTeX: macros, the settings table, result tables, generated text."""

from __future__ import annotations

from dlrepro.report import fmt, fmt_ci, latex_escape, macro, settings_table, tabular
from dlrepro.sequence.claims import corpus_name, sentences_name
from dlrepro.sequence.models import BASELINES, LABELS, SEQ_MODELS
from dlrepro.tuning import rate_words

__all__ = ["sequence_tex", "setting_rows"]

CLAIM_MACROS = {
    "seq-outperform-sentiment": "Sentiment",
    "seq-outperform-charlm": "Charlm",
    "seq-longer-context": "Context",
    "seq-parallel": "Parallel",
    "seq-train-efficiently": "Efficient",
}


def _lm_source_macros(summary: dict) -> str:
    """Which corpus the character LM read, and how many held-out characters its alphabet lacks."""
    unknown = summary.get("lm_unknown_test_chars", 0)
    v = macro("seqLmSource", latex_escape(corpus_name(summary.get("lm_source", "tinyshakespeare"))))
    return v + macro(
        "seqLmUnknown",
        f" ({unknown:,} held-out characters never occur in the training part and count as one unknown symbol)"
        if unknown
        else "",
    )


def _cooldown(optim: dict) -> str:
    """A task's cool-down in words, e.g. "cool-down over the last 20% of each budget's steps to 0"."""
    share = optim.get("cooldown_fraction", 0.2)
    return f"1-sqrt cool-down over the last {share:.0%} of each budget's steps to 0" if share else "no cool-down"


def setting_rows(setting: dict, seeds) -> dict[str, str]:
    """The study's configuration as it ran, in words."""
    m, s, lm, tp = setting["model"], setting["sentiment"], setting["char_lm"], setting["throughput"]
    d, so, lo = s["data"], s["optim"], lm["optim"]
    source = "sentence polarity v1.0" if d["source"] == "rt_polarity" else f"CSV {d['csv']['path']}"
    return {
        "models": ", ".join(setting["models"]),
        "embedding width": str(m["width"]),
        "vanilla RNN": f"{m['rnn_layers']} x {m['rnn_hidden']} tanh units",
        "LSTM": f"{m['lstm_layers']} x {m['lstm_hidden']} units",
        "Transformer": f"{m['transformer_layers']} pre-norm block{'s' if m['transformer_layers'] != 1 else ''}, {m['heads']} heads, feed-forward {m['ff_width']}, rotary positions",
        "sentiment data": f"{source}; stratified split train/val/test {d['split']['train']:g}/{d['split']['val']:g}/{d['split']['test']:g} per seed",
        "sentiment vocabulary": f"words with at least {d['min_count']} occurrence{'s' if d['min_count'] != 1 else ''} in the training part, at most {d['max_vocab']}; {d['max_tokens']} tokens per sentence",
        "compute ladder": "budgets "
        + ", ".join(f"x{b:g}" for b in sorted(setting.get("budgets", [1])))
        + " of each task's base schedule, trained as one warm-up-stable-decay trunk with a cool-down branch per budget"
        " (Hägele et al. 2024): each budget's result is that of a run of its own length",
        "sentiment training": f"Adam peak {rate_words(so['learning_rate'], setting['sentiment'].get('tune'), 'model and seed')} (WSD: no warm-up, {_cooldown(so)}), batch {so['batch_size']}, dropout {so['dropout']:g}, {so['epochs']} epochs x budget; "
        "test accuracy at the epoch of the best validation accuracy",
        "LM data": f"{corpus_name(lm['data']['path'] if lm['data'].get('source') == 'file' else 'tinyshakespeare')}, last {lm['data']['test_fraction']:g} held out; contexts {', '.join(map(str, lm['contexts']))}",
        "LM training": f"{lo['steps']} Adam steps x budget, each of {lo['tokens_per_step']} characters, peak {rate_words(lo['learning_rate'], lm.get('tune'), 'model and context')} (WSD: warm-up over {lo['warmup_fraction']:.0%} of the x{min(setting.get('budgets', [1])):g} steps, {_cooldown(lo)}), dropout {lo['dropout']:g}",
        "throughput": f"lengths {', '.join(map(str, tp['lengths']))}; {tp['tokens_per_step']} tokens per step; median of {tp['repeats']} steps",
        "seeds": ", ".join(map(str, seeds)),
        "device": setting["device"],
    }


def _claim_macros(summary: dict) -> str:
    """Each claim's verdict, measurement and trend along the ladder, and the ladder's budgets."""
    v = ""
    for claim in summary["claims"]:
        key = CLAIM_MACROS[claim["id"]]
        v += macro(f"seqVerdict{key}", claim["verdict"])
        v += macro(f"seqMeasured{key}", _plain_to_tex(claim["measured"]))
        v += macro(
            f"seqTrend{key}", _plain_to_tex(claim["trend"]["words"]) if claim.get("trend") else "no trend (one budget)"
        )
    budgets = sorted(
        {float(b) for b in [*summary.get("sentiment_ladder", {"1": 0}), *summary.get("lm_ladder", {"1": 0})]}
    )
    v += macro("seqBudgets", ", ".join(f"$\\times${b:g}" for b in budgets))
    return v + macro("seqTopBudget", f"$\\times${budgets[-1]:g}")


def _worse_at_long(lm: dict) -> str:
    """Which language models score worse at the longest context than at the shortest (at the largest
    budget), and whether each one's held-out curve was still falling when training stopped."""
    contexts = lm["contexts"]
    short, long = str(contexts[0]), str(contexts[-1])
    worse = [
        m
        for m in SEQ_MODELS
        if m in lm["models"]
        and lm["models"][m]["contexts"][long]["test_bpc"]["mean"]
        > lm["models"][m]["contexts"][short]["test_bpc"]["mean"]
    ]
    if not worse:
        return f"every model's bits per character are no worse at context {long} than at {short}"
    notes = []
    for m in worse:
        runs = [r for r in lm.get("still_falling_runs", []) if r.startswith(f"{m}/")]
        at = sorted({int(r.split("/")[1]) for r in runs})
        state = (
            f"its held-out bits per character still falling at the end in {len(runs)} runs (context "
            f"{' and '.join(map(str, at))})"
            if runs
            else "its held-out bits per character no longer falling at the end"
        )
        notes.append(f"{LABELS[m]} ({state})")
    return f"worse at context {long} than at {short}, so still undertrained at the longer context: " + "; ".join(notes)


def _plain_to_tex(text: str) -> str:
    return latex_escape(text).replace("+-", "$\\pm$")


def _sample_block(label: str, prompt: str, text: str, width: int = 88) -> str:
    clean = lambda t: "".join(c if (c == "\n" or 32 <= ord(c) < 127) else "?" for c in t)  # noqa: E731
    lines = []
    for line in clean(text).split("\n"):
        lines.extend([line[i : i + width] for i in range(0, len(line), width)] or [""])
    body = "\n".join(lines).replace("\\end{verbatim}", "\\end {verbatim}")
    prompt_line = clean(prompt).replace("\n", " / ")
    return f"\\paragraph{{{latex_escape(label)}}} Prompt: \\verb|{prompt_line.replace('|', '!')}|\n{{\\small\n\\begin{{verbatim}}\n{body}\n\\end{{verbatim}}\n}}\n"


def _values_tex(summary: dict, seeds) -> str:
    """The section's macros: the data, the settings that shaped the numbers, the results and the verdicts."""
    sent, lm, tp = summary["sentiment"], summary["char_lm"], summary["throughput"]
    contexts = lm["contexts"]
    v = "% generated by dlrepro.sequence.report.sequence_tex: do not edit\n"
    ex = summary["sentiment_examples"]
    v += macro("seqSource", sentences_name(summary["sentiment_source"]))
    v += _lm_source_macros(summary)
    v += macro("seqDataStatus", latex_escape(", ".join(summary["data_status"])))
    v += macro("seqSeeds", len(seeds))
    v += macro("seqTrainExamples", f"{ex['train_examples']:,}") + macro("seqValExamples", f"{ex['val_examples']:,}")
    v += macro("seqTestExamples", f"{ex['test_examples']:,}") + macro("seqVocab", f"{ex['vocab_size']:,}")
    v += macro("seqTargetAccuracy", f"{summary['target_accuracy']:g}")
    v += macro("seqShortContext", contexts[0]) + macro("seqLongContext", contexts[-1])
    v += macro("seqLmSteps", summary["lm_steps"])
    v += macro("seqLongestLength", tp["lengths"][-1]) + macro("seqShortestLength", tp["lengths"][0])
    v += macro("seqCrossover", tp["crossover"] if tp["crossover"] else "none of the lengths measured")
    v += macro("seqDevice", latex_escape(tp["device"]))
    improving = sum(s.get("still_improving", 0) for s in sent.values())
    v += macro("seqStillImproving", f"{improving} of {sum(len(s['seeds']) for s in sent.values())}")
    falling = lm.get("still_falling")
    v += macro("seqLmStillFalling", "--" if falling is None else f"{falling} of {lm['runs']}")
    v += _model_macros(sent, lm, tp)
    return v + _claim_macros(summary) + macro("seqLmWorseAtLong", latex_escape(_worse_at_long(lm)))


def _model_macros(sent: dict, lm: dict, tp: dict) -> str:
    """Each model's headline numbers ("--" for a model not run): accuracy, bpc at the shortest and longest
    context and the gain between them, and tokens per second at the longest length measured."""
    contexts, v = lm["contexts"], ""
    for m in SEQ_MODELS:
        name = m.capitalize()
        v += macro(f"seqAcc{name}", fmt_ci(sent[m]["test_accuracy"]) if m in sent else "--")
        d = lm["models"].get(m)
        v += macro(f"seqBpcShort{name}", fmt_ci(d["contexts"][str(contexts[0])]["test_bpc"]) if d else "--")
        v += macro(f"seqBpcLong{name}", fmt_ci(d["contexts"][str(contexts[-1])]["test_bpc"]) if d else "--")
        v += macro(f"seqGain{name}", fmt_ci(d["improvement"]) if d and d["improvement"] else "--")
        g = tp["models"].get(m, {}).get(str(tp["lengths"][-1]))
        v += macro(f"seqTokensLong{name}", f"{g['tokens_per_second']:,.0f}" if g else "--")
    return v


def _baseline_rows(baselines: dict) -> list[str]:
    """The bag-of-n-grams baselines' rows of the accuracy table (none if none ran): their weights
    (n-gram vocabulary x outputs, with the biases) and test accuracy; no epochs, no target steps."""
    rows = []
    for kind, base in ((k, baselines[k]) for k in BASELINES if k in baselines):
        grams = "uni+bigrams" if base["ngrams"] == 2 else f"1- to {base['ngrams']}-grams"
        label = {"bow": f"logistic reg. on {grams}", "nblr": f"logistic reg. on NB-scaled {grams}"}
        rows.append(
            f"{label[kind]} & -- & {base['parameters']['mean']:,.0f} & {fmt_ci(base['test_accuracy'])} & -- & -- & -- \\\\"
        )
    return ["\\midrule\n" + rows[0], *rows[1:]] if rows else []


def _accuracy_table(sent: dict, baselines: dict | None = None) -> str:
    """Task A per model: parameters, test accuracy, best epoch, seconds to it and steps to the target;
    then the bag-of-n-grams baselines' rows."""
    rows = []
    for m in (m for m in SEQ_MODELS if m in sent):  # JSON files sort their keys: restore the models' order
        s, p = sent[m], sent[m]["parameters"]
        rows.append(
            f"{latex_escape(LABELS[m])} & {p['backbone']:,} & {p['total']:,} & {fmt_ci(s['test_accuracy'])} & {fmt(s['best_epoch']['mean'], 2)} & "
            f"{fmt(s['seconds_to_best']['mean'], 3)} & {fmt(s['steps_to_target']['mean'], 3)} ({s['reached_target']}/{len(s['seeds'])}) \\\\"
        )
    return tabular(
        "lrrrrrr",
        "model & \\multicolumn{2}{c}{parameters} & test accuracy & best epoch & s to best & steps to target \\\\\n"
        " & backbone & total & & & & (reached)",
        rows + _baseline_rows(baselines or {}),
    )


def _bpc_table(lm: dict) -> str:
    """Task B per model: parameters, held-out bpc at every context, and the gain from the shortest to the longest."""
    contexts, rows = lm["contexts"], []
    for m in (m for m in SEQ_MODELS if m in lm["models"]):
        d = lm["models"][m]
        cells = " & ".join(fmt_ci(d["contexts"][str(c)]["test_bpc"]) for c in contexts)
        gain = fmt_ci(d["improvement"]) if d["improvement"] else "--"
        rows.append(
            f"{latex_escape(LABELS[m])} & {d['parameters']['backbone']:,} & {d['parameters']['total']:,} & {cells} & {gain} \\\\"
        )
    base = lm.get("baseline")
    if base:  # the count-based baseline: no weights, no paired gain
        cells = " & ".join(f"{base['test_bpc_by_context'][str(c)]:.3f}" for c in contexts)
        rows.append(f"\\midrule\nKneser-Ney {base['order']}-gram (counts) & -- & -- & {cells} & -- \\\\")
    head = (
        "model & backbone & total & "
        + " & ".join(f"ctx {c}" for c in contexts)
        + f" & gain {contexts[0]}$\\to${contexts[-1]}"
    )
    return tabular("lrr" + "r" * len(contexts) + "r", head, rows)


def sequence_tex(summary: dict, setting: dict, seeds, samples: dict[str, tuple[str, str]]) -> dict[str, str]:
    """values (macros), setting (table), accuracy and bpc (tables), samples (generated text)."""
    setting_table = settings_table(
        [f"{latex_escape(k)} & {latex_escape(x, notation=True)} \\\\" for k, x in setting_rows(setting, seeds).items()]
    )
    blocks = [_sample_block(LABELS[m], *samples[m]) for m in SEQ_MODELS if m in samples]
    samples_tex = "% generated by dlrepro.sequence.report.sequence_tex: do not edit\n" + "\n".join(blocks)
    return {
        "values": _values_tex(summary, seeds),
        "setting": setting_table,
        "accuracy": _accuracy_table(summary["sentiment"], summary.get("sentiment_baselines")),
        "bpc": _bpc_table(summary["char_lm"]),
        "samples": samples_tex,
    }
