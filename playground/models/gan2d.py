"""A GAN on points in the plane: the 1-D GAN's losses (:mod:`playground.models.gan`) with 2-D networks.

    generator      z ~ N(0, I) (noise_dim)  ↦  x = G(z) (D = 2)         an MLP, LeakyReLU hidden layers
    discriminator  x  ↦  logit,  D(x) = sigmoid(logit) = P(real)         an MLP, LeakyReLU hidden layers

    D step:  minimise −E[log D(x)] − E[log(1 − D(G(z)))]      (gan.discriminator_loss)
    G step:  minimise −E[log D(G(z))]                          (gan.generator_loss, "non_saturating")

Both networks see standardised points, (x − mean) / scale with one scale for every coordinate (a thin shape stays
thin), so any data set trains like the built-in ones. ``sample`` gives points in the data's own units.

Training takes ``rng`` draws only from the model's own Generator; sampling for a picture uses another stream (or the
Generator passed in), so drawing never changes what training does next.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from playground.models import gan, nn
from playground.models.base import validate_seed

__all__ = ["GAN2D"]

HIDDEN_ACTIVATION = gan.HIDDEN_ACTIVATION
#: A loss beyond this means the run has blown up even if nothing is NaN yet.
LOSS_LIMIT = gan.LOSS_LIMIT


class GAN2D:
    """Generator and discriminator MLPs trained against each other with Adam on points (N, D).

    >>> model = GAN2D(seed=0)
    >>> model.fit(points, n_steps=2000)        # each step: one discriminator update, then one generator update
    >>> model.sample(500)                      # (500, 2) in the data's units
    """

    def __init__(self, *, noise_dim: int = 2, hidden: Sequence[int] = (64, 64), lr_g: float = 1e-3,
                 lr_d: float = 1e-3, betas: tuple[float, float] = (0.5, 0.999), batch_size: int = 256,
                 input_dim: int = 2, dtype=np.float32, seed: int = 0) -> None:
        seed = validate_seed(seed)
        noise_dim = gan._whole("noise_dim", noise_dim, 1, 64)
        input_dim = gan._whole("input_dim", input_dim, 1, 16)
        hidden = gan._validate_hidden(hidden)
        hyper = gan._validate_hyper(dict(lr_g=lr_g, lr_d=lr_d, betas=betas, batch_size=batch_size))
        self.seed, self.noise_dim, self.input_dim, self.hidden = seed, noise_dim, input_dim, hidden
        self.lr_g, self.lr_d, self.betas, self.batch_size = hyper["lr_g"], hyper["lr_d"], hyper["betas"], \
            hyper["batch_size"]
        self.rng = np.random.default_rng(seed)
        self.sampling_rng = np.random.default_rng([seed, 1])
        self.G = nn.MLP([noise_dim, *hidden, input_dim], activation=HIDDEN_ACTIVATION, rng=self.rng, dtype=dtype)
        self.D = nn.MLP([input_dim, *hidden, 1], activation=HIDDEN_ACTIVATION, rng=self.rng, dtype=dtype)
        self.dtype = self.G.dtype
        self.g_opt = nn.Adam(self.G.params, self.G.grads, lr=self.lr_g, betas=self.betas)
        self.d_opt = nn.Adam(self.D.params, self.D.grads, lr=self.lr_d, betas=self.betas)
        self.mean: np.ndarray | None = None          # (D,) data units
        self.scale: float | None = None
        self.d_loss = self.g_loss = math.nan

    # -- data units -----------------------------------------------------------------------------------------------
    def set_normalisation(self, data: np.ndarray) -> None:
        """Standardise with the mean and the overall spread of ``data`` (N, D) from now on."""
        data = np.asarray(data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != self.input_dim or len(data) < 2:
            raise ValueError(f"expected at least 2 points of shape (N, {self.input_dim}), got {data.shape}")
        scale = float(np.sqrt(np.mean(data.var(axis=0))))
        if not scale > 0:
            raise ValueError("all data points are the same: there is no spread to learn")
        self.mean, self.scale = data.mean(axis=0), scale

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, np.float64) - self.mean) / self.scale).astype(self.dtype)

    # -- training -------------------------------------------------------------------------------------------------
    def train_step(self, real: np.ndarray) -> tuple[float, float]:
        """One discriminator update and one generator update on a batch of data points (B, D), data units.
        Returns (discriminator loss, generator loss), each from before its update."""
        if self.mean is None:
            self.set_normalisation(real)
        real = self._standardise(real)                                      # (B, D)
        batch = len(real)
        with np.errstate(over="ignore", invalid="ignore"):
            d_loss = self.discriminator_gradients(real, self.G.forward(self._noise(batch, self.rng)))
            self.d_opt.step()
            g_loss = self.generator_gradients(self._noise(batch, self.rng))
            self.g_opt.step()
        for who, loss, params in (("discriminator", d_loss, self.D.params), ("generator", g_loss, self.G.params)):
            if not math.isfinite(loss) or abs(loss) > LOSS_LIMIT or not np.isfinite(params).all():
                raise FloatingPointError(f"the GAN diverged: the {who} loss is {loss:.3g}. Lower the learning rates "
                                         "and Reset.")
        self.d_loss, self.g_loss = d_loss, g_loss
        return d_loss, g_loss

    def discriminator_gradients(self, real: np.ndarray, fake: np.ndarray) -> float:
        """Set the discriminator's gradients for a batch of standardised real and fake points (B, D) each; return
        its loss."""
        self.D.zero_grad()
        loss, grad_out = gan.discriminator_loss(self.D.forward(np.concatenate([real, fake])), len(real))
        self.D.backward(grad_out, need_input_grad=False)
        return loss

    def generator_gradients(self, z: np.ndarray) -> float:
        """Set the generator's gradients for noise ``z`` (B, noise_dim); return its loss. The generator learns through
        the discriminator: its samples are pushed along −d(loss)/dx, and D's weights stay put."""
        self.G.zero_grad()
        loss, grad_out = gan.generator_loss(self.D.forward(self.G.forward(z)), "non_saturating")
        grad_fake = self.D.backward(grad_out / len(z), need_param_grads=False)
        self.G.backward(grad_fake, need_input_grad=False)
        return loss

    def fit(self, data: np.ndarray, n_steps: int = 1) -> tuple[float, float]:
        """``n_steps`` updates on minibatches of ``batch_size`` points drawn (with replacement) from ``data`` (N, D);
        returns the last step's losses. The first call standardises with the whole data set."""
        data = np.asarray(data, dtype=np.float64)
        if self.mean is None:
            self.set_normalisation(data)
        losses = (math.nan, math.nan)
        for _ in range(gan._whole("n_steps", n_steps, 1, 10**9)):
            losses = self.train_step(data[self.rng.integers(0, len(data), self.batch_size)])
        return losses

    # -- sampling -------------------------------------------------------------------------------------------------
    def _noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal((n, self.noise_dim)).astype(self.dtype)

    def generate(self, z: np.ndarray) -> np.ndarray:
        """G(z) in data units for noise ``z`` (n, noise_dim)."""
        if self.mean is None:
            raise ValueError("the GAN has not seen any data yet: call fit() or set_normalisation() first")
        out = self.G.forward(np.asarray(z, dtype=self.dtype)).astype(np.float64)
        return out * self.scale + self.mean

    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` new points (n, D) in data units: one generator pass over fresh noise from ``rng`` (default: the
        model's sampling stream, never the training one)."""
        n = gan._whole("n", n, 1, 1_000_000)
        return self.generate(self._noise(n, self.sampling_rng if rng is None else rng))

    # -- checkpoints ----------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything training changes: weights, both optimisers' moments, the random streams, the units."""
        return {"G": self.G.get_flat(), "D": self.D.get_flat(), "g_opt": self.g_opt.state(),
                "d_opt": self.d_opt.state(), "rng": self.rng.bit_generator.state,
                "sampling_rng": self.sampling_rng.bit_generator.state, "mean": self.mean, "scale": self.scale,
                "losses": (self.d_loss, self.g_loss)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.G.set_flat(state["G"])
        self.D.set_flat(state["D"])
        self.g_opt.load_state(state["g_opt"])
        self.d_opt.load_state(state["d_opt"])
        self.rng.bit_generator.state = state["rng"]
        self.sampling_rng.bit_generator.state = state["sampling_rng"]
        self.mean, self.scale = state["mean"], state["scale"]
        self.d_loss, self.g_loss = state["losses"]
