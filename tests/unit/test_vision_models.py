"""The vision study's building blocks: the two models, augmentation, subsets, FLOPs, rollout, schedule."""

import numpy as np
import pytest
import torch

from dlrepro.vision.data import balanced_subset, mix_batch, random_crop_flip
from dlrepro.vision.measure import attention_rollout, confusion_matrix, flops_per_image
from dlrepro.vision.models import ResNet, ViT, build_model, drop_path, parameter_count

torch.set_num_threads(1)


@pytest.mark.parametrize(
    "kind,kwargs",
    [
        ("cnn", {"widths": (4, 8), "blocks": (1, 2)}),
        ("vit", {"dim": 16, "depth": 2, "heads": 2}),
        ("vit", {"dim": 16, "depth": 1, "heads": 4, "pool": "mean", "patch_size": 8}),
    ],
)
def test_models_map_images_to_class_logits(kind, kwargs):
    model = build_model(kind, **kwargs)
    out = model(torch.randn(3, 3, 32, 32))
    assert out.shape == (3, 10), f"{kind} should give (batch, classes) logits, got {tuple(out.shape)}"


def test_constructor_arguments_are_keyword_only_and_checked():
    with pytest.raises(TypeError):
        ResNet((16, 32), (1, 1))
    with pytest.raises(AssertionError, match="divisible"):
        ViT(dim=10, heads=4)
    with pytest.raises(ValueError, match="unknown model kind"):
        build_model("mlp")


def test_resnet18_shape_has_the_published_parameter_count():
    assert parameter_count(ResNet(widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2))) == 11_173_962


def test_vit_attention_with_sdpa_equals_the_explicit_softmax():
    torch.manual_seed(0)
    vit = ViT(dim=16, depth=1, heads=2).eval()
    x = vit.tokens(torch.randn(2, 3, 32, 32))
    attn = vit.blocks[0].attn
    weights = attn.weights(x)  # (B, h, T, T)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 2, 65))
    _, _, v = attn._qkv(x)
    manual = attn.proj((weights @ v).transpose(1, 2).flatten(2))
    assert torch.allclose(attn(x), manual, atol=1e-5)


def test_vit_attention_under_cpu_bf16_autocast_is_the_same_attention_in_bf16():
    torch.manual_seed(0)
    attn = ViT(dim=32, depth=1, heads=2, dropout=0.5).blocks[0].attn
    x = torch.randn(4, 65, 32, requires_grad=True)
    reference = attn.eval()(x)  # fp32, F.scaled_dot_product_attention
    with torch.autocast("cpu", dtype=torch.bfloat16):
        fast = attn(x)
        attn.train()
        dropped_a, dropped_b = attn(x), attn(x)
    assert fast.dtype == torch.bfloat16
    assert torch.allclose(fast.float(), reference, atol=0.05, rtol=0.05), (fast.float() - reference).abs().max()
    assert not torch.equal(dropped_a, dropped_b), "attention dropout should act in training under autocast too"
    fast.float().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_flops_of_the_vit_match_the_formula():
    d, depth, mlp, t, p = 16, 2, 32, 65, 4
    vit = ViT(dim=d, depth=depth, heads=2, mlp_ratio=mlp / d, patch_size=p)
    patch = 2 * 64 * (3 * p * p) * d
    block = 2 * t * d * 3 * d + 2 * t * d * d + 2 * 2 * t * d * mlp + 2 * 2 * t * t * d  # qkv, proj, MLP, QK^T and AV
    assert flops_per_image(vit, (3, 32, 32)) == patch + depth * block + 2 * d * 10


def test_flops_of_a_convolution_match_the_formula():
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Flatten(), torch.nn.Linear(8 * 32 * 32, 10)
    )
    assert flops_per_image(model, (3, 32, 32)) == 2 * 32 * 32 * 8 * 27 + 2 * 8 * 32 * 32 * 10


def _crops(image, pad):
    padded = torch.nn.functional.pad(image, (pad,) * 4)
    h = image.shape[-1]
    out = [padded[:, y : y + h, x : x + h] for y in range(2 * pad + 1) for x in range(2 * pad + 1)]
    return out + [c.flip(-1) for c in out]


def test_batched_crop_and_flip_gives_a_shifted_and_maybe_mirrored_copy_of_each_image():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8)
    y = random_crop_flip(x, padding=2, flip=True, generator=g)
    assert y.shape == x.shape and y.dtype == x.dtype
    for img, out in zip(x, y):
        assert any(torch.equal(out, c) for c in _crops(img, 2))
    assert not torch.equal(x, y)


def test_augmentation_switched_off_is_the_identity_and_flip_alone_mirrors_about_half():
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (400, 3, 4, 4), dtype=torch.uint8)
    assert torch.equal(random_crop_flip(x, padding=0, flip=False, generator=g), x)
    y = random_crop_flip(x, padding=0, flip=True, generator=g)
    flipped = (y == x.flip(-1)).flatten(1).all(1) & ~(y == x).flatten(1).all(1)
    assert 150 < int(flipped.sum()) < 250


def test_mixup_blends_each_image_with_its_neighbour_by_lam():
    x = torch.randn(6, 3, 8, 8)
    mixed, lam, box = mix_batch(x, mixup_alpha=0.4, cutmix_alpha=0.0, rng=np.random.default_rng(0))
    assert box is None and 0 < lam < 1
    assert torch.allclose(mixed, lam * x + (1 - lam) * x.roll(1, dims=0), atol=1e-6)


def test_cutmix_pastes_a_box_from_the_neighbour_and_lam_is_the_share_left():
    x = torch.arange(4 * 2 * 16 * 16, dtype=torch.float32).view(4, 2, 16, 16)
    for seed in range(20):
        mixed, lam, (y0, y1, x0, x1) = mix_batch(x, mixup_alpha=0.0, cutmix_alpha=1.0, rng=np.random.default_rng(seed))
        inside = torch.zeros(16, 16, dtype=torch.bool)
        inside[y0:y1, x0:x1] = True
        assert torch.equal(mixed[..., inside], x.roll(1, dims=0)[..., inside])
        assert torch.equal(mixed[..., ~inside], x[..., ~inside])
        assert lam == pytest.approx(1 - inside.float().mean().item())
    assert torch.equal(x, torch.arange(4 * 2 * 16 * 16, dtype=torch.float32).view(4, 2, 16, 16)), (
        "the input is not changed"
    )


def test_mixing_switched_off_is_the_identity_and_both_on_alternate():
    x = torch.randn(4, 3, 8, 8)
    same, lam, box = mix_batch(x, mixup_alpha=0.0, cutmix_alpha=0.0, rng=np.random.default_rng(0))
    assert same is x and lam == 1.0 and box is None
    rng = np.random.default_rng(1)
    kinds = [mix_batch(x, mixup_alpha=0.8, cutmix_alpha=1.0, rng=rng)[2] is None for _ in range(200)]
    assert 60 < sum(kinds) < 140, "about half MixUp, half CutMix"


def test_drop_path_is_the_identity_in_evaluation_and_unbiased_in_training():
    torch.manual_seed(0)
    y = torch.ones(20000, 3, 4)
    assert torch.equal(drop_path(y, 0.3, training=False), y)
    out = drop_path(y, 0.3, training=True)
    per_image = out[:, 0, 0]
    assert torch.allclose(per_image.unique(), torch.tensor([0.0, 1 / 0.7])), (
        "dropped, or kept and scaled by 1 / (1 - p)"
    )
    assert (out == out[:, :1, :1]).all(), "one decision per image"
    assert out.mean().item() == pytest.approx(1.0, abs=0.02)
    vit = ViT(dim=16, depth=3, heads=2, drop_path=0.2)
    assert [b.drop_path for b in vit.blocks] == pytest.approx([0.0, 0.1, 0.2])
    vit.eval()
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(vit(x), vit(x)), "no randomness in evaluation"


def test_balanced_subsets_are_exact_per_class_seeded_and_nested():
    labels = np.repeat(np.arange(10), 100)[np.random.default_rng(0).permutation(1000)]
    small, large = balanced_subset(labels, 0.1, seed=3), balanced_subset(labels, 0.5, seed=3)
    assert np.array_equal(np.bincount(labels[small]), np.full(10, 10))
    assert np.array_equal(np.bincount(labels[large]), np.full(10, 50))
    assert set(small) <= set(large)
    assert np.array_equal(small, balanced_subset(labels, 0.1, seed=3))
    assert not np.array_equal(small, balanced_subset(labels, 0.1, seed=4))
    assert len(balanced_subset(labels, 1.0, seed=0)) == 1000
    with pytest.raises(ValueError):
        balanced_subset(labels, 0.0, seed=0)


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    cm = confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), n_classes=3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_attention_rollout_is_a_normalised_patch_map():
    vit = ViT(dim=16, depth=2, heads=2, patch_size=8).eval()
    maps = attention_rollout(vit, torch.randn(3, 3, 32, 32))
    assert maps.shape == (3, 4, 4)
    assert torch.allclose(maps.amax(dim=(1, 2)), torch.ones(3)) and (maps > 0).all()
