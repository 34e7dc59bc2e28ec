"""Report values: summaries of results and the LaTeX snippets (`\\input` files) the report is built from.

Nothing here types a number: every value comes from result files, and every verdict is computed
from a criterion stated next to it.
"""

from __future__ import annotations

import math
from collections import defaultdict

from dlrepro.metrics import ci_verdict, has_interval, mean_ci

__all__ = [
    "latex_escape",
    "fmt",
    "fmt_ci",
    "fmt_pm",
    "macro",
    "ae_claim_holds",
    "summarize_autoencoder",
    "autoencoder_tex",
    "provenance_tex",
    "autoencoder_setting_rows",
]


# plain-text notation in result strings (claims.json, settings) typeset as what it stands for
_NOTATION = {"->": r"$\rightarrow$", ">=": r"$\geq$", "<=": r"$\leq$", "^2": r"$^2$"}


def latex_escape(text: str, *, notation: bool = False) -> str:
    """`text` with LaTeX's special characters escaped. With `notation` (prose: claims, settings), also
    ->, >=, <= and ^2 (not followed by a digit) typeset as the symbols they stand for; names, paths and
    versions keep their characters."""
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}  # fmt: skip
    text, out, i = str(text), [], 0
    while i < len(text):
        pair = text[i : i + 2]
        if notation and pair in _NOTATION and not (pair == "^2" and text[i + 2 : i + 3].isdigit()):
            out.append(_NOTATION[pair])
            i += 2
        else:
            out.append(repl.get(text[i], text[i]))
            i += 1
    return "".join(out)


def fmt(x: float, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "--"
    return f"{x:.{digits}g}" if abs(x) < 1e-3 or abs(x) >= 1e4 else f"{x:.{digits}f}"


def fmt_ci(stat: dict, digits: int = 4) -> str:
    """'mean \\pm ci', both to the decimal of the interval's second significant digit.

    A single seed (or an interval that is not finite) gives just the mean, formatted by `fmt`.
    """
    mean, half = stat["mean"], stat["ci95"]
    if not has_interval(stat):
        return fmt(mean, digits)
    if half == 0:
        return f"{fmt(mean, digits)} $\\pm$ 0"
    decimals = min(max(0, 1 - math.floor(math.log10(half))), 8)
    return f"{mean:.{decimals}f} $\\pm$ {half:.{decimals}f}"


def fmt_pm(stat: dict, digits: int = 4) -> str:
    """`fmt_ci` in plain text, 'mean +- ci' (claims.json is read by people and by the HTML report too)."""
    return fmt_ci(stat, digits).replace(" $\\pm$ ", " +- ")


def macro(name: str, value) -> str:
    assert name.isalpha(), f"LaTeX macro names are letters only: {name!r}"
    return f"\\newcommand{{\\{name}}}{{{value}}}\n"


def _camel(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_"))


def summarize_autoencoder(runs: list[dict], baselines: dict, *, default_reduction: str) -> dict:
    """Group per-seed NumPy-AE metrics by loss reading; mean and 95% CI of each metric."""
    grouped = defaultdict(list)
    for run in runs:
        grouped[run["loss_reduction"]].append(run)
    readings = {}
    for reduction, rs in grouped.items():
        readings[reduction] = {
            key: mean_ci(r[key] for r in rs) for key in ("test_mse", "psnr", "seconds", "final_train_loss")
        }
        readings[reduction]["seeds"] = sorted(r["seed"] for r in rs)
        readings[reduction]["learns"] = readings[reduction]["test_mse"]["mean"] < baselines["mean_image_mse"]
    default = readings[default_reduction]["test_mse"]
    one_seed = not has_interval(default)  # no interval: no upper bound
    statuses = {r.get("data_status", "verified") for r in runs}
    return {
        "default_reduction": default_reduction,
        "readings": readings,
        "baselines": baselines,
        "data_status": "unverified copy" if "unverified copy" in statuses else "verified",
        "claim": {
            # §1.4: reconstructions lose detail but keep the digits' structure. Criterion, fixed in advance:
            # the default reading beats the mean image (upper CI bound below it: digit-specific structure
            # is kept; undecided, None, with one seed) and stays above the optimal linear code of the
            # same size (detail is lost).
            "keeps_structure": None if one_seed else default["mean"] + default["ci95"] < baselines["mean_image_mse"],
            "loses_detail": default["mean"] > baselines["pca_mse"],
        },
    }


def ae_claim_holds(claim: dict) -> bool | None:
    """§1.4's claim from its two parts: False if either part fails, None (inconclusive) if the structure
    part is undecided (one seed), else True."""
    keeps, loses = claim["keeps_structure"], claim["loses_detail"]
    if (keeps is not None and not keeps) or not loses:
        return False
    return None if keeps is None else True


def autoencoder_tex(summary: dict, setting: dict) -> dict[str, str]:
    """The autoencoder section's generated snippets: macros, a settings table and a metrics table."""
    base = summary["baselines"]
    claim = summary["claim"]
    default = summary["default_reduction"]
    holds = ae_claim_holds(claim)
    values = "% generated by dlrepro.report.autoencoder_tex: do not edit\n"
    values += macro("aeDefaultReduction", f"\\texttt{{{latex_escape(default)}}}")
    values += macro("aeDataset", latex_escape(DATASET_NAMES.get(base.get("dataset", "mnist"), base.get("dataset", "mnist"))))
    values += macro("aeMeanImageMse", fmt(base["mean_image_mse"]))
    values += macro("aePcaMse", fmt(base["pca_mse"]))
    values += macro("aePcaComponents", base["pca_components"])
    for reduction, r in summary["readings"].items():
        values += macro(f"aeMse{_camel(reduction)}", fmt_ci(r["test_mse"]))
    values += macro("aeMseDefault", fmt_ci(summary["readings"][default]["test_mse"]))
    values += macro("aeDataStatus", latex_escape(summary["data_status"]))
    values += macro("aeVerdict", holds_verdict(holds))
    values += macro("aeKeepsStructure", {True: "yes", False: "no", None: "undecided with one seed"}[claim["keeps_structure"]])
    values += macro("aeLosesDetail", "yes" if claim["loses_detail"] else "no")
    learners = [r for r, v in summary["readings"].items() if v["learns"]]
    values += macro("aeLearningReadings", ", ".join(f"\\texttt{{{latex_escape(r)}}}" for r in learners) or "none")

    rows = [f"{latex_escape(k.replace('_', ' '))} & {latex_escape(v, notation=True)} \\\\" for k, v in setting.items()]
    setting_table = "\\begin{tabular}{ll}\n\\toprule\nsetting & value \\\\\n\\midrule\n" + "\n".join(rows)
    setting_table += "\n\\bottomrule\n\\end{tabular}\n"

    lines = []
    for reduction, r in summary["readings"].items():
        mark = " (default)" if reduction == default else ""
        lines.append(
            f"NumPy AE, \\texttt{{{latex_escape(reduction)}}}{mark} & {fmt_ci(r['test_mse'])} & "
            f"{fmt_ci(r['psnr'], 3)} & {len(r['seeds'])} & {fmt(r['seconds']['mean'], 3)} \\\\"
        )
    lines.append("\\midrule")
    lines.append(f"mean training image & {fmt(base['mean_image_mse'])} & {fmt(base['mean_image_psnr'], 3)} & -- & -- \\\\")
    lines.append(
        f"PCA, {base['pca_components']} components & {fmt(base['pca_mse'])} & {fmt(base['pca_psnr'], 3)} & -- & -- \\\\"
    )
    metrics_table = (
        "\\begin{tabular}{lrrrr}\n\\toprule\n"
        "model & test MSE per pixel & PSNR (dB) & seeds & seconds \\\\\n\\midrule\n"
        + "\n".join(lines)
        + "\n\\bottomrule\n\\end{tabular}\n"
    )
    return {"values": values, "setting_table": setting_table, "metrics_table": metrics_table}


def provenance_tex(records: list[dict]) -> str:
    """A table of the data sets used: source, mode, checksum status (and why a copy is unverified)."""
    lines = []
    for rec in records:
        n_bad = sum(f["status"] != "verified" for f in rec["files"])
        n_contents = sum(f.get("verified_by") == "contents" for f in rec["files"])
        why = f" ({n_bad} of {len(rec['files'])} files differ from the published checksums)" if n_bad else ""
        if n_contents:  # recompressed copies whose decompressed data are the published bytes
            why += f" ({n_contents} of {len(rec['files'])} files by their decompressed contents)"
        source = "offline copy" if rec["mode"] == "offline" else "download"
        lines.append(
            f"{latex_escape(rec['dataset'])} & {source} & {len(rec['files'])} & "
            f"\\textbf{{{latex_escape(rec['status'])}}}{why} \\\\"
        )
    return (
        "\\begin{tabularx}{\\linewidth}{llrX}\n\\toprule\n"
        "data set & obtained by & files & checksum status \\\\\n\\midrule\n"
        + "\n".join(lines)
        + "\n\\bottomrule\n\\end{tabularx}\n"
    )


def autoencoder_setting_rows(setting: dict, baselines: dict) -> dict[str, str]:
    """The NumPy-AE setting as it ran, in words, for the report's settings table."""
    m, d = setting["model"], setting["data"]
    return {
        "data set": d.get("dataset", "mnist"),
        "architecture": f"784 -> {m['hidden_dim']} (ReLU) -> 784 (sigmoid), NumPy float32",
        "weight init": f"N(0, {m['init_std']}^2), biases 0",
        "optimiser": f"plain minibatch gradient descent, learning rate {m['learning_rate']:g}",
        "epochs / batch size": f"{m['epochs']} / {m['batch_size']}",
        "readings of MSE run": ", ".join(m["loss_reductions"]),
        "default reading": m["loss_reduction"],
        "training / test images": f"{baselines['train_examples']} / {baselines['test_examples']}",
        "snapshot every": f"{m['snapshot_every']} iterations",
        "seeds": ", ".join(map(str, setting["seeds"])),
    }


DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}

MODEL_LABELS = {
    "numpy_ae_paper": "NumPy AE, the paper's setting",
    "numpy_ae_tuned": "NumPy AE, tuned (Adam)",
    "basic": "basic (fully connected)",
    "conv": "convolutional",
    "denoising_gaussian": "denoising, Gaussian noise",
    "denoising_mask": "denoising, masking",
    "vae": "variational",
}


_HOLDS = {"reproduced": True, "not reproduced": False, "inconclusive": None}


def holds_verdict(holds: bool | None) -> str:
    """The verdict word of a criterion's outcome: True, False, or None (decides nothing)."""
    return "inconclusive" if holds is None else "reproduced" if holds else "not reproduced"


def _paired_difference(a: list[dict], b: list[dict], key: str = "test_mse") -> dict:
    """Mean and 95% CI of a - b over the seeds both have."""
    by_seed = {r["seed"]: r[key] for r in b}
    return mean_ci(r[key] - by_seed[r["seed"]] for r in a if r["seed"] in by_seed)


def summarize_autoencoder_models(torch_runs: list[dict], tuned_runs: list[dict], paper: dict, *, code_size: int) -> dict:
    """All autoencoders side by side, the compression-fidelity curve, and the §1.5 verdicts."""
    groups = defaultdict(list)
    for r in torch_runs:
        groups[(r["model"], r["code_size"])].append(r)
    stat = lambda rs, k: mean_ci(r[k] for r in rs)  # noqa: E731
    default = paper["readings"][paper["default_reduction"]]
    hidden = tuned_runs[0]["hidden_dim"]  # the paper's and the tuned run share the architecture
    rows = {
        "numpy_ae_paper": {"code_size": hidden, **{k: default[k] for k in ("test_mse", "psnr", "seconds")}},
        "numpy_ae_tuned": {"code_size": hidden, **{k: stat(tuned_runs, k) for k in ("test_mse", "psnr", "seconds")}},
    }
    for (model, code), rs in sorted(groups.items()):
        if model in ("basic", "conv") and code != code_size:
            continue
        rows[model] = {k: stat(rs, k) for k in ("test_mse", "psnr", "seconds")}
        rows[model].update(code_size=code, parameters=rs[0]["parameters"])
        if model == "vae":
            rows[model]["test_neg_elbo"] = stat(rs, "test_neg_elbo")
    sweep = {
        model: {str(code): stat(rs, "test_mse") for (m, code), rs in sorted(groups.items()) if m == model}
        for model in ("basic", "conv")
        if any(m == model for m, _ in groups)
    }
    sweep["pca"] = {k: {"mean": v, "ci95": float("nan"), "n": 1} for k, v in paper["baselines"]["pca_sweep"].items()}
    claims = {}
    if ("conv", code_size) in groups and ("basic", code_size) in groups:
        diff = _paired_difference(groups[("conv", code_size)], groups[("basic", code_size)])
        # §1.5: convolutional autoencoders suit images better. Criterion: conv minus basic test MSE at the
        # comparison code size, paired by seed, lies below zero: the three-way CI rule of every study
        # (holds: True reproduced, False not reproduced, None inconclusive).
        claims["conv_better"] = {"difference": diff, "holds": _HOLDS[ci_verdict(diff, above=False)]}
        wins = [c for c in sweep["conv"] if c in sweep["basic"] and sweep["conv"][c]["mean"] < sweep["basic"][c]["mean"]]
        claims["conv_better"]["code_sizes_won"] = f"{len(wins)} of {len(sweep['conv'])}"
    # §1.5: a trade-off between compression and fidelity. Criterion: for every model of the curve, the
    # mean test MSE falls strictly as the code grows.
    decreasing = {
        m: all(a["mean"] > b["mean"] for a, b in zip(list(c.values()), list(c.values())[1:]))
        for m, c in ((m, dict(sorted(v.items(), key=lambda kv: int(kv[0])))) for m, v in sweep.items())
    }
    claims["tradeoff"] = {"per_model": decreasing, "holds": all(decreasing.values())}
    bf16 = any(r.get("bf16", False) for r in torch_runs)  # autoencoder.torch_ae.bf16 (older runs: float32)
    return {"code_size": code_size, "rows": rows, "sweep": sweep, "claims": claims, "bf16": bf16}


def autoencoder_models_tex(summary: dict) -> dict[str, str]:
    """Macros, the models table and the compression table of the autoencoder comparison."""
    lines = []
    order = [k for k in MODEL_LABELS if k in summary["rows"]]  # JSON files sort their keys: restore the reading order
    for key in order:
        row = summary["rows"][key]
        params = f"{row['parameters']:,}" if row.get("parameters") else "--"
        elbo = fmt_ci(row["test_neg_elbo"], 4) if "test_neg_elbo" in row else "--"
        lines.append(
            f"{latex_escape(MODEL_LABELS.get(key, key))} & {row['code_size']} & {params} & {fmt_ci(row['test_mse'])} & "
            f"{fmt_ci(row['psnr'], 3)} & {elbo} & {fmt(row['seconds']['mean'], 3)} \\\\"
        )
    models_table = (
        "\\begin{tabular}{lrrrrrr}\n\\toprule\nmodel & code & parameters & test MSE & PSNR (dB) & $-$ELBO (nats) & seconds \\\\\n\\midrule\n"
        + "\n".join(lines)
        + "\n\\bottomrule\n\\end{tabular}\n"
    )
    sweep = summary["sweep"]
    codes = sorted({int(c) for v in sweep.values() for c in v})
    header = "model & " + " & ".join(str(c) for c in codes) + " \\\\"
    body = []
    for model in [m for m in ("basic", "conv", "pca") if m in sweep]:
        curve = sweep[model]
        cells = [fmt_ci(curve[str(c)]) if str(c) in curve else "--" for c in codes]
        body.append(f"{latex_escape(MODEL_LABELS.get(model, model.upper()))} & " + " & ".join(cells) + " \\\\")
    compression_table = (
        f"\\begin{{tabular}}{{l{'r' * len(codes)}}}\n\\toprule\n{header}\n\\midrule\n" + "\n".join(body) + "\n\\bottomrule\n\\end{tabular}\n"
    )
    claims = summary["claims"]
    values = "% generated by dlrepro.report.autoencoder_models_tex: do not edit\n"
    values += macro("aeCodeSize", summary["code_size"])
    values += macro(
        "aeTorchPrecision",
        "under bfloat16 autocast (weights, optimiser state and losses in float32; test errors computed in float32)"
        if summary.get("bf16") else "in float32",
    )  # fmt: skip
    if "conv_better" in claims:
        c = claims["conv_better"]
        values += macro("aeConvMinusBasic", fmt_ci(c["difference"]))
        values += macro("aeConvWins", c["code_sizes_won"])
        values += macro("aeConvVerdict", holds_verdict(c["holds"]))
    else:
        values += macro("aeConvMinusBasic", "--") + macro("aeConvWins", "--") + macro("aeConvVerdict", "inconclusive (not run)")
    values += macro("aeTradeoffVerdict", holds_verdict(claims["tradeoff"]["holds"]))
    code = str(summary["code_size"])
    pca = sweep.get("pca", {}).get(code, {}).get("mean")
    rows = summary["rows"]
    beat = [k for k in ("numpy_ae_tuned", "basic", "conv") if k in rows and pca is not None and rows[k]["test_mse"]["mean"] < pca]
    values += macro("aePcaAtCode", fmt(pca) if pca is not None else "--")
    values += macro("aeBeatPca", latex_escape(", ".join(MODEL_LABELS[k] for k in beat)) if beat else "none")
    undertrained = "numpy_ae_tuned" in beat and any(k in rows and k not in beat for k in ("basic", "conv"))
    values += macro(
        "aeBudgetNote",
        "The paper's own architecture trained longer with Adam beats the linear optimum, so a PyTorch model "
        "above it is undertrained at this budget rather than limited by its architecture."
        if undertrained
        else "",
    )
    return {"values": values, "models_table": models_table, "compression_table": compression_table}
