"""Architectures of the GAN study: the paper's fully connected GAN (§2.2, §2.5), its BiGAN variant
(§2.4), and the small CNN whose features score generated digits.

The paper's GAN is one class holding a generator and a discriminator, each an `nn.Sequential` with one
hidden layer of 256 ReLU units and a Sigmoid output. LSGAN uses the same networks with a linear
discriminator output (least-squares losses act on an unbounded score).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["GAN", "BiGAN", "MnistClassifier", "build_gan"]

IMAGE_PIXELS = 784  # 28 x 28 MNIST images, flattened


class GAN(nn.Module):
    """Generator z -> image and discriminator image -> P(real), both one-hidden-layer MLPs (§2.2)."""

    def __init__(self, *, latent_dim: int = 100, hidden: int = 256, sigmoid_discriminator: bool = True):
        super().__init__()
        self.latent_dim = latent_dim
        self.generator = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, IMAGE_PIXELS),
            nn.Sigmoid(),  # pixels in [0, 1]
        )
        self.discriminator = nn.Sequential(
            nn.Linear(self.discriminator_inputs, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
            nn.Sigmoid() if sigmoid_discriminator else nn.Identity(),
        )

    @property
    def discriminator_inputs(self) -> int:
        return IMAGE_PIXELS

    def generator_modules(self) -> list[nn.Module]:
        """The networks the generator's optimiser updates."""
        return [self.generator]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)  # (B, 784)


class BiGAN(GAN):
    """BiGAN (Donahue et al. 2017): an encoder image -> latent beside the generator, and a discriminator
    that judges (image, latent) pairs: (x, E(x)) is 'real', (G(z), z) is 'fake'."""

    def __init__(self, *, latent_dim: int = 100, hidden: int = 256, sigmoid_discriminator: bool = True):
        self._latent = latent_dim
        super().__init__(latent_dim=latent_dim, hidden=hidden, sigmoid_discriminator=sigmoid_discriminator)
        self.encoder = nn.Sequential(nn.Linear(IMAGE_PIXELS, hidden), nn.ReLU(), nn.Linear(hidden, latent_dim))

    @property
    def discriminator_inputs(self) -> int:
        return IMAGE_PIXELS + self._latent

    def generator_modules(self) -> list[nn.Module]:
        return [self.generator, self.encoder]


def build_gan(kind: str, *, latent_dim: int, hidden: int) -> GAN:
    """`gan` (the paper's), `lsgan` (linear discriminator output) or `bigan`."""
    if kind == "gan":
        return GAN(latent_dim=latent_dim, hidden=hidden)
    if kind == "lsgan":
        return GAN(latent_dim=latent_dim, hidden=hidden, sigmoid_discriminator=False)
    if kind == "bigan":
        return BiGAN(latent_dim=latent_dim, hidden=hidden)
    raise ValueError(f"unknown GAN kind {kind!r}; expected gan, lsgan or bigan")


class MnistClassifier(nn.Module):
    """Two 5x5 conv + max-pool blocks, a hidden layer (the feature space of FID) and 10 logits."""

    def __init__(self, *, channels: tuple[int, int] = (16, 32), hidden: int = 128):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, c1, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, c2, 7, 7)
            nn.Flatten(),
            nn.Linear(c2 * 7 * 7, hidden),
            nn.ReLU(),  # (B, hidden): the penultimate features
        )
        self.head = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, 10) logits
