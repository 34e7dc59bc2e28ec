"""The vision section's generated LaTeX: macros (prefix `vis`), the settings, results and trend tables."""

from __future__ import annotations

from dlrepro.claims import IMPLIED, claim_row
from dlrepro.data.sources import title
from dlrepro.ladder import budget_trend
from dlrepro.metrics import ci_verdict, has_interval
from dlrepro.report import fmt_ci, latex_escape, macro, settings_table, tabular
from dlrepro.tuning import rate_words
from dlrepro.vision.study import MODEL_NAMES

__all__ = ["vision_claims", "vision_tex", "setting_rows"]

WSD_SOURCE = 'H\\"agele et al. 2024'  # the warm-up-stable-decay schedule's source (arXiv:2405.18392), in LaTeX


def _pct(stat: dict) -> str:
    """An accuracy (or difference) as percent, mean +- 95% CI."""
    return fmt_ci({"mean": 100 * stat["mean"], "ci95": 100 * stat["ci95"], "n": stat["n"]}, 3)


def _fast_paths(fast: dict, bf16_used) -> str:
    """The fast paths that were on; bf16 as the runs recorded it (`bf16_used`: True, False, "mixed", or
    None for runs from before it was recorded, where the config's value stands)."""
    bf16 = fast["bf16"] if bf16_used is None else bf16_used
    auto = " (auto)" if fast["bf16"] == "auto" else ""
    words = {True: f"bf16{auto}", "mixed": f"bf16 on some machines only{auto}", "auto": "bf16 auto (not recorded)"}
    on = [
        words[bf16] if k == "bf16" else k.replace("_", " ")
        for k in ("data_on_device", "bf16", "channels_last", "compile")
        if (bf16 in words if k == "bf16" else fast[k] is True)
    ]
    if bf16 is False and auto:
        on.append("no bf16 (auto: the device has no bf16 arithmetic)")
    return ", ".join(on) or "none (CPU)"


def _schedule_words(train: dict) -> str:
    """The learning-rate schedule in words: warm-up-stable-decay (WSD, Hägele et al. 2024, arXiv:2405.18392)."""
    cool = train["cooldown_fraction"]
    decay = (
        f"a 1$-$sqrt cool-down towards 0 over each budget's last {100 * cool:g}\\% of steps" if cool else "no cool-down"
    )
    return (
        f"WSD schedule ({WSD_SOURCE}): warm-up over {100 * train['warmup_fraction']:g}\\% of the base budget's steps, "
        f"the peak rate, then {decay}"
    )


# the stems in words, with their sources (docs/vision_recipe.md measures them)
STEM_WORDS = {
    "cnn": {
        "whiten": "stem: frozen 2x2 patch whitening + 1x1 convolution (airbench, Jordan 2024)",
        "conv": "stem: 3x3 convolution",
    },
    "vit": {
        "conv": "tokens from a convolutional stem (two stride-2 3x3 convolutions + 1x1; Xiao et al. 2021)",
        "patch": "tokens from a strided patch convolution",
    },
}


def setting_rows(settings: dict, seeds: list[int], *, bf16_used=None) -> dict[str, str]:
    """The study's configuration in words, for the settings table; `bf16_used`: what the runs recorded
    (the summary's `bf16`), which `fast.bf16: auto` leaves to the hardware."""
    t, f, cnn, vit = settings["train"], settings["fast"], settings["cnn"], settings["vit"]
    depth = 2 + 2 * sum(cnn["blocks"])  # stem + 2 convolutions per block + head
    names = {"adamw": "AdamW", "sgd": "SGD, Nesterov momentum"}
    family = {
        m: names[t["optimizer"] if b.get("optimizer", "shared") == "shared" else b["optimizer"]]
        for m, b in (("CNN", cnn), ("ViT", vit))
    }
    opt = family["CNN"] if family["CNN"] == family["ViT"] else f"CNN {family['CNN']}, ViT {family['ViT']}"
    return {
        "CNN": f"ResNet, {depth} weight layers, widths {'/'.join(map(str, cnn['widths']))}, blocks per stage {'/'.join(map(str, cnn['blocks']))}, "
        + STEM_WORDS["cnn"][cnn.get("stem", "conv")],
        "ViT": STEM_WORDS["vit"][vit.get("stem", "patch")]
        + f", patch {vit['patch_size']}, dim {vit['dim']}, depth {vit['depth']}, {vit['heads']} heads, MLP ratio {vit['mlp_ratio']:g}, "
        f"pooling: {'class token' if vit['pool'] == 'cls' else 'mean of patch tokens'}, dropout {vit['dropout']:g}"
        + (f", stochastic depth {vit['drop_path']:g}" if vit.get("drop_path", 0) > 0 else ""),
        "compute ladder": ", ".join(f"x{b:g}" for b in settings.get("budgets", [1]))
        + " of the base images, the same at every fraction; one warm-up-stable-decay run per model, fraction and seed "
        f"with a cool-down branch per budget ({WSD_SOURCE}), each budget's result that of a separate run with the same warm-up",
        "shared recipe": f"{t['images']:,} training images x budget, batch {t['batch_size']}, {opt} (momentum/beta1 {t['momentum']:g}), "
        f"label smoothing {t['label_smoothing']:g}, {_schedule_words(t)}",
        "augmentation": f"random crop with {t['crop_padding']}-pixel zero padding"
        + (", horizontal flip" if t["flip"] else "")
        + "".join(
            f", {name} (alpha {t.get(key, 0):g})"
            for name, key in (("MixUp", "mixup_alpha"), ("CutMix", "cutmix_alpha"))
            if t.get(key, 0) > 0
        )
        + " (on batches of tensors)",
        "learning rate / weight decay": f"CNN {rate_words(cnn['learning_rate'], settings.get('tune'), 'model')} / {cnn['weight_decay']:g}; "
        f"ViT {rate_words(vit['learning_rate'], settings.get('tune'), 'model')} / {vit['weight_decay']:g}",
        "training fractions": ", ".join(f"{100 * x:g}\\%" for x in settings["fractions"])
        + " (class-balanced, seeded, nested)",
        "scoring": "each test image by the summed logits of it and its mirror (flip test-time augmentation)"
        if t.get("tta_flip")
        else "each test image alone",
        "fast paths": _fast_paths(f, bf16_used),
        "seeds": ", ".join(map(str, seeds)),
    }


def vision_tex(summary: dict, claims: list[dict], setting: dict[str, str]) -> dict[str, str]:
    """The snippets: `values` (macros), `setting` (table), `results` (table), `trend` (table)."""
    return {
        "values": _values(summary, {c["id"]: c["verdict"] for c in claims}) + _trend_macros(summary, claims),
        "setting": settings_table([f"{latex_escape(k)} & {v} \\\\" for k, v in setting.items()]),
        "results": _results_table(summary),
        "trend": _trend_table(summary),
    }


def _trend_macros(summary: dict, claims: list[dict]) -> str:
    """The claims' trends along the compute ladder in words, and the budgets."""
    keys = {"vision-vit-outperforms-cnn": "visTrendOutperforms", "vision-advantage-grows-with-data": "visTrendGrows"}
    v = "".join(
        macro(name, "no trend (one budget)")
        for name in keys.values()
        if name not in {keys.get(c["id"]) for c in claims}
    )
    for c in claims:
        if c["id"] in keys:
            words = c["trend"]["words"] if c.get("trend") else "no trend (one budget)"
            v += macro(keys[c["id"]], latex_escape(words).replace("+-", "$\\pm$"))
    budgets = summary.get("budgets", ["1"])
    v += macro("visBudgets", ", ".join(f"$\\times${b}" for b in budgets)) + macro(
        "visTopBudget", f"$\\times${budgets[-1]}"
    )
    return v + macro("visPasses", _passes_words(summary))


def _passes_words(summary: dict) -> str:
    """The passes over its subset that each fraction got at the largest budget, in words."""
    first = summary["table"][summary["models"][0]] if summary.get("models") else {}
    words = [
        f"{first[str(f)]['passes']:.3g} passes over {100 * f:g}\\%" for f in summary["fractions"] if str(f) in first
    ]
    return f"at $\\times${summary.get('budget', '1')}, " + ", ".join(words) if words else "no runs"


def _data_note(summary: dict) -> str:
    status = summary["data_status"]
    if status == "verified":
        return "it matched the published checksums"
    if status != "unverified copy":  # a user's folder: nothing published to compare with
        return "no checksum is published for it; the provenance record fingerprints its files"
    note = "its checksums differ from the published ones, so accuracies may differ from those on the original images"
    if summary.get("dataset", "cifar10") == "cifar10":
        note += (
            ". The copy this project is tested with (\\texttt{../shared/data}) has exact labels but pixels decoded from JPEG "
            "at quality 75, and one more JPEG pass measurably lowers these models' accuracy (the repository's "
            "\\texttt{benchmarks/gpu/RESULTS.md})"
        )
    return note


def _values(summary: dict, verdicts: dict[str, str]) -> str:
    full = summary["full_fraction"]
    table = summary["table"]
    v = "% generated by dlrepro.vision.report.vision_tex: do not edit\n"
    v += macro("visDataStatus", latex_escape(summary["data_status"]))
    v += macro("visDataset", latex_escape(title(summary.get("dataset", "cifar10"))))
    v += macro("visDataNote", _data_note(summary))
    v += macro("visDevice", latex_escape(", ".join(summary["device"])))
    v += macro("visFullFraction", f"{100 * full:g}\\%")
    v += macro("visSeedCount", table["cnn"][str(full)]["test_accuracy"]["n"])
    v += macro("visTestExamples", f"\\num{{{summary['test_examples']}}}")
    for m, name in (("cnn", "CNN"), ("vit", "ViT")):
        row = table[m][str(full)]
        v += macro(f"visAcc{name}", _pct(row["test_accuracy"]))
        v += macro(f"visParams{name}", f"\\num{{{row['parameters']}}}")
        v += macro(f"visMflops{name}", f"{row['flops_per_image'] / 1e6:.1f}")
        v += macro(f"visImagesPerSecond{name}", f"{row['images_per_second']['mean']:.0f}")
    v += macro("visGapFull", _pct(summary["gap"][str(full)]))
    v += macro("visVerdictOutperforms", verdicts["vision-vit-outperforms-cnn"])
    trend = summary["trend"]
    if trend:
        slope = trend["slope_per_decade"]
        v += macro("visSlope", fmt_ci({"mean": 100 * slope["mean"], "ci95": 100 * slope["ci95"], "n": slope["n"]}, 3))
        v += macro("visGapChange", _pct(trend["gap_change"]))
        v += macro("visSmallestFraction", f"{100 * trend['smallest_fraction']:g}\\%")
        v += macro("visVerdictGrows", verdicts["vision-advantage-grows-with-data"])
        words = {"reproduced": "rises", "not reproduced": "falls", "inconclusive": "shows no clear direction"}
        v += macro("visTrendWords", words[verdicts["vision-advantage-grows-with-data"]])
    else:  # one fraction only: no trend to judge
        for name in ("visSlope", "visGapChange", "visSmallestFraction", "visTrendWords"):
            v += macro(name, "--")
        v += macro("visVerdictGrows", "not tested (one training fraction)")
    return v


def _results_table(summary: dict) -> str:
    full, table = summary["full_fraction"], summary["table"]
    lines = []
    for m in summary["models"]:
        r = table[m][str(full)]
        lines.append(
            f"{MODEL_NAMES[m]} & \\num{{{r['parameters']}}} & {r['flops_per_image'] / 1e6:.1f} & {_pct(r['test_accuracy'])} & "
            f"{r['train_seconds']['mean']:.0f} & {r['images_per_second']['mean']:.0f} \\\\"
        )
    if base := summary.get("baseline", {}).get(str(full)):
        lines.append(
            f"\\midrule\nlinear on pixels & \\num{{{base['parameters']}}} & {base['flops_per_image'] / 1e6:.2f} & "
            f"{_pct(base['test_accuracy'])} & {base['seconds']['mean']:.0f} & -- \\\\"
        )
    return tabular(
        "lrrrrr", "model & parameters & MFLOPs / image & test accuracy (\\%) & training (s) & images / s", lines
    )


def _trend_table(summary: dict) -> str:
    table = summary["table"]
    lines = []
    for f in summary["fractions"]:
        cells = [table[m][str(f)] for m in ("cnn", "vit")]
        gap = summary["gap"].get(str(f))
        base = summary.get("baseline", {}).get(str(f))
        lines.append(
            f"{100 * f:g}\\% & {cells[0]['train_examples']} & {cells[0]['passes']:.3g} & {_pct(cells[0]['test_accuracy'])} & "
            f"{_pct(cells[1]['test_accuracy'])} & {_pct(gap) if gap else '--'} & "
            f"{_pct(base['test_accuracy']) if base else '--'} \\\\"
        )
    head = "fraction & training images & passes & CNN (\\%) & ViT (\\%) & ViT $-$ CNN (points) & linear (\\%)"
    return tabular("lrrrrrr", head, lines)


# ---- the claims of §3.3-3.4: criteria fixed before looking, verdicts computed ---------------------


def _pp(stat: dict) -> str:
    """A difference in accuracy as percentage points, 'mean +- ci' in plain text."""
    if not has_interval(stat):
        return f"{100 * stat['mean']:+.1f} pp (n={stat['n']}, no interval)"
    return f"{100 * stat['mean']:+.1f} +- {100 * stat['ci95']:.1f} pp (95% CI, n={stat['n']})"


def _ladder_trend(summary: dict, key: str, unit: str = "points") -> dict | None:
    """The trend along the compute ladder of a per-seed quantity (`key` in every budget's ladder entry)."""
    ladder = summary.get("ladder", {})
    gaps = {float(b): entry[key] for b, entry in ladder.items() if key in entry}
    return budget_trend(gaps, unit=unit, scale=100) if len(gaps) == len(ladder) else None


def _beside_baseline(summary: dict, full: float) -> str:
    """The models' accuracies beside the linear pixel baseline's: context, not part of the verdict."""
    base = summary.get("baseline", {}).get(str(full))
    if not base:
        return ""
    acc = {m: summary["table"][m][str(full)]["test_accuracy"]["mean"] for m in summary["models"]}
    models = ", ".join(f"{MODEL_NAMES[m]} {100 * a:.1f}%" for m, a in acc.items())
    return f"; {models} vs linear on pixels {100 * base['test_accuracy']['mean']:.1f}%"


def vision_claims(summary: dict) -> list[dict]:
    """The claims-vs-evidence rows of §3.3-3.4, with verdicts computed from the summary."""
    full = summary["full_fraction"]
    gap = summary["gap"][str(full)]
    rows = [
        {
            "id": "vision-vit-outperforms-cnn",
            "short": "ViT beats the CNN on CIFAR",
            "section": "3.3-3.4",
            "claim": "Vision Transformers outperform CNNs in image recognition (self-attention captures global dependencies).",
            "metric": f"test accuracy of the ViT minus the CNN on {title(summary.get('dataset', 'cifar10'))}, trained from scratch on {100 * full:g}% of the training set, paired by seed",
            "criterion": "at the largest budget, reproduced if the 95% CI of the ViT-minus-CNN accuracy lies above 0; not reproduced if it lies below 0; else inconclusive",
            "measured": _pp(gap) + _beside_baseline(summary, full),
            "verdict": ci_verdict(gap),
            "trend": _ladder_trend(summary, "gap_by_seed"),
        }
    ]
    trend = summary["trend"]
    if trend is not None:
        s = trend["slope_per_decade"]
        rows.append(
            {
                "id": "vision-advantage-grows-with-data",
                "short": "ViT's advantage grows with data",
                "section": "3.4",
                "claim": f"{IMPLIED} the ViT's advantage over CNNs grows with the amount of training data (the usual reading of §3.4's claim).",
                "metric": "least-squares slope of the ViT-minus-CNN accuracy over log10(training fraction) "
                f"({', '.join(f'{100 * f:g}%' for f in summary['fractions'])}), per seed; the same training images "
                "and optimizer steps at every fraction (a smaller subset is cycled more often)",
                "criterion": "at the largest budget, reproduced if the 95% CI of the slope lies above 0 (the gap rises with data); "
                "not reproduced if below 0; else inconclusive",
                "measured": f"{_pp(s)} per tenfold data; gap change {100 * trend['smallest_fraction']:g}% -> {100 * trend['full_fraction']:g}%: {_pp(trend['gap_change'])}",
                "verdict": ci_verdict(s),
                "trend": _ladder_trend(summary, "slope_by_seed", "points per tenfold data"),
            }
        )
    if summary["data_status"] != "verified":
        for row in rows:
            row["measured"] += f" [data: {summary['data_status']}]"
    return [claim_row(**row) for row in rows]
