"""A VAE on points in the plane: the image VAE of :mod:`playground.models.vae`, with its Gaussian decoder, on D = 2.

    encoder  x ↦ (μ(x), log σ²(x))      decoder  z ↦ m(z) = sigmoid(…) ∈ (0, 1)²
    loss = −log N(x | m(z), s²) + β · KL(q(z | x) ‖ N(0, I))

The decoder's outputs pass through a sigmoid (made for pixels in [0, 1]), so the points are squeezed affinely into
the middle of the unit square, [0.1, 0.9]² at most, with one scale for both coordinates (shapes keep their
proportions); everything given or returned is in the data's own units. ``s²`` is the decoder's shared noise, set to
its best value for each batch (see :mod:`playground.models.vae`).

A sample is the decoder's mean m(z) for z ~ N(0, I) — what VAE pictures show. The decoder is a continuous map, so
the Gaussian blob of codes lands on one connected, smeared cloud: points between separate clusters are the 2-D
version of a blurry image.

KL warm-up (Bowman et al. 2016). With two numbers per point, an encoder that says nothing costs the reconstruction
little, and from random weights the KL term wins at once: the codes fall onto the prior, the decoder learns to
output the mean of the data, and every sample lands in the middle (posterior collapse; measured at seed 0 on Eight
Gaussians in tests/models/test_compare.py). So β, the KL term's weight, rises linearly from 1/warmup_steps to 1
over the first ``warmup_steps`` updates: the codes learn to carry the points first, then are pulled into shape.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from playground.models import vae
from playground.models.base import validate_seed

__all__ = ["PointVAE"]

#: The data's bounding box fills this much of the unit square (the sigmoid cannot reach 0 or 1).
BOX_SHARE = 0.8
#: Updates over which β (the KL term's weight) rises from 1/WARMUP_STEPS to 1 (KL warm-up, see above).
WARMUP_STEPS = 1000


class PointVAE:
    """A :class:`playground.models.vae.VAE` with a Gaussian decoder learning 2-D (or D-dimensional) points.

    >>> model = PointVAE(seed=0)
    >>> model.fit(points, n_steps=2000)
    >>> model.sample(500)                      # decoder means for z ~ N(0, I), data units
    """

    def __init__(self, *, latent_dim: int = 2, hidden: Sequence[int] = (64, 64), lr: float = 3e-3,
                 batch_size: int = 256, warmup_steps: int = WARMUP_STEPS, input_dim: int = 2, seed: int = 0) -> None:
        seed = validate_seed(seed)
        warmup_steps = vae._whole("warmup_steps", warmup_steps, 1, 10**7)
        self.vae = vae.VAE(input_dim, latent_dim=latent_dim, hidden=hidden, likelihood="gaussian", lr=lr,
                           batch_size=batch_size, beta=1 / warmup_steps, seed=seed)
        self.seed, self.input_dim, self.warmup_steps = seed, input_dim, warmup_steps
        self.n_updates = 0
        self.sampling_rng = np.random.default_rng([seed, 1])
        self.centre: np.ndarray | None = None       # (D,) data units: maps to 0.5
        self.span: float | None = None              # data units that map to BOX_SHARE of the unit square
        self.losses: vae.Losses | None = None

    @property
    def rng(self) -> np.random.Generator:
        """The stream that decides training (weights, minibatches, reparameterisation noise)."""
        return self.vae.rng

    # -- data units -----------------------------------------------------------------------------------------------
    def set_normalisation(self, data: np.ndarray) -> None:
        """Fit the bounding box of ``data`` (N, D) into the unit square from now on."""
        data = np.asarray(data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != self.input_dim or len(data) < 2:
            raise ValueError(f"expected at least 2 points of shape (N, {self.input_dim}), got {data.shape}")
        low, high = data.min(axis=0), data.max(axis=0)
        span = float(np.max(high - low))
        if not span > 0:
            raise ValueError("all data points are the same: there is no spread to learn")
        self.centre, self.span = (low + high) / 2, span

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        """Data units → the decoder's units (the data's box inside [0.1, 0.9]^D)."""
        return (0.5 + BOX_SHARE * (np.asarray(x, np.float64) - self.centre) / self.span).astype(np.float32)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """The decoder's units → data units."""
        return (np.asarray(u, np.float64) - 0.5) * (self.span / BOX_SHARE) + self.centre

    # -- training -------------------------------------------------------------------------------------------------
    def fit(self, data: np.ndarray, n_steps: int = 1) -> vae.Losses:
        """``n_steps`` minibatch updates on ``data`` (N, D), data units; returns the last step's losses (nats per
        point, in the decoder's units). The first call fits the data's box into the unit square."""
        if self.centre is None:
            self.set_normalisation(data)
        unit = self.to_unit(data)
        for _ in range(vae._whole("n_steps", n_steps, 1, 10**9)):
            self.vae.set_params(beta=min(1.0, (self.n_updates + 1) / self.warmup_steps))
            self.losses = self.vae.fit(unit, 1)
            self.n_updates += 1
        return self.losses

    # -- sampling -------------------------------------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` decoder means m(z), z ~ N(0, I) from ``rng`` (default: the model's sampling stream), data units."""
        if self.centre is None:
            raise ValueError("the VAE has not seen any data yet: call fit() or set_normalisation() first")
        return self.from_unit(self.vae.sample(n, self.sampling_rng if rng is None else rng))

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """decode(μ(x)) in data units: where the model puts each point after squeezing it through the code."""
        return self.from_unit(self.vae.reconstruct(self.to_unit(x)))

    # -- checkpoints ----------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"vae": self.vae.state(), "sampling_rng": self.sampling_rng.bit_generator.state,
                "box": (self.centre, self.span), "losses": self.losses, "n_updates": self.n_updates}

    def load_state(self, state: dict[str, Any]) -> None:
        self.vae.load_state(state["vae"])
        self.sampling_rng.bit_generator.state = state["sampling_rng"]
        self.centre, self.span = state["box"]
        self.losses = state["losses"]
        self.n_updates = state["n_updates"]
