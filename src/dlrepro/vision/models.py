"""The two image classifiers for 32x32 inputs: a ResNet-style CNN and a Vision Transformer.

`ResNet` follows He et al. (2016) in the CIFAR form (3x3 stem, no max-pool): stages of BasicBlocks,
the first block of every stage after the first halves the resolution and a 1x1 convolution matches
the shortcut. `widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2)` is ResNet-18 (11.2M parameters).

`ViT` follows Dosovitskiy et al. (2021) and lucidrains/vit-pytorch: non-overlapping patches
(a strided convolution), learned position embeddings, a class token, pre-norm Transformer blocks whose
attention is `F.scaled_dot_product_attention` (under CPU bf16 autocast the same formula as explicit
matrix products, faster there), and a linear head on the class token (`pool="cls"`) or
on the mean of the patch tokens (`pool="mean"`). `drop_path` is the stochastic-depth rate of the last
block (rising linearly from 0 in the first, as in DeiT, Touvron et al. 2021).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["ResNet", "ViT", "build_model", "parameter_count"]


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


class ResNet(nn.Module):
    """ResNet for 32x32 images: 3x3 stem, len(widths) stages of BasicBlocks, global average pool, linear head."""

    def __init__(self, *, widths=(16, 32, 64), blocks=(1, 1, 1), num_classes: int = 10, in_channels: int = 3):
        super().__init__()
        assert len(widths) == len(blocks), f"one block count per stage: widths={widths}, blocks={blocks}"
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()
        )
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
    ):
        super().__init__()
        assert image_size % patch_size == 0, (
            f"image size {image_size} must be a multiple of the patch size {patch_size}"
        )
        assert pool in ("cls", "mean"), f"pool must be 'cls' or 'mean', got {pool!r}"
        assert 0 <= drop_path < 1, f"drop_path must be in [0, 1), got {drop_path}"
        self.pool = pool
        self.patch = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)  # one linear map per patch
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


# ---- helpers ------------------------------------------------------------------------------------


def build_model(kind: str, **kwargs) -> nn.Module:
    """`kind` is "cnn" (ResNet) or "vit"; `kwargs` are the constructor's keyword arguments."""
    classes = {"cnn": ResNet, "vit": ViT}
    if kind not in classes:
        raise ValueError(f"unknown model kind {kind!r}; use one of {sorted(classes)}")
    return classes[kind](**kwargs)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
