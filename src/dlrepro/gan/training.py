"""Training loops of the GAN study: one adversarial step shared by an eager loop and a CUDA-graph loop.

Batch 16 makes the step overhead-bound, so the loops keep the images as one tensor on the device,
take batches by indexing a per-epoch permutation, accumulate losses on the device (one host sync per
epoch), and compute only the gradients each update needs (`dlrepro.gan.adam.update`). On a GPU with
`cuda_graph` the whole D+G step is captured once in a `torch.cuda.CUDAGraph` (the batch comes from an
on-device counter, z is drawn inside the graph, Adam runs with `capturable=True`) and replayed; the
step's arithmetic is the same function in both loops (`adversarial_step`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from dlrepro.checkpoint import Checkpointer, rng_state, set_rng_state
from dlrepro.config_errors import check_known_keys, check_required_keys
from dlrepro.device import flush_denormals
from dlrepro.gan.adam import update
from dlrepro.gan.models import GAN, BiGAN, build_gan
from dlrepro.guards import FiniteGuard

__all__ = [
    "GanConfig",
    "draw_latent",
    "discriminator_loss",
    "generator_loss",
    "adversarial_step",
    "make_optimizers",
    "train_epoch_eager",
    "CounterStep",
    "GraphedLoop",
    "train_gan",
]

log = logging.getLogger(__name__)


@dataclass
class GanConfig:
    """One GAN run's recipe: the config's `gan.model`, `gan.optim` and `gan.eval` blocks, `gan.cuda_graph`
    and the run's model name (`dlrepro.gan.study.gan_config`). No field has a default: the schema
    (workflow/schemas/gan.schema.yaml) is the one home of the defaults, and code that builds a config
    of its own names every field."""

    kind: str  # gan (the paper's) | lsgan | bigan
    latent_dim: int  # size of z (§2.5)
    hidden: int  # hidden units of every network (§2.2)
    latent_distribution: str  # normal: z ~ N(0, I); uniform: z ~ U(-1, 1)
    epochs: int  # passes over the training images (§2.7: at least 10)
    batch_size: int  # images per step (§2.7)
    learning_rate: float  # Adam, both networks (§2.7)
    betas: tuple[float, float]  # Adam's betas (library default; the paper is silent)
    generator_loss: str  # non_saturating: min -log D(G(z)); minimax: min log(1 - D(G(z)))
    eval_samples: int  # generated images scored after every epoch
    final_samples: int  # generated images scored after the last epoch
    grid_samples: int  # fixed-latent samples saved every epoch (the paper's 4 x 4 grid)
    cuda_graph: bool  # on a GPU, capture the whole step in a CUDA graph (no effect on CPU)

    @classmethod
    def from_dict(cls, d: dict) -> GanConfig:
        """The recipe from one run's settings; an unknown or a missing key is an error naming it."""
        check_known_keys(cls, d, "GAN")
        check_required_keys(cls, d, "GAN")
        d = dict(d)
        d["betas"] = tuple(d["betas"])
        return cls(**d)


# ---- the step ---------------------------------------------------------------------------------


def draw_latent(
    n: int, dim: int, distribution: str, *, device=None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """z for `n` samples: standard normal (default) or uniform on [-1, 1]."""
    if distribution == "normal":
        return torch.randn(n, dim, device=device, generator=generator)
    if distribution == "uniform":
        return torch.rand(n, dim, device=device, generator=generator) * 2 - 1
    raise ValueError(f"latent_distribution must be normal or uniform, got {distribution!r}")


def discriminator_loss(kind: str, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """BCE (§2.3): -log D(real) - log(1 - D(fake)); LSGAN: (D(real) - 1)^2 / 2 + D(fake)^2 / 2."""
    if kind == "lsgan":
        return 0.5 * (real_out - 1).square().mean() + 0.5 * fake_out.square().mean()
    return F.binary_cross_entropy(real_out, torch.ones_like(real_out)) + F.binary_cross_entropy(
        fake_out, torch.zeros_like(fake_out)
    )


def generator_loss(kind: str, form: str, fake_out: torch.Tensor, real_out: torch.Tensor | None = None) -> torch.Tensor:
    """The generator's (and BiGAN encoder's) loss on the discriminator's outputs.

    non_saturating: the labels flipped (-log D(G(z)), and -log(1 - D(x, E(x))) for the BiGAN encoder);
    minimax: the negated discriminator loss. LSGAN: (D(G(z)) - 1)^2 / 2 (its own form, `form` unused).
    """
    if kind == "lsgan":
        return 0.5 * (fake_out - 1).square().mean()
    if form == "minimax":
        loss = -F.binary_cross_entropy(fake_out, torch.zeros_like(fake_out))
        if real_out is not None:
            loss = loss - F.binary_cross_entropy(real_out, torch.ones_like(real_out))
        return loss
    loss = F.binary_cross_entropy(fake_out, torch.ones_like(fake_out))
    if real_out is not None:
        loss = loss + F.binary_cross_entropy(real_out, torch.zeros_like(real_out))
    return loss


def adversarial_step(model: GAN, opt_d, opt_g, real: torch.Tensor, z: torch.Tensor, *, kind: str, form: str):
    """One discriminator update, then one generator update against the updated discriminator (§2.6).

    Returns the two losses as (detached) tensors; nothing here synchronises with the host.
    """
    b = real.shape[0]
    fake = model.generator(z)  # (B, 784)
    if isinstance(model, BiGAN):
        real_in = torch.cat([real, model.encoder(real)], dim=1)  # (B, 784 + latent): (x, E(x))
        fake_in = torch.cat([fake, z], dim=1)  # (B, 784 + latent): (G(z), z)
    else:
        real_in, fake_in = real, fake
    out = model.discriminator(torch.cat([real_in, fake_in]).detach())  # (2B, 1): both halves in one pass
    loss_d = discriminator_loss(kind, out[:b], out[b:])
    update(opt_d, opt_d.param_groups[0]["params"], loss_d)
    if isinstance(model, BiGAN):
        out = model.discriminator(torch.cat([real_in, fake_in]))
        loss_g = generator_loss(kind, form, out[b:], out[:b])
    else:
        loss_g = generator_loss(kind, form, model.discriminator(fake_in))
    update(opt_g, opt_g.param_groups[0]["params"], loss_g)
    return loss_d.detach(), loss_g.detach()


def make_optimizers(model: GAN, config: GanConfig, *, capturable: bool = False):
    """Adam for the discriminator, Adam for the generator (and the BiGAN encoder), as in §2.7."""
    g_params = [p for m in model.generator_modules() for p in m.parameters()]
    # fused Adam: one kernel per parameter group (faster than foreach on the CPU too); works in CUDA graphs
    kw = dict(lr=config.learning_rate, betas=config.betas, fused=True, capturable=capturable)
    return torch.optim.Adam(list(model.discriminator.parameters()), **kw), torch.optim.Adam(g_params, **kw)


# ---- the loops --------------------------------------------------------------------------------

Step = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def train_epoch_eager(
    step: Step, data: torch.Tensor, *, batch_size: int, latent_dim: int, distribution: str
) -> torch.Tensor:
    """One pass in random order (the last incomplete batch dropped); mean (loss_d, loss_g) as a tensor."""
    n_steps = len(data) // batch_size
    perm = torch.randperm(len(data), device=data.device)
    sums = torch.zeros(2, device=data.device)
    for i in range(n_steps):
        real = data.index_select(0, perm[i * batch_size : (i + 1) * batch_size])  # (B, 784)
        z = draw_latent(batch_size, latent_dim, distribution, device=data.device)
        sums += torch.stack(step(real, z))
    return sums / n_steps


class CounterStep:
    """The step in the form a CUDA graph can capture: no Python-side batch index and no new tensors
    from the host. The batch is `perm[counter * B : (counter + 1) * B]` with `counter` a device tensor,
    z is drawn inside, the losses accumulate in a device buffer. Called eagerly it draws the same
    random numbers in the same order as `train_epoch_eager`, so both compute the same updates."""

    def __init__(self, step: Step, data: torch.Tensor, *, batch_size: int, latent_dim: int, distribution: str):
        self.step, self.data = step, data
        self.batch_size, self.latent_dim, self.distribution = batch_size, latent_dim, distribution
        self.n_steps = len(data) // batch_size
        device = data.device
        self.perm = torch.zeros(len(data), dtype=torch.long, device=device)
        self.offsets = torch.arange(batch_size, device=device)
        self.counter = torch.zeros((), dtype=torch.long, device=device)
        self.sums = torch.zeros(2, device=device)

    def start_epoch(self) -> None:
        self.perm.copy_(torch.randperm(len(self.data), device=self.data.device))
        self.counter.zero_()
        self.sums.zero_()

    def __call__(self) -> None:
        idx = self.perm.index_select(0, self.counter * self.batch_size + self.offsets)
        real = self.data.index_select(0, idx)  # (B, 784)
        z = draw_latent(self.batch_size, self.latent_dim, self.distribution, device=self.data.device)
        self.sums.add_(torch.stack(self.step(real, z)))
        self.counter.add_(1)

    def epoch_means(self) -> torch.Tensor:
        return self.sums / self.n_steps


class GraphedLoop:
    """Epochs of `CounterStep`: a few eager warm-up steps on a side stream (they create Adam's state and
    are real steps of the first epoch), then one captured step replayed for the rest of every epoch."""

    def __init__(self, counter_step: CounterStep, *, warmup: int = 3):
        if counter_step.n_steps <= warmup:
            raise ValueError(f"a CUDA graph needs more than {warmup} steps per epoch, got {counter_step.n_steps}")
        self.cs, self.warmup, self.graph = counter_step, warmup, None

    def run_epoch(self) -> torch.Tensor:
        self.cs.start_epoch()
        done = 0
        if self.graph is None:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(self.warmup):
                    self.cs()
            torch.cuda.current_stream().wait_stream(side)
            done = self.warmup
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self.cs()
        for _ in range(self.cs.n_steps - done):
            self.graph.replay()
        return self.cs.epoch_means()


# ---- one run ----------------------------------------------------------------------------------


@torch.no_grad()
def generate(model: GAN, n: int, config: GanConfig, *, seed: int, device, batch_size: int = 1000) -> torch.Tensor:
    """`n` images (n, 784) from latents of a private generator seeded by `seed` (training RNG untouched)."""
    gen = torch.Generator().manual_seed(seed)
    z = draw_latent(n, config.latent_dim, config.latent_distribution, generator=gen)
    model.eval()
    out = torch.cat([model.generator(chunk.to(device)) for chunk in z.split(batch_size)])
    model.train()
    return out


def _epoch_runner(step, data: torch.Tensor, config: GanConfig, use_graph: bool) -> Callable[[], torch.Tensor]:
    """A function that runs one epoch of `step` over `data` (eagerly, or replaying a captured CUDA graph)."""
    shape = dict(batch_size=config.batch_size, latent_dim=config.latent_dim, distribution=config.latent_distribution)
    if use_graph:
        return GraphedLoop(CounterStep(step, data, **shape)).run_epoch
    return lambda: train_epoch_eager(step, data, **shape)


def _log_epoch(row: dict) -> None:
    fid, inception = (f"{row['fid']:.3f}", f"{row['inception_score']:.3f}") if "fid" in row else ("-", "-")
    log.info(
        "epoch %3d  loss_d %.4f  loss_g %.4f  %6.1fs  fid %s  is %s",
        row["epoch"],
        row["loss_d"],
        row["loss_g"],
        row["seconds"],
        fid,
        inception,
    )


def _save(checkpointer: Checkpointer, model: GAN, opt_d, opt_g, history: list[dict], grids: list[np.ndarray]) -> None:
    checkpointer.save(
        {
            "model": model.state_dict(),
            "opt_d": opt_d.state_dict(),
            "opt_g": opt_g.state_dict(),
            "history": history,
            "grids": [torch.from_numpy(g) for g in grids],
            "rng": rng_state(),
        },
        where=f"after epoch {history[-1]['epoch']}",
    )


def _resume(checkpointer: Checkpointer, model: GAN, opt_d, opt_g, device) -> tuple[list[dict], list[np.ndarray]] | None:
    """(history, grids) of the epochs done, with the model, optimisers and RNG restored; None without a checkpoint."""
    state = checkpointer.load(map_location=device)
    if state is None:
        return None
    model.load_state_dict(state["model"])
    opt_d.load_state_dict(state["opt_d"])
    opt_g.load_state_dict(state["opt_g"])
    set_rng_state(state["rng"])
    return state["history"], [g.numpy() for g in state["grids"]]


def _fixed_latent(config: GanConfig, seed: int, device) -> torch.Tensor:
    """The z of the grid saved every epoch: from a private generator seeded by `seed` (training RNG untouched)."""
    gen = torch.Generator().manual_seed(seed)
    return draw_latent(config.grid_samples, config.latent_dim, config.latent_distribution, generator=gen).to(device)


def train_gan(
    x_train: np.ndarray,
    *,
    config: GanConfig,
    seed: int,
    device: torch.device | str = "cpu",
    scorer: Callable[[torch.Tensor], dict] | None = None,
    checkpointer: Checkpointer | None = None,
):
    """Train one GAN; returns (model, per-epoch history, grids (epochs + 1, grid, 784) in [0, 1]).

    `scorer(images) -> dict` rates `eval_samples` generated images before training (epoch 0) and after
    every epoch. Each epoch ends with a checkpoint; a rerun with the same settings resumes from it.
    """
    device = torch.device(device)
    checkpointer = checkpointer or Checkpointer(None)
    torch.manual_seed(seed)
    model = build_gan(config.kind, latent_dim=config.latent_dim, hidden=config.hidden).to(device)
    use_graph = config.cuda_graph and device.type == "cuda"
    opt_d, opt_g = make_optimizers(model, config, capturable=use_graph)
    data = torch.as_tensor(x_train, dtype=torch.float32, device=device)
    fixed_z = _fixed_latent(config, seed, device)

    # NaN/inf losses are recorded on the device (also inside a captured CUDA graph) and checked once per epoch
    guard = FiniteGuard(names=("loss_d", "loss_g"), what=config.kind, device=device)

    def step(real, z):
        loss_d, loss_g = adversarial_step(model, opt_d, opt_g, real, z, kind=config.kind, form=config.generator_loss)
        guard.observe(loss_d, loss_g)
        return loss_d, loss_g

    def score(epoch: int) -> dict:
        if scorer is None:
            return {}
        return scorer(generate(model, config.eval_samples, config, seed=1_000_003 * (seed + 1) + epoch, device=device))

    def grid() -> np.ndarray:
        with torch.no_grad():
            return model.generator(fixed_z).cpu().numpy()

    resumed = _resume(checkpointer, model, opt_d, opt_g, device)
    if resumed is not None:
        history, grids = resumed
    else:
        history = [{"epoch": 0, "loss_d": float("nan"), "loss_g": float("nan"), "seconds": 0.0, **score(0)}]
        grids = [grid()]

    run_epoch = _epoch_runner(step, data, config, use_graph)
    for epoch in range(len(history), config.epochs + 1):
        start = time.perf_counter()
        with flush_denormals():  # subnormal Adam moments slow the CPU down (device.flush_denormals)
            loss_d, loss_g = run_epoch().tolist()  # the epoch's only host sync (and the guard's check below)
        guard.check(epoch)  # names the epoch, step and loss of a NaN/inf
        seconds = time.perf_counter() - start
        history.append({"epoch": epoch, "loss_d": loss_d, "loss_g": loss_g, "seconds": seconds, **score(epoch)})
        grids.append(grid())
        _log_epoch(history[-1])
        _save(checkpointer, model, opt_d, opt_g, history, grids)
    return model, history, np.stack(grids)


def config_dict(config: GanConfig) -> dict:
    return asdict(config)
