"""The vision training loop (learning, determinism, resuming, fast-path switches) and the study's verdicts."""

import math

import numpy as np
import pytest
import torch

from dlrepro.checkpoint import Checkpointer
from dlrepro.metrics import ci_verdict
from dlrepro.vision.report import setting_rows, vision_claims, vision_tex
from dlrepro.vision.settings import run_settings
from dlrepro.vision.study import slope, summarize_vision
from dlrepro.vision.training import TrainConfig
from dlrepro.vision.wsd import train_classifier, train_ladder
from tests.conftest import default_config, vision_runs

torch.set_num_threads(1)

# the tests' recipe: the default config's `train` block as a run gets it (TrainConfig has no defaults: the
# schema holds them), with passes in place of the run's images, more of them on larger batches and a
# larger per-epoch test sample; each test changes what it needs
_RUN_TRAIN = run_settings(default_config()["vision"], model="cnn", fraction=1.0)["train"]
TRAIN = {  # the loop's: passes (`epochs`) over the data it is given, where a run's settings give `images`
    **{k: v for k, v in _RUN_TRAIN.items() if k != "images"},
    "epochs": 10,
    "batch_size": 256,
    "eval_examples": 2000,
}
FAST = {"data_on_device": False, "bf16": False, "channels_last": False, "compile": False, "checkpoint_every_s": 0.0}

ARCH = {
    "cnn": {"widths": (4, 8), "blocks": (1, 1)},
    "vit": {"dim": 16, "depth": 1, "heads": 2, "patch_size": 8, "dropout": 0.1},
}
TIMING = {
    "train_seconds",
    "images_per_second",
    "test_images_per_second",
    "setup_seconds",
    "eval_seconds",
    "checkpoint_seconds",
    "finish_seconds",
}


def _cfg(**changes) -> TrainConfig:
    return TrainConfig(**{**TRAIN, **FAST, **changes})


def _data(n=120, n_test=40, seed=0):
    """Images whose class sets the mean colour: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n + n_test)
    x = np.clip(y[:, None, None, None] * 60 + rng.normal(0, 25, (n + n_test, 3, 32, 32)), 0, 255).astype(np.uint8)
    return {"x_train": x[:n], "y_train": y[:n], "x_test": x[n:], "y_test": y[n:]}


def _train(kind, cfg, **kw):
    return train_classifier(
        kind, {**ARCH[kind], "num_classes": 4}, cfg, _data(), learning_rate=3e-3, weight_decay=0.01, seed=0, **kw
    )


def _untimed(metrics):
    return {k: v for k, v in metrics.items() if k not in TIMING}


def test_training_lowers_the_loss_and_beats_chance():
    # 6 passes: the WSD schedule's accuracy comes with its short cool-down (4 passes scored 0.425 here)
    metrics, history, arrays = _train("cnn", _cfg(epochs=6, batch_size=16, eval_examples=0))
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert metrics["test_accuracy"] > 0.5, "4 classes with distinct colours: chance is 0.25"
    assert arrays["confusion"].sum() == 40 and metrics["flops_per_image"] > 0
    overhead = [metrics[k] for k in ("setup_seconds", "eval_seconds", "checkpoint_seconds", "finish_seconds")]
    assert all(t >= 0 for t in overhead) and metrics["eval_seconds"] > 0, "6 epochs were scored"


@pytest.mark.parametrize("kind,mix", [("cnn", 0.0), ("vit", 0.0), ("vit", 1.0)])
def test_a_resumed_run_ends_like_an_uninterrupted_one(kind, mix, tmp_path):
    cfg = _cfg(epochs=3, batch_size=16, eval_examples=0, mixup_alpha=mix, cutmix_alpha=mix)
    whole, whole_history, whole_arrays = _train(kind, cfg)
    ckpt = Checkpointer(tmp_path / ".checkpoint.pt", {"kind": kind})
    assert _train(kind, cfg, checkpoint=ckpt, stop_after_epoch=1) is None, "stopped after epoch 1, as if killed"
    assert ckpt.path.exists()
    resumed, history, arrays = _train(kind, cfg, checkpoint=ckpt)
    assert _untimed(resumed) == _untimed(whole)
    assert [h["train_loss"] for h in history] == [h["train_loss"] for h in whole_history]
    assert np.array_equal(arrays["confusion"], whole_arrays["confusion"])
    if kind == "vit":
        assert np.array_equal(arrays["attention_maps"], whole_arrays["attention_maps"])


def test_checkpoints_every_n_seconds_skip_epochs_but_a_stop_still_saves(tmp_path, monkeypatch):
    saves = []
    ckpt = Checkpointer(tmp_path / ".checkpoint.pt", {"kind": "cnn"})
    monkeypatch.setattr(ckpt, "save", lambda state, where="": saves.append(where))
    cfg = _cfg(epochs=3, batch_size=16, eval_examples=0, checkpoint_every_s=3600)
    _train("cnn", cfg, checkpoint=ckpt)
    assert saves == [], "a 3-epoch run within the hour writes no checkpoint"
    assert _train("cnn", cfg, checkpoint=ckpt, stop_after_epoch=1) is None
    assert saves == ["epoch 1"], "a stopped (killed) run saves where it stopped"
    every = Checkpointer(tmp_path / ".every.pt", {"kind": "cnn"})
    monkeypatch.setattr(every, "save", lambda state, where="": saves.append(where))
    _train("cnn", _cfg(epochs=3, batch_size=16, eval_examples=0), checkpoint=every)
    # 21 steps, the last 4 the cool-down: the trunk's epochs, then where the one cool-down starts
    assert saves[1:] == ["epoch 1", "epoch 2", "step 17, before cool-down 1/1"]


def test_checkpointer_is_due_after_the_interval(tmp_path, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("dlrepro.checkpoint.time.monotonic", lambda: clock[0])
    ckpt = Checkpointer(tmp_path / "c.pt", {})
    assert ckpt.due(0) and not ckpt.due(60)
    clock[0] = 161.0
    assert ckpt.due(60)
    ckpt.save({"x": 1})
    assert not ckpt.due(60) and ckpt.due(0)
    assert not Checkpointer(None).due(0), "no path, never due"


def test_cpu_fast_paths_run_and_learn():
    cfg = _cfg(epochs=3, batch_size=16, eval_examples=0, data_on_device=True, bf16=True, channels_last=True)
    for kind in ("cnn", "vit"):
        metrics, history, _ = _train(kind, cfg)
        assert all(math.isfinite(h["train_loss"]) for h in history)
        assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_unknown_or_bad_training_keys_fail_loudly():
    with pytest.raises(ValueError, match="Unknown config key"):
        TrainConfig.from_dict({**TRAIN, **FAST, "epoch": 3})
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig.from_dict({**TRAIN, **FAST, "optimizer": "adam"})
    with pytest.raises(ValueError, match="cutmix_alpha"):
        TrainConfig.from_dict({**TRAIN, **FAST, "cutmix_alpha": -1.0})
    assert TrainConfig.from_dict({**TRAIN, **FAST}) == _cfg()


def test_a_missing_training_key_is_an_error_not_a_default():
    with pytest.raises(ValueError, match="Missing config key for the vision training: 'batch_size', 'flip'"):
        TrainConfig.from_dict({k: v for k, v in {**TRAIN, **FAST}.items() if k not in ("batch_size", "flip")})
    with pytest.raises(TypeError):
        TrainConfig(epochs=1)


def test_mixup_and_cutmix_train_and_learn():
    cfg = _cfg(epochs=8, batch_size=16, eval_examples=0, mixup_alpha=0.8, cutmix_alpha=1.0)
    metrics, history, _ = _train("cnn", cfg)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert metrics["test_accuracy"] > 0.5, "4 classes with distinct colours: chance is 0.25"
    _, plain_history, _ = _train("cnn", _cfg(epochs=8, batch_size=16, eval_examples=0))
    assert [h["train_loss"] for h in plain_history] != [h["train_loss"] for h in history], "mixing changes the run"


def test_verdict_needs_the_whole_interval_on_one_side_of_zero():
    assert ci_verdict({"mean": 0.05, "ci95": 0.02, "n": 3}) == "reproduced"
    assert ci_verdict({"mean": -0.05, "ci95": 0.02, "n": 3}) == "not reproduced"
    assert ci_verdict({"mean": 0.01, "ci95": 0.02, "n": 3}) == "inconclusive"
    assert ci_verdict({"mean": 0.3, "ci95": float("nan"), "n": 1}) == "inconclusive"


def _runs(gap_at):
    """CNN at 0.6 + noise; ViT = CNN + gap_at(fraction) + noise, three seeds, four fractions."""
    return vision_runs({f: gap_at(f) for f in (0.1, 0.25, 0.5, 1.0)}, data_status="unverified copy")


def test_summary_gap_trend_and_claims_from_known_runs():
    summary = summarize_vision(_runs(lambda f: -0.10 + 0.05 * np.log10(f / 0.1)))  # ViT behind, catching up
    full = summary["gap"]["1.0"]
    assert full["n"] == 3 and full["mean"] == pytest.approx(-0.05 + 0.0005 / 3, abs=1e-9)
    assert summary["trend"]["slope_per_decade"]["mean"] == pytest.approx(0.05 + 0.0, abs=0.01)
    assert summary["trend"]["gap_change"]["mean"] == pytest.approx(0.05, abs=0.01)
    claims = {c["id"]: c for c in vision_claims(summary)}
    assert claims["vision-vit-outperforms-cnn"]["verdict"] == "not reproduced"
    assert claims["vision-advantage-grows-with-data"]["verdict"] == "reproduced"
    assert "unverified copy" in claims["vision-vit-outperforms-cnn"]["measured"]
    assert set(claims["vision-vit-outperforms-cnn"]) == {
        "id",
        "section",
        "claim",
        "metric",
        "criterion",
        "measured",
        "verdict",
        "short",
    }


def test_slope_is_the_least_squares_slope():
    assert slope([0, 1, 2], [1, 3, 5]) == pytest.approx(2.0)


def test_generated_latex_has_only_vis_macros_and_no_empty_cells():
    summary = summarize_vision(_runs(lambda f: 0.02 - 0.01 * f))  # ViT ahead, by less with more data
    settings = {
        "fractions": [0.1, 0.25, 0.5, 1.0],
        "train": TRAIN | {"images": 20000},
        "fast": {"data_on_device": False, "bf16": False, "channels_last": False, "compile": False},
        "cnn": {"widths": [16, 32], "blocks": [1, 1], "learning_rate": 0.004, "weight_decay": 0.05},
        "vit": {
            "patch_size": 4,
            "dim": 64,
            "depth": 4,
            "heads": 4,
            "mlp_ratio": 2.0,
            "pool": "cls",
            "dropout": 0.0,
            "learning_rate": 0.002,
            "weight_decay": 0.05,
        },
    }
    tex = vision_tex(summary, vision_claims(summary), setting_rows(settings, [0, 1, 2]))
    names = [
        line.split("}")[0].removeprefix("\\newcommand{\\")
        for line in tex["values"].splitlines()
        if line.startswith("\\newcommand")
    ]
    assert names and all(n.startswith("vis") and n.isalpha() for n in names)
    assert "\\newcommand{\\visVerdictOutperforms}{reproduced}" in tex["values"]
    assert "pixels decoded from JPEG" in tex["values"], (
        "the test runs are an unverified copy: the report says what that means"
    )
    verified = vision_tex(
        summary | {"data_status": "verified"}, vision_claims(summary), setting_rows(settings, [0, 1, 2])
    )
    assert "matched the published checksums" in verified["values"] and "JPEG" not in verified["values"]
    assert "\\newcommand{\\visVerdictGrows}{not reproduced}" in tex["values"]
    assert tex["trend"].count("\\\\") == 5 and "6 weight layers" in tex["setting"]
    assert "MixUp" not in tex["setting"] and "stochastic depth" not in tex["setting"], "switched off: not mentioned"
    settings["train"] |= {"mixup_alpha": 0.8, "cutmix_alpha": 1.0}
    settings["vit"] |= {"drop_path": 0.1}
    rows = setting_rows(settings, [0])
    assert "MixUp (alpha 0.8), CutMix (alpha 1)" in rows["augmentation"] and "stochastic depth 0.1" in rows["ViT"]


def test_the_fast_paths_row_says_what_bf16_auto_chose():
    from dlrepro.vision.report import _fast_paths

    fast = {"data_on_device": True, "bf16": "auto", "channels_last": True, "compile": False}
    assert _fast_paths(fast, True) == "data on device, bf16 (auto), channels last"
    assert (
        _fast_paths(fast, False) == "data on device, channels last, no bf16 (auto: the device has no bf16 arithmetic)"
    )
    assert "some machines only" in _fast_paths(fast, "mixed")
    assert "bf16 auto (not recorded)" in _fast_paths(fast, None), "no run says what auto chose"
    off = {"data_on_device": False, "bf16": False, "channels_last": False, "compile": False}
    assert _fast_paths(off, None) == "none (CPU)"
    assert _fast_paths(off | {"bf16": True}, None) == "bf16", "runs from before bf16 was recorded: the config says"


def test_a_run_records_the_bf16_that_auto_resolved_to(monkeypatch):
    from dlrepro.vision.study import run_vision

    settings = {
        "train": TRAIN | {"images": 120, "batch_size": 16, "optimizer": "adamw", "eval_examples": 0},
        "fast": FAST | {"bf16": "auto"},
        "cnn": {**ARCH["cnn"], "num_classes": 4, "learning_rate": 0.05, "weight_decay": 5e-4},
        "budgets": [1],
    }
    monkeypatch.setattr("dlrepro.device.cpu_has_bf16", lambda: False)
    runs = [run_vision(_data(), "cnn", settings, seed=0, data_status="verified")[0][0]]
    assert runs[0]["bf16"] is False and summarize_vision(runs)["bf16"] is False
    monkeypatch.setattr("dlrepro.device.cpu_has_bf16", lambda: True)
    runs.append(run_vision(_data(), "cnn", settings, seed=1, data_status="verified")[0][0])
    assert runs[1]["bf16"] is True and summarize_vision(runs)["bf16"] == "mixed"


def test_a_model_can_override_the_shared_optimizer_family():
    from dlrepro.vision.study import run_vision

    settings = {
        "train": TRAIN | {"images": 120, "batch_size": 16, "optimizer": "adamw", "eval_examples": 0},
        "fast": FAST,
        "cnn": {**ARCH["cnn"], "num_classes": 4, "optimizer": "sgd", "learning_rate": 0.05, "weight_decay": 5e-4},
        "vit": {**ARCH["vit"], "num_classes": 4, "optimizer": "shared", "learning_rate": 3e-3, "weight_decay": 0.01},
        "budgets": [1],
    }
    assert run_vision(_data(), "cnn", settings, seed=0, data_status="verified")[0][0]["optimizer"] == "sgd"
    assert run_vision(_data(), "vit", settings, seed=0, data_status="verified")[0][0]["optimizer"] == "adamw"


def test_a_nan_loss_stops_training_naming_the_epoch_and_step():
    from dlrepro.guards import NonFiniteLossError

    cfg = _cfg(epochs=2, batch_size=16, eval_examples=0, optimizer="sgd")
    with pytest.raises(NonFiniteLossError, match=r"cnn: loss became nan at epoch 1, step 2 "):
        # SGD accepts a NaN learning rate: the first step makes every weight NaN, the second loss is NaN
        train_classifier(
            "cnn", {**ARCH["cnn"], "num_classes": 4}, cfg, _data(), learning_rate=float("nan"), weight_decay=0.0, seed=0
        )


def test_the_ladder_gives_each_claim_a_trend_and_the_verdict_reads_the_largest_budget():
    # the ViT trails by 10 points at x1, 6 at x2 and 2 at x4 on the full set (2 points per doubling, closing)
    runs = []
    for budget, behind in ((1.0, -0.10), (2.0, -0.06), (4.0, -0.02)):
        runs += [r | {"budget": budget} for r in _runs(lambda f, b=behind: b + 0.01 * np.log10(f))]
    summary = summarize_vision(runs)
    assert summary["budget"] == "4" and summary["budgets"] == ["1", "2", "4"]
    assert summary["gap"]["1.0"]["mean"] == pytest.approx(-0.02 + 0.0005 / 3, abs=1e-9), "the tables read x4"
    claims = {c["id"]: c for c in vision_claims(summary)}
    trend = claims["vision-vit-outperforms-cnn"]["trend"]
    assert trend["slope_per_doubling"]["mean"] == pytest.approx(0.04)
    assert trend["direction"] == "closing" and "closes by 4.0" in trend["words"]
    slope = claims["vision-advantage-grows-with-data"]["trend"]
    assert slope["direction"] == "flat", "the data slope is the same at every budget"
    single = summarize_vision(_runs(lambda f: 0.0))
    assert "trend" not in {k for c in vision_claims(single) for k in c}, "one budget: no trend"


def test_a_fractional_budget_ends_the_last_pass_early_and_the_warm_up_is_the_base_budgets():
    from dlrepro.vision.training import ladder_plan

    plan = ladder_plan(1000, _cfg(epochs=0.5, batch_size=100, warmup_fraction=0.2))
    assert (plan.images, plan.batch, plan.steps_per_pass, plan.warmup) == (1000, 100, 10, 1)
    assert [(b.total, b.start) for b in plan.branches] == [(5, 4)], "5 steps, the last of them the cool-down"
    plan = ladder_plan(1000, _cfg(epochs=(2.5, 5, 10), batch_size=100, warmup_fraction=0.2))
    assert plan.warmup == 5, "20% of the base (first) run's 25 steps, for every budget"
    assert [(b.total, b.start) for b in plan.branches] == [(25, 20), (50, 40), (100, 80)]
    assert ladder_plan(1050, _cfg(epochs=1, batch_size=100)).steps_per_pass == 10, "the incomplete batch is dropped"
    assert ladder_plan(100, _cfg(epochs=0.001, batch_size=100)).branches[0].total == 1, "at least one step"
    with pytest.raises(ValueError, match="ascending"):
        TrainConfig.from_dict({**TRAIN, **FAST, "epochs": [2, 1]})


# a ladder of x1, x2, x4 on the tests' data in batches of 8: 15 steps per pass; with a 20% cool-down the x1
# run (15 steps) cools down from step 12, inside its pass, x2 (30) from 24, x4 (60) from 48; with 50%, x2
# from 15, a pass's end; the warm-up is 20% of x1's steps: 3
LADDER = {"epochs": (1.0, 2.0, 4.0), "batch_size": 8, "eval_examples": 0, "warmup_fraction": 0.2}


def _results(kind, cfg, **kw):
    return train_ladder(
        kind, {**ARCH[kind], "num_classes": 4}, cfg, _data(), learning_rate=3e-3, weight_decay=0.01, seed=0, **kw
    )


def _same_results(a, b):
    (ma, ha, aa), (mb, hb, ab) = a, b
    assert _untimed(ma) == _untimed(mb)
    assert [{k: v for k, v in r.items() if k != "train_seconds"} for r in ha] == [
        {k: v for k, v in r.items() if k != "train_seconds"} for r in hb
    ]
    assert aa.keys() == ab.keys() and all(np.array_equal(aa[k], ab[k]) for k in aa)


@pytest.mark.parametrize("kind,mix,cooldown", [("cnn", 0.0, 0.2), ("vit", 1.0, 0.2), ("cnn", 0.0, 0.5)])
def test_each_budgets_branch_gives_what_a_separate_wsd_run_of_that_budget_gives(kind, mix, cooldown):
    recipe = {**LADDER, "mixup_alpha": mix, "cutmix_alpha": mix, "cooldown_fraction": cooldown}
    ladder = _results(kind, _cfg(**recipe))
    assert [m["steps"] for m, _, _ in ladder] == [15, 30, 60] and [m["epochs"] for m, _, _ in ladder] == [1, 2, 4]
    assert [len(h) for _, h, _ in ladder] == [1, 2, 4], "one row per pass, the one a branch starts inside included"
    assert all(0 < h[-1]["lr"] < 3e-3 / 2 for _, h, _ in ladder), "each run ends cooled down"
    assert ladder[2][1][1]["lr"] == 3e-3, "the x4 run's second pass ends at the peak: the x2 cool-down is a branch"
    for i, budget in enumerate((1, 2, 4)):  # alone: its own warm-up fraction gives the ladder's 3 warm-up steps
        alone = _cfg(**{**recipe, "epochs": budget, "warmup_fraction": 0.2 / budget})
        _same_results(ladder[i], _results(kind, alone)[0])


def test_a_ladder_resumed_after_a_kill_ends_like_an_uninterrupted_one(tmp_path):
    cfg = _cfg(**LADDER, checkpoint_every_s=0.0)
    whole = _results("vit", cfg)
    for stop in (1, 3):  # epoch 1: the x1 branch is done; epoch 3: x1 and x2 are, the trunk goes on to x4's
        ckpt = Checkpointer(tmp_path / f".checkpoint{stop}.pt", {"kind": "vit"})
        assert _results("vit", cfg, checkpoint=ckpt, stop_after_epoch=stop) is None
        resumed = _results("vit", cfg, checkpoint=ckpt)
        for a, b in zip(resumed, whole, strict=True):
            _same_results(a, b)
