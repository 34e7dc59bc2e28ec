"""The GAN study's training FLOPs: hand counts of its MLPs, the adversarial step's rule, a tiny run's record,
the metric classifier's, and the compute ladder's curves on the FLOP axis."""

import dataclasses

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from dlrepro.curves import curve_row
from dlrepro.flops import forward_flops, linear_flops
from dlrepro.gan.curves import ladder_curves
from dlrepro.gan.flops import classifier_flops, gan_flops, network_flops, step_flops_per_image
from dlrepro.gan.metrics import classify, feature_stats
from dlrepro.gan.models import MnistClassifier, build_gan
from dlrepro.gan.report import instability
from dlrepro.gan.settings import run_settings
from dlrepro.gan.study import GanData, gan_config, run_gan
from dlrepro.gan.training import GanConfig, adversarial_step, make_optimizers
from tests.conftest import default_config

torch.set_num_threads(1)


def _config(kind: str, **changes) -> GanConfig:
    """The default config's recipe for model `kind`, with `changes`."""
    recipe = dataclasses.asdict(gan_config(kind, run_settings(default_config()["gan"], kind)))
    return GanConfig(**{**recipe, **changes})


@pytest.mark.parametrize("latent, hidden", [(100, 256), (8, 16)])
def test_the_gan_mlps_forward_flops_are_the_hand_counts(latent, hidden):
    gan = build_gan("gan", latent_dim=latent, hidden=hidden)
    hand_g = linear_flops((latent, hidden), (hidden, 784))
    hand_d = linear_flops((784, hidden), (hidden, 1))
    assert forward_flops(gan.generator, torch.zeros(1, latent)) == hand_g == 2 * (latent * hidden + hidden * 784)
    assert forward_flops(gan.discriminator, torch.zeros(1, 784)) == hand_d == 2 * (784 * hidden + hidden)
    assert network_flops(gan) == {"generator": hand_g, "discriminator": hand_d, "encoder": 0}
    assert network_flops(build_gan("lsgan", latent_dim=latent, hidden=hidden)) == network_flops(gan), (
        "LSGAN's linear output changes no product"
    )
    bigan = network_flops(build_gan("bigan", latent_dim=latent, hidden=hidden))
    assert bigan == {
        "generator": hand_g,
        "discriminator": linear_flops((784 + latent, hidden), (hidden, 1)),  # judges (image, latent) pairs
        "encoder": linear_flops((784, hidden), (hidden, latent)),
    }
    if latent == 100:  # the paper's networks
        assert (hand_g, hand_d) == (452_608, 401_920)


def test_the_step_rule_in_forward_units():
    g, d, e = 1_000, 100, 10
    # D update: G forward (F_G), D forward + backward on real and fake (6 F_D); G update: D forward + backward
    # on the fake (3 F_D), backward through G (2 F_G)
    assert step_flops_per_image({"generator": g, "discriminator": d, "encoder": 0}) == 3 * g + 9 * d
    # the BiGAN also runs E forward (F_E) and back (2 F_E), and D judges both pairs in the G update (6 F_D)
    assert step_flops_per_image({"generator": g, "discriminator": d, "encoder": e}) == 3 * g + 3 * e + 12 * d


@pytest.mark.parametrize("kind", ["gan", "lsgan", "bigan"])
def test_the_rule_bounds_the_products_autograd_runs_in_a_step(kind):
    """The rule counts a backward as 2 forwards; the step skips some gradients (D's weights in the G update,
    the first layers' inputs), so the products it runs are fewer, but of the same size (about 3/4)."""
    config = _config(kind)
    model = build_gan(kind, latent_dim=config.latent_dim, hidden=config.hidden)
    opt_d, opt_g = make_optimizers(model, config)
    real, z = torch.rand(16, 784), torch.randn(16, config.latent_dim)
    with FlopCounterMode(display=False) as counter:
        adversarial_step(model, opt_d, opt_g, real, z, kind=kind, form=config.generator_loss)
    measured = counter.get_total_flops() / 16
    rule = step_flops_per_image(network_flops(model))
    assert 0.65 * rule < measured <= rule


def _tiny_run(kind, n_train=44, batch=8, epochs=2):
    """`run_gan` on random images with an untrained metric classifier: 44 images, batch 8 (5 full batches)."""
    gan = default_config()["gan"]
    gan["model"].update(latent_dim=8, hidden=16)
    gan["optim"].update(epochs=epochs, batch_size=batch)
    gan["eval"].update(samples_per_epoch=16, final_samples=16, grid_samples=4, probe_train=20, probe_steps=2)
    gan["eval"]["reconstruction_digits"] = 2
    gan["cuda_graph"] = False
    rng = np.random.default_rng(0)
    x_train, x_test = rng.random((n_train, 784), dtype=np.float32), rng.random((20, 784), dtype=np.float32)
    data = GanData("mnist", x_train, np.arange(n_train) % 10, x_test, np.arange(20) % 10)
    classifier = MnistClassifier(channels=(2, 4), hidden=8).eval()
    mu, cov = feature_stats(classify(classifier, torch.as_tensor(x_test))[0])
    reference = {"mu": mu, "cov": cov}
    settings = run_settings(gan, kind)
    return run_gan(data, kind, settings, seed=0, classifier=classifier, reference=reference, data_status="verified")


@pytest.mark.parametrize("kind", ["gan", "bigan"])
def test_a_tiny_runs_train_flops_follow_the_step_rule(kind):
    metrics, history, _ = _tiny_run(kind)
    g = linear_flops((8, 16), (16, 784))
    if kind == "gan":
        per_image = 3 * g + 9 * linear_flops((784, 16), (16, 1))
    else:
        per_image = 3 * g + 3 * linear_flops((784, 16), (16, 8)) + 12 * linear_flops((784 + 8, 16), (16, 1))
    images = 40  # 44 images in batches of 8: the last, incomplete batch is dropped
    assert metrics["step_flops_per_image"] == per_image
    assert metrics["train_flops"] == per_image * images * 2
    assert [row["train_flops"] for row in history] == [0.0, per_image * images, per_image * images * 2], (
        "history.csv: the FLOPs up to the end of each epoch"
    )


def test_the_metric_classifier_counts_its_convolutions_and_layers():
    c1, c2, hidden = 4, 8, 16
    model = MnistClassifier(channels=(c1, c2), hidden=hidden)
    conv = 2 * (28 * 28 * c1) * (1 * 25) + 2 * (14 * 14 * c2) * (c1 * 25)  # 5x5, padding 2: size kept
    forward = conv + linear_flops((c2 * 7 * 7, hidden), (hidden, 10))
    assert classifier_flops(model, train_examples=100, epochs=3) == {
        "forward_flops_per_example": forward,
        "train_flops": 3.0 * forward * 100 * 3,
    }


def test_gan_flops_record_per_epoch_and_for_the_run():
    config = _config("gan", latent_dim=8, hidden=16, batch_size=16, epochs=5)
    history = [{"epoch": e} for e in range(6)]
    record = gan_flops(build_gan("gan", latent_dim=8, hidden=16), config, train_examples=100, history=history)
    assert record["flops_per_epoch"] == record["step_flops_per_image"] * 96, "six batches of 16, 4 images dropped"
    assert record["train_flops"] == record["flops_per_epoch"] * 5 == history[-1]["train_flops"]


def _histories(fids, flops_per_epoch=1e9, seeds=3):
    return {
        (kind, s): [{"epoch": e, "fid": f, "train_flops": flops_per_epoch * e} for e, f in enumerate(fids(kind, s))]
        for kind in ("gan", "lsgan", "bigan")
        for s in range(seeds)
    }


def test_the_ladder_curves_are_the_criterion_after_k_epochs_at_k_epochs_flops():
    swing = {"gan": 2.0, "lsgan": 1.1, "bigan": 3.0}
    histories = _histories(lambda kind, s: [100.0] + [20.0 * (swing[kind] if e % 2 else 1.0) + s for e in range(10)])
    rows = ladder_curves(histories, [3, 5, 10])
    for row in rows:
        assert curve_row(**row) == row
    assert {(r["panel"], r["series"]) for r in rows} == {
        ("instability", "GAN (the paper's)"),
        ("instability", "LSGAN"),
        ("instability_gap", "GAN - LSGAN"),
    }, "the BiGAN is no part of the criterion"

    def criterion(kind, seed, k):  # the stability criterion on the first k epochs of one run
        return instability([row["fid"] for row in histories[(kind, seed)][1 : k + 1]])

    for k in (3, 5, 10):
        gap = next(r for r in rows if r["kind"] == "gap" and r["budget"] == k)
        assert gap["flops"] == k * 1e9 and gap["n"] == 3 and gap["better"] == "higher"
        assert gap["value"] == pytest.approx(
            np.mean([criterion("gan", s, k) - criterion("lsgan", s, k) for s in range(3)])
        )
        assert gap["value"] > 0, "LSGAN swings less: above 0 favours the claim"
        lsgan = next(r for r in rows if r["series"] == "LSGAN" and r["budget"] == k)
        assert lsgan["value"] == pytest.approx(np.mean([criterion("lsgan", s, k) for s in range(3)]))
        assert lsgan["flops"] == k * 1e9 and lsgan["better"] == "lower"


def test_no_ladder_point_without_both_models_or_before_three_epochs():
    histories = _histories(lambda kind, s: [100.0, 50.0, 40.0])
    assert ladder_curves(histories, [2]) == [], "two epochs: the criterion is undefined"
    only_gan = {k: v for k, v in histories.items() if k[0] == "gan"}
    assert ladder_curves(only_gan, [2]) == []
