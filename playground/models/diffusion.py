"""Diffusion on points: noise in, structure out — DDPM training and DDPM / DDIM sampling for 1-D and 2-D data.

Forward process (fixed, no learning). A schedule β_1 … β_T of small noise variances; α_t = 1 − β_t and
ᾱ_t = α_1 ⋯ α_t. Noising x_0 step by step has a closed form for any t:

    q(x_t | x_0) = N(√ᾱ_t · x_0, (1 − ᾱ_t) I)      i.e.   x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε,   ε ~ N(0, I)

ᾱ falls from ≈ 1 to ≈ 0, so x_T is (almost exactly) N(0, I) whatever the data was. The signal-to-noise ratio
SNR_t = ᾱ_t / (1 − ᾱ_t) says how much of x_0 is still visible.

Learning. A network ε̂(x_t, t) (an MLP that sees x_t and an embedding of t) is trained to guess the noise that was
added: pick a data point, a random t and a random ε, form x_t, and minimise ‖ε̂(x_t, t) − ε‖² (Ho et al. 2020). The
guess is also the score, the direction in which the density of x_t rises fastest:
∇ log p_t(x) ≈ −ε̂(x, t) / √(1 − ᾱ_t).

Reverse process (generation). Start from x_T ~ N(0, I) and walk back:

    DDPM   x_{t−1} = (x_t − β_t / √(1 − ᾱ_t) · ε̂) / √α_t + σ_t z,   σ_t² = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t),  z ~ N(0, I)
           — all T steps, each a little denoising plus a little fresh noise.
    DDIM   (Song et al. 2021) jumps along a subsequence T = τ_S > … > τ_1 > 0: from the current guess of the clean
           point x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t it moves to
           x_s = √ᾱ_s · x̂_0 + √(1 − ᾱ_s − σ²) · ε̂ + σ z,   σ = η √((1 − ᾱ_s)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_s).
           η = 0 is deterministic (a fixed map from noise to data); η = 1 with every step is exactly DDPM.
    Fewer steps are faster (one network call each) and worse: each jump trusts one guess of x̂_0 for longer. (With
    a single step the sample *is* the first guess, E[x_0 | x_T] ≈ the data's mean: the blur of too few steps.)

Two practical details of real diffusion models: samples come from a running average of the weights (an
exponential moving average over the last ~100 updates), which removes the jitter each minibatch leaves in them; and
x̂_0 is clipped to the box around the data (one standard deviation of margin), as image models clip to the pixel
range, because early on it divides by a tiny √ᾱ_t.

Units. The network works on standardised data z = (x − mean) / scale, one scale for all coordinates (so a thin
shape stays thin). :meth:`Diffusion2D.q_sample`, :meth:`~Diffusion2D.predicted_noise`, :meth:`~Diffusion2D.score`,
:meth:`~Diffusion2D.p_sample_step` and :meth:`~Diffusion2D.ddim_step` work in those standardised units — the units
of the formulas above, where x_T ~ N(0, I). :meth:`~Diffusion2D.train_step`, :meth:`~Diffusion2D.fit` and
:meth:`~Diffusion2D.sample` take and give points in the data's own units. :class:`DiffusionTrainer`, the live model
behind the panel, gives everything in data units.

Time steps are whole numbers: t = 0 is the data, t = 1 … T the noised states.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
from scipy.special import ndtr

from playground.models import metrics, nn
from playground.models.base import BaseModel, Snapshot, check_stop, validate_seed
from playground.models.datasets import shapes2d  # importing it registers the diffusion point sets
from playground.models.datasets.toy2d import MAX_POINTS, POINT_SETS, make_points
from playground.models.history import History

__all__ = [
    "Diffusion2D", "make_schedule", "SCHEDULES", "TIME_EMBEDDINGS", "INPUT_EMBEDDINGS", "METHODS",
    "DiffusionTrainer", "DiffusionSnapshot", "ReverseRun", "MarginalHeatmap", "StepsQuality", "DIFFUSION_PRESETS",
]

DIFFUSION_PRESETS = shapes2d.DIFFUSION_PRESETS
SCHEDULES = ("linear", "cosine")
TIME_EMBEDDINGS = ("sinusoidal", "scalar")
INPUT_EMBEDDINGS = ("fourier", "raw")
METHODS = ("ddpm", "ddim")
HIDDEN_ACTIVATION = "leaky_relu"
#: Features of the sinusoidal time embedding.
EMBEDDING_DIM = 32
#: Frequencies (radians per standard deviation) of the Fourier features of x: 1, 2, 4, … 32.
FOURIER_FREQUENCIES = 2.0 ** np.arange(6)
#: Largest β_t allowed; 1 would erase the signal in one step and make the reverse step divide by zero.
MAX_BETA = 0.999
MIN_T, MAX_T = 2, 1000
#: A denoised guess x̂_0 further than this from the data's box (in standard deviations) is clipped back to its edge.
#: Early in sampling x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t divides by a tiny √ᾱ_t and magnifies any error in ε̂; a
#: DDIM jump would carry that error all the way into the samples. Image models clip to the pixel range for the
#: same reason.
CLIP_MARGIN = 1.0
#: An ε-prediction loss this large (a trivial guess scores 1) means the training has blown up.
LOSS_LIMIT = 1e4


# ---------------------------------------------------------------------------------------------------------------
# Noise schedules

def make_schedule(name: str, T: int) -> np.ndarray:
    """β_1 … β_T (array of length T) for the ``"linear"`` or ``"cosine"`` schedule.

    linear: evenly spaced from 0.1/T to 20/T — Ho et al.'s 10⁻⁴ … 0.02 for T = 1000, stretched so that any T ends
            at the same ᾱ_T ≈ e⁻¹⁰ (noise).
    cosine: ᾱ_t = f(t)/f(0) with f(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008 (Nichol & Dhariwal 2021): the
            signal fades slowly at both ends instead of being mostly gone halfway.
    Both are capped at β = 0.999.
    """
    if name not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, not {name!r}")
    T = _whole("T", T, MIN_T, MAX_T)
    if name == "linear":
        betas = np.linspace(0.1 / T, 20.0 / T, T)
    else:
        s = 0.008
        f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * math.pi / 2) ** 2      # (T + 1,)
        alpha_bar = f / f[0]
        betas = 1 - alpha_bar[1:] / alpha_bar[:-1]
    return np.clip(betas, 1e-8, MAX_BETA)


# ---------------------------------------------------------------------------------------------------------------
# The model

class Diffusion2D:
    """A denoising diffusion model for points in D = 1, 2 (or more) dimensions, on the shared :mod:`nn` toolkit.

    >>> model = Diffusion2D(T=200, seed=0)
    >>> model.fit(points, n_steps=2000)                     # (N, 2) data, in its own units
    >>> model.sample(1000)                                  # DDPM: T network calls
    >>> model.sample(1000, method="ddim", steps=20)         # DDIM: 20 calls, deterministic for η = 0

    The schedule is available as arrays over t = 1 … T: :attr:`timesteps`, :attr:`betas`, :attr:`alphas`,
    :attr:`alpha_bars` and :attr:`snr`. ``input_dim`` is taken from the first data seen unless given.
    """

    def __init__(self, *, T: int = 200, schedule: str = "linear", hidden: Sequence[int] = (128, 128, 128),
                 time_embedding: str = "sinusoidal", input_embedding: str = "fourier", lr: float = 3e-3,
                 batch_size: int = 1024, ema_decay: float = 0.99, input_dim: int | None = None,
                 dtype=np.float32, seed: int = 0) -> None:
        seed = validate_seed(seed)
        betas = make_schedule(schedule, T)
        hidden = _validate_hidden(hidden)
        if time_embedding not in TIME_EMBEDDINGS:
            raise ValueError(f"time_embedding must be one of {', '.join(TIME_EMBEDDINGS)}, not {time_embedding!r}")
        if input_embedding not in INPUT_EMBEDDINGS:
            raise ValueError(f"input_embedding must be one of {', '.join(INPUT_EMBEDDINGS)}, not {input_embedding!r}")
        lr, batch_size = _validate_lr(lr), _validate_batch_size(batch_size)
        if not (isinstance(ema_decay, (int, float, np.integer, np.floating)) and 0 <= ema_decay < 1):
            raise ValueError(f"ema_decay must be at least 0 (no averaging) and below 1, not {ema_decay!r}")
        if input_dim is not None:
            input_dim = _whole("input_dim", input_dim, 1, 16)
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 (fast) or float64 (for gradient checks), not {dtype!r}")
        self.dtype = np.dtype(dtype)
        self.T, self.schedule, self.hidden, self.time_embedding = int(T), schedule, hidden, time_embedding
        self.input_embedding = input_embedding
        self.seed = seed
        self._lr, self._batch_size, self.ema_decay = lr, batch_size, float(ema_decay)

        self.betas = betas                                              # (T,) β_t for t = 1 … T
        self.alphas = 1 - betas
        self.alpha_bars = np.cumprod(self.alphas)
        self.snr = self.alpha_bars / (1 - self.alpha_bars)
        self.timesteps = np.arange(1, self.T + 1)
        # Indexed by t directly, with ᾱ_0 = 1 for the data itself.
        self._alpha_bar = np.concatenate([[1.0], self.alpha_bars])      # (T + 1,)
        self._embeddings = self._embedding_table()                     # (T + 1, E) in the network's dtype

        # One stream for the weights and the training run, another for sampling, so drawing samples (for a
        # picture) never changes what training does next.
        self.rng = np.random.default_rng(seed)
        self.sampling_rng = np.random.default_rng([seed, 1])
        self.input_dim: int | None = None
        self.net: nn.MLP | None = None                                  # trained by Adam
        self.ema_net: nn.MLP | None = None                              # its running average: used to sample
        self.optimizer: nn.Adam | None = None
        self.mean: np.ndarray | None = None                             # (D,) data units
        self.scale: float | None = None
        self._x0_low = self._x0_high = None                             # (D,) the clipping box, standardised
        self.n_updates = 0
        if input_dim is not None:
            self._build(input_dim)

    # -- construction ---------------------------------------------------------------------------------------------
    def _embedding_table(self) -> np.ndarray:
        t = np.arange(self.T + 1)
        if self.time_embedding == "scalar":
            return (2 * t / self.T - 1).astype(self.dtype)[:, None]    # one feature from −1 to 1
        # Rescaled to 0 … 1000 so the frequencies suit any T the way they suit DDPM's T = 1000.
        return nn.sinusoidal_embedding(t * (1000.0 / self.T), EMBEDDING_DIM, dtype=self.dtype)

    def _build(self, input_dim: int) -> None:
        self.input_dim = input_dim
        n_x = input_dim * (1 + 2 * len(FOURIER_FREQUENCIES) if self.input_embedding == "fourier" else 1)
        self._n_x_features = n_x
        sizes = [n_x + self._embeddings.shape[1], *self.hidden, input_dim]
        self.net = nn.MLP(sizes, activation=HIDDEN_ACTIVATION, rng=self.rng, dtype=self.dtype)
        self.optimizer = nn.Adam(self.net.params, self.net.grads, lr=self._lr)
        # Its initial weights are overwritten at once; the throwaway generator keeps the training stream untouched.
        self.ema_net = nn.MLP(sizes, activation=HIDDEN_ACTIVATION, rng=np.random.default_rng(0), dtype=self.dtype)
        self.ema_net.set_flat(self.net.params)

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _validate_lr(value)
        if self.optimizer is not None:
            self.optimizer.lr = self._lr

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = _validate_batch_size(value)

    def set_normalisation(self, data: np.ndarray) -> None:
        """Standardise with the mean and overall spread of ``data`` (N, D) from now on (builds the network if this
        is the first data seen). One scale for every coordinate keeps a shape's proportions."""
        data = _as_points(data)
        if self.input_dim is not None and data.shape[1] != self.input_dim:
            raise ValueError(f"this model works on {self.input_dim}-D points; got {data.shape[1]}-D data")
        mean = data.mean(axis=0)
        scale = float(np.sqrt(np.mean(data.var(axis=0))))
        if not scale > 0:
            raise ValueError("all data points are the same: there is no spread to learn")
        if self.input_dim is None:
            self._build(data.shape[1])
        self.mean, self.scale = mean, scale
        standard = (data - mean) / scale
        self._x0_low = standard.min(axis=0) - CLIP_MARGIN
        self._x0_high = standard.max(axis=0) + CLIP_MARGIN

    def standardise(self, x: np.ndarray) -> np.ndarray:
        """Data units → the model's standardised units."""
        return (np.asarray(x, float) - self.mean) / self.scale

    def unstandardise(self, z: np.ndarray) -> np.ndarray:
        """The model's standardised units → data units."""
        return np.asarray(z, float) * self.scale + self.mean

    # -- forward process ------------------------------------------------------------------------------------------
    def q_sample(self, x0: np.ndarray, t, eps: np.ndarray) -> np.ndarray:
        """x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε for points x0 and noise eps (N, D), standardised units. ``t`` is one
        step or one per point, 0 … T (t = 0 gives x0 back)."""
        x0, eps = _as_points(x0), _as_points(eps)
        if x0.shape != eps.shape:
            raise ValueError(f"x0 and eps must have the same shape; got {x0.shape} and {eps.shape}")
        alpha_bar = self._alpha_bar[self._steps(t, len(x0), allow_zero=True)][:, None]      # (N, 1)
        return np.sqrt(alpha_bar) * x0 + np.sqrt(1 - alpha_bar) * eps

    # -- training -------------------------------------------------------------------------------------------------
    def train_step(self, x0_batch: np.ndarray) -> float:
        """One Adam update on a batch of data points (B, D) in data units; returns the ε-prediction loss.

        Every point gets its own random t ∈ {1 … T} and ε ~ N(0, I); the loss is the mean squared error of ε̂.
        The first batch ever seen sets the standardisation unless :meth:`set_normalisation` was called.
        """
        x0_batch = _as_points(x0_batch)
        if self.mean is None:
            self.set_normalisation(x0_batch)
        if x0_batch.shape[1] != self.input_dim:
            raise ValueError(f"this model works on {self.input_dim}-D points; got a batch of shape {x0_batch.shape}")
        batch = len(x0_batch)
        t = self.rng.integers(1, self.T + 1, batch)                    # (B,)
        eps = self.rng.standard_normal(x0_batch.shape)                  # (B, D)
        with np.errstate(over="ignore", invalid="ignore"):
            loss = self.loss_and_gradient(self.standardise(x0_batch), t, eps)
            self.optimizer.step()
            self._update_average()
        self.n_updates += 1
        return loss

    def loss_and_gradient(self, x0: np.ndarray, t: np.ndarray, eps: np.ndarray) -> float:
        """The training loss mean ‖ε̂(x_t, t) − ε‖² for standardised points x0 (B, D) noised to times t (B,) with
        noise eps (B, D); its gradient with respect to the trained weights is left in ``self.net.grads``."""
        x_t = self.q_sample(x0, t, eps)
        eps_hat = self.net.forward(self._network_input(x_t, t))        # (B, D)
        loss, grad = nn.mse(eps_hat, eps.astype(self.dtype))
        self.net.zero_grad()
        self.net.backward(grad, need_input_grad=False)
        return loss

    def _update_average(self) -> None:
        """ema ← ema + (1 − d)(params − ema). The decay d ramps up from 0.1 so the first steps are not dragged
        back towards the random start."""
        decay = min(self.ema_decay, (1 + self.n_updates) / (10 + self.n_updates))
        average = self.ema_net.params
        average += (1 - decay) * (self.net.params - average)

    def fit(self, data: np.ndarray, n_steps: int) -> list[float]:
        """``n_steps`` updates on minibatches of ``batch_size`` points drawn (with replacement) from ``data`` (N, D);
        returns the losses. The first call standardises with the whole data set."""
        data = _as_points(data)
        n_steps = _whole("n_steps", n_steps, 0, 10**9)
        if self.mean is None:
            self.set_normalisation(data)
        return [self.train_step(data[self.rng.integers(0, len(data), self.batch_size)]) for _ in range(n_steps)]

    # -- the learned noise and score ------------------------------------------------------------------------------
    # The public methods check their arguments and call the unchecked versions below (leading underscore), which
    # the samplers use in their inner loops.

    def predicted_noise(self, x: np.ndarray, t) -> np.ndarray:
        """ε̂(x, t) for points x (N, D) in standardised units; ``t`` is one step 1 … T or one per point.

        Uses the averaged weights (as sampling does): each minibatch jolts the trained weights a little, and their
        average over the last ~1/(1 − ema_decay) steps gives much cleaner samples than the latest weights alone.
        """
        x = self._checked_points(x)
        return self._predicted_noise(x, self._steps(t, len(x)))

    def score(self, x: np.ndarray, t) -> np.ndarray:
        """The learned score ∇ log p_t(x) = −ε̂(x, t) / √(1 − ᾱ_t), in standardised units."""
        x = self._checked_points(x)
        steps = self._steps(t, len(x))
        return -self._predicted_noise(x, steps) / np.sqrt(1 - self._alpha_bar[steps])[:, None]

    def predicted_x0(self, x_t: np.ndarray, t: int) -> np.ndarray:
        """The denoised guess x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t, clipped to the data's box ± CLIP_MARGIN."""
        return self._predicted_x0(self._checked_points(x_t), _whole("t", t, 1, self.T))

    def _x_features(self, x: np.ndarray) -> np.ndarray:
        """What the network sees of the points (N, D): x itself, and with the "fourier" embedding also sin(ωx) and
        cos(ωx) for ω = 1, 2, 4 … 32 per coordinate. A plain MLP on x draws smooth, blurry densities and learns
        edges slowly; the waves let it place sharp features (a thin ring, a square's corner) early on."""
        x = x.astype(self.dtype)
        if self.input_embedding == "raw":
            return x
        angles = (x[:, :, None] * FOURIER_FREQUENCIES.astype(self.dtype)).reshape(len(x), -1)      # (N, 6D)
        return np.concatenate([x, np.sin(angles), np.cos(angles)], axis=1)

    def _network_input(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.concatenate([self._x_features(x), self._embeddings[t]], axis=1)      # (N, F + E)

    def _predicted_noise(self, x: np.ndarray, t: np.ndarray | int) -> np.ndarray:
        """ε̂ with the averaged weights; ``t`` one int per point, or a single int shared by all of them."""
        with np.errstate(over="ignore", invalid="ignore"):
            if not isinstance(t, int):
                return self.ema_net.forward(self._network_input(x, t)).astype(np.float64)
            # One time for every point (as in sampling): the time embedding's share of the first layer, e(t) W_e + b,
            # is the same for every row, so it is computed once and only the x features are multiplied per point.
            first, rest = self.ema_net.layers[0], self.ema_net.layers[1:]
            n_x = self._n_x_features
            h = self._x_features(x) @ first.W[:n_x]                    # (N, H)
            h += self._embeddings[t] @ first.W[n_x:] + first.b
            for layer in rest:
                h = layer.forward(h)
            return h.astype(np.float64)

    def _predicted_x0(self, x_t: np.ndarray, t: int) -> np.ndarray:
        eps_hat = self._predicted_noise(x_t, t)
        alpha_bar = self._alpha_bar[t]
        with np.errstate(over="ignore", invalid="ignore"):
            x0 = (x_t - math.sqrt(1 - alpha_bar) * eps_hat) / math.sqrt(alpha_bar)
        return np.clip(x0, self._x0_low, self._x0_high)

    # -- reverse process ------------------------------------------------------------------------------------------
    def p_mean_std(self, x_t: np.ndarray, t: int) -> tuple[np.ndarray, float]:
        """Mean and standard deviation of the reverse step p(x_{t−1} | x_t) (standardised units).

        The mean is the Gaussian posterior mean of q(x_{t−1} | x_t, x_0) with x_0 replaced by the guess x̂_0; while
        x̂_0 is not clipped that equals (x_t − β_t / √(1 − ᾱ_t) · ε̂) / √α_t. σ_t² is that posterior's variance,
        0 at t = 1.
        """
        return self._p_mean_std(self._checked_points(x_t), _whole("t", t, 1, self.T))

    def p_sample_step(self, x_t: np.ndarray, t: int, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """One DDPM step x_t → x_{t−1} (standardised units); fresh noise from ``rng`` (default: the sampling
        stream), drawn only when σ_t > 0."""
        x_t, t = self._checked_points(x_t), _whole("t", t, 1, self.T)
        return self._p_sample_step(x_t, t, self.sampling_rng if rng is None else rng)

    def ddim_step(self, x_t: np.ndarray, t: int, t_prev: int, *, eta: float = 0.0,
                  rng: np.random.Generator | None = None) -> np.ndarray:
        """One DDIM jump x_t → x_{t_prev}, 0 ≤ t_prev < t (standardised units)."""
        x_t, t, t_prev = self._checked_points(x_t), _whole("t", t, 1, self.T), _whole("t_prev", t_prev, 0, self.T)
        if t_prev >= t:
            raise ValueError(f"a DDIM step goes back in time: t_prev must be below t = {t}, not {t_prev}")
        return self._ddim_step(x_t, t, t_prev, _validate_eta(eta), self.sampling_rng if rng is None else rng)

    def _p_mean_std(self, x_t: np.ndarray, t: int) -> tuple[np.ndarray, float]:
        x0 = self._predicted_x0(x_t, t)
        alpha_bar, alpha_bar_prev, beta = self._alpha_bar[t], self._alpha_bar[t - 1], self.betas[t - 1]
        mean = (math.sqrt(alpha_bar_prev) * beta / (1 - alpha_bar)) * x0 \
            + (math.sqrt(1 - beta) * (1 - alpha_bar_prev) / (1 - alpha_bar)) * x_t
        return mean, math.sqrt(beta * (1 - alpha_bar_prev) / (1 - alpha_bar))

    def _p_sample_step(self, x_t: np.ndarray, t: int, rng: np.random.Generator) -> np.ndarray:
        mean, std = self._p_mean_std(x_t, t)
        return mean + std * rng.standard_normal(mean.shape) if std > 0 else mean

    def _ddim_step(self, x_t: np.ndarray, t: int, t_prev: int, eta: float, rng: np.random.Generator) -> np.ndarray:
        x0 = self._predicted_x0(x_t, t)
        alpha_bar, alpha_bar_prev = self._alpha_bar[t], self._alpha_bar[t_prev]
        eps = (x_t - math.sqrt(alpha_bar) * x0) / math.sqrt(1 - alpha_bar)      # the noise consistent with x̂_0
        sigma = eta * math.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev))
        x_prev = math.sqrt(alpha_bar_prev) * x0 + math.sqrt(max(1 - alpha_bar_prev - sigma**2, 0.0)) * eps
        return x_prev + sigma * rng.standard_normal(x_prev.shape) if sigma > 0 else x_prev

    def ddim_timesteps(self, steps: int) -> np.ndarray:
        """The times a DDIM run visits, from T down to 0: T = τ_S > … > τ_1 > 0 with τ_i = round(i·T/S)."""
        steps = _whole("steps", steps, 1, self.T)
        return np.concatenate([np.round(np.arange(steps, 0, -1) * self.T / steps).astype(int), [0]])

    def sample(self, n: int, *, method: str = "ddpm", steps: int | None = None, eta: float = 0.0,
               return_trajectory: bool = False, rng: np.random.Generator | None = None,
               x_T: np.ndarray | None = None):
        """``n`` new points in data units, (n, D), generated from x_T ~ N(0, I).

        ``method="ddpm"`` takes all T steps (``steps`` must be None or T); ``"ddim"`` takes ``steps`` (default T)
        jumps with noise level ``eta`` (0: deterministic). ``x_T`` (standardised, (n, D)) fixes the starting noise;
        ``rng`` (default: the model's sampling stream) draws everything random. With ``return_trajectory`` the
        result is ``(samples, trajectory, times)``: every state visited, (S + 1, n, D) in data units, and their
        times (S + 1,) from T down to 0.
        """
        self._require_data()
        times = self.sampling_times(method, steps)
        n = _whole("n", n, 1, MAX_POINTS)
        eta = _validate_eta(eta)
        if method == "ddpm" and eta != 0:
            raise ValueError("eta belongs to DDIM; DDPM's noise level is fixed by the schedule")
        rng = self.sampling_rng if rng is None else rng
        if x_T is None:
            x = rng.standard_normal((n, self.input_dim))
        else:
            x = self._checked_points(x_T)
            if x.shape != (n, self.input_dim):
                raise ValueError(f"x_T must have shape ({n}, {self.input_dim}), not {x.shape}")
        trajectory = [x] if return_trajectory else None
        for t, t_prev in zip(times[:-1].tolist(), times[1:].tolist()):
            check_stop()                                # T = 1000 with 3 × 256 units takes seconds: stay stoppable
            if method == "ddpm":
                x = self._p_sample_step(x, t, rng)
            else:
                x = self._ddim_step(x, t, t_prev, eta, rng)
            if return_trajectory:
                trajectory.append(x)
        samples = self.unstandardise(x)
        if not return_trajectory:
            return samples
        return samples, self.unstandardise(np.stack(trajectory)), times.copy()

    def sampling_times(self, method: str, steps: int | None) -> np.ndarray:
        """The times a run of ``method`` with ``steps`` visits, T … 0 (checks both arguments)."""
        if method not in METHODS:
            raise ValueError(f"method must be 'ddpm' or 'ddim', not {method!r}")
        if method == "ddpm":
            if steps is not None and steps != self.T:
                raise ValueError(f"DDPM takes all T = {self.T} steps; for {steps} steps use method='ddim'")
            return np.arange(self.T, -1, -1)
        return self.ddim_timesteps(self.T if steps is None else steps)

    # -- checkpoints ----------------------------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything training changes: weights, Adam's moments, both random streams, the standardisation."""
        return {
            "params": None if self.net is None else self.net.get_flat(),
            "averaged": None if self.net is None else self.ema_net.get_flat(),
            "optimizer": None if self.optimizer is None else self.optimizer.state(),
            "rng": self.rng.bit_generator.state, "sampling_rng": self.sampling_rng.bit_generator.state,
            "input_dim": self.input_dim, "mean": self.mean, "scale": self.scale,
            "clip": (self._x0_low, self._x0_high), "n_updates": self.n_updates,
        }

    def load_state(self, state: dict) -> None:
        if state["input_dim"] is not None and state["input_dim"] != self.input_dim:
            self._build(state["input_dim"])
        if state["params"] is not None:
            self.net.set_flat(state["params"])
            self.ema_net.set_flat(state["averaged"])
            self.optimizer.load_state(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        self.sampling_rng.bit_generator.state = state["sampling_rng"]
        self.mean, self.scale = state["mean"], state["scale"]
        self._x0_low, self._x0_high = state["clip"]
        self.n_updates = state["n_updates"]

    # -- helpers --------------------------------------------------------------------------------------------------
    def _require_data(self) -> None:
        if self.net is None or self.mean is None:
            raise ValueError("the model has not seen any data yet: call fit(), train_step() or set_normalisation()")

    def _checked_points(self, x: Any) -> np.ndarray:
        self._require_data()
        return _as_points(x, self.input_dim)

    def _steps(self, t, n: int, *, allow_zero: bool = False) -> np.ndarray:
        """``t`` as an int array of n time steps (one shared step is repeated), checked to lie in range."""
        low = 0 if allow_zero else 1
        steps = np.asarray(t)
        if steps.dtype.kind not in "iu" and not (steps.dtype.kind == "f" and np.all(steps == np.round(steps))):
            raise ValueError(f"time steps must be whole numbers from {low} to T = {self.T}, not {t!r}")
        steps = steps.astype(np.int64)
        if steps.ndim == 0:
            steps = np.full(n, int(steps))
        if steps.shape != (n,):
            raise ValueError(f"give one time step, or one per point ({n}); got shape {steps.shape}")
        if n and (steps.min() < low or steps.max() > self.T):
            raise ValueError(f"time steps must lie between {low} and T = {self.T}; got {steps.min()} … {steps.max()}")
        return steps


# ---------------------------------------------------------------------------------------------------------------
# The live model behind the panel

#: Training steps between two evaluations of sample quality. An evaluation is a DDPM run of N_EVAL points (T network
#: calls) plus the distances: about 0.25 s for T = 200, the time of ~80 training steps, so every 500 steps costs ~15 %.
EVAL_EVERY = 500
#: Generated points in an evaluation, from the same noise every time so the picture moves smoothly, not flickering.
N_EVAL = 1000
#: Data points drawn in the snapshot and compared against; the full data set still trains the model.
N_SHOWN = 2000
#: Largest number of particles reverse_run, marginal_heatmap and steps_vs_quality accept.
MAX_PARTICLES = 20_000
DEFAULT_STEP_COUNTS = (5, 10, 20, 50)
LOSS_SMOOTHING = 0.98


@dataclass(frozen=True, kw_only=True)
class DiffusionSnapshot(Snapshot):
    data_name: str                   # preset name, or "your points"
    input_dim: int                   # D
    T: int
    schedule: str                    # "linear" or "cosine"
    lr: float
    batch_size: int
    data: np.ndarray                 # (≤ N_SHOWN, D) the data, data units
    bounds: np.ndarray               # (2, D) low and high corner of a view that holds the data and the noise
    timesteps: np.ndarray            # (T,) 1 … T
    betas: np.ndarray                # (T,) β_t
    alpha_bars: np.ndarray           # (T,) ᾱ_t
    snr: np.ndarray                  # (T,) ᾱ_t / (1 − ᾱ_t)
    loss: float                      # latest ε-prediction loss (NaN before the first step)
    loss_steps: np.ndarray           # (H,) steps of …
    loss_history: np.ndarray         # (H,) the loss at those steps
    loss_smoothed: np.ndarray        # (H,) its exponential moving average (the raw loss is noisy: random t)
    generated: np.ndarray            # (N_EVAL, D) DDPM samples of the latest evaluation (same noise each time)
    generated_step: int              # the step they were generated at
    quality_steps: np.ndarray        # (Q,) steps of the evaluations
    energy_history: np.ndarray       # (Q,) energy distance generated ↔ data, data units
    frechet_history: np.ndarray      # (Q,) Fréchet distance of fitted Gaussians, squared data units
    noise_energy: float              # energy distance of the evaluation's x_T (in data units) ↔ data: the start
    noise_frechet: float             # the same for the Fréchet distance
    eval_every: int                  # steps between evaluations


@dataclass(frozen=True)
class ReverseRun:
    """One generation, every state kept, for scrubbing back and forth (data units)."""

    method: str
    eta: float
    times: np.ndarray                # (S + 1,) T … 0
    trajectory: np.ndarray           # (S + 1, n, D) trajectory[k] is the cloud at time times[k]
    trail_index: np.ndarray          # (n_trails,) particles whose paths are worth drawing
    seconds: float                   # wall-clock time of the generation


@dataclass(frozen=True)
class MarginalHeatmap:
    """The density of one coordinate over time: rows t = 0 … T, columns the bins (data units)."""

    axis: int
    edges: np.ndarray                # (bins + 1,)
    forward: np.ndarray              # (T + 1, bins) exact density of x_t's coordinate under the forward process
    reverse: np.ndarray              # (T + 1, bins) histogram density of a DDPM run's particles at each t


@dataclass(frozen=True)
class StepsQuality:
    steps: int
    samples: np.ndarray              # (n, D) data units
    energy_distance: float
    frechet: float
    seconds: float                   # wall-clock sampling time


class DiffusionTrainer(BaseModel):
    """Trains a :class:`Diffusion2D` live on a data set, one minibatch per step, for the diffusion panel.

    ``data`` is a point-set name (``DIFFUSION_PRESETS`` or any name in ``toy2d.POINT_SETS``; ``n_points`` and
    ``data_seed`` pick the points) or the user's own array (N, D). Sample quality is measured at step 0 and every
    ``eval_every`` steps (an evaluation costs about as much as 80 training steps, see EVAL_EVERY).

    Live through :meth:`set_params`: ``lr``, ``batch_size``. Structural — the network starts again from the seed:
    ``T``, ``schedule``, ``hidden``, ``time_embedding``, ``input_embedding``, ``data``, ``n_points``, ``data_seed``.
    The panel's actions run on the worker with ``Call``: :meth:`forward_cloud`, :meth:`reverse_run`,
    :meth:`score_field`, :meth:`marginal_heatmap`, :meth:`steps_vs_quality` (a generator reporting progress).
    """

    STRUCTURAL = ("T", "schedule", "hidden", "time_embedding", "input_embedding", "data", "n_points", "data_seed")
    LIVE = ("lr", "batch_size")

    def __init__(self, data: str | np.ndarray = "Eight Gaussians", *, n_points: int = 2000, data_seed: int = 0,
                 T: int = 200, schedule: str = "linear", hidden: Sequence[int] = (128, 128, 128),
                 time_embedding: str = "sinusoidal", input_embedding: str = "fourier", lr: float = 3e-3,
                 batch_size: int = 1024, seed: int = 0, eval_every: int = EVAL_EVERY) -> None:
        seed = validate_seed(seed)
        config = self._validated_config(dict(data=data, n_points=n_points, data_seed=data_seed, T=T,
                                             schedule=schedule, hidden=hidden, time_embedding=time_embedding,
                                             input_embedding=input_embedding, lr=lr, batch_size=batch_size))
        eval_every = _whole("eval_every", eval_every, 1, 10**6)
        super().__init__(seed=seed)
        self.eval_every = eval_every
        self._apply_config(config)
        self.reset()

    # -- configuration --------------------------------------------------------------------------------------------
    @staticmethod
    def _validated_config(config: dict) -> dict:
        """Check a full set of constructor arguments; return them cleaned, with the data points made."""
        clean = dict(config)
        Diffusion2D(T=config["T"], schedule=config["schedule"], hidden=config["hidden"],   # checks them all
                    time_embedding=config["time_embedding"], input_embedding=config["input_embedding"],
                    lr=config["lr"], batch_size=config["batch_size"])
        clean["hidden"] = _validate_hidden(config["hidden"])
        clean["lr"], clean["batch_size"] = _validate_lr(config["lr"]), _validate_batch_size(config["batch_size"])
        clean["data_seed"] = validate_seed(config["data_seed"])
        clean["n_points"] = _whole("n_points", config["n_points"], 2, MAX_POINTS)
        data = config["data"]
        if isinstance(data, str):
            if data not in POINT_SETS:
                raise ValueError(f"unknown data set {data!r}; choose one of {', '.join(DIFFUSION_PRESETS)}, "
                                 "or give your own points")
            points, name = make_points(data, clean["n_points"], seed=clean["data_seed"]), data
        else:
            points, name = _as_points(data).copy(), "your points"
            if len(points) < 2:
                raise ValueError(f"draw at least 2 points to learn from; there are {len(points)}")
            if np.ptp(points, axis=0).max() == 0:
                raise ValueError("all your points are in the same place: there is no shape to learn")
            if points.shape[1] > 16:
                raise ValueError(f"points may have at most 16 coordinates, not {points.shape[1]}")
        points.flags.writeable = False                  # shared by checkpoints: never changed in place
        # A user's array is kept as our read-only copy, so later edits to theirs cannot leak into a rebuild.
        clean["data"] = data if isinstance(data, str) else points
        clean["points"], clean["data_name"] = points, name
        return clean

    def _apply_config(self, config: dict) -> None:
        self.config = config
        self.points = config["points"]
        self.data_name = config["data_name"]

    def tunable(self) -> tuple[str, ...]:
        return self.LIVE + self.STRUCTURAL

    def set_params(self, **params: Any) -> None:
        unknown = set(params) - set(self.tunable())
        if unknown:
            raise ValueError(f"the diffusion model has no parameter(s) {', '.join(sorted(unknown))}; "
                             f"it has {', '.join(self.tunable())}")
        structural = set(params) & set(self.STRUCTURAL)
        config = {key: value for key, value in self.config.items() if key not in ("points", "data_name")}
        config.update(lr=self.model.lr, batch_size=self.model.batch_size)
        if "data" in params and "n_points" not in params and not isinstance(params["data"], str):
            config["n_points"] = max(2, len(np.atleast_1d(params["data"])))
        config.update(params)
        if not structural:                              # the cheap path: no points to remake
            lr = _validate_lr(config["lr"])
            batch_size = _validate_batch_size(config["batch_size"])
            self.model.lr, self.model.batch_size = lr, batch_size
            self.config.update(lr=lr, batch_size=batch_size)
            return
        self._apply_config(self._validated_config(config))
        self.reset()

    # -- construction ---------------------------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        c = self.config
        self.model = Diffusion2D(T=c["T"], schedule=c["schedule"], hidden=c["hidden"],
                                 time_embedding=c["time_embedding"], input_embedding=c["input_embedding"],
                                 lr=c["lr"], batch_size=c["batch_size"], seed=self.seed)
        self.model.set_normalisation(self.points)
        self.rng = self.model.rng                       # the one stream that decides training (weights, batches)
        dim = self.points.shape[1]
        # Fixed random draws, each from its own stream: what the panel shows stays put while training goes on.
        fixed = np.random.default_rng([self.seed, 2])
        shown = fixed.choice(len(self.points), min(N_SHOWN, len(self.points)), replace=False)
        self.shown = self.points[np.sort(shown)]                        # (≤ N_SHOWN, D)
        self.shown.flags.writeable = False
        self.forward_noise = fixed.standard_normal(self.shown.shape)    # one ε per shown point, for forward_cloud
        self.comparison_noise = fixed.standard_normal((N_EVAL, dim))    # x_T of steps_vs_quality
        self.within_data = metrics.mean_pairwise_distance(self.shown, self.shown)
        # The baseline: the evaluation's own starting noise x_T, seen in data units.
        noise = self.model.unstandardise(self._evaluation_rng().standard_normal((N_EVAL, dim)))
        self.noise_energy = metrics.energy_distance(noise, self.shown, within_y=self.within_data)
        self.noise_frechet = metrics.frechet_distance(noise, self.shown)
        self.bounds = _view_bounds(self.points, self.model.mean, self.model.scale)
        self.latest_loss: float | None = None
        self.smoothed_loss: float | None = None
        self.loss_history = History(2)
        self.quality_history = History(2, capacity=500)
        self._evaluate()

    # -- training -------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One training minibatch."""
        loss = self.model.fit(self.points, 1)[0]
        if not (math.isfinite(loss) and loss < LOSS_LIMIT):
            raise FloatingPointError(f"training diverged: the loss reached {loss:.3g}. Lower the learning rate "
                                     f"(now {self.model.lr:g}) and Reset.")
        self.latest_loss = loss
        self.smoothed_loss = loss if self.smoothed_loss is None else \
            LOSS_SMOOTHING * self.smoothed_loss + (1 - LOSS_SMOOTHING) * loss

    def advance(self) -> None:
        super().advance()
        self.loss_history.record(self.n_steps, self.latest_loss, self.smoothed_loss)
        if self.n_steps % self.eval_every == 0:
            self._evaluate()

    def train(self, n_steps: int) -> None:
        for _ in range(_whole("n_steps", n_steps, 0, 10**9)):
            self.advance()

    def _evaluation_rng(self) -> np.random.Generator:
        return np.random.default_rng([self.seed, 3])

    def _evaluate(self) -> None:
        """Generate N_EVAL points with DDPM and measure how far they are from the data. x_T and every step's noise
        come from the same fixed seed each time, so between evaluations the points move only as much as the
        model changed."""
        with np.errstate(over="ignore", invalid="ignore"):
            generated = self.model.sample(N_EVAL, rng=self._evaluation_rng())
        if np.isfinite(generated).all():
            energy = metrics.energy_distance(generated, self.shown, within_y=self.within_data)
            frechet = metrics.frechet_distance(generated, self.shown)
        else:
            energy = frechet = math.nan
        generated.flags.writeable = False               # shared by snapshots and checkpoints
        self.generated, self.generated_step = generated, self.n_steps
        self.quality_history.record(self.n_steps, energy, frechet)

    # -- what the panel asks for ----------------------------------------------------------------------------------
    def forward_cloud(self, t: int) -> np.ndarray:
        """The shown data noised to time t (0 … T), data units (≤ N_SHOWN, D). Each point keeps its own ε, so
        moving t glides every point smoothly from its place in the data to its own noise, and back."""
        t = _whole("t", t, 0, self.model.T)
        x0 = self.model.standardise(self.shown)
        return self.model.unstandardise(self.model.q_sample(x0, t, self.forward_noise))

    def reverse_run(self, n: int = 1000, method: str = "ddpm", steps: int | None = None, n_trails: int = 20,
                    eta: float = 0.0) -> ReverseRun:
        """Generate ``n`` points keeping every intermediate cloud. Fresh noise each call (the sampling stream)."""
        n = _whole("n", n, 1, MAX_PARTICLES)
        n_trails = _whole("n_trails", n_trails, 0, n)
        self.model.sampling_times(method, steps)        # checks method and steps before any work
        start = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            _, trajectory, times = self.model.sample(n, method=method, steps=steps, eta=eta, return_trajectory=True)
        seconds = time.perf_counter() - start
        trails = np.linspace(0, n - 1, n_trails).round().astype(int) if n_trails else np.zeros(0, int)
        return ReverseRun(method, float(eta), times, trajectory, trails, seconds)

    def score_field(self, t: int, grid: np.ndarray) -> np.ndarray:
        """The learned score ∇ log p_t at the points ``grid`` (M, D), both in data units (M, D).

        In data units the score is the standardised one divided by the scale: it points where x_t is denser, and
        it is long where the noised density is steep (small t), short where x_t is nearly Gaussian (large t).
        """
        t = _whole("t", t, 1, self.model.T)
        grid = _as_points(grid, self.model.input_dim)
        with np.errstate(over="ignore", invalid="ignore"):
            return self.model.score(self.model.standardise(grid), t) / self.model.scale

    def field_grid(self, per_side: int = 20) -> np.ndarray:
        """An even grid over the view, (per_side^D, D) in data units — where score_field's arrows sit."""
        per_side = _whole("per_side", per_side, 2, 200)
        axes = [np.linspace(lo, hi, per_side) for lo, hi in zip(*self.bounds)]
        return np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="xy")], axis=1)

    def marginal_heatmap(self, bins: int = 100, n: int = 2000, axis: int = 0) -> MarginalHeatmap:
        """One coordinate's density over all times t = 0 … T, for the forward and the reverse process.

        Forward is exact: x_t's coordinate is a mixture of one Gaussian N(√ᾱ_t x_0, (1 − ᾱ_t) scale²) per shown data
        point, integrated over each bin. Reverse is a histogram of ``n`` DDPM particles at every step.
        """
        bins = _whole("bins", bins, 2, 1000)
        n = _whole("n", n, 1, MAX_PARTICLES)
        axis = _whole("axis", axis, 0, self.model.input_dim - 1)
        m = self.model
        edges = np.linspace(self.bounds[0, axis], self.bounds[1, axis], bins + 1)
        widths = np.diff(edges)
        x0 = m.standardise(self.shown)[:, axis]                                 # (N,)
        standard_edges = (edges - m.mean[axis]) / m.scale                        # (bins + 1,)
        forward = np.empty((m.T + 1, bins))
        forward[0] = np.histogram(self.shown[:, axis], edges)[0] / (len(x0) * widths)
        for t in range(1, m.T + 1):
            check_stop()
            centre, spread = math.sqrt(m._alpha_bar[t]) * x0, math.sqrt(1 - m._alpha_bar[t])
            cdf = ndtr((standard_edges[None, :] - centre[:, None]) / spread)  # (N, bins + 1)
            forward[t] = np.diff(cdf, axis=1).mean(axis=0) / widths
        with np.errstate(over="ignore", invalid="ignore"):
            _, trajectory, times = m.sample(n, method="ddpm", return_trajectory=True)
        reverse = np.empty((m.T + 1, bins))
        for k, t in enumerate(times):
            reverse[t] = np.histogram(trajectory[k, :, axis], edges)[0] / (n * widths)
        return MarginalHeatmap(axis, edges, forward, reverse)

    def steps_vs_quality(self, step_counts: Sequence[int] | None = None,
                         n: int = N_EVAL) -> Iterator[StepsQuality]:
        """DDIM (η = 0) with each number of steps from the same starting noise: samples, distances to the data and
        sampling time. A generator: yields each row as it is done (progress) and returns them all as a tuple.
        ``step_counts`` defaults to 5, 10, 20, 50 and T; counts above T are left out."""
        counts = DEFAULT_STEP_COUNTS + (self.model.T,) if step_counts is None else tuple(step_counts)
        counts = sorted({_whole("a step count", c, 1, MAX_T) for c in counts})
        counts = [c for c in counts if c <= self.model.T]
        if not counts:
            raise ValueError(f"every step count is above T = {self.model.T}; choose counts from 1 to T")
        n = _whole("n", n, 1, MAX_PARTICLES)
        x_T = self.comparison_noise if n == N_EVAL else np.random.default_rng([self.seed, 4]).standard_normal(
            (n, self.model.input_dim))
        rows = []
        for steps in counts:
            start = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore"):
                samples = self.model.sample(n, method="ddim", steps=steps, x_T=x_T)
            seconds = time.perf_counter() - start
            finite = np.isfinite(samples).all()
            row = StepsQuality(
                steps, samples,
                metrics.energy_distance(samples, self.shown, within_y=self.within_data) if finite else math.nan,
                metrics.frechet_distance(samples, self.shown) if finite else math.nan, seconds)
            rows.append(row)
            yield row
        return tuple(rows)

    # -- snapshot and checkpoints ---------------------------------------------------------------------------------
    def snapshot(self) -> DiffusionSnapshot:
        m = self.model
        loss_steps, losses = self.loss_history.arrays()
        quality_steps, quality = self.quality_history.arrays()
        return DiffusionSnapshot(
            step=self.n_steps, nonfinite_ok=("loss",) if self.latest_loss is None else (),
            data_name=self.data_name, input_dim=m.input_dim, T=m.T, schedule=m.schedule,
            lr=m.lr, batch_size=m.batch_size,
            data=self.shown.copy(), bounds=self.bounds.copy(),
            timesteps=m.timesteps.copy(), betas=m.betas.copy(), alpha_bars=m.alpha_bars.copy(), snr=m.snr.copy(),
            loss=math.nan if self.latest_loss is None else self.latest_loss,
            loss_steps=loss_steps, loss_history=losses[:, 0].copy(), loss_smoothed=losses[:, 1].copy(),
            generated=self.generated.copy(), generated_step=self.generated_step,
            quality_steps=quality_steps, energy_history=quality[:, 0].copy(), frechet_history=quality[:, 1].copy(),
            noise_energy=self.noise_energy, noise_frechet=self.noise_frechet, eval_every=self.eval_every,
        )

    def checkpoint(self) -> dict:
        """Weights, Adam's moments, random streams, histories and the latest evaluation. The data and the generated
        samples are read-only arrays, so they are shared rather than copied."""
        return {
            "config": dict(self.config), "seed": self.seed, "n_steps": self.n_steps, "model": self.model.state(),
            "latest_loss": self.latest_loss, "smoothed_loss": self.smoothed_loss,
            "loss_history": self.loss_history.state(), "quality_history": self.quality_history.state(),
            "generated": self.generated, "generated_step": self.generated_step,
        }

    def restore(self, state: dict) -> None:
        if not _same_structure(state["config"], self.config) or state["seed"] != self.seed:
            self.seed = state["seed"]
            self._apply_config(dict(state["config"]))
            self.reset()                                # rebuild the structure; the state below overwrites it
        self.config = dict(state["config"])
        self.model.lr, self.model.batch_size = self.config["lr"], self.config["batch_size"]
        self.model.load_state(state["model"])
        self.n_steps = state["n_steps"]
        self.latest_loss, self.smoothed_loss = state["latest_loss"], state["smoothed_loss"]
        self.loss_history.load_state(state["loss_history"])
        self.quality_history.load_state(state["quality_history"])
        self.generated, self.generated_step = state["generated"], state["generated_step"]


# ---------------------------------------------------------------------------------------------------------------
# Checks and small helpers

def _same_structure(a: dict, b: dict) -> bool:
    """Do two configurations build the same network on the same points (so a checkpoint fits as it is)?"""
    return a["points"] is b["points"] and all(a[key] == b[key] for key in ("T", "schedule", "hidden",
                                                                              "time_embedding", "input_embedding"))


def _view_bounds(points: np.ndarray, mean: np.ndarray, scale: float) -> np.ndarray:
    """(2, D): a box around the data, widened to hold the noise N(mean, scale²) out to 3 standard deviations."""
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.05 * (high - low) + 1e-9
    return np.stack([np.minimum(low - pad, mean - 3 * scale), np.maximum(high + pad, mean + 3 * scale)])


def _as_points(x: Any, dim: int | None = None) -> np.ndarray:
    """A float64 (N, D) array of finite points; a 1-D array is N points on a line."""
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("points must be numbers in an array of shape (N, D)") from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) == 0 or x.shape[1] == 0:
        raise ValueError(f"points must be a non-empty array of shape (N, D); got shape {x.shape}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"this model works on {dim}-D points; got points of shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the points contain NaN or infinite values")
    return x


def _validate_eta(eta: Any) -> float:
    if isinstance(eta, bool) or not isinstance(eta, (int, float, np.integer, np.floating)) or not 0 <= eta <= 1:
        raise ValueError(f"eta must be a number from 0 (deterministic DDIM) to 1 (as noisy as DDPM), not {eta!r}")
    return float(eta)


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def _validate_lr(lr: Any) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) \
            or not math.isfinite(lr) or not 0 < lr <= 10:
        raise ValueError(f"the learning rate must be a number above 0 and at most 10, not {lr!r}")
    return float(lr)


def _validate_batch_size(batch_size: Any) -> int:
    return _whole("batch_size", batch_size, 1, 65_536)


def _validate_hidden(hidden: Any) -> tuple[int, ...]:
    try:
        widths = tuple(hidden)
    except TypeError:
        raise ValueError(f"hidden must be a list of layer widths such as (128, 128, 128), not {hidden!r}") from None
    if not 1 <= len(widths) <= 6 or not all(isinstance(w, (int, np.integer)) and not isinstance(w, bool)
                                            and 1 <= w <= 1024 for w in widths):
        raise ValueError(f"hidden must be 1 to 6 whole-number layer widths from 1 to 1024, not {hidden!r}")
    return tuple(int(w) for w in widths)
