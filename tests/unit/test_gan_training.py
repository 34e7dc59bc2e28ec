"""The GAN study's networks and loops: shapes, eager vs graph-style step, resume, determinism."""

import dataclasses

import numpy as np
import pytest
import torch

from dlrepro.checkpoint import Checkpointer
from dlrepro.gan.models import BiGAN, MnistClassifier, build_gan
from dlrepro.gan.settings import run_settings
from dlrepro.gan.study import gan_config
from dlrepro.gan.training import (
    CounterStep,
    GanConfig,
    adversarial_step,
    discriminator_loss,
    make_optimizers,
    train_epoch_eager,
    train_gan,
)
from tests.conftest import default_config

torch.set_num_threads(1)

# every GanConfig field, as config/config.yaml's gan block sets it for the paper's GAN (the schema's defaults)
GAN = dataclasses.asdict(gan_config("gan", run_settings(default_config()["gan"], "gan")))
# small networks and short runs, for speed
TINY = {**GAN, "latent_dim": 8, "hidden": 16, "epochs": 2, "batch_size": 8, "eval_samples": 16, "grid_samples": 4}


def test_the_papers_gan_is_one_class_of_two_sequentials_with_the_papers_shapes():
    model = build_gan("gan", latent_dim=100, hidden=256)
    assert isinstance(model.generator, torch.nn.Sequential) and isinstance(model.discriminator, torch.nn.Sequential)
    assert [type(m).__name__ for m in model.generator] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    assert [type(m).__name__ for m in model.discriminator] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    assert model.generator[0].out_features == 256 and model.discriminator[0].out_features == 256
    images = model(torch.randn(16, 100))
    assert images.shape == (16, 784), "G: 100-d latent -> 784 pixels"
    assert images.min() >= 0 and images.max() <= 1, "Sigmoid output: pixels in [0, 1]"
    p = model.discriminator(images)
    assert p.shape == (16, 1) and ((p > 0) & (p < 1)).all(), "D: one probability per image"


def test_lsgan_has_a_linear_discriminator_output_and_bigan_judges_pairs():
    assert isinstance(build_gan("lsgan", latent_dim=8, hidden=16).discriminator[-1], torch.nn.Identity)
    bigan = build_gan("bigan", latent_dim=8, hidden=16)
    assert isinstance(bigan, BiGAN) and bigan.encoder(torch.rand(3, 784)).shape == (3, 8)
    assert bigan.discriminator[0].in_features == 784 + 8
    with pytest.raises(ValueError, match="unknown GAN kind"):
        build_gan("wgan", latent_dim=8, hidden=16)


def test_classifier_features_and_logits_shapes():
    model = MnistClassifier(channels=(4, 8), hidden=16)
    x = torch.rand(5, 784)
    assert model.features(x).shape == (5, 16) and model(x).shape == (5, 10)


def _run(kind, style, steps=12, batch=4):
    torch.manual_seed(0)
    data = torch.rand(steps * batch + 3, 784)  # an incomplete last batch is dropped
    config = GanConfig(**{**TINY, "kind": kind, "batch_size": batch})
    torch.manual_seed(1)
    model = build_gan(kind, latent_dim=8, hidden=16)
    opt_d, opt_g = make_optimizers(model, config)

    def step(real, z):
        return adversarial_step(model, opt_d, opt_g, real, z, kind=kind, form="non_saturating")

    shape = dict(batch_size=batch, latent_dim=8, distribution="normal")
    torch.manual_seed(2)
    if style == "eager":
        losses = train_epoch_eager(step, data, **shape)
    else:  # what the CUDA graph replays: batch from the on-device counter, z drawn inside
        cs = CounterStep(step, data, **shape)
        cs.start_epoch()
        for _ in range(cs.n_steps):
            cs()
        assert int(cs.counter) == steps
        losses = cs.epoch_means()
    return model, losses


@pytest.mark.parametrize("kind", ["gan", "lsgan", "bigan"])
def test_graph_style_step_computes_the_same_updates_as_the_eager_loop(kind):
    eager, loss_eager = _run(kind, "eager")
    graph, loss_graph = _run(kind, "graph")
    torch.testing.assert_close(loss_graph, loss_eager, rtol=0, atol=0)
    for (name, a), (_, b) in zip(eager.state_dict().items(), graph.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    untrained = build_gan(kind, latent_dim=8, hidden=16)
    assert not torch.equal(untrained.generator[0].weight, eager.generator[0].weight)


@pytest.mark.parametrize("kind", ["gan", "bigan"])
def test_the_fast_adam_update_is_bit_for_bit_optimizer_step(kind):
    """After its first step `update` calls the fused kernel itself; it must equal `Adam.step()` exactly,
    state included, so that checkpoints and resumes see the same optimiser."""
    from dlrepro.gan.adam import update

    def train(fast):
        torch.manual_seed(0)
        model = build_gan(kind, latent_dim=8, hidden=16)
        opt_d, opt_g = make_optimizers(model, GanConfig(**{**TINY, "kind": kind, "learning_rate": 1e-3}))
        for _ in range(5):
            real, z = torch.rand(4, 784), torch.randn(4, 8)
            for opt, sign in ((opt_d, 1), (opt_g, -1)):
                params = opt.param_groups[0]["params"]
                fake = model.generator(z)
                x = (
                    torch.cat([torch.cat([fake, z], 1), torch.cat([real, model.encoder(real)], 1)])
                    if kind == "bigan"
                    else fake
                )
                loss = sign * model.discriminator(x).log().mean()
                if fast:
                    update(opt, params, loss)
                else:
                    for p, g in zip(params, torch.autograd.grad(loss, params)):
                        p.grad = g
                    opt.step()
        return model, opt_d, opt_g

    (m1, d1, g1), (m2, d2, g2) = train(True), train(False)
    for (name, a), (_, b) in zip(m1.state_dict().items(), m2.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    for fast_opt, slow_opt in ((d1, d2), (g1, g2)):
        fast_state, slow_state = fast_opt.state_dict()["state"], slow_opt.state_dict()["state"]
        assert fast_state.keys() == slow_state.keys()
        for i in fast_state:
            for key in ("step", "exp_avg", "exp_avg_sq"):
                torch.testing.assert_close(fast_state[i][key], slow_state[i][key], rtol=0, atol=0, msg=f"{i} {key}")
        assert float(fast_state[0]["step"]) == 5


def test_discriminator_updates_lower_its_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    model = build_gan("gan", latent_dim=8, hidden=16)
    opt_d, opt_g = make_optimizers(model, GanConfig(**{**TINY, "learning_rate": 1e-3}))
    real, z = torch.rand(16, 784) * 0.2, torch.randn(16, 8)

    def d_loss():
        with torch.no_grad():
            return float(discriminator_loss("gan", model.discriminator(real), model.discriminator(model.generator(z))))

    before = d_loss()
    for _ in range(20):
        g = [p.detach().clone() for p in model.generator.parameters()]
        adversarial_step(model, opt_d, opt_g, real, z, kind="gan", form="non_saturating")
        with torch.no_grad():  # hold G fixed: only the discriminator should have learned
            for p, old in zip(model.generator.parameters(), g):
                p.copy_(old)
    assert d_loss() < before


def _tiny_config(**kw):
    return GanConfig(**{**TINY, **kw})


def _strip(history):
    """History rows without timing; NaN (no loss before training) made comparable."""
    return [{k: (None if v != v else v) for k, v in r.items() if k != "seconds"} for r in history]


def _score(images):
    return {"fid": float(images.mean()), "inception_score": float(images.std())}


def test_training_is_deterministic_per_seed_and_differs_between_seeds():
    x = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    _, h1, g1 = train_gan(x, config=_tiny_config(), seed=3, scorer=_score)
    _, h2, g2 = train_gan(x, config=_tiny_config(), seed=3, scorer=_score)
    _, h3, _ = train_gan(x, config=_tiny_config(), seed=4, scorer=_score)
    assert _strip(h1) == _strip(h2) and np.array_equal(g1, g2)
    assert _strip(h1) != _strip(h3)
    assert g1.shape == (3, 4, 784), "the fixed grid before training and after each of 2 epochs"
    assert [r["epoch"] for r in h1] == [0, 1, 2]


@pytest.mark.parametrize("kind", ["gan", "bigan"])
def test_a_run_stopped_after_epoch_1_resumes_to_the_same_result(tmp_path, kind):
    x = np.random.default_rng(1).random((64, 784), dtype=np.float32)
    config = _tiny_config(kind=kind)
    model_ref, h_ref, g_ref = train_gan(x, config=config, seed=0, scorer=_score)

    calls = []

    def interrupted(images):
        calls.append(1)
        if len(calls) == 3:  # epochs 0 and 1 scored, killed while scoring epoch 2
            raise KeyboardInterrupt
        return _score(images)

    ckpt = Checkpointer(tmp_path / ".checkpoint.pt", {"run": "same"})
    with pytest.raises(KeyboardInterrupt):
        train_gan(x, config=config, seed=0, scorer=interrupted, checkpointer=ckpt)
    assert ckpt.path.exists()
    model, h, g = train_gan(
        x, config=config, seed=0, scorer=_score, checkpointer=Checkpointer(ckpt.path, {"run": "same"})
    )
    assert _strip(h) == _strip(h_ref) and np.array_equal(g, g_ref)
    for a, b in zip(model.state_dict().values(), model_ref.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_unknown_and_missing_config_keys_fail_loudly():
    with pytest.raises(ValueError, match="Unknown config key for the GAN: 'lr'"):
        GanConfig.from_dict({**GAN, "lr": 1e-3})
    missing = {k: v for k, v in GAN.items() if k not in ("epochs", "cuda_graph")}
    with pytest.raises(ValueError, match="Missing config key for the GAN: 'cuda_graph', 'epochs'"):
        GanConfig.from_dict(missing)
    assert GanConfig.from_dict({**GAN, "betas": [0.5, 0.9]}).betas == (0.5, 0.9)


def test_a_nan_in_the_data_stops_training_naming_the_epoch_step_and_loss():
    from dlrepro.guards import NonFiniteLossError

    x = np.random.default_rng(0).random((64, 784), dtype=np.float32)
    x[:] = np.nan  # every real batch gives the discriminator a NaN loss from the first step
    # LSGAN: its squared-error losses carry the NaN (BCE refuses NaN inputs with its own error)
    with pytest.raises(NonFiniteLossError, match=r"lsgan: loss 'loss_d' became nan at epoch 1, step 1 "):
        train_gan(x, config=_tiny_config(kind="lsgan"), seed=0)


@pytest.mark.parametrize("bf16", [False, True])
def test_metric_classifier_learns_separable_digits_in_fp32_and_under_bf16_autocast(bf16):
    """Ten 'digits' that differ by where a bright square sits: both settings must learn them, and the
    bf16 setting must hand back ordinary float32 weights in the usual memory layout."""
    from dlrepro.gan.classifier import train_classifier

    rng = np.random.default_rng(0)

    def images(n):
        y = rng.integers(0, 10, n)
        x = rng.random((n, 28, 28), dtype=np.float32) * 0.1
        for i, label in enumerate(y):
            r, c = divmod(int(label), 5)
            x[i, 4 + 10 * r : 10 + 10 * r, 1 + 5 * c : 5 + 5 * c] = 1.0
        return x.reshape(n, 784), y

    (xt, yt), (xv, yv) = images(600), images(200)
    model, metrics = train_classifier(
        xt, yt, xv, yv, epochs=3, batch_size=32, learning_rate=3e-3, channels=[4, 8], hidden=16, seed=0, bf16=bf16
    )
    assert metrics["test_accuracy"] > 0.9 and metrics["bf16"] is bf16
    for name, p in model.named_parameters():
        assert p.dtype == torch.float32 and p.is_contiguous(), name
