"""Counted training FLOPs of the autoencoder study (the rule of every study: `dlrepro.flops`).

- The PyTorch autoencoders: the forward FLOPs of one image counted by `forward_flops` (products only, a
  multiply-add = 2): the basic and the convolutional models' forward (the denoising models' corruption
  is element-wise, not counted), and for the VAE the pass its loss runs (`VaeTrainingPass`: encoder,
  the mu and log-variance heads, the reparameterised sample and the decoder).
- The NumPy autoencoder has no torch model: counted by hand, the same products, ``linear_flops((784,
  hidden), (hidden, 784))``.
- Training FLOPs = 3 x forward x images x epochs: every epoch trains on every image (the last, smaller
  batch included). Evaluation (test MSE, the VAE's -ELBO, figures) is not training.
- The mean-image and PCA baselines are fitted, not trained: they record no training FLOPs.
"""

from __future__ import annotations

from dlrepro.flops import forward_flops, linear_flops, training_flops

__all__ = ["numpy_ae_flops", "torch_ae_flops"]


def _record(forward: int, images: int) -> dict:
    return {"forward_flops_per_example": int(forward), "train_flops": training_flops(forward, images)}


def numpy_ae_flops(*, input_dim: int, hidden_dim: int, train_examples: int, epochs: int) -> dict:
    """The NumPy autoencoder's forward FLOPs per image (by hand) and its training FLOPs."""
    return _record(linear_flops((input_dim, hidden_dim), (hidden_dim, input_dim)), train_examples * epochs)


def torch_ae_flops(model, *, input_dim: int, train_examples: int, epochs: int) -> dict:
    """A PyTorch autoencoder's counted forward FLOPs per image (the VAE's training pass) and its training FLOPs."""
    import torch

    from dlrepro.autoencoder.models import VaeTrainingPass, VariationalAutoencoder

    counted = VaeTrainingPass(model) if isinstance(model, VariationalAutoencoder) else model
    return _record(forward_flops(counted, torch.zeros(1, input_dim)), train_examples * epochs)
