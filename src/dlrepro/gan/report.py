"""Report values of the GAN study: the summary over seeds, the claim verdicts and the LaTeX snippets.

Every verdict is computed here from a criterion stated next to it (the thresholds come from the
config's `gan.claims` block); no number is typed into the report. The verdicts on intervals are
`metrics.ci_verdict`'s, the rule of every study: the whole 95% CI strictly on the claimed side.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from dlrepro.claims import claim_row
from dlrepro.data.sources import title
from dlrepro.data.verify import combined_status
from dlrepro.ladder import budget_trend
from dlrepro.metrics import ci_verdict, mean_ci, paired_by_seed
from dlrepro.report import fmt, fmt_ci, latex_escape, macro, settings_table, tabular

__all__ = ["summarize_gan", "gan_claims", "gan_tex", "instability", "MODEL_LABELS"]

MODEL_LABELS = {"gan": "GAN (the paper's)", "lsgan": "LSGAN", "bigan": "BiGAN"}
MACRO_NAMES = {"gan": "Gan", "lsgan": "Lsgan", "bigan": "Bigan"}


def instability(fids: list[float]) -> float:
    """Mean |change of log FID| between consecutive epochs over the second half of training."""
    f = np.log(np.asarray(fids, dtype=np.float64))
    half = f[len(f) // 2 :]
    return float(np.abs(np.diff(half)).mean()) if len(half) > 1 else float("nan")


def ladder_epochs(epochs: int, budgets) -> list[int]:
    """The epochs at which the ladder reads a run: each budget's share of `epochs`, rounded up, at least 3
    (instability needs two differences of log FID in the second half), at most `epochs`."""
    return sorted({min(epochs, max(3, math.ceil(epochs * float(b)))) for b in budgets})


def _instability_trend(per_seed: dict, histories: dict, at: list[int]) -> dict | None:
    """LSGAN's stability gain (GAN minus LSGAN instability, above 0 favours the claim) along the epochs `at`,
    each read from the first k epochs of the one run: with a constant step size (no schedule) a run
    stopped at epoch k is the run of budget k."""
    seeds = sorted(set(per_seed.get("gan", {})) & set(per_seed.get("lsgan", {})))
    if len(at) < 2 or not seeds:
        return None
    fids = {(m, s): [row["fid"] for row in histories[(m, s)]] for m in ("gan", "lsgan") for s in seeds}
    gaps = {
        k: {
            str(s): instability(fids[("gan", s)][1 : k + 1]) - instability(fids[("lsgan", s)][1 : k + 1]) for s in seeds
        }
        for k in at
    }
    return budget_trend(gaps, unit="", axis="training epochs")


def _ladder(per_seed: dict, histories: dict, budgets) -> dict:
    """The epochs the ladder reads and LSGAN's stability trend along them."""
    epochs = min((len(h) - 1 for h in histories.values()), default=0)  # rows: before training, then one per epoch
    at = ladder_epochs(epochs, budgets) if epochs else []
    return {"ladder_epochs": at, "instability_trend": _instability_trend(per_seed, histories, at)}


def _seed_values(run: dict, fid: list[float], floor_epoch: float) -> dict:
    """What one run (one model, one seed) adds to its model's summary, from its FID per epoch (0: untrained)."""
    return {
        "gap_closed": (fid[0] - fid[-1]) / (fid[0] - floor_epoch),
        "fid_change": fid[-1] - fid[1],  # last epoch minus the first, same sample size
        "instability": instability(fid[1:]),
        "min_class_share": min(run["final"]["class_share"]),
    }


def _model_summary(rs: list[dict], seeds: dict[int, dict]) -> dict:
    """One model's final metrics, the first epoch's, progress and timing: mean and 95% CI over its runs `rs`
    (`seeds`: each run's `_seed_values`, in the same order)."""

    def stat(f):
        return mean_ci(f(r) for r in rs)

    def over_seeds(key):
        return mean_ci(v[key] for v in seeds.values())

    return {
        "seeds": sorted(r["seed"] for r in rs),
        "parameters": rs[0]["parameters"],
        "fid": stat(lambda r: r["final"]["fid"]),
        "inception_score": stat(lambda r: r["final"]["inception_score"]),
        "coverage_kl": stat(lambda r: r["final"]["coverage_kl"]),
        "min_class_share": over_seeds("min_class_share"),
        "lowest_class_share": min(v["min_class_share"] for v in seeds.values()),
        "class_share": np.mean([r["final"]["class_share"] for r in rs], axis=0).tolist(),
        "epoch1_fid": stat(lambda r: r["epoch1"]["fid"]),
        "gap_closed": over_seeds("gap_closed"),
        "fid_change": over_seeds("fid_change"),
        "instability": over_seeds("instability"),
        "train_seconds": stat(lambda r: r["train_seconds"]),
        "steps_per_second": stat(lambda r: r["steps_per_second"]),
        "final_samples": rs[0]["final"]["samples"],
        "device": rs[0]["device"],
    }


def _bigan_summary(rs: list[dict]) -> dict:
    """The BiGAN's linear probes (E(x), raw pixels, a random encoder), E(x)'s gain over the random encoder
    paired by seed, and the reconstruction error."""
    accuracy = [r["bigan"]["probe_accuracy"] for r in rs]
    return {
        "probe": {name: mean_ci(a[name] for a in accuracy) for name in accuracy[0]},
        "probe_gain": paired_by_seed(
            {r["seed"]: a["encoder"] for r, a in zip(rs, accuracy)},
            {r["seed"]: a["random_encoder"] for r, a in zip(rs, accuracy)},
        ),
        "reconstruction_mse": mean_ci(r["bigan"]["reconstruction_mse"] for r in rs),
    }


def summarize_gan(
    runs: list[dict],
    histories: dict[tuple[str, int], list[dict]],
    classifier: dict,
    *,
    samples_per_epoch: int,
    claims: dict,
    budgets=(1.0,),
) -> dict:
    """Per model: final metrics, the first epoch's, progress and timing (mean and 95% CI over seeds), and
    LSGAN's stability gain along the compute ladder (`budgets`: shares of the epochs)."""
    grouped = defaultdict(list)
    for r in runs:
        grouped[r["model"]].append(r)
    floor_epoch = classifier["fid_floor"][str(samples_per_epoch)]
    per_seed = {
        kind: {
            r["seed"]: _seed_values(r, [row["fid"] for row in histories[(kind, r["seed"])]], floor_epoch) for r in rs
        }
        for kind, rs in grouped.items()
    }
    models = {kind: _model_summary(rs, per_seed[kind]) for kind, rs in grouped.items()}
    if "bigan" in models:
        models["bigan"].update(_bigan_summary(grouped["bigan"]))
    if "gan" in per_seed and "lsgan" in per_seed:
        models["lsgan"]["instability_vs_gan"] = paired_by_seed(
            {s: v["instability"] for s, v in per_seed["lsgan"].items()},
            {s: v["instability"] for s, v in per_seed["gan"].items()},
        )
    return {
        "models": models,
        **_ladder(per_seed, histories, budgets),
        "classifier": classifier,
        "floor_epoch": floor_epoch,
        "samples_per_epoch": samples_per_epoch,
        "criteria": claims,
        "data_status": combined_status(r["data_status"] for r in runs),
        "dataset": runs[0].get("dataset", "mnist") if runs else "mnist",
    }


def _ci(stat: dict, digits: int = 3) -> str:
    """A mean and its 95% CI in plain text (claims.json): "0.95 +- 0.01"."""
    return fmt_ci(stat, digits).replace("$\\pm$", "+-")


def _resemble_claim(g: dict, crit: dict, summary: dict, images: str, classes: str) -> dict:
    v = ci_verdict(g["gap_closed"], crit["gap_closed"], above=True)
    if g["lowest_class_share"] < crit["min_class_share"]:
        v = "not reproduced"
    floor = summary["classifier"]["fid_floor"][str(g["final_samples"])]
    return {
        "id": "gan-resemble",
        "short": "GAN samples resemble the training images",
        "section": "2.9",
        "claim": f"The GAN learns to generate new images that resemble {images}.",
        "metric": "share of the FID gap (untrained generator -> train-vs-test floor) closed after the last epoch, "
        f"and the smallest share of any {classes} among the final samples",
        "criterion": f"gap closed > {crit['gap_closed']:g} (lower 95% CI bound) and every {classes} >= "
        f"{crit['min_class_share']:g} of the samples in every seed",
        "measured": f"gap closed {_ci(g['gap_closed'])}; smallest class share {g['lowest_class_share']:.3f}; "
        f"final FID {_ci(g['fid'])} (floor {floor:.3f})",
        "verdict": v,
    }


def _improves_claim(g: dict, summary: dict) -> dict:
    return {
        "id": "gan-improves",
        "short": "GAN samples improve over the epochs",
        "section": "2.8-2.9",
        "claim": "The generator's samples improve over the epochs (the first epoch's are rough).",
        "metric": f"FID after the last epoch minus FID after epoch 1 ({summary['samples_per_epoch']} samples each), paired by seed",
        "criterion": "the difference's 95% CI lies below 0",
        "measured": f"{_ci(g['fid_change'])} (epoch 1: {_ci(g['epoch1_fid'])})",
        "verdict": ci_verdict(g["fid_change"], 0.0, above=False),
    }


def _stability_claim(m: dict, summary: dict) -> dict:
    d = m["lsgan"]["instability_vs_gan"]
    return {
        "id": "lsgan-stability",
        "short": "LSGAN trains more stably than the GAN",
        "section": "2.4",
        "claim": "LSGAN's least-squares loss improves the stability of GAN training.",
        "metric": "mean |change of log FID| between consecutive epochs over the second half of training, "
        "LSGAN minus GAN, paired by seed",
        "criterion": "the difference's 95% CI lies below 0",
        "measured": f"{_ci(d)} (GAN {_ci(m['gan']['instability'])}, LSGAN {_ci(m['lsgan']['instability'])})",
        "verdict": ci_verdict(d, 0.0, above=False),
        "trend": summary.get("instability_trend"),
    }


def _encoder_claim(b: dict) -> dict:
    p = b["probe"]
    return {
        "id": "bigan-encoder",
        "short": "BiGAN's encoder gives useful features",
        "section": "2.4",
        "claim": "BiGAN's encoder maps data to the latent space (tested as: E(x) is a better representation than a random encoder's).",
        "metric": "test accuracy of a linear classifier on E(x) minus on a randomly initialised encoder, paired by seed",
        "criterion": "the difference's 95% CI lies above 0",
        "measured": f"{_ci(b['probe_gain'])} (E(x) {_ci(p['encoder'])}, random {_ci(p['random_encoder'])}, "
        f"pixels {_ci(p['pixels'])})",
        # strictly above 0: no gain at all (e.g. a zero-width interval at 0) is inconclusive
        "verdict": ci_verdict(b["probe_gain"], 0.0, above=True),
    }


def gan_claims(summary: dict) -> list[dict]:
    """The claims of §2 this study tests, each with its criterion, measurement and computed verdict."""
    m, crit, out = summary["models"], summary["criteria"], []
    dataset = summary.get("dataset", "mnist")
    # the paper's claim is about MNIST digits; on another set it is read as "resemble that set's images"
    images, classes = ("MNIST digits", "digit class") if dataset == "mnist" else (f"{title(dataset)} images", "class")
    if "gan" in m:
        out.append(_resemble_claim(m["gan"], crit, summary, images, classes))
        out.append(_improves_claim(m["gan"], summary))
    if "lsgan" in m and "instability_vs_gan" in m["lsgan"]:
        out.append(_stability_claim(m, summary))
    if "bigan" in m:
        out.append(_encoder_claim(m["bigan"]))
    return [claim_row(**row) for row in out]


def setting_rows(settings: dict, seeds: list[int], classifier: dict) -> dict[str, str]:
    m, o, e, c = settings["model"], settings["optim"], settings["eval"], settings["classifier"]
    return {
        "models": ", ".join(MODEL_LABELS[k] for k in settings["models"]),
        "generator": f"{m['latent_dim']} -> {m['hidden']} (ReLU) -> 784 (Sigmoid)",
        "discriminator": f"784 -> {m['hidden']} (ReLU) -> 1 (Sigmoid; linear for LSGAN); BiGAN: 784 + {m['latent_dim']} inputs",
        "BiGAN encoder": f"784 -> {m['hidden']} (ReLU) -> {m['latent_dim']}",
        "latent": f"{m['latent_distribution']} ({'N(0, I)' if m['latent_distribution'] == 'normal' else 'U(-1, 1)'})",
        "loss": f"BCE, generator {o['generator_loss'].replace('_', '-')}; LSGAN least squares",
        "optimiser": f"Adam, learning rate {o['learning_rate']:g}, betas {o['betas'][0]:g}/{o['betas'][1]:g}",
        "epochs / batch size": f"{o['epochs']} / {o['batch_size']}",
        "images": f"{title(classifier.get('dataset', 'mnist'))} scaled to [0, 1]",
        "scored per epoch / at the end": f"{e['samples_per_epoch']} / {e['final_samples']} generated images",
        "metric classifier": f"CNN {c['channels'][0]}-{c['channels'][1]} channels, {c['hidden']} features, "
        f"{c['epochs']} epochs{' (bf16 autocast)' if classifier.get('bf16', c.get('bf16') is True) else ''}; test accuracy {classifier['test_accuracy']:.4f}",
        "seeds": ", ".join(map(str, seeds)),
    }


def gan_tex(summary: dict, claims: list[dict], settings: dict, seeds: list[int]) -> dict[str, str]:
    """Macros, the settings table, the metrics table and the BiGAN probe table."""
    cls, models = summary["classifier"], summary["models"]
    final_n = str(next(iter(models.values()))["final_samples"]) if models else None
    rows = [
        f"{latex_escape(k)} & {latex_escape(v, notation=True)} \\\\"
        for k, v in setting_rows(settings, seeds, cls).items()
    ]
    return {
        "values": _values(summary, claims, settings, final_n),
        "setting_table": settings_table(rows),
        "metrics_table": _metrics_table(models, cls, final_n),
        "probe_table": _probe_table(models),
    }


def _values(summary: dict, claims: list[dict], settings: dict, final_n: str | None) -> str:
    cls, models = summary["classifier"], summary["models"]
    values = "% generated by dlrepro.gan.report.gan_tex: do not edit\n"
    values += macro("ganClassifierAccuracy", f"{100 * cls['test_accuracy']:.2f}\\%")
    values += macro("ganClassifierMin", f"{100 * settings['classifier']['min_accuracy']:.0f}\\%")
    values += macro("ganClassifierOk", "meets" if cls["meets_min_accuracy"] else "falls short of")
    values += macro("ganFidFloor", fmt(cls["fid_floor"][final_n]) if final_n in cls["fid_floor"] else "--")
    values += macro("ganFidFloorEpoch", fmt(summary["floor_epoch"]))
    values += macro("ganSamplesPerEpoch", f"{summary['samples_per_epoch']:,}")
    values += macro("ganFinalSamples", f"{int(final_n):,}" if final_n else "--")
    values += macro("ganTestIs", fmt(cls["test_inception_score"], 3))
    values += macro("ganGapCriterion", f"{settings['claims']['gap_closed']:g}")
    values += macro("ganShareCriterion", f"{settings['claims']['min_class_share']:g}")
    values += macro("ganDataStatus", latex_escape(summary["data_status"]))
    values += macro("ganDataset", latex_escape(title(summary.get("dataset", "mnist"))))
    per_model = {
        "Fid": lambda r: fmt_ci(r["fid"], 3),
        "Is": lambda r: fmt_ci(r["inception_score"], 3),
        "EpochOneFid": lambda r: fmt_ci(r["epoch1_fid"], 3),
        "Gap": lambda r: fmt_ci(r["gap_closed"], 3),
        "FidChange": lambda r: fmt_ci(r["fid_change"], 3),
        "MinShare": lambda r: f"{r['lowest_class_share']:.3f}",
        "Seconds": lambda r: fmt(r["train_seconds"]["mean"], 3),
        "StepsPerSecond": lambda r: fmt(r["steps_per_second"]["mean"], 3),
        "Instability": lambda r: fmt_ci(r["instability"], 3),
    }
    for kind, name in MACRO_NAMES.items():  # every macro exists, "--" for a model not configured
        for key, value in per_model.items():
            values += macro(f"gan{key}{name}", value(models[kind]) if kind in models else "--")
    b = models.get("bigan")
    for key, name in (("encoder", "Encoder"), ("pixels", "Pixels"), ("random_encoder", "Random")):
        values += macro(f"ganProbe{name}", fmt_ci(b["probe"][key], 3) if b else "--")
    values += macro("ganProbeGain", fmt_ci(b["probe_gain"], 3) if b else "--")
    values += macro("ganReconMse", fmt_ci(b["reconstruction_mse"], 3) if b else "--")
    diff = models.get("lsgan", {}).get("instability_vs_gan")
    values += macro("ganInstabilityDiff", fmt_ci(diff, 3) if diff else "--")
    trend = next((c.get("trend") for c in claims if c["id"] == "lsgan-stability"), None)
    values += macro(
        "ganStabilityTrend",
        latex_escape(trend["words"]).replace("+-", "$\\pm$") if trend else "no trend (fewer than two ladder epochs)",
    )
    values += macro("ganLadderEpochs", ", ".join(map(str, summary.get("ladder_epochs", []))) or "--")
    ids = {
        "gan-resemble": "Resemble",
        "gan-improves": "Improves",
        "lsgan-stability": "Stability",
        "bigan-encoder": "Encoder",
    }
    for claim in claims:
        values += macro(f"ganVerdict{ids[claim['id']]}", claim["verdict"])
    for missing in set(ids) - {c["id"] for c in claims}:
        values += macro(f"ganVerdict{ids[missing]}", "not run")
    return values


def _metrics_table(models: dict, cls: dict, final_n: str | None) -> str:
    lines = []
    for kind, r in models.items():
        lines.append(
            f"{latex_escape(MODEL_LABELS[kind])} & {fmt_ci(r['fid'], 3)} & {fmt_ci(r['inception_score'], 3)} & "
            f"{fmt_ci(r['coverage_kl'], 3)} & {r['lowest_class_share']:.3f} & {fmt_ci(r['epoch1_fid'], 3)} & "
            f"{len(r['seeds'])} & {fmt(r['train_seconds']['mean'], 3)} \\\\"
        )
    lines.append("\\midrule")
    lines.append(
        f"real images (train vs test) & {values_floor(cls, final_n)} & {fmt(cls['test_inception_score'], 3)} & "
        f"{fmt(cls['test_coverage_kl'], 3)} & {min(cls['test_class_share']):.3f} & -- & -- & -- \\\\"
    )
    return tabular("lrrrrrrr", "model & FID & IS & coverage KL & min.\\ share & FID, epoch 1 & seeds & seconds", lines)


def _probe_table(models: dict) -> str:
    if "bigan" not in models:
        return "BiGAN not run.\n"
    p = models["bigan"]["probe"]
    body = [
        f"{label} & {fmt_ci(p[key], 3)} \\\\"
        for key, label in (
            ("encoder", "BiGAN encoder $E(x)$"),
            ("random_encoder", "randomly initialised encoder"),
            ("pixels", "raw pixels"),
        )
    ]
    return tabular("lr", "features & test accuracy", body)


def values_floor(cls: dict, n: str | None) -> str:
    return fmt(cls["fid_floor"][n], 3) if n in cls["fid_floor"] else "--"
