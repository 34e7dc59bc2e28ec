"""Counted training FLOPs of the GAN study: the adversarial step in forward units, and the metric classifier.

The rule of every study (`dlrepro.flops`): a network's forward FLOPs per example are counted with
torch's counter (`forward_flops`, products only, a multiply-add = 2), a backward pass costs two
forwards, and evaluation (FID, Inception Score, the BiGAN's probes and reconstructions) is not training.

**One step of `dlrepro.gan.training.adversarial_step`, per training image.** F_G, F_D and F_E are the
counted forward FLOPs of one example through the generator, the discriminator (784 inputs; the
BiGAN's 784 + latent) and the BiGAN's encoder (0 for the GAN and LSGAN). The step makes each image's
forward passes once and reuses them:

- discriminator update: G forward on z (F_G) and, for the BiGAN, E forward on the real image (F_E):
  both keep their graphs for the generator update, so they are not run again; D forward and backward
  on the real and on the fake input (2 x 3 F_D; the inputs are detached, nothing flows back to G or E);
- generator update: D forward and backward on the fake input (3 F_D; the BiGAN runs D again on both
  pairs, 2 x 3 F_D, since its encoder's loss reads the real pair), the gradient flowing through D into
  G (its backward, 2 F_G) and, for the BiGAN, into E (2 F_E).

So a step costs, per image, 3 F_G + 3 F_E + 3 F_D x (2 + d), d the inputs D judges in the generator
update (1; the BiGAN: 2): GAN and LSGAN 3 F_G + 9 F_D, BiGAN 3 F_G + 3 F_E + 12 F_D. A backward counts
2 forwards whichever gradients autograd skips (D's weight gradients in the generator update, G's and E's
input gradients): the rule's convention, so the axis is the same for every study (the products autograd
actually runs in a step are about 3/4 of this count at the paper's sizes; tests/unit/test_gan_flops.py).

An epoch trains on (N // batch) x batch images (the last incomplete batch is dropped); a run's FLOPs
after epoch k are k epochs' worth (`history.csv`'s `train_flops`), so the ladder's budgets, read after
3, 5 and 10 epochs of the same runs (`gan.budgets`), sit at those epochs' FLOPs.

**The metric classifier**: 3 x its forward FLOPs per image x every training image x epochs (its last
incomplete batch is trained on).
"""

from __future__ import annotations

from dlrepro.flops import BACKWARD_FACTOR, forward_flops, training_flops

__all__ = [
    "network_flops",
    "step_flops_per_image",
    "images_per_epoch",
    "gan_flops",
    "classifier_flops",
]


def network_flops(model) -> dict[str, int]:
    """Counted forward FLOPs of one example through each network of a `GAN` (the encoder: 0 without one)."""
    import torch

    z = torch.zeros(1, model.latent_dim)
    found = {
        "generator": forward_flops(model.generator, z),
        "discriminator": forward_flops(model.discriminator, torch.zeros(1, model.discriminator_inputs)),
        "encoder": 0,
    }
    encoder = getattr(model, "encoder", None)
    if encoder is not None:
        found["encoder"] = forward_flops(encoder, torch.zeros(1, encoder[0].in_features))
    return found


def step_flops_per_image(forward: dict[str, int]) -> int:
    """FLOPs of one adversarial step per training image from the networks' forward FLOPs (the rule above)."""
    g, d, e = forward["generator"], forward["discriminator"], forward["encoder"]
    judged = 2 if e else 1  # inputs D judges in the generator update: the fake (the BiGAN: both pairs)
    d_step = g + e + 2 * BACKWARD_FACTOR * d  # G (and E) forward, kept; D forward + backward on real and fake
    g_step = (BACKWARD_FACTOR - 1) * (g + e) + judged * BACKWARD_FACTOR * d  # D again, backward into G (and E)
    return d_step + g_step


def images_per_epoch(train_examples: int, batch_size: int) -> int:
    """Images one epoch trains on: full batches only (`train_epoch_eager` drops the last incomplete one)."""
    return (train_examples // batch_size) * batch_size


def gan_flops(model, config, *, train_examples: int, history: list[dict] = ()) -> dict:
    """A run's FLOP record (`config`: its `GanConfig`, for the batch size and epochs): each network's
    forward FLOPs per example, the step's FLOPs per image, the FLOPs of one epoch and of the whole run
    (`train_flops`). Each row of `history` (one per epoch from 0, changed in place) gets `train_flops`,
    the FLOPs up to the end of its epoch: the ladder's budgets."""
    forward = network_flops(model)
    per_image = step_flops_per_image(forward)
    per_epoch = float(per_image * images_per_epoch(train_examples, config.batch_size))
    for row in history:
        row["train_flops"] = per_epoch * row["epoch"]
    return {
        "forward_flops_per_example": forward,
        "step_flops_per_image": per_image,
        "flops_per_epoch": per_epoch,
        "train_flops": per_epoch * config.epochs,
    }


def classifier_flops(model, *, train_examples: int, epochs: int) -> dict:
    """The metric classifier's record: its forward FLOPs per image and its training FLOPs."""
    import torch

    from dlrepro.gan.models import IMAGE_PIXELS

    forward = forward_flops(model, torch.zeros(1, IMAGE_PIXELS))
    return {"forward_flops_per_example": forward, "train_flops": training_flops(forward, train_examples * epochs)}
