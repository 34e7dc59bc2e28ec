"""Verdicts and report values of the GAN study, from hand-made results."""

import re

import numpy as np
import pytest

from dlrepro.gan.report import gan_claims, gan_tex, instability, summarize_gan
from dlrepro.metrics import ci_verdict, mean_ci

CLAIMS = {"gap_closed": 0.9, "min_class_share": 0.02}
SETTINGS = {
    "models": ["gan", "lsgan", "bigan"],
    "model": {"latent_dim": 100, "hidden": 256, "latent_distribution": "normal"},
    "optim": {
        "epochs": 3,
        "batch_size": 16,
        "learning_rate": 2e-4,
        "betas": [0.9, 0.999],
        "generator_loss": "non_saturating",
    },
    "eval": {"samples_per_epoch": 100, "final_samples": 1000},
    "classifier": {"channels": [32, 64], "hidden": 128, "epochs": 3, "min_accuracy": 0.99},
    "claims": CLAIMS,
}


@pytest.mark.parametrize(
    "mean, ci, above, expected",
    [
        (0.95, 0.01, True, "reproduced"),
        (0.95, 0.10, True, "inconclusive"),
        (0.50, 0.10, True, "not reproduced"),
        (-2.0, 1.0, False, "reproduced"),
        (-0.5, 1.0, False, "inconclusive"),
        (3.0, 1.0, False, "not reproduced"),
    ],
)
def test_verdict_needs_the_whole_interval_on_one_side(mean, ci, above, expected):
    assert ci_verdict({"mean": mean, "ci95": ci, "n": 3}, 0.9 if above else 0.0, above=above) == expected


def test_one_seed_is_inconclusive_as_in_the_other_studies():
    one_seed = mean_ci([0.99])  # the shape a single seed really has: n 1, no interval
    assert one_seed["n"] == 1
    assert ci_verdict(one_seed, 0.9, above=True) == "inconclusive"
    assert ci_verdict(mean_ci([-5.0]), 0.0, above=False) == "inconclusive"
    assert ci_verdict(mean_ci([0.99, 0.99]), 0.9, above=True) == "reproduced"  # zero width: decided


def test_an_interval_ending_at_the_threshold_is_inconclusive_as_in_every_study():
    """The GAN's verdicts are `metrics.ci_verdict`'s: the whole CI strictly on the claimed side."""
    at_gap = _summary(lambda s: [100.0, 20.0, 6.0, 3.0], lambda s: [100.0, 20.0, 10.0, 9.0])
    at_gap["models"]["gan"]["gap_closed"] = {"mean": 1.0, "ci95": 0.1, "n": 3}  # lower bound exactly 0.9
    at_gap["models"]["bigan"]["probe_gain"] = {"mean": 0.0, "ci95": 0.0, "n": 3}  # no gain in any seed
    verdicts = {c["id"]: c["verdict"] for c in gan_claims(at_gap)}
    assert verdicts["gan-resemble"] == "inconclusive" and verdicts["bigan-encoder"] == "inconclusive"
    assert ci_verdict({"mean": -1.0, "ci95": 1.0, "n": 3}, 0.0, above=False) == "inconclusive"
    assert ci_verdict({"mean": 1.0, "ci95": 1.0, "n": 3}, 0.0, above=False) == "inconclusive"


def test_instability_is_the_mean_absolute_log_change_over_the_second_half():
    assert instability([8.0, 4.0, 2.0, 1.0]) == pytest.approx(0.6931471805599453)  # log 2 per epoch
    assert instability([5.0, 5.0, 5.0, 5.0]) == 0.0


def _run(kind, seed, fids, shares, probe=None):
    history = [{"epoch": e, "fid": f} for e, f in enumerate(fids)]
    run = {
        "model": kind,
        "seed": seed,
        "data_status": "verified",
        "parameters": 10,
        "device": "cpu",
        "train_seconds": 1.0,
        "steps_per_second": 5.0,
        "final": {
            "fid": fids[-1],
            "inception_score": 8.0 + seed / 10,
            "coverage_kl": 0.01,
            "class_share": shares,
            "samples": 1000,
        },
        "epoch1": {"fid": fids[1], "inception_score": 3.0, "coverage_kl": 0.1},
    }
    if probe:
        run["bigan"] = {"probe_accuracy": probe, "reconstruction_mse": 0.05}
    return run, history


def _summary(gan_fids, lsgan_fids, shares=None, probe=(0.8, 0.6)):
    shares = shares or [0.1] * 10
    runs, histories = [], {}
    for seed in range(3):
        for kind, fids in (("gan", gan_fids(seed)), ("lsgan", lsgan_fids(seed)), ("bigan", gan_fids(seed))):
            p = (
                {"encoder": probe[0] + seed / 100, "random_encoder": probe[1], "pixels": 0.9}
                if kind == "bigan"
                else None
            )
            run, history = _run(kind, seed, fids, shares, p)
            runs.append(run)
            histories[(kind, seed)] = history
    classifier = {
        "fid_floor": {"100": 1.0, "1000": 0.5},
        "test_accuracy": 0.992,
        "meets_min_accuracy": True,
        "test_inception_score": 9.8,
        "test_coverage_kl": 0.001,
        "test_class_share": [0.1] * 10,
    }
    return summarize_gan(runs, histories, classifier, samples_per_epoch=100, claims=CLAIMS)


def test_a_generator_that_closes_the_gap_reproduces_every_claim():
    summary = _summary(lambda s: [100.0, 20.0 + s, 6.0, 3.0 + s / 10], lambda s: [100.0, 20.0, 10.0, 9.5 + s / 100])
    claims = {c["id"]: c for c in gan_claims(summary)}
    assert summary["models"]["gan"]["gap_closed"]["mean"] == pytest.approx(
        (100 - 3.1) / (100 - 1), rel=1e-6
    )  # seeds end at 3.0, 3.1, 3.2; floor 1
    assert claims["gan-resemble"]["verdict"] == "reproduced"
    assert claims["gan-improves"]["verdict"] == "reproduced"
    assert claims["lsgan-stability"]["verdict"] == "reproduced"
    assert claims["bigan-encoder"]["verdict"] == "reproduced"
    assert {"id", "section", "claim", "metric", "criterion", "measured", "verdict"} <= set(claims["gan-resemble"])


def test_a_dropped_digit_or_a_stalled_generator_is_not_reproduced():
    collapsed = [0.5, 0.5] + [0.0] * 8
    summary = _summary(lambda s: [100.0, 20.0, 6.0, 3.0], lambda s: [100.0, 20.0, 10.0, 9.0], shares=collapsed)
    assert {c["id"]: c["verdict"] for c in gan_claims(summary)}["gan-resemble"] == "not reproduced"
    stalled = _summary(
        lambda s: [100.0, 40.0 - s, 45.0, 50.0 + s], lambda s: [100.0, 40.0, 45.0, 50.0], probe=(0.6, 0.6)
    )
    verdicts = {c["id"]: c["verdict"] for c in gan_claims(stalled)}
    assert verdicts["gan-resemble"] == "not reproduced" and verdicts["gan-improves"] == "not reproduced"
    assert verdicts["bigan-encoder"] == "inconclusive"


def test_generated_latex_has_letter_only_macros_and_a_verdict_per_claim():
    summary = _summary(lambda s: [100.0, 20.0, 6.0, 3.0 + s], lambda s: [100.0, 20.0, 10.0, 9.0])
    claims = gan_claims(summary)
    tex = gan_tex(summary, claims, SETTINGS, [0, 1, 2])
    names = re.findall(r"\\newcommand\{\\(\w+)\}", tex["values"])
    assert names and all(n.isalpha() for n in names) and len(names) == len(set(names))
    for suffix in ("Resemble", "Improves", "Stability", "Encoder"):
        assert f"ganVerdict{suffix}" in names
    assert "\\toprule" in tex["metrics_table"] and "LSGAN" in tex["metrics_table"]
    assert "BiGAN encoder" in tex["probe_table"]


def test_evolution_panels_are_titled_by_epoch_or_by_model_name():
    import numpy as np

    from dlrepro.gan.plots import evolution
    from dlrepro.plotting import plt

    grid = np.zeros((4, 784), dtype=np.float32)
    fig = evolution({1: grid, 10: grid})
    assert [ax.get_title() for ax in fig.axes] == ["epoch 1", "epoch 10"]
    plt.close(fig)
    fig = evolution({"GAN (the paper's)": grid, "LSGAN": grid}, panel_title="{}")
    assert [ax.get_title() for ax in fig.axes] == ["GAN (the paper's)", "LSGAN"]
    plt.close(fig)


def test_the_stability_ladder_reads_the_same_runs_after_fewer_epochs():
    from dlrepro.gan.report import ladder_epochs

    assert ladder_epochs(10, [0.25, 0.5, 1.0]) == [3, 5, 10], (
        "rounded up, at least 3 epochs (two differences in the second half)"
    )
    assert ladder_epochs(2, [0.25, 0.5, 1.0]) == [2], "a run too short for a ladder"
    # the GAN swings by log 2 every epoch, LSGAN by log 1.1 up to epoch 5 and then not at all: the gap narrows
    gan = lambda s: [100.0] + [20.0 * (2.0 if e % 2 else 1.0) + s for e in range(10)]  # noqa: E731
    lsgan = lambda s: [100.0] + [20.0 * (1.1 if e % 2 else 1.0) + s / 10 for e in range(5)] + [22.0] * 5  # noqa: E731
    runs, histories = [], {}
    for seed in range(3):
        for kind, fids in (("gan", gan(seed)), ("lsgan", lsgan(seed))):
            run, history = _run(kind, seed, fids, [0.1] * 10)
            runs.append(run)
            histories[(kind, seed)] = history
    classifier = {"fid_floor": {"100": 1.0, "1000": 0.5}, "test_accuracy": 0.992}
    summary = summarize_gan(runs, histories, classifier, samples_per_epoch=100, claims=CLAIMS, budgets=[0.25, 0.5, 1.0])
    trend = summary["instability_trend"]
    assert summary["ladder_epochs"] == [3, 5, 10] and trend["budgets"] == [3.0, 5.0, 10.0]
    for k in (3, 5, 10):  # each point is the instability criterion applied to the first k epochs
        seed0 = instability(gan(0)[1 : k + 1]) - instability(lsgan(0)[1 : k + 1])
        assert trend["gap_by_budget"][f"{float(k)}"]["mean"] == pytest.approx(
            np.mean([instability(gan(s)[1 : k + 1]) - instability(lsgan(s)[1 : k + 1]) for s in range(3)])
        )
        assert seed0 > 0, "LSGAN is the more stable at every budget"
    stability = {c["id"]: c for c in gan_claims(summary)}["lsgan-stability"]
    assert stability["verdict"] == "reproduced" and stability["trend"]["axis"] == "training epochs"
