"""An autoencoder and a variational autoencoder (VAE) on small images, built on the shared MLP toolkit.

    encoder  x ↦ (μ(x), log σ²(x))          an MLP, input_dim → hidden → 2·latent_dim
    sample   z = μ + σ · ε,   ε ~ N(0, I)    the reparameterisation trick: the noise is an input, so gradients flow
                                             through μ and σ (ε is drawn from the model's own Generator)
    decoder  z ↦ p(x | z)                    an MLP, latent_dim → reversed(hidden) → input_dim

    loss = reconstruction + β · KL,   reconstruction = −log p(x | z),   KL = KL(N(μ, σ²) ‖ N(0, I))
         = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)     (closed form, per image)
    ELBO = −(reconstruction + KL) ≤ log p(x)      (reported with β = 1 whatever β trains with)

``beta=0`` is a plain deterministic autoencoder: z = μ, no noise, nothing pulls the codes towards N(0, I) — which
is why its latent space has holes and its prior samples are garbage. ``beta=1`` is the VAE. Everything is averaged
over the images of a batch and summed over pixels and latent dimensions, in nats.

Likelihoods: "bernoulli" treats every pixel as a coin with P(ink) = sigmoid(decoder output) (the usual choice for
ink in [0, 1]); "gaussian" as N(m, σ²) with m = sigmoid(decoder output) and one shared σ² set to its best value
for the batch, the mean squared error (the "optimal σ" of Rybkin et al. 2021, *Simple and Effective VAE Training
with Calibrated Decoders*). A fixed σ would be a hidden knob that trades reconstruction against KL; the optimal one
is not. Its gradient needs no term for σ: at the optimum the loss is flat in σ.

:class:`VAETrainer` wraps a VAE, a data set and a held-out split for the panel: one minibatch per ``step()``, and a
:class:`VAESnapshot` with the curves, the latent map, the decoded manifold and reconstructions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

import numpy as np

from playground.models import nn
from playground.models.base import BaseModel, Snapshot, validate_seed
from playground.models.datasets.images import IMAGE_SETS, ImageSet, make_images
from playground.models.history import History
from playground.models.metrics import frechet_distance, mean_pairwise_distance

__all__ = ["VAE", "Losses", "latent_path", "kl_to_prior", "VAETrainer", "VAESnapshot", "FrozenDecoder",
           "Interpolation", "SampleQuality", "LIKELIHOODS", "MAX_LATENT"]

LIKELIHOODS = ("bernoulli", "gaussian")
MAX_LATENT = 16
HIDDEN_ACTIVATION = "relu"
#: A training loss beyond this (nats per image) means the run has blown up even if nothing is NaN yet.
LOSS_LIMIT = 1e7
#: Smallest σ² of the Gaussian likelihood, so a perfect reconstruction cannot send log σ² to −∞.
MIN_NOISE_VAR = 1e-6


class Losses(NamedTuple):
    recon: float   # −log p(x | z), nats per image
    kl: float      # KL(q(z | x) ‖ N(0, I)), nats per image
    elbo: float    # −(recon + kl): a lower bound on log p(x)


def kl_to_prior(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(μ, diag σ²) ‖ N(0, I)) per image and latent dimension: ½ (μ² + σ² − 1 − log σ²). (B, L) → (B, L)."""
    return 0.5 * (mu * mu + np.exp(logvar) - 1 - logvar)


def _sigmoid_and_softplus(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(a) and log(1 + eᵃ), both from one e^(−|a|), overflow-free. (nn.softplus's np.logaddexp is about
    20× slower on a batch of images, and that would be a third of a training step.)"""
    e = np.exp(-np.abs(a))
    one_plus = 1 + e
    sigmoid = np.where(a >= 0, 1, e) / one_plus
    return sigmoid, np.maximum(a, 0) + np.log1p(e)


def latent_path(a: np.ndarray, b: np.ndarray, steps: int, mode: str = "linear") -> np.ndarray:
    """``steps`` points from latent ``a`` to ``b`` (both (L,)), endpoints included: (steps, L).

    "linear" walks the straight line. "slerp" turns the direction along the great circle between a/|a| and b/|b|
    while the length changes linearly from |a| to |b|: the path stays in the shell where a Gaussian prior puts its
    mass instead of cutting through the low-norm middle, and every norm lies between the endpoints' (except in
    1-D between opposite signs, where there is no circle to turn along and the path passes through 0).
    """
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"both ends must have the same size; got {a.size} and {b.size}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 2 <= steps <= 1000:
        raise ValueError(f"steps must be a whole number from 2 to 1000, not {steps!r}")
    if mode not in ("linear", "slerp"):
        raise ValueError(f"mode must be 'linear' or 'slerp', not {mode!r}")
    t = np.linspace(0, 1, steps)[:, None]                                  # (steps, 1)
    norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
    if mode == "linear" or norm_a == 0 or norm_b == 0:
        path = (1 - t) * a + t * b
    else:
        unit_a, unit_b = a / norm_a, b / norm_b
        angle = math.acos(float(np.clip(unit_a @ unit_b, -1, 1)))
        if angle < 1e-6:                                                   # same direction: only the length moves
            direction = np.broadcast_to(unit_a, (steps, a.size))
        elif math.pi - angle < 1e-6:                                       # opposite: any half circle will do
            direction = np.cos(t * math.pi) * unit_a + np.sin(t * math.pi) * _perpendicular(unit_a)
        else:
            direction = (np.sin((1 - t) * angle) * unit_a + np.sin(t * angle) * unit_b) / math.sin(angle)
        path = ((1 - t) * norm_a + t * norm_b) * direction
    path[0], path[-1] = a, b                                               # exact ends, whatever the rounding
    return path


def _perpendicular(unit: np.ndarray) -> np.ndarray:
    """A unit vector at right angles to ``unit`` (zero in 1-D, where there is none: the path then goes through 0)."""
    if unit.size == 1:
        return np.zeros_like(unit)
    other = np.zeros_like(unit)
    other[np.argmin(np.abs(unit))] = 1
    other -= (other @ unit) * unit
    return other / np.linalg.norm(other)


# ---------------------------------------------------------------------------------------------------------------
# The model


class VAE:
    """Encoder and decoder MLPs (ReLU hidden layers) trained together by one Adam on one flat parameter vector.

    >>> vae = VAE(256, latent_dim=2, seed=0)
    >>> vae.fit(images, n_steps=500)             # minibatches of batch_size drawn with the model's Generator
    >>> mu, logvar = vae.encode(images[:10])
    >>> vae.decode(np.zeros((1, 2)))             # the image at the centre of the latent space
    """

    def __init__(self, input_dim: int, *, latent_dim: int = 2, hidden: Sequence[int] = (256,), beta: float = 1.0,
                 likelihood: str = "bernoulli", lr: float = 1e-3, batch_size: int = 128, seed: int = 0,
                 dtype=np.float32) -> None:
        input_dim = _whole("input_dim", input_dim, 1, 65_536)
        latent_dim = _whole("latent_dim", latent_dim, 1, MAX_LATENT)
        hidden = _validate_hidden(hidden)
        likelihood = _check_likelihood(likelihood)
        live = _validate_live(dict(beta=beta, lr=lr, batch_size=batch_size))
        seed = validate_seed(seed)
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, not {np.dtype(dtype)}")

        self.input_dim, self.latent_dim, self.hidden, self.likelihood = input_dim, latent_dim, hidden, likelihood
        self.seed, self.dtype = seed, np.dtype(dtype)
        self.rng = np.random.default_rng(seed)
        self.encoder = nn.MLP([input_dim, *hidden, 2 * latent_dim], activation=HIDDEN_ACTIVATION, rng=self.rng,
                              dtype=dtype)
        self.decoder = nn.MLP([latent_dim, *hidden[::-1], input_dim], activation=HIDDEN_ACTIVATION, rng=self.rng,
                              dtype=dtype)
        self.params, self.grads = nn.join_parameters(self.encoder, self.decoder)
        self.optimizer = nn.Adam(self.params, self.grads, lr=live["lr"])
        self.beta, self.lr, self.batch_size = live["beta"], live["lr"], live["batch_size"]

    @property
    def is_autoencoder(self) -> bool:
        return self.beta == 0

    def set_params(self, **params: Any) -> None:
        """Change ``beta``, ``lr`` or ``batch_size`` between steps (all checked before any is changed)."""
        live = _validate_live(params)
        self.__dict__.update(live)
        self.optimizer.lr = self.lr

    # -- passes ---------------------------------------------------------------------------------------------------
    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means and log-variances of the codes of images ``x`` (B, D): two (B, L) arrays."""
        out = self.encoder.forward(self._batch(x))
        return out[:, :self.latent_dim].copy(), out[:, self.latent_dim:].copy()

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Images for latent points ``z`` (B, L): each pixel's P(ink) (Bernoulli) or mean (Gaussian), in [0, 1]."""
        z = np.asarray(z, dtype=self.dtype)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected latent points of shape (B, {self.latent_dim}), got {z.shape}")
        return nn.sigmoid(self.decoder.forward(z))

    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """decode(μ(x)): the model's best guess of each image, without sampling noise."""
        return self.decode(self.encode(x)[0])

    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """``n`` images decoded from z ~ N(0, I), drawn from ``rng`` (default: the model's own Generator)."""
        n = _whole("n", n, 1, 100_000)
        return self.decode((rng or self.rng).standard_normal((n, self.latent_dim)))

    def interpolate(self, a: np.ndarray, b: np.ndarray, steps: int = 10, mode: str = "linear") -> np.ndarray:
        """Decoded images along :func:`latent_path` from latent ``a`` to ``b``: (steps, D)."""
        return self.decode(latent_path(a, b, steps, mode))

    # -- training -------------------------------------------------------------------------------------------------
    def loss_and_gradients(self, x: np.ndarray, eps: np.ndarray | None = None) -> Losses:
        """Losses of batch ``x`` (B, D), and the gradient of the training objective recon + β·KL with respect to
        every parameter, left in ``self.grads``. ``eps`` (B, L) is the reparameterisation noise; drawn from the
        model's Generator when None, unused when β = 0."""
        x = self._batch(x)
        batch, latent = len(x), self.latent_dim
        out = self.encoder.forward(x)                                      # (B, 2L)
        mu, logvar = out[:, :latent], out[:, latent:]
        if self.is_autoencoder:
            z = mu
        else:
            if eps is None:
                eps = self.rng.standard_normal((batch, latent))
            eps = np.asarray(eps, dtype=self.dtype)
            std = np.exp(0.5 * logvar)
            z = mu + std * eps
        logits = self.decoder.forward(z)                                   # (B, D)
        recon, d_logits = self._reconstruction(logits, x)
        kl = float(np.sum(kl_to_prior(mu, logvar))) / batch

        self.grads[...] = 0
        d_z = self.decoder.backward(d_logits)                              # (B, L)
        beta = self.beta
        d_mu = d_z + (beta / batch) * mu
        if self.is_autoencoder:
            d_logvar = np.zeros_like(logvar)
        else:
            d_logvar = d_z * eps * (0.5 * std) + (beta * 0.5 / batch) * (np.exp(logvar) - 1)
        self.encoder.backward(np.concatenate([d_mu, d_logvar], axis=1), need_input_grad=False)
        return Losses(recon, kl, -(recon + kl))

    def _reconstruction(self, logits: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
        """−log p(x | z) per image and its gradient with respect to the decoder's outputs."""
        batch = len(x)
        mean, softplus = _sigmoid_and_softplus(logits)
        if self.likelihood == "bernoulli":
            # nn.bernoulli_nll, from the shared exponential: Σ softplus(a) − x·a per image, gradient sigmoid(a) − x
            return float(np.sum(softplus - x * logits)) / batch, (mean - x) / batch
        noise_var = max(float(np.mean((x - mean) ** 2)), MIN_NOISE_VAR)   # the best shared σ² for this batch
        loss, d_mean, _ = nn.gaussian_nll(mean, np.full_like(mean, math.log(noise_var)), x)
        return loss, d_mean * mean * (1 - mean)

    def train_step(self, batch: np.ndarray) -> Losses:
        """One Adam update on ``batch`` (B, D). Returns its losses (before the update).

        Raises FloatingPointError when the loss is NaN, infinite or absurdly large — the learning rate is too high.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            losses = self.loss_and_gradients(batch)
        # The autoencoder never trains its log-variance outputs, so their KL may not spoil its objective.
        objective = losses.recon if self.is_autoencoder else losses.recon + self.beta * losses.kl
        if not (math.isfinite(objective) and abs(objective) < LOSS_LIMIT and np.isfinite(self.grads).all()):
            raise FloatingPointError(f"the loss blew up ({objective:.3g}); the learning rate {self.lr:g} is "
                                     "probably too large")
        self.optimizer.step()
        return losses

    def fit(self, x: np.ndarray, n_steps: int = 1) -> Losses:
        """``n_steps`` updates on minibatches of ``batch_size`` images of ``x``, drawn at random (with replacement
        across batches) by the model's Generator. Returns the last step's losses."""
        x = self._batch(x)
        n_steps = _whole("n_steps", n_steps, 1, 10_000_000)
        size = min(self.batch_size, len(x))
        for _ in range(n_steps):
            losses = self.train_step(x[self.rng.choice(len(x), size, replace=False)])
        return losses

    def evaluate(self, x: np.ndarray, eps: np.ndarray | None = None) -> Losses:
        """Losses of ``x`` without training (one sample of z per image; ``eps`` fixed noise, or fresh from a
        Generator seeded 0 so evaluating never moves the model's own random stream)."""
        x = self._batch(x)
        if eps is None:
            eps = np.random.default_rng(0).standard_normal((len(x), self.latent_dim))
        mu, logvar = self.encode(x)
        with np.errstate(over="ignore", invalid="ignore"):
            z = mu if self.is_autoencoder else mu + np.exp(0.5 * logvar) * eps
            recon, _ = self._reconstruction(self.decoder.forward(z.astype(self.dtype)), x)
            kl = float(np.sum(kl_to_prior(mu, logvar))) / len(x)
        return Losses(recon, kl, -(recon + kl))

    # -- state ----------------------------------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything that decides the future of training: weights, Adam's moments, the random state."""
        return {"params": self.params.copy(), "adam": self.optimizer.state(), "rng": self.rng.bit_generator.state}

    def load_state(self, state: dict) -> None:
        self.params[...] = state["params"]
        self.optimizer.load_state(state["adam"])
        self.rng.bit_generator.state = state["rng"]

    def _batch(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.input_dim or len(x) == 0:
            raise ValueError(f"expected images as a non-empty array of shape (B, {self.input_dim}), got {x.shape}")
        return x

    def __repr__(self) -> str:
        kind = "autoencoder" if self.is_autoencoder else f"VAE(β={self.beta:g})"
        return f"{kind}: {self.input_dim} → {self.hidden} → {self.latent_dim} → {self.hidden[::-1]} → {self.input_dim}"


# ---------------------------------------------------------------------------------------------------------------
# Validation (shared by VAE and VAETrainer)

def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, not {value!r}")
    return int(value)


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)) \
        and math.isfinite(value)


def _validate_hidden(hidden: Any) -> tuple[int, ...]:
    try:
        widths = tuple(hidden)
    except TypeError:
        raise ValueError(f"hidden must be a list of layer widths such as (256,), not {hidden!r}") from None
    if not 1 <= len(widths) <= 3 or not all(isinstance(w, (int, np.integer)) and not isinstance(w, bool)
                                            and 2 <= w <= 1024 for w in widths):
        raise ValueError(f"hidden must be 1 to 3 whole-number layer widths from 2 to 1024, not {hidden!r}")
    return tuple(int(w) for w in widths)


def _validate_live(params: dict) -> dict:
    """Check β, lr and batch_size; return the cleaned values. Raises before anything is changed."""
    clean = {}
    for name, value in params.items():
        if name == "beta":
            if not (_number(value) and 0 <= value <= 100):
                raise ValueError(f"beta must be a number from 0 (a plain autoencoder) to 100, not {value!r}")
            clean[name] = float(value)
        elif name == "lr":
            if not (_number(value) and 0 < value <= 10):
                raise ValueError(f"the learning rate must be a positive number up to 10, not {value!r}")
            clean[name] = float(value)
        elif name == "batch_size":
            clean[name] = _whole("batch_size", value, 1, 4096)
        else:
            raise ValueError(f"{name!r} is not a live parameter; the live ones are beta, lr and batch_size")
    return clean


# ---------------------------------------------------------------------------------------------------------------
# Sample quality


class SampleQuality(NamedTuple):
    """FID in miniature (see :meth:`VAETrainer.sample_quality`)."""

    frechet: float          # Fréchet distance between prior samples and held-out images, in PCA features (0 = same)
    diversity: float        # mean pixel distance between two samples …
    data_diversity: float   # … and between two held-out images: a model that repeats one image scores ≈ 0


# ---------------------------------------------------------------------------------------------------------------
# The live model for the panel


@dataclass(frozen=True, kw_only=True)
class VAESnapshot(Snapshot):
    dataset_name: str
    mode: str                          # "vae" or "autoencoder" (β = 0)
    beta: float
    latent_dim: int
    likelihood: str
    image_side: int                    # images are image_side × image_side, row by row (0: an array of other size)
    recon: float                       # latest training minibatch, nats per image (NaN before the first step)
    kl: float
    elbo: float
    loss_steps: np.ndarray             # (H,) steps of the training curves (bounded: thinned as the run grows)
    recon_history: np.ndarray          # (H,)
    kl_history: np.ndarray             # (H,)
    elbo_history: np.ndarray           # (H,)
    held_out_steps: np.ndarray         # (E,) every `refresh_every` steps, on the whole held-out set …
    held_out_recon_history: np.ndarray  # (E,)
    held_out_kl_history: np.ndarray    # (E,)
    held_out_elbo_history: np.ndarray  # (E,)
    latent_means: np.ndarray           # (N_show, L) μ(x) of the shown held-out images
    latent_logvars: np.ndarray         # (N_show, L) log σ²(x): the posterior ellipses (meaningless when β = 0)
    labels: np.ndarray                 # (N_show,) index into label_names
    label_names: tuple[str, ...]
    factors: dict                      # factor name → (N_show,) values (sprites: scale, rotation, x, y; digits: …)
    kl_per_dim: np.ndarray             # (L,) average KL of each latent dimension over the shown images
    manifold: np.ndarray               # (G·G, D) decodes on a G × G grid, row by row from the top (z₂ = +extent)
    manifold_values: np.ndarray        # (G,) grid values along z₁ (left → right) and z₂ (bottom → top)
    manifold_step: int                 # the step whose weights drew the manifold
    originals: np.ndarray              # (R, D) a few fixed held-out images …
    reconstructions: np.ndarray        # (R, D) … and decode(μ(x)) of each
    prior_samples: np.ndarray          # (S, D) decoded from fixed draws z ~ N(0, I)
    decoder: FrozenDecoder             # decoder(z) → images with this snapshot's weights, on any thread


@dataclass(frozen=True, eq=False)
class FrozenDecoder:
    """The decoder's weights as they were at a snapshot: ``decoder(z)`` turns latent points (M, L) or (L,) into
    images (M, D) on any thread — the panel's click-to-decode, sliders and arithmetic never wait for the worker and
    never touch the training model (whose layers keep state between forward and backward)."""

    weights: tuple[np.ndarray, ...]      # (n_in, n_out) per layer
    biases: tuple[np.ndarray, ...]       # (n_out,) per layer

    @classmethod
    def copy_of(cls, net: nn.MLP) -> "FrozenDecoder":
        dense = [layer for layer in net.layers if isinstance(layer, nn.Dense)]
        return cls(tuple(layer.W.copy() for layer in dense), tuple(layer.b.copy() for layer in dense))

    def __call__(self, z: np.ndarray) -> np.ndarray:
        h = np.asarray(z, dtype=self.weights[0].dtype)
        h = h[None] if h.ndim == 1 else h
        if h.ndim != 2 or h.shape[1] != len(self.weights[0]):
            raise ValueError(f"expected latent points with {len(self.weights[0])} coordinates, got shape {h.shape}")
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w + b
            if i < len(self.weights) - 1:
                np.maximum(h, 0, out=h)                                    # ReLU, as HIDDEN_ACTIVATION
        return nn.sigmoid(h)


@dataclass(frozen=True)
class Interpolation:
    z: np.ndarray           # (steps, L) the latent path
    decoded: np.ndarray     # (steps, D) decode(z)
    crossfade: np.ndarray   # (steps, D) (1 − α)·A + α·B in pixel space, for comparison


#: Set by set_params by building a new network (and new data for the data keys); the rest apply live.
STRUCTURAL = ("dataset", "n", "n_held_out", "data_seed", "latent_dim", "hidden", "likelihood")
DATA_KEYS = ("dataset", "n", "n_held_out", "data_seed")
LIVE = ("lr", "beta", "batch_size")
N_SHOW = 500              # held-out images on the latent map, at most
N_RECONSTRUCTIONS = 8
N_PRIOR_SAMPLES = 16
N_QUALITY_FEATURES = 16   # principal components the Fréchet distance is measured in
HISTORY_CAPACITY = 1000


class VAETrainer(BaseModel):
    """A VAE (or, with β = 0, an autoencoder) learning a data set one minibatch per step, for the panel.

    ``dataset`` is the name of a generated set ("digits", "sprites", "patterns": ``n`` images drawn with
    ``data_seed``), an :class:`ImageSet` (e.g. from ``load_image_folder``) or an array (N, D) of pixels in [0, 1].
    A shuffled ``n_held_out`` of them never train; the latent map, reconstructions and held-out curves use them.

    Live through :meth:`set_params`: ``lr``, ``beta``, ``batch_size``. Structural (a fresh network, step 0):
    ``latent_dim``, ``hidden``, ``likelihood``, and — with new data — ``dataset``, ``n``, ``n_held_out``,
    ``data_seed``. The training seed (``seed``) changes the network and the minibatches, never the data.

    The decoded manifold and the held-out losses are computed every ``refresh_every`` steps inside :meth:`advance`
    (a step count decides them, so replays match), and on demand by :meth:`refresh`; :meth:`snapshot` only encodes
    the shown held-out images and decodes a few fixed ones.
    """

    def __init__(self, dataset: str | ImageSet | np.ndarray = "digits", *, n: int = 4000, n_held_out: int = 500,
                 data_seed: int = 0, latent_dim: int = 2, hidden: Sequence[int] = (256,), beta: float = 1.0,
                 likelihood: str = "bernoulli", lr: float = 1e-3, batch_size: int = 128, seed: int = 0,
                 refresh_every: int = 10, manifold_size: int = 15, manifold_extent: float = 3.0) -> None:
        seed = validate_seed(seed)
        config = self._validate_structure(dict(dataset=dataset, n=n, n_held_out=n_held_out, data_seed=data_seed,
                                               latent_dim=latent_dim, hidden=hidden, likelihood=likelihood))
        live = _validate_live(dict(lr=lr, beta=beta, batch_size=batch_size))
        refresh_every = _whole("refresh_every", refresh_every, 1, 100_000)
        manifold_size = _whole("manifold_size", manifold_size, 2, 64)
        if not (_number(manifold_extent) and 0 < manifold_extent <= 20):
            raise ValueError(f"manifold_extent must be a positive number up to 20, not {manifold_extent!r}")
        data = self._make_data(config)
        super().__init__(seed=seed)
        self.config, self.live = config, live
        self.refresh_every, self.manifold_size = refresh_every, manifold_size
        self.manifold_extent = float(manifold_extent)
        self._install_data(data)
        self.reset()

    # -- data -----------------------------------------------------------------------------------------------------
    @staticmethod
    def _validate_structure(config: dict) -> dict:
        dataset = config["dataset"]
        if isinstance(dataset, str):
            if dataset not in IMAGE_SETS:
                raise ValueError(f"unknown data set {dataset!r}; choose one of: {', '.join(IMAGE_SETS)}, or pass "
                                 "images")
        elif isinstance(dataset, np.ndarray):
            if dataset.ndim != 2 or len(dataset) < 2 or dataset.shape[1] < 1 or not np.isfinite(dataset).all() \
                    or dataset.min() < 0 or dataset.max() > 1:
                raise ValueError("images must be an array (N, pixels) of at least 2 rows with values in [0, 1]")
        elif not isinstance(dataset, ImageSet):
            raise ValueError(f"dataset must be a name, an ImageSet or an array of images, not {type(dataset).__name__}")
        n_images = len(dataset) if not isinstance(dataset, str) else _whole("n", config["n"], 10, 100_000)
        n_held_out = _whole("n_held_out", config["n_held_out"], 1, 100_000)
        if n_images - n_held_out < 2 and not isinstance(dataset, str):
            n_held_out = max(1, n_images // 5)                            # a small folder: keep most for training
        if n_images - n_held_out < 2:
            raise ValueError(f"n_held_out ({n_held_out}) leaves fewer than 2 of the {n_images} images to train on")
        return dict(dataset=dataset, n=n_images, n_held_out=n_held_out, data_seed=validate_seed(config["data_seed"]),
                    latent_dim=_whole("latent_dim", config["latent_dim"], 1, MAX_LATENT),
                    hidden=_validate_hidden(config["hidden"]),
                    likelihood=_check_likelihood(config["likelihood"]))

    @staticmethod
    def _make_data(config: dict) -> ImageSet:
        dataset = config["dataset"]
        if isinstance(dataset, str):
            return make_images(dataset, config["n"], seed=config["data_seed"])
        if isinstance(dataset, np.ndarray):
            side = math.isqrt(dataset.shape[1])
            side = side if side * side == dataset.shape[1] else 0
            return ImageSet("your images", dataset.astype(np.float32), side, np.zeros(len(dataset), np.int64),
                            ("images",))
        return dataset

    def _install_data(self, data: ImageSet) -> None:
        order = np.random.default_rng([self.config["data_seed"], 7]).permutation(len(data))
        held, train = order[:self.config["n_held_out"]], order[self.config["n_held_out"]:]
        self.data = data
        self.train_images = np.ascontiguousarray(data.images[train], dtype=np.float32)   # (N_train, D)
        self.held_out = np.ascontiguousarray(data.images[held], dtype=np.float32)        # (N_held, D)
        self.held_out_labels = data.labels[held]
        self.held_out_factors = {name: values[held] for name, values in data.factors.items()}
        self._quality_axes: np.ndarray | None = None                      # computed when first needed
        shown = "; ".join(f"{name} ({why})" for name, why in data.skipped[:3])
        more = f" and {len(data.skipped) - 3} more" if len(data.skipped) > 3 else ""
        self.data_note = f"skipped {len(data.skipped)} unreadable file(s): {shown}{more}" if data.skipped else ""

    # -- construction ---------------------------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        c, live = self.config, self.live
        self.vae = VAE(self.train_images.shape[1], latent_dim=c["latent_dim"], hidden=c["hidden"],
                       likelihood=c["likelihood"], seed=self.seed, **live)
        # Fixed noise for everything drawn for display, from its own streams: pictures never steer training.
        self.eval_eps = np.random.default_rng([self.seed, 1]).standard_normal((len(self.held_out), c["latent_dim"]))
        self.prior_z = np.random.default_rng([self.seed, 2]).standard_normal((N_PRIOR_SAMPLES, c["latent_dim"]))
        self.latest: Losses | None = None
        self.history = History(3)
        self.held_out_history = History(3)
        self.refresh()

    # -- live parameters ------------------------------------------------------------------------------------------
    def tunable(self) -> tuple[str, ...]:
        return LIVE + STRUCTURAL

    def set_params(self, **params: Any) -> None:
        unknown = set(params) - set(self.tunable())
        if unknown:
            raise ValueError(f"VAETrainer has no parameter(s) {', '.join(sorted(unknown))}; live: "
                             f"{', '.join(LIVE)}; structural (restarts training): {', '.join(STRUCTURAL)}")
        live = _validate_live({k: v for k, v in params.items() if k in LIVE})
        structural = {k: v for k, v in params.items() if k in STRUCTURAL}
        if structural:
            config = self._validate_structure({**self.config, **structural})
            data = self._make_data(config) if any(k in structural for k in DATA_KEYS) else None
            self.live.update(live)
            self.config = config
            if data is not None:
                self._install_data(data)
            self.reset()
        else:
            self.live.update(live)
            self.vae.set_params(**live)

    # -- training -------------------------------------------------------------------------------------------------
    def step(self) -> None:
        self.latest = self.vae.fit(self.train_images, 1)

    def advance(self) -> None:
        super().advance()
        self.history.record(self.n_steps, *self.latest)
        if self.n_steps % self.refresh_every == 0:
            self.refresh()

    def refresh(self) -> None:
        """Decode the manifold and measure the held-out losses with the current weights."""
        values = np.linspace(-self.manifold_extent, self.manifold_extent, self.manifold_size)
        z1, z2 = np.meshgrid(values, values[::-1])                         # rows from the top: z₂ = +extent first
        grid = np.zeros((self.manifold_size ** 2, self.config["latent_dim"]))
        grid[:, 0] = z1.ravel()
        if self.config["latent_dim"] > 1:
            grid[:, 1] = z2.ravel()
        self.manifold_values = values
        self.manifold = self.vae.decode(grid)
        self.manifold_step = self.n_steps
        self.held_out_history.record(self.n_steps, *self.vae.evaluate(self.held_out, self.eval_eps))

    # -- checkpoints ----------------------------------------------------------------------------------------------
    def checkpoint(self) -> dict:
        """Weights, Adam's moments and the random state (one copy each), the curves and the live parameters; the
        data and the manifold arrays are never changed in place, so they are shared, not copied."""
        return {"config": dict(self.config), "live": dict(self.live), "n_steps": self.n_steps,
                "vae": self.vae.state(), "latest": self.latest, "history": self.history.state(),
                "held_out_history": self.held_out_history.state(),
                "manifold": (self.manifold, self.manifold_values, self.manifold_step), "data": self.data}

    def restore(self, state: dict) -> None:
        if not _same_structure(state["config"], self.config):
            self.config = dict(state["config"])
            self._install_data(state["data"])
            self.live = dict(state["live"])
            self.reset()
        self.live = dict(state["live"])
        self.vae.set_params(**self.live)
        self.vae.load_state(state["vae"])
        self.n_steps, self.latest = state["n_steps"], state["latest"]
        self.history.load_state(state["history"])
        self.held_out_history.load_state(state["held_out_history"])
        self.manifold, self.manifold_values, self.manifold_step = state["manifold"]

    # -- snapshot -------------------------------------------------------------------------------------------------
    def snapshot(self) -> VAESnapshot:
        shown = slice(0, min(N_SHOW, len(self.held_out)))
        with np.errstate(over="ignore", invalid="ignore"):
            mu, logvar = self.vae.encode(self.held_out[shown])
            kl_per_dim = kl_to_prior(mu.astype(np.float64), logvar.astype(np.float64)).mean(axis=0)
            originals = self.held_out[:N_RECONSTRUCTIONS]
            reconstructions = self.vae.reconstruct(originals)
            prior_samples = self.vae.decode(self.prior_z)
        steps, rows = self.history.arrays()
        held_steps, held_rows = self.held_out_history.arrays()
        latest = self.latest or Losses(math.nan, math.nan, math.nan)
        return VAESnapshot(
            step=self.n_steps, note=self.data_note,
            nonfinite_ok=("recon", "kl", "elbo") if self.latest is None else (),
            dataset_name=self.data.name, mode="autoencoder" if self.vae.is_autoencoder else "vae",
            beta=self.vae.beta, latent_dim=self.config["latent_dim"], likelihood=self.config["likelihood"],
            image_side=self.data.side, recon=latest.recon, kl=latest.kl, elbo=latest.elbo,
            loss_steps=steps, recon_history=rows[:, 0].copy(), kl_history=rows[:, 1].copy(),
            elbo_history=rows[:, 2].copy(),
            held_out_steps=held_steps, held_out_recon_history=held_rows[:, 0].copy(),
            held_out_kl_history=held_rows[:, 1].copy(), held_out_elbo_history=held_rows[:, 2].copy(),
            latent_means=mu, latent_logvars=logvar, labels=self.held_out_labels[shown].copy(),
            label_names=self.data.label_names,
            factors={name: values[shown].copy() for name, values in self.held_out_factors.items()},
            kl_per_dim=kl_per_dim, manifold=self.manifold.copy(), manifold_values=self.manifold_values.copy(),
            manifold_step=self.manifold_step, originals=originals.copy(), reconstructions=reconstructions,
            prior_samples=prior_samples, decoder=FrozenDecoder.copy_of(self.vae.decoder),
        )

    # -- what the panel calls (through run()'s Call, on the worker) ----------------------------------------------
    def decode_points(self, z: np.ndarray) -> np.ndarray:
        """Images for latent points ``z``, (M, L) or one point (L,): (M, D). For click-to-decode and the sliders."""
        z = np.asarray(z, dtype=np.float64)
        z = z[None] if z.ndim == 1 else z
        if z.ndim != 2 or z.shape[1] != self.config["latent_dim"] or not np.isfinite(z).all():
            raise ValueError(f"latent points must be finite, with {self.config['latent_dim']} coordinates each")
        return self.vae.decode(z)

    def encode_held_out(self, index: int) -> np.ndarray:
        """μ of held-out image ``index``: (L,)."""
        index = _whole("index", index, 0, len(self.held_out) - 1)
        return self.vae.encode(self.held_out[index:index + 1])[0][0]

    def interpolate(self, index_a: int, index_b: int, steps: int = 9, mode: str = "linear") -> Interpolation:
        """Walk the latent space from held-out image A to B; beside it, the pixel-space cross-fade of A and B."""
        a, b = self.encode_held_out(index_a), self.encode_held_out(index_b)
        z = latent_path(a, b, steps, mode)
        alpha = np.linspace(0, 1, steps, dtype=np.float32)[:, None]
        crossfade = (1 - alpha) * self.held_out[index_a] + alpha * self.held_out[index_b]
        return Interpolation(z=z, decoded=self.vae.decode(z), crossfade=crossfade)

    def group_indices(self, group: int | str | tuple) -> np.ndarray:
        """Held-out images in a group: a label (its index or name), or ``(factor, low, high)`` for a factor range,
        e.g. ``("scale", 0.85, 1.0)`` — large sprites."""
        if isinstance(group, tuple):
            if len(group) != 3 or group[0] not in self.held_out_factors:
                known = ", ".join(self.held_out_factors) or "none for this data set"
                raise ValueError(f"a factor group is (name, low, high) with a known factor ({known}); got {group!r}")
            name, low, high = group
            values = self.held_out_factors[name]
            members = np.flatnonzero((values >= low) & (values <= high))
        elif isinstance(group, str):
            if group not in self.data.label_names:
                raise ValueError(f"no label {group!r}; the labels are {', '.join(self.data.label_names)}")
            members = np.flatnonzero(self.held_out_labels == self.data.label_names.index(group))
        else:
            label = _whole("label", group, 0, len(self.data.label_names) - 1)
            members = np.flatnonzero(self.held_out_labels == label)
        if len(members) == 0:
            raise ValueError(f"no held-out image falls in the group {group!r}")
        return members

    def group_mean(self, group: int | str | tuple) -> np.ndarray:
        """Mean latent code μ of a group of held-out images: (L,)."""
        return self.vae.encode(self.held_out[self.group_indices(group)])[0].astype(np.float64).mean(axis=0)

    def attribute_vector(self, plus: int | str | tuple, minus: int | str | tuple) -> np.ndarray:
        """mean μ(plus) − mean μ(minus): the direction of an attribute, e.g. large minus small sprites. (L,)"""
        return self.group_mean(plus) - self.group_mean(minus)

    def latent_arithmetic(self, plus, minus, base, *, strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """mean μ(base) + strength · (mean μ(plus) − mean μ(minus)), decoded: (z (L,), image (D,))."""
        return self._shifted(self.group_mean(base), plus, minus, strength)

    def add_attribute(self, index: int, plus, minus, *, strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Held-out image ``index`` moved along the attribute plus − minus: (z (L,), image (D,))."""
        return self._shifted(self.encode_held_out(index).astype(np.float64), plus, minus, strength)

    def _shifted(self, start, plus, minus, strength):
        if not (_number(strength) and abs(strength) <= 10):
            raise ValueError(f"strength must be a number from −10 to 10, not {strength!r}")
        z = start + strength * self.attribute_vector(plus, minus)
        return z, self.vae.decode(z[None])[0]

    def quality_axes(self) -> np.ndarray:
        """The training images' first principal axes (D, F): the features sample_quality compares in."""
        if self._quality_axes is None:
            centred = self.train_images[:4000] - self.train_images.mean(axis=0)
            _, axes = np.linalg.eigh(centred.T.astype(np.float64) @ centred)           # ascending eigenvalues
            self._quality_axes = axes[:, ::-1][:, :N_QUALITY_FEATURES].copy()
        return self._quality_axes

    def sample_quality(self, n: int = 500) -> SampleQuality:
        """FID in miniature: the Fréchet distance between ``n`` prior samples and the held-out images, both seen
        through the training images' first principal components, with the diversity of each beside it (a model
        can score a good distance and still repeat itself). The draws are seeded: the same model gives the same
        numbers."""
        n = _whole("n", n, 10, 10_000)
        samples = self.vae.sample(n, np.random.default_rng([self.seed, 3]))
        reference = self.held_out[:n]
        features = self.quality_axes()[:, :min(N_QUALITY_FEATURES, len(reference) - 1)]
        return SampleQuality(frechet_distance(samples @ features, reference @ features),
                             mean_pairwise_distance(samples, samples), mean_pairwise_distance(reference, reference))


def _same_structure(a: dict, b: dict) -> bool:
    """Equal configurations; a data set given as an array or ImageSet counts as the same only if it is the same
    object (comparing arrays with == would compare pixel by pixel)."""
    return a.keys() == b.keys() and all(
        a[k] is b[k] or (not isinstance(a[k], (np.ndarray, ImageSet)) and not isinstance(b[k], (np.ndarray, ImageSet))
                         and a[k] == b[k]) for k in a)


def _check_likelihood(likelihood: Any) -> str:
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', not {likelihood!r}")
    return likelihood
