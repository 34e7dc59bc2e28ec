"""The NumPy autoencoder: hand-written gradients against finite differences, init, training behaviour."""

import numpy as np
import pytest

from dlrepro.autoencoder.numpy_model import LOSS_REDUCTIONS, Linear, NumpyAutoencoder, ReLU, Sigmoid, mse_loss
from dlrepro.autoencoder.numpy_training import NumpyAEConfig, evaluate_mse, fixed_digit_indices, train_numpy_autoencoder
from tests.conftest import numpy_ae_recipe

EPS = 1e-6
# every config-driven NumpyAEConfig field, as config/config.yaml's autoencoder.numpy_ae sets it (the paper's run)
NUMPY_AE = numpy_ae_recipe()


def _numeric_grad(f, x):
    """Central finite differences of the scalar f() with respect to the float64 array x (in place)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + EPS
        up = f()
        x[i] = old - EPS
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * EPS)
    return g


def _upstream(shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_linear_gradients(rng):
    layer = Linear(5, 3, init_std=0.5, rng=rng)
    layer.weight, layer.bias = layer.weight.astype(np.float64), rng.normal(size=3)
    x = rng.normal(size=(4, 5))
    up = _upstream((4, 3))
    loss = lambda: float(np.sum(layer.forward(x) * up))  # noqa: E731
    loss()
    dx = layer.backward(up)
    np.testing.assert_allclose(dx, _numeric_grad(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(layer.grad_weight, _numeric_grad(loss, layer.weight), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(layer.grad_bias, _numeric_grad(loss, layer.bias), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("layer_cls", [ReLU, Sigmoid])
def test_activation_gradients(layer_cls, rng):
    layer = layer_cls()
    x = rng.normal(size=(3, 6)) * 3
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of ReLU's kink, where the derivative is undefined
    up = _upstream(x.shape)
    loss = lambda: float(np.sum(layer.forward(x) * up))  # noqa: E731
    loss()
    np.testing.assert_allclose(layer.backward(up), _numeric_grad(loss, x), rtol=1e-6, atol=1e-8)


def test_sigmoid_is_stable_for_large_inputs():
    y = Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
    assert np.all(np.isfinite(y)) and y[0] == 0 and y[1] == 0.5 and y[2] == 1


@pytest.mark.parametrize("reduction", LOSS_REDUCTIONS)
def test_mse_loss_gradient(reduction, rng):
    pred, target = rng.random((4, 6)), rng.random((4, 6))
    _, grad = mse_loss(pred, target, reduction)
    numeric = _numeric_grad(lambda: mse_loss(pred, target, reduction)[0], pred)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_mse_loss_readings_differ_by_the_documented_factors(rng):
    pred, target = rng.random((8, 10)), rng.random((8, 10))
    mean, _ = mse_loss(pred, target, "mean")
    assert mse_loss(pred, target, "sum_pixels")[0] == pytest.approx(mean * 10)
    assert mse_loss(pred, target, "sum")[0] == pytest.approx(mean * 80)
    with pytest.raises(ValueError, match="loss_reduction"):
        mse_loss(pred, target, "median")


def test_whole_model_gradient(rng):
    model = NumpyAutoencoder(input_dim=6, hidden_dim=3, init_std=0.5, seed=3)
    for layer in model.layers:
        if isinstance(layer, Linear):
            layer.weight = layer.weight.astype(np.float64)
            layer.bias = rng.normal(size=layer.bias.shape)
    x = rng.random((5, 6))
    loss = lambda: mse_loss(model(x), x, "sum_pixels")[0]  # noqa: E731
    _, grad = mse_loss(model(x), x, "sum_pixels")
    model.backward(grad)
    first = model.layers[0]
    np.testing.assert_allclose(first.grad_weight, _numeric_grad(loss, first.weight), rtol=1e-5, atol=1e-8)


def test_init_matches_the_paper():
    model = NumpyAutoencoder(seed=0)
    w1, w2 = model.layers[0].weight, model.layers[2].weight
    assert w1.shape == (784, 64) and w2.shape == (64, 784), "784 -> 64 -> 784"
    assert w1.dtype == np.float32 and model.layers[0].bias.dtype == np.float32
    assert abs(w1.std() - 0.01) < 5e-4 and abs(w1.mean()) < 5e-4
    assert not model.layers[0].bias.any() and not model.layers[2].bias.any()
    out = model(np.zeros((2, 784), np.float32))
    assert out.shape == (2, 784) and out.dtype == np.float32


def _toy_data(n=256, d=16, seed=0):
    rng = np.random.default_rng(seed)
    basis = rng.random((4, d))
    x = (rng.random((n, 4)) @ basis > 1.0).astype(np.float32)  # sparse binary patterns, like strokes
    return x[: n - 32], x[n - 32 :]


def test_training_lowers_the_loss_and_is_deterministic():
    x_train, x_test = _toy_data()
    config = NumpyAEConfig(
        **{**NUMPY_AE, "hidden_dim": 4, "init_std": 0.3, "batch_size": 32, "learning_rate": 3e-2, "snapshot_every": 3}
    )
    a = train_numpy_autoencoder(x_train, x_test, x_test[:3], config=config, seed=7)
    b = train_numpy_autoencoder(x_train, x_test, x_test[:3], config=config, seed=7)
    untrained = evaluate_mse(NumpyAutoencoder(input_dim=16, hidden_dim=4, init_std=0.3, seed=7), x_test)
    assert a.history[-1]["test_mse"] < 0.5 * untrained
    assert a.history[-1]["train_loss"] < a.history[0]["train_loss"]
    assert [r["test_mse"] for r in a.history] == [r["test_mse"] for r in b.history], "same seed, same numbers"
    assert np.array_equal(a.reconstructions, b.reconstructions)
    assert a.snapshot_iterations.tolist() == list(range(0, 70, 3)), "7 steps per epoch, a snapshot every 3"
    assert a.snapshots.shape == (24, 3, 16) and a.snapshots.dtype == np.uint8


def test_non_finite_loss_names_epoch_and_step():
    x_train, x_test = _toy_data()
    x_train[5, 3] = np.nan  # a corrupt pixel makes the loss NaN in the batch that holds image 5
    config = NumpyAEConfig(**{**NUMPY_AE, "hidden_dim": 4, "epochs": 3, "batch_size": 32, "learning_rate": 1e-2})
    with pytest.raises(FloatingPointError, match=r"loss is nan at epoch 1, step \d+"):
        train_numpy_autoencoder(x_train, x_test, x_test[:2], config=config, seed=0)


def test_config_rejects_unknown_and_missing_keys_and_bad_values():
    with pytest.raises(ValueError, match="'hiden_dim'"):
        NumpyAEConfig.from_dict({**NUMPY_AE, "hiden_dim": 3})
    with pytest.raises(ValueError, match="Missing config key for the NumPy autoencoder: 'init_std'"):
        NumpyAEConfig.from_dict({k: v for k, v in NUMPY_AE.items() if k != "init_std"})
    assert NumpyAEConfig.from_dict(NUMPY_AE).optimizer == "sgd", "the paper's run passes no optimizer: plain GD"
    with pytest.raises(ValueError, match="batch_size"):
        NumpyAEConfig(**{**NUMPY_AE, "batch_size": 0})
    with pytest.raises(ValueError, match="learning_rate"):
        NumpyAEConfig(**{**NUMPY_AE, "learning_rate": -1e-4})


def test_fixed_digits_are_one_per_class_first():
    labels = np.array([3, 1, 0, 1, 2, 9, 4, 5, 6, 7, 8, 0, 3])
    idx = fixed_digit_indices(labels, 12)
    assert labels[idx[:10]].tolist() == list(range(10))
    assert idx[:3].tolist() == [2, 1, 4] and idx[10:].tolist() == [11, 3]
