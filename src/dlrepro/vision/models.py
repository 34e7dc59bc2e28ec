"""The two image classifiers for 32x32 inputs: a ResNet-style CNN and a Vision Transformer.

`ResNet` follows He et al. (2016) in the CIFAR form (3x3 stem, no max-pool): stages of BasicBlocks,
the first block of every stage after the first halves the resolution and a 1x1 convolution matches
the shortcut. `widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2)` is ResNet-18 (11.2M parameters).
`stem="whiten"` replaces the 3x3 stem convolution by a frozen patch-whitening layer and a 1x1
convolution: 2x2 filters that whiten the training images' 2x2 patches (each eigenvector of their
covariance, scaled by 1 / sqrt(eigenvalue), with both signs: 24 channels), set from training images
by `fit_whitening` before training (the first layer of Keller Jordan's airbench, 2024, after Page's
"How to train your ResNet", 2018), at about the 3x3 stem's FLOPs.

`ViT` follows Dosovitskiy et al. (2021) and lucidrains/vit-pytorch: non-overlapping patches
(a strided convolution), learned position embeddings, a class token, pre-norm Transformer blocks whose
attention is `F.scaled_dot_product_attention` (under CPU bf16 autocast the same formula as explicit
matrix products, faster there), and a linear head on the class token (`pool="cls"`) or
on the mean of the patch tokens (`pool="mean"`). `drop_path` is the stochastic-depth rate of the last
block (rising linearly from 0 in the first, as in DeiT, Touvron et al. 2021). `stem="conv"` makes the
tokens with two stride-2 3x3 convolutions (each with BatchNorm and ReLU) and a 1x1 convolution to the
width instead of one strided patch convolution: the same tokens, one per patch, from an early
convolutional stem (Xiao et al. 2021, "Early convolutions help transformers see better"); the rest of
the model is the same ViT.

benchmarks/vision_recipe.py measures both stems against the plain ones (docs/vision_recipe.md).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["ResNet", "ViT", "build_model", "fit_whitening", "parameter_count"]


# ---- CNN ----------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    def __init__(self, *, channels_in: int, channels: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Identity()
        if stride != 1 or channels_in != channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels_in, channels, 1, stride=stride, bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class PatchWhitening(nn.Module):
    """A frozen `patch` x `patch` convolution (stride 1, output the input's size) whose 2 x C x patch^2
    filters whiten the patches of the images given to `fit`; zeros until then."""

    def __init__(self, in_channels: int, patch: int = 2, eps: float = 5e-4):
        super().__init__()
        self.patch, self.eps = patch, eps
        self.register_buffer("weight", torch.zeros(2 * in_channels * patch * patch, in_channels, patch, patch))

    @property
    def out_channels(self) -> int:
        return self.weight.shape[0]

    @torch.no_grad()
    def fit(self, images: torch.Tensor) -> None:
        """Set the filters from normalised images (N, C, H, W): the eigenvectors of their patches' covariance,
        each divided by sqrt(its eigenvalue + eps), and their negatives."""
        c, p = images.shape[1], self.patch
        total, outer, count = torch.zeros(c * p * p, dtype=torch.float64), 0.0, 0
        for chunk in images.split(250):  # sums over 250 images at a time: the patches of all would take ~1 GB
            x = chunk.unfold(2, p, 1).unfold(3, p, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, c * p * p).double().cpu()
            total, outer, count = total + x.sum(0), outer + x.T @ x, count + len(x)
        mean = total / count
        cov = (outer - count * torch.outer(mean, mean)) / (count - 1)
        values, vectors = torch.linalg.eigh(cov)
        filters = (vectors.T / torch.sqrt(values + self.eps)[:, None]).view(-1, c, p, p)
        self.weight.copy_(torch.cat([filters, -filters]).to(self.weight.dtype))

    def forward(self, x):  # (B, C, H, W) -> (B, 2 C p^2, H, W): pad right and bottom by p - 1
        return F.conv2d(F.pad(x, (0, self.patch - 1, 0, self.patch - 1)), self.weight.to(x.dtype))


class ResNet(nn.Module):
    """ResNet for 32x32 images: 3x3 stem (with `stem="whiten"`: patch whitening and a 1x1 convolution),
    len(widths) stages of BasicBlocks, global average pool, linear head."""

    def __init__(
        self,
        *,
        widths=(16, 32, 64),
        blocks=(1, 1, 1),
        num_classes: int = 10,
        in_channels: int = 3,
        stem: str = "conv",
    ):
        super().__init__()
        assert len(widths) == len(blocks), f"one block count per stage: widths={widths}, blocks={blocks}"
        assert stem in ("conv", "whiten"), f"the CNN's stem must be 'conv' or 'whiten', got {stem!r}"
        if stem == "whiten":  # whitened 2x2 patches, then a 1x1 convolution to the first width
            whiten = PatchWhitening(in_channels)
            first = [whiten, nn.Conv2d(whiten.out_channels, widths[0], 1, bias=False)]
        else:
            first = [nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)]
        self.stem = nn.Sequential(*first, nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, c_in = [], widths[0]
        for stage, (width, n) in enumerate(zip(widths, blocks)):
            for i in range(n):
                stride = 2 if stage > 0 and i == 0 else 1  # 32 -> 16 -> 8 -> 4
                layers.append(BasicBlock(channels_in=c_in, channels=width, stride=stride))
                c_in = width
        self.stages = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, num_classes)

    def forward(self, x):  # (B, 3, 32, 32)
        x = self.stages(self.stem(x))  # (B, C, 32 / 2^(stages-1), ...)
        return self.head(x.mean(dim=(2, 3)))  # (B, num_classes)


# ---- ViT ----------------------------------------------------------------------------------------


class Attention(nn.Module):
    def __init__(self, *, dim: int, heads: int, dropout: float):
        super().__init__()
        assert dim % heads == 0, f"dim {dim} must be divisible by heads {heads}"
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def _qkv(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)  # 3 x (B, h, N, d/h)
        return q, k, v

    def forward(self, x):  # (B, N, D)
        q, k, v = self._qkv(x)
        p = self.dropout if self.training else 0.0
        if q.device.type == "cpu" and torch.is_autocast_enabled("cpu"):
            # the same attention as explicit bf16 matrix products: on the CPU both bf16 kernels of
            # F.scaled_dot_product_attention are slow (flash ~8x slower backwards, math computes in
            # fp32), and running flash in fp32 costs casts; this makes the whole step 11-13% faster
            probs = self._probs(q, k)
            out = (F.dropout(probs, p) if p else probs) @ v
        else:
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p)  # (B, h, N, d/h)
        return self.proj(out.transpose(1, 2).flatten(2))  # (B, N, D)

    @staticmethod
    def _probs(q, k):
        return torch.softmax((q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1), dim=-1)

    def weights(self, x):
        """The attention probabilities (B, h, N, N), computed explicitly (for attention rollout)."""
        q, k, _ = self._qkv(x)
        return self._probs(q, k)


def drop_path(y: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Stochastic depth (Huang et al. 2016): in training, zero a residual branch for a share p of the
    images and scale the rest by 1 / (1 - p); the identity in evaluation."""
    if not training or p == 0:
        return y
    keep = (torch.rand(len(y), *(1,) * (y.ndim - 1), device=y.device) >= p).to(y.dtype)
    return y * keep / (1 - p)


class Block(nn.Module):
    """Pre-norm Transformer block: x + Attn(LN(x)), then x + MLP(LN(x)), each branch with stochastic depth."""

    def __init__(self, *, dim: int, heads: int, mlp_dim: int, dropout: float, drop_path: float = 0.0):
        super().__init__()
        self.drop_path = drop_path
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim=dim, heads=heads, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(mlp_dim, dim), nn.Dropout(dropout)
        )

    def forward(self, x):
        x = x + drop_path(self.attn(self.norm1(x)), self.drop_path, self.training)
        return x + drop_path(self.mlp(self.norm2(x)), self.drop_path, self.training)


class ViT(nn.Module):
    """Vision Transformer: patches -> tokens (+ class token, + learned positions) -> pre-norm blocks -> head."""

    def __init__(
        self,
        *,
        image_size: int = 32,
        patch_size: int = 4,
        dim: int = 64,
        depth: int = 4,
        heads: int = 4,
        mlp_ratio: float = 2.0,
        pool: str = "cls",
        dropout: float = 0.0,
        drop_path: float = 0.0,
        num_classes: int = 10,
        in_channels: int = 3,
        stem: str = "patch",
    ):
        super().__init__()
        assert image_size % patch_size == 0, (
            f"image size {image_size} must be a multiple of the patch size {patch_size}"
        )
        assert pool in ("cls", "mean"), f"pool must be 'cls' or 'mean', got {pool!r}"
        assert 0 <= drop_path < 1, f"drop_path must be in [0, 1), got {drop_path}"
        self.pool = pool
        self.patch = _token_stem(stem, in_channels, dim, patch_size)  # (B, C, H, W) -> (B, dim, H/p, W/p)
        n_tokens = (image_size // patch_size) ** 2 + 1  # patches + class token
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, n_tokens, dim) * 0.02)
        rates = [drop_path * i / max(1, depth - 1) for i in range(depth)]  # 0 in the first block, drop_path in the last
        self.blocks = nn.ModuleList(
            Block(dim=dim, heads=heads, mlp_dim=int(dim * mlp_ratio), dropout=dropout, drop_path=r) for r in rates
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def tokens(self, x):  # (B, C, H, W)
        x = self.patch(x).flatten(2).transpose(1, 2)  # (B, N, D), N = (H/p)(W/p)
        x = torch.cat([self.cls.expand(len(x), -1, -1), x], dim=1)  # (B, 1 + N, D)
        return x + self.pos

    def forward(self, x):
        x = self.tokens(x)
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        x = x[:, 0] if self.pool == "cls" else x[:, 1:].mean(dim=1)  # (B, D)
        return self.head(x)

    @torch.no_grad()
    def attention_weights(self, x) -> list[torch.Tensor]:
        """Each block's attention probabilities, (B, heads, 1 + N, 1 + N) per block."""
        x, out = self.tokens(x), []
        for block in self.blocks:
            out.append(block.attn.weights(block.norm1(x)))
            x = block(x)
        return out


def _token_stem(stem: str, in_channels: int, dim: int, patch_size: int) -> nn.Module:
    """The ViT's tokens: one linear map per patch (`patch`), or log2(patch_size) stride-2 3x3 convolutions
    (32, 64, ... channels, each with BatchNorm and ReLU) and a 1x1 convolution to `dim` (`conv`)."""
    if stem == "patch":
        return nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)
    assert stem == "conv", f"the ViT's stem must be 'patch' or 'conv', got {stem!r}"
    halvings = patch_size.bit_length() - 1
    assert patch_size == 2**halvings and halvings >= 1, f"a conv stem needs a power-of-2 patch size, got {patch_size}"
    layers, c_in = [], in_channels
    for i in range(halvings):
        c_out = 32 * 2**i
        layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
        c_in = c_out
    return nn.Sequential(*layers, nn.Conv2d(c_in, dim, 1))


# ---- helpers ------------------------------------------------------------------------------------


def fit_whitening(model: nn.Module, images: torch.Tensor) -> bool:
    """Set every patch-whitening layer of `model` from normalised training images (N, C, H, W); True if
    it has one. Call it once before training (its filters are buffers: checkpoints keep them)."""
    layers = [m for m in model.modules() if isinstance(m, PatchWhitening)]
    for layer in layers:
        layer.fit(images.to(layer.weight.device, torch.float32))
    return bool(layers)


def build_model(kind: str, **kwargs) -> nn.Module:
    """`kind` is "cnn" (ResNet) or "vit"; `kwargs` are the constructor's keyword arguments."""
    classes = {"cnn": ResNet, "vit": ViT}
    if kind not in classes:
        raise ValueError(f"unknown model kind {kind!r}; use one of {sorted(classes)}")
    return classes[kind](**kwargs)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
