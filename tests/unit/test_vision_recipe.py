"""The vision recipe's additions (dlrepro.vision.models): the CNN's patch-whitening layer and the ViT's
convolutional stem; benchmarks/vision_recipe.py measures what each adds (docs/vision_recipe.md)."""

import pytest
import torch

from dlrepro.vision.measure import attention_rollout
from dlrepro.vision.models import PatchWhitening, build_model, fit_whitening, parameter_count


def _images(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, 3, 32, 32, generator=g)
    return base + 0.8 * base.roll(1, dims=3) + 0.5 * base[:, :1]  # correlated neighbours and channels


def test_patch_whitening_makes_the_fitted_patches_uncorrelated_with_unit_variance():
    x = _images()
    layer = PatchWhitening(3)
    assert layer.out_channels == 24 and not layer.weight.any(), "zeros until fitted"
    layer.fit(x)
    out = layer(x)[..., :-1, :-1]  # the positions whose 2x2 patch lies inside the image
    half = out[:, :12].permute(0, 2, 3, 1).reshape(-1, 12).double()
    cov = torch.cov(half.T)
    assert torch.allclose(cov, torch.eye(12, dtype=torch.float64), atol=0.02)
    assert torch.equal(layer(x)[:, 12:], -layer(x)[:, :12])  # both signs of every filter
    assert layer(x).shape == (64, 24, 32, 32)


def test_the_whitening_cnn_fits_its_filters_as_buffers_and_trains_the_rest():
    model = build_model("cnn", stem="whiten")
    assert fit_whitening(model, _images()) and not fit_whitening(build_model("cnn"), _images())
    assert "stem.0.weight" in model.state_dict(), "the filters travel with checkpoints"
    assert all("stem.0" not in name for name, _ in model.named_parameters()), "frozen: not a parameter"
    assert parameter_count(model) == parameter_count(build_model("cnn")) + (24 - 3 * 9) * 16
    model(_images(4)).sum().backward()
    assert model.stem[1].weight.grad is not None


def test_the_conv_stem_vit_makes_the_same_tokens_and_keeps_attention_rollout():
    x = _images(4)
    vit, plain = build_model("vit", stem="conv"), build_model("vit")
    assert vit.tokens(x).shape == plain.tokens(x).shape == (4, 65, 64)
    assert vit(x).shape == (4, 10)
    assert attention_rollout(vit, x).shape == (4, 8, 8)
    with pytest.raises(AssertionError, match="power-of-2"):
        build_model("vit", stem="conv", patch_size=3, image_size=33)
    with pytest.raises(AssertionError, match="stem"):
        build_model("cnn", stem="pixels")
