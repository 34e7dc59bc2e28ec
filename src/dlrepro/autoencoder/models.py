"""PyTorch autoencoders for 28x28 images (§1.2): basic, convolutional and variational.

Every model maps flattened images (B, 784) in [0, 1] to reconstructions of the same shape, so
training, evaluation and figures treat them alike. The denoising autoencoder is a training
procedure (corrupt the input, reconstruct the clean image), not an architecture: it uses
`ConvAutoencoder` unchanged (see `dlrepro.autoencoder.training.AE_MODELS` and `corrupt`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "BasicAutoencoder",
    "ConvAutoencoder",
    "VariationalAutoencoder",
    "VaeTrainingPass",
    "vae_loss",
    "parameter_count",
]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


class BasicAutoencoder(nn.Module):
    """input_dim -> code_size (ReLU) -> input_dim (sigmoid): the paper's NumPy model, in torch."""

    def __init__(self, *, input_dim: int = 784, code_size: int = 64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_dim, code_size), nn.ReLU())
        self.decoder = nn.Sequential(nn.Linear(code_size, input_dim), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))  # (B, D) -> (B, code) -> (B, D)

    @torch.no_grad()
    def load_numpy(self, numpy_model) -> BasicAutoencoder:
        """Copy the weights of a `NumpyAutoencoder` (its W is (in, out); torch's is (out, in))."""
        first, second = numpy_model.layers[0], numpy_model.layers[2]
        self.encoder[0].weight.copy_(torch.from_numpy(np.ascontiguousarray(first.weight.T)))
        self.encoder[0].bias.copy_(torch.from_numpy(first.bias))
        self.decoder[0].weight.copy_(torch.from_numpy(np.ascontiguousarray(second.weight.T)))
        self.decoder[0].bias.copy_(torch.from_numpy(second.bias))
        return self


class ConvAutoencoder(nn.Module):
    """Two stride-2 convolutions (28 -> 14 -> 7), a linear code, and the mirror image back.

    With channels (16, 32) and code_size 64: 28x28x1 -> 14x14x16 -> 7x7x32 -> 64 -> 7x7x32 ->
    14x14x16 -> 28x28x1, 211,905 parameters (the basic AE at code 64 has 101,200).
    """

    def __init__(self, *, code_size: int = 64, channels: tuple[int, int] = (16, 32)):
        super().__init__()
        c1, c2 = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1),
            nn.ReLU(),  # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1),
            nn.ReLU(),  # (B, c2, 7, 7)
            nn.Flatten(),
            nn.Linear(c2 * 7 * 7, code_size),
            nn.ReLU(),  # (B, code)
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_size, c2 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),  # (B, c1, 14, 14)
            nn.ConvTranspose2d(c1, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),  # (B, 1, 28, 28)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        images = x.view(-1, 1, 28, 28)
        return self.decoder(self.encoder(images)).view(x.shape)


class VariationalAutoencoder(nn.Module):
    """Gaussian latent with the reparameterisation trick, Bernoulli decoder (Kingma & Welling 2014).

    forward(x) returns the reconstruction probabilities; `encode`/`decode_logits` expose the parts.
    """

    def __init__(self, *, input_dim: int = 784, hidden_dim: int = 400, code_size: int = 16):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU())
        self.mu = nn.Linear(hidden_dim, code_size)
        self.logvar = nn.Linear(hidden_dim, code_size)
        self.decoder = nn.Sequential(nn.Linear(code_size, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, input_dim))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.hidden(x)  # (B, hidden)
        return self.mu(h), self.logvar(h)  # (B, code) each

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, D) Bernoulli logits

    def sample_latent(self, mu, logvar, generator=None) -> torch.Tensor:
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        return mu + eps * torch.exp(0.5 * logvar)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, _ = self.encode(x)
        return torch.sigmoid(self.decode_logits(mu))  # the decoder mean at the posterior mean


class VaeTrainingPass(nn.Module):
    """The VAE's forward pass as training runs it (`vae_loss`): encode, draw z = mu + eps * sigma (the
    reparameterised sample), decode the logits. What `dlrepro.autoencoder.flops` counts; eps comes from a
    private generator, so counting draws nothing from the training RNG."""

    def __init__(self, vae: VariationalAutoencoder):
        super().__init__()
        self.vae = vae

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.vae.encode(x)
        eps = torch.Generator(device=mu.device).manual_seed(0)
        return self.vae.decode_logits(self.vae.sample_latent(mu, logvar, eps))  # (B, D) logits


def vae_loss(model: VariationalAutoencoder, x: torch.Tensor, generator=None) -> torch.Tensor:
    """Negative ELBO per image (nats), averaged over the batch: Bernoulli NLL + KL(q(z|x) || N(0, I))."""
    mu, logvar = (t.float() for t in model.encode(x))  # the KL term in fp32 under bf16 autocast too
    logits = model.decode_logits(model.sample_latent(mu, logvar, generator))
    nll = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (nll + kl) / len(x)
