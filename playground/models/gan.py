"""A GAN on one axis: a generator learns to turn noise z into samples x that a discriminator cannot tell from data.

Everything is 1-D, so every density fits on one x-axis, and the generator is a map z ↦ G(z) drawn as lines.

    D step:  maximise  E[log D(x)] + E[log(1 − D(G(z)))]        (x ~ target, z ~ noise)
    G step:  "minimax"          minimise  E[log(1 − D(G(z)))]   — the original objective; saturates when D wins
             "non_saturating"   minimise −E[log D(G(z))]        — same fixed point, strong gradients early on
             "wgan_gp"          a critic f (no sigmoid) maximises E[f(x)] − E[f(G(z))] − λ E[(|f′(x̂)| − 1)²]
                                at random interpolates x̂ between real and fake points; G minimises −E[f(G(z))]

The gradient penalty needs the derivative of the critic's slope f′(x̂) with respect to the critic's weights — a
second-order term. :mod:`playground.models.nn` computes it exactly (forward-mode slope, then back-propagation through
it), with no finite differences and no approximation.

Why λ defaults to 1 here, not the paper's 10: in 1-D the critic's slope is a single number, so to turn round (from
"more real to the right" to "more real to the left") it must pass through 0, exactly where the two-sided penalty
(|f′| − 1)² is largest. With λ = 10 the critic gets stuck with the wrong sign whenever the generator overshoots the
data, and the generator sweeps far out and back (the "Penalty too strong" preset shows it). In more dimensions the
critic's gradient can rotate without shrinking, so the barrier does not exist there. The toy-data script published
with the WGAN-GP paper uses a small λ (0.1) too.

The networks see (x − loc) / scale: the built-in targets are drawn in units a small network handles as they are
(loc 0, scale 1), a user's data is standardised so centimetres train like the built-ins; every array in a snapshot is
in the target's own units.

Training state — weights, both Adam optimisers' moments and the random generator's state — is what
:meth:`GAN1D.checkpoint` saves and what the timeline keeps every ``timeline_every`` steps, so :meth:`GAN1D.rewind`
resumes a past point and, with the same parameters, replays the original run exactly.
"""
from __future__ import annotations

import csv
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import ndtri
from scipy.stats import gaussian_kde, lognorm, norm, wasserstein_distance

from playground.models import nn
from playground.models.base import BaseModel, Snapshot, validate_seed
from playground.models.datasets.loaders import MAX_MAGNITUDE
from playground.models.history import History

__all__ = [
    "Target1D", "GaussianMixture1D", "Uniform1D", "LogNormal1D", "Empirical1D", "TARGETS", "make_target",
    "GAN1D", "GANSnapshot", "GAN_PRESETS", "make_preset", "LOSSES", "NOISES",
    "discriminator_loss", "generator_loss",
]

# ---------------------------------------------------------------------------------------------------------------
# Targets: the distributions the generator has to learn.


class Target1D:
    """A 1-D distribution: ``sample(n, rng)``, ``pdf(x)``, ``ppf(u)`` (quantiles), its mean and standard deviation
    and a plotting range."""

    name = ""
    description = ""
    mean = 0.0
    std = 1.0
    #: The networks see (x − loc) / scale. Built-in targets are drawn in units a small network handles as they are;
    #: a user's data (centimetres, euros, …) is standardised.
    loc = 0.0
    scale = 1.0

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def pdf(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The quantile function, the inverse of the cumulative distribution."""
        raise NotImplementedError

    def display_range(self) -> tuple[float, float]:
        return self.mean - 4 * self.std, self.mean + 4 * self.std

    def reference(self) -> np.ndarray:
        """Evenly spaced quantiles that stand for the target when the Wasserstein distance is measured: exact up to
        a ~1/N_REFERENCE discretisation, free of sampling noise, and small enough to compare every few steps."""
        return self.ppf((np.arange(N_REFERENCE) + 0.5) / N_REFERENCE)

    def mode_shares(self, x: np.ndarray) -> np.ndarray:
        """Fraction of ``x`` in each mode's basin (only mixtures have modes; others return an empty array)."""
        return np.zeros(0)


class GaussianMixture1D(Target1D):
    """Σ_k w_k N(μ_k, σ_k²): one component is a Gaussian, two a bimodal, three a trimodal target."""

    def __init__(self, means: Sequence[float], stds: Sequence[float], weights: Sequence[float] | None = None, *,
                 name: str = "mixture", description: str = "") -> None:
        means, stds = np.asarray(means, float), np.asarray(stds, float)
        weights = np.full(len(means), 1 / len(means)) if weights is None else np.asarray(weights, float)
        if not (means.ndim == 1 and means.shape == stds.shape == weights.shape and len(means) > 0):
            raise ValueError(f"give as many means, standard deviations and weights; got {len(means)}, {len(stds)}, "
                             f"{len(weights)}")
        if not (np.all(np.isfinite(means)) and np.all(np.isfinite(stds)) and np.all(stds > 0)):
            raise ValueError("means must be finite numbers and standard deviations positive")
        if np.any(weights < 0) or not math.isclose(weights.sum(), 1.0, abs_tol=1e-6):
            raise ValueError(f"weights must be non-negative and sum to 1; they sum to {weights.sum():.6g}")
        self.means, self.stds, self.weights = means, stds, weights
        self.name, self.description = name, description
        self.mean = float(weights @ means)
        self.std = float(np.sqrt(weights @ (stds ** 2 + (means - self.mean) ** 2)))
        self._cumulative = np.cumsum(weights)

    def sample(self, n, rng):
        k = np.minimum(np.searchsorted(self._cumulative, rng.random(n), side="right"), len(self.means) - 1)
        return self.means[k] + self.stds[k] * rng.standard_normal(n)

    def pdf(self, x):
        x = np.asarray(x, float)[..., None]
        return np.sum(self.weights * norm.pdf(x, self.means, self.stds), axis=-1)

    def ppf(self, u):
        # A mixture's cumulative distribution has no closed-form inverse: invert it on a fine grid.
        grid = np.linspace(np.min(self.means - 9 * self.stds), np.max(self.means + 9 * self.stds), 40_001)
        cdf = np.sum(self.weights * norm.cdf(grid[:, None], self.means, self.stds), axis=1)
        return np.interp(u, cdf, grid)

    def display_range(self):
        return float(np.min(self.means - 4 * self.stds)), float(np.max(self.means + 4 * self.stds))

    def mode_shares(self, x):
        if len(self.means) == 1:
            return np.ones(1)
        # A point belongs to the component most responsible for it: the basin of that mode.
        x = np.asarray(x, float)[:, None]
        log_joint = np.log(self.weights) + norm.logpdf(x, self.means, self.stds)           # (N, K)
        return np.bincount(np.argmax(log_joint, axis=1), minlength=len(self.means)) / len(x)


class Uniform1D(Target1D):
    def __init__(self, low: float, high: float, *, name: str = "uniform", description: str = "") -> None:
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"a uniform target needs low < high; got {low}, {high}")
        self.low, self.high, self.name, self.description = float(low), float(high), name, description
        self.mean, self.std = (low + high) / 2, (high - low) / math.sqrt(12)

    def sample(self, n, rng):
        return rng.uniform(self.low, self.high, n)

    def pdf(self, x):
        x = np.asarray(x, float)
        return np.where((x >= self.low) & (x <= self.high), 1 / (self.high - self.low), 0.0)

    def ppf(self, u):
        return self.low + np.asarray(u, float) * (self.high - self.low)

    def display_range(self):
        pad = 0.25 * (self.high - self.low)
        return self.low - pad, self.high + pad


class LogNormal1D(Target1D):
    """exp(N(μ, σ²)): a skewed target with a long right tail."""

    def __init__(self, mu: float = 0.0, sigma: float = 0.5, *, name: str = "skewed", description: str = "") -> None:
        if not (math.isfinite(mu) and math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"a log-normal target needs a finite μ and σ > 0; got {mu}, {sigma}")
        self.mu, self.sigma, self.name, self.description = float(mu), float(sigma), name, description
        self._dist = lognorm(s=sigma, scale=math.exp(mu))
        self.mean, self.std = float(self._dist.mean()), float(self._dist.std())

    def sample(self, n, rng):
        return np.exp(self.mu + self.sigma * rng.standard_normal(n))

    def pdf(self, x):
        return self._dist.pdf(np.asarray(x, float))

    def ppf(self, u):
        return self._dist.ppf(np.asarray(u, float))

    def display_range(self):
        return -0.1 * float(self._dist.ppf(0.999)), float(self._dist.ppf(0.999))


class Empirical1D(Target1D):
    """A user's numbers. Its density is a Gaussian kernel density estimate, and sampling draws from that estimate
    (a data point plus kernel noise), so the generator chases the same smooth curve that is drawn."""

    def __init__(self, data: Sequence[float], *, name: str = "your data", description: str = "",
                 skipped_lines: Sequence[int] = ()) -> None:
        data = np.asarray(data, float).ravel()
        data = data[np.isfinite(data)]
        if len(data) < 2:
            raise ValueError(f"need at least 2 numbers to learn a distribution; got {len(data)}")
        if np.ptp(data) == 0:
            raise ValueError(f"all {len(data)} numbers are equal ({data[0]:g}); there is no spread to learn")
        self.data, self.name, self.description = data, name, description
        #: Lines of the file this came from that held no usable number (see from_csv).
        self.skipped_lines = tuple(skipped_lines)
        self._kde = gaussian_kde(data)
        self.bandwidth = float(np.sqrt(self._kde.covariance[0, 0]))
        self.mean, self.std = float(data.mean()), float(np.sqrt(data.var() + self.bandwidth ** 2))
        self.loc, self.scale = self.mean, self.std

    @classmethod
    def from_csv(cls, path: str | Path, column: int | str = 0, *, max_bytes: int = 20_000_000) -> "Empirical1D":
        """Read one column (by position or header name) of a CSV file. Rows with no usable number in it (a word,
        a blank cell, NaN, a number beyond ±MAX_MAGNITUDE) are skipped; ``skipped_lines`` lists them."""
        path = Path(path)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ValueError(f"{path.name} is {size / 1e6:.1f} MB; files up to {max_bytes / 1e6:g} MB can be "
                                 "loaded")
            with path.open(newline="", encoding="utf-8-sig") as f:
                reader = csv.reader(f)
                rows = [(reader.line_num, row) for row in reader if row]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise ValueError(f"could not read {path.name}: {exc}") from exc
        if not rows:
            raise ValueError(f"{path.name} is empty")
        if isinstance(column, str):
            header = [cell.strip() for cell in rows[0][1]]
            if column not in header:
                raise ValueError(f"{path.name} has no column {column!r}; its columns are {', '.join(header)}")
            index, rows = header.index(column), rows[1:]
        else:
            index = int(column)
            if len(rows[0][1]) > index and not _written_as_number(rows[0][1][index]):
                rows = rows[1:]  # a header
        values, skipped = [], []
        for line, row in rows:
            value = float(row[index]) if len(row) > index and _written_as_number(row[index]) else math.nan
            if math.isfinite(value) and abs(value) <= MAX_MAGNITUDE:
                values.append(value)
            elif any(cell.strip() for cell in row):
                skipped.append(line)
        if len(values) < 2:
            raise ValueError(f"column {column!r} of {path.name} holds {len(values)} numbers; need at least 2")
        return cls(values, name=f"{path.stem}[{column}]", skipped_lines=skipped)

    def sample(self, n, rng):
        picks = self.data[rng.integers(0, len(self.data), n)]
        return picks + self.bandwidth * rng.standard_normal(n)

    def pdf(self, x):
        return self._kde(np.asarray(x, float).ravel()).reshape(np.shape(x))

    def ppf(self, u):
        # The data's own quantiles: the kernel's smoothing is far below what the Wasserstein distance resolves.
        return np.quantile(self.data, u)

    def display_range(self):
        return float(self.data.min() - 3 * self.bandwidth), float(self.data.max() + 3 * self.bandwidth)


def _written_as_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


#: The built-in targets by name.
TARGETS: dict[str, Target1D] = {
    "gaussian": GaussianMixture1D([2.0], [0.5], name="gaussian", description="one bell curve, N(2, 0.5²)"),
    "bimodal": GaussianMixture1D([-2.0, 2.0], [0.4, 0.4], name="bimodal",
                                 description="two equal bumps at −2 and +2"),
    "trimodal": GaussianMixture1D([-3.0, 0.0, 3.0], [0.35, 0.35, 0.35], name="trimodal",
                                  description="three equal bumps at −3, 0 and +3"),
    "uniform": Uniform1D(-1.0, 2.0, name="uniform", description="flat between −1 and 2: sharp edges are hard"),
    "skewed": LogNormal1D(0.0, 0.5, name="skewed", description="log-normal: a long right tail"),
    "distant": GaussianMixture1D([6.0], [0.5], name="distant",
                                 description="N(6, 0.5²), far from where the generator starts (near 0)"),
}


def make_target(target: str | Target1D) -> Target1D:
    if isinstance(target, Target1D):
        return target
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)} or pass a Target1D")
    return TARGETS[target]




# ---------------------------------------------------------------------------------------------------------------
# The model

LOSSES = ("non_saturating", "minimax", "wgan_gp")
NOISES = ("normal", "uniform")
HIDDEN_ACTIVATION = "leaky_relu"
#: A loss beyond this size means the run has blown up even if nothing is NaN yet.
LOSS_LIMIT = 1e6
N_EVAL = 2000          # generated samples in a snapshot, from fixed noise so the picture does not flicker
N_REFERENCE = N_EVAL   # target quantiles the Wasserstein distance compares against (equal sizes: see _w1_sorted)
N_GRID = 400           # points on the x-axis
N_STRIP = 40           # z values drawn as lines z → G(z)
N_PUSH = 15            # generated samples that carry a push arrow
EVAL_EVERY = 25        # steps between two entries of the Wasserstein history (each costs ~ half a training step)


@dataclass(frozen=True, kw_only=True)
class GANSnapshot(Snapshot):
    target_name: str
    loss_name: str                   # "non_saturating", "minimax" or "wgan_gp"
    d_label: str                     # what d_of_x holds: "D(x) = P(real)" or "critic f(x)"
    x_grid: np.ndarray               # (G,) data units
    target_pdf: np.ndarray           # (G,)
    generated: np.ndarray            # (N_EVAL,) G(z) for the fixed evaluation noise
    generated_density: np.ndarray    # (G,) smoothed density of `generated` on x_grid
    d_of_x: np.ndarray               # (G,) D(x) in (0, 1), or the critic's value for WGAN-GP
    z_strip: np.ndarray              # (Z,) evenly spread noise values (quantiles of the noise distribution)
    g_of_z: np.ndarray               # (Z,) their images G(z)
    push_x: np.ndarray               # (P,) a few generated samples …
    push: np.ndarray                 # (P,) … and −d(generator loss)/dx there: the direction G moves them
    mode_shares: np.ndarray          # (K,) fraction of `generated` in each mode's basin (mixtures; else empty)
    wasserstein: float               # W1(generated, target) in data units, now
    d_loss: float                    # latest discriminator (critic) loss; NaN before the first update
    g_loss: float                    # latest generator loss; NaN before the first update
    gradient_penalty: float          # latest penalty E[(|f′(x̂)| − 1)²] (WGAN-GP only, else NaN)
    g_grad_norm: float               # size of the generator's latest weight gradient (vanishes when D wins)
    loss_steps: np.ndarray           # (H,) steps of …
    d_loss_history: np.ndarray       # (H,)
    g_loss_history: np.ndarray       # (H,)
    wasserstein_steps: np.ndarray    # (W,) steps of …
    wasserstein_history: np.ndarray  # (W,)
    timeline_steps: np.ndarray       # (T,) steps `rewind` can return to


@dataclass(frozen=True)
class _TimelineEntry:
    step: int
    state: dict                      # never mutated after it is recorded


class GAN1D(BaseModel):
    """Generator and discriminator MLPs (1 → hidden → 1, LeakyReLU) trained with Adam on a 1-D target.

    Live-tunable through :meth:`set_params`: ``lr_g, lr_d, betas, d_steps, batch_size, gp_weight, loss, noise``.
    Switching ``loss`` keeps all weights (the discriminator's output is then read as a logit or as a critic value).
    ``hidden`` and ``target`` shape the networks and the data: change them by building a new model.

    Count steps with :meth:`advance` (or :meth:`train`, or ``run()``): it records the histories and the timeline.
    :meth:`step_d` and :meth:`step_g` are single updates for the "Step D" / "Step G" buttons.
    """

    def __init__(self, target: str | Target1D = "bimodal", *, loss: str = "non_saturating",
                 hidden: Sequence[int] = (32, 32), noise: str = "normal", lr_g: float = 1e-3, lr_d: float = 1e-3,
                 betas: tuple[float, float] = (0.5, 0.999), d_steps: int = 1, batch_size: int = 256,
                 gp_weight: float = 1.0, seed: int = 0, timeline_every: int = 50, timeline_size: int = 200) -> None:
        seed = validate_seed(seed)
        target = make_target(target)
        hidden = _validate_hidden(hidden)
        if not (isinstance(timeline_every, (int, np.integer)) and timeline_every >= 1):
            raise ValueError(f"timeline_every must be a whole number ≥ 1, not {timeline_every!r}")
        if not (isinstance(timeline_size, (int, np.integer)) and timeline_size >= 1):
            raise ValueError(f"timeline_size must be a whole number ≥ 1, not {timeline_size!r}")
        hyper = _validate_hyper(dict(loss=loss, noise=noise, lr_g=lr_g, lr_d=lr_d, betas=betas, d_steps=d_steps,
                                     batch_size=batch_size, gp_weight=gp_weight))
        super().__init__(seed=seed)
        self.target, self.hidden = target, hidden
        self.timeline_every, self.timeline_size = int(timeline_every), int(timeline_size)
        self.__dict__.update(hyper)
        # Fixed for the model's life: the plotting grid and the target quantiles W1 is measured against.
        lo, hi = target.display_range()
        self.x_grid = np.linspace(lo, hi, N_GRID)
        self.target_pdf = target.pdf(self.x_grid)
        self.reference = np.sort(target.reference())
        self.reset()

    # -- construction ---------------------------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        sizes = [1, *self.hidden, 1]
        self.G = nn.MLP(sizes, activation=HIDDEN_ACTIVATION, rng=self.rng)
        self.D = nn.MLP(sizes, activation=HIDDEN_ACTIVATION, rng=self.rng)
        self.g_opt = nn.Adam(self.G.params, self.G.grads, lr=self.lr_g, betas=self.betas)
        self.d_opt = nn.Adam(self.D.params, self.D.grads, lr=self.lr_d, betas=self.betas)
        # Fixed noise for the pictures, for both noise types (uniforms pushed through each quantile function). It
        # comes from its own generator, as does sample(), so drawing never changes the course of training.
        uniforms = {"eval": np.random.default_rng([self.seed, 1]).random(N_EVAL),
                    "strip": (np.arange(N_STRIP) + 0.5) / N_STRIP,
                    "push": (np.arange(N_PUSH) + 0.5) / N_PUSH}
        self.fixed_noise = {noise: {use: _noise_quantiles(noise, u) for use, u in uniforms.items()} for noise in NOISES}
        self.sample_rng = np.random.default_rng([self.seed, 2])
        self.latest = {"d_loss": None, "g_loss": None, "gradient_penalty": None, "g_grad_norm": None}
        self.loss_history = History(2)
        self.wasserstein_history = History(1, every=EVAL_EVERY)
        self.timeline: deque[_TimelineEntry] = deque(maxlen=self.timeline_size)
        self._record()

    # -- live parameters ------------------------------------------------------------------------------------------
    def tunable(self) -> tuple[str, ...]:
        return ("lr_g", "lr_d", "betas", "d_steps", "batch_size", "gp_weight", "loss", "noise")

    def set_params(self, **params: Any) -> None:
        unknown = set(params) - set(self.tunable())
        if unknown:
            structural = unknown & {"hidden", "target", "seed"}
            hint = " (hidden, target and seed need a new model or Reset)" if structural else ""
            raise ValueError(f"GAN1D has no live parameter(s) {', '.join(sorted(unknown))}{hint}")
        self._apply_hyper(_validate_hyper(params))

    def _apply_hyper(self, hyper: dict) -> None:
        self.__dict__.update(hyper)
        self.g_opt.lr, self.d_opt.lr = self.lr_g, self.lr_d
        self.g_opt.betas = self.d_opt.betas = self.betas

    def hyperparameters(self) -> dict:
        return {name: getattr(self, name) for name in self.tunable()}

    # -- training -------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """``d_steps`` discriminator updates, then one generator update."""
        for _ in range(self.d_steps):
            self.step_d()
        self.step_g()

    def advance(self) -> None:
        super().advance()
        self._record()

    def train(self, n_steps: int) -> None:
        for _ in range(n_steps):
            self.advance()

    def step_d(self) -> None:
        """One discriminator (critic) update on a fresh real batch and a fresh fake batch."""
        batch = self.batch_size
        with np.errstate(over="ignore", invalid="ignore"):
            real = self._real_batch(batch)                                  # (B, 1)
            fake = self.G.forward(self._noise(batch))                       # (B, 1)
            mix = self.rng.random((batch, 1)) if self.loss == "wgan_gp" else None
            loss, penalty = self._discriminator_gradients(real, fake, mix)
            self.d_opt.step()
        self.latest["d_loss"], self.latest["gradient_penalty"] = loss, penalty
        self._check_diverged("discriminator", loss, self.D.params)

    def _discriminator_gradients(self, real: np.ndarray, fake: np.ndarray,
                                 mix: np.ndarray | None) -> tuple[float, float | None]:
        """Set the discriminator's gradients for one batch; return (its loss, the gradient penalty or None).

        ``mix`` (B, 1) places the WGAN-GP interpolates x̂ = mix·real + (1 − mix)·fake.
        """
        batch = len(real)
        self.D.zero_grad()
        out = self.D.forward(np.concatenate([real, fake]))                  # (2B, 1)
        if self.loss != "wgan_gp":
            loss, grad_out = discriminator_loss(out, batch)
            self.D.backward(grad_out, need_input_grad=False)
            return loss, None
        out_real, out_fake = out[:batch], out[batch:]
        loss = float(out_fake.mean() - out_real.mean())
        self.D.backward(np.concatenate([np.full_like(out_real, -1 / batch), np.full_like(out_fake, 1 / batch)]),
                        need_input_grad=False)
        # The penalty λ·E[(|f′(x̂)| − 1)²], exactly: f′(x̂) from a forward-mode pass, its weight-gradient by
        # back-propagating through that pass (nn.MLP.backward_jvp). The interpolates are constants, as in the paper.
        mix = mix.astype(real.dtype)
        x_hat = mix * real + (1 - mix) * fake                               # (B, 1)
        _, slope = self.D.forward_jvp(x_hat, np.ones_like(x_hat))           # f′(x̂)  (B, 1)
        gap = np.abs(slope) - 1
        self.D.backward_jvp(None, (2 * self.gp_weight / batch) * gap * np.sign(slope))   # the loss sees only f′
        penalty = float(np.mean(gap * gap))
        return loss + self.gp_weight * penalty, penalty

    def step_g(self) -> None:
        """One generator update: its samples are pushed along −d(loss)/dx, learned through the discriminator."""
        with np.errstate(over="ignore", invalid="ignore"):
            loss = self._generator_gradients(self._noise(self.batch_size))
            self.latest["g_grad_norm"] = float(np.linalg.norm(self.G.grads))
            self.g_opt.step()
        self.latest["g_loss"] = loss
        self._check_diverged("generator", loss, self.G.params)

    def _generator_gradients(self, z: np.ndarray) -> float:
        """Set the generator's gradients for noise ``z`` (B, 1), back-propagated through D; return its loss."""
        self.G.zero_grad()
        fake = self.G.forward(z)                                            # (B, 1)
        loss, grad_out = self._generator_loss(self.D.forward(fake))
        grad_fake = self.D.backward(grad_out / len(z), need_param_grads=False)   # D's weights stay put
        self.G.backward(grad_fake, need_input_grad=False)
        return loss

    def _generator_loss(self, out: np.ndarray) -> tuple[float, np.ndarray]:
        return generator_loss(out, self.loss)

    def _check_diverged(self, who: str, loss: float, params: np.ndarray) -> None:
        if not math.isfinite(loss) or abs(loss) > LOSS_LIMIT or not np.isfinite(params).all():
            raise FloatingPointError(
                f"training diverged: the {who} loss is {loss:.3g}. Rewind to an earlier step or lower the learning "
                "rates.")

    # -- sampling -------------------------------------------------------------------------------------------------
    def _noise(self, n: int) -> np.ndarray:
        if self.noise == "normal":
            z = self.rng.standard_normal((n, 1))
        else:
            z = self.rng.uniform(-1.0, 1.0, (n, 1))
        return z.astype(np.float32)

    def _real_batch(self, n: int) -> np.ndarray:
        return self._standardise(self.target.sample(n, self.rng)).reshape(-1, 1).astype(np.float32)

    def _standardise(self, x):
        return (np.asarray(x, float) - self.target.loc) / self.target.scale

    def _to_data(self, x_std):
        return np.asarray(x_std, float) * self.target.scale + self.target.loc

    def generator_map(self, z: np.ndarray) -> np.ndarray:
        """G(z) in data units for noise values ``z`` (any shape)."""
        z = np.asarray(z, float)
        return self._to_data(self.G.forward(z.reshape(-1, 1))).reshape(z.shape)

    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """n generated samples (data units), drawn with ``rng`` or else with a stream of their own, so sampling
        never changes the course of training."""
        rng = self.sample_rng if rng is None else rng
        u = rng.random(n)
        return self.generator_map(_noise_quantiles(self.noise, u))

    def discriminator(self, x: np.ndarray) -> np.ndarray:
        """D(x) = P(real) in (0, 1), or the critic value f(x) for WGAN-GP, at data points ``x`` (any shape)."""
        x = np.asarray(x, float)
        out = self.D.forward(self._standardise(x).reshape(-1, 1)).astype(float).reshape(x.shape)
        return out if self.loss == "wgan_gp" else nn.sigmoid(out)

    def push(self, x: np.ndarray) -> np.ndarray:
        """−d(generator loss)/dx at generated points ``x`` (data units): where and how hard G moves them."""
        x = np.asarray(x, float)
        out = self.D.forward(self._standardise(x).reshape(-1, 1))
        _, grad_out = self._generator_loss(out)
        grad_x_std = self.D.backward(grad_out, need_param_grads=False)     # per sample, not averaged
        return (-grad_x_std.astype(float) / self.target.scale).reshape(x.shape)

    def wasserstein(self) -> float:
        """W1 between the generated samples (fixed evaluation noise) and the target, in data units."""
        return float(wasserstein_distance(self._eval_samples(), self.reference))

    def _w1_sorted(self) -> float:
        """The same distance, computed the fast way for the per-step history: between two samples of equal size,
        1-D optimal transport pairs the k-th smallest of one with the k-th smallest of the other."""
        return float(np.mean(np.abs(np.sort(self._eval_samples()) - self.reference)))

    def _eval_samples(self) -> np.ndarray:
        return self.generator_map(self.fixed_noise[self.noise]["eval"])

    # -- histories, timeline, checkpoints -------------------------------------------------------------------------
    def _record(self) -> None:
        step = self.n_steps
        if step > 0:
            self.loss_history.record(step, self.latest["d_loss"], self.latest["g_loss"])
        if step % EVAL_EVERY == 0:
            self.wasserstein_history.record(step, self._w1_sorted())
        if step % self.timeline_every == 0:
            self.timeline.append(_TimelineEntry(step, self._training_state()))

    def _training_state(self) -> dict:
        return {
            "n_steps": self.n_steps,
            "G": self.G.get_flat(), "D": self.D.get_flat(),
            "g_opt": self.g_opt.state(), "d_opt": self.d_opt.state(),
            "rng": self.rng.bit_generator.state,          # a fresh dict of ints on every access
            "latest": dict(self.latest),
            "loss_history": self.loss_history.state(),
            "wasserstein_history": self.wasserstein_history.state(),
        }

    def _load_training_state(self, state: dict) -> None:
        self.n_steps = state["n_steps"]
        self.G.set_flat(state["G"])
        self.D.set_flat(state["D"])
        self.g_opt.load_state(state["g_opt"])
        self.d_opt.load_state(state["d_opt"])
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.latest = dict(state["latest"])
        self.loss_history.load_state(state["loss_history"])
        self.wasserstein_history.load_state(state["wasserstein_history"])

    def checkpoint(self) -> dict:
        """Everything that decides the future: weights, Adam moments, RNG state, histories, live parameters and the
        timeline (its entries are immutable, so they are shared, not copied)."""
        return {"training": self._training_state(), "hyper": self.hyperparameters(), "timeline": tuple(self.timeline)}

    def restore(self, state: dict) -> None:
        self._apply_hyper(dict(state["hyper"]))
        self._load_training_state(state["training"])
        self.timeline = deque(state["timeline"], maxlen=self.timeline_size)

    def timeline_steps(self) -> np.ndarray:
        return np.array([entry.step for entry in self.timeline], dtype=np.int64)

    def rewind(self, step: int) -> int:
        """Go back to the latest timeline entry at or before ``step`` and return its step.

        Weights, optimiser moments, the random state and the histories return to that point; later entries are
        dropped (training on starts a new branch). The live parameters stay as they are now, so a student can
        rewind, change the loss or a learning rate, and resume — with unchanged parameters the replay is exact.
        """
        if not self.timeline:
            raise ValueError("the timeline is empty: there is nothing to rewind to")
        earlier = [entry for entry in self.timeline if entry.step <= step]
        if not earlier:
            raise ValueError(f"cannot rewind to step {step}: the timeline only reaches back to step "
                             f"{self.timeline[0].step}")
        entry = earlier[-1]
        self._load_training_state(entry.state)
        while self.timeline[-1].step > entry.step:
            self.timeline.pop()
        return entry.step

    # -- snapshot -------------------------------------------------------------------------------------------------
    def snapshot(self) -> GANSnapshot:
        with np.errstate(over="ignore", invalid="ignore"):
            generated = self._eval_samples()
            z_strip = self.fixed_noise[self.noise]["strip"].copy()
            push_x = self.generator_map(self.fixed_noise[self.noise]["push"])
            push = self.push(push_x)
            d_of_x = self.discriminator(self.x_grid)
            density = _smoothed_density(generated, self.x_grid)
            w1 = float(wasserstein_distance(generated, self.reference)) if np.isfinite(generated).all() else math.nan
        loss_steps, losses = self.loss_history.arrays()
        w_steps, w_values = self.wasserstein_history.arrays()
        latest = {name: (math.nan if value is None else float(value)) for name, value in self.latest.items()}
        not_yet = tuple(name for name, value in self.latest.items() if value is None)
        return GANSnapshot(
            step=self.n_steps, nonfinite_ok=not_yet,
            target_name=self.target.name, loss_name=self.loss,
            d_label="critic f(x)" if self.loss == "wgan_gp" else "D(x) = P(real)",
            x_grid=self.x_grid.copy(), target_pdf=self.target_pdf.copy(),
            generated=generated, generated_density=density, d_of_x=d_of_x,
            z_strip=z_strip, g_of_z=self.generator_map(z_strip), push_x=push_x, push=push,
            mode_shares=self.target.mode_shares(generated) if np.isfinite(generated).all() else np.zeros(0),
            wasserstein=w1, **latest,
            loss_steps=loss_steps, d_loss_history=losses[:, 0].copy(), g_loss_history=losses[:, 1].copy(),
            wasserstein_steps=w_steps, wasserstein_history=w_values[:, 0].copy(),
            timeline_steps=self.timeline_steps(),
        )


def _noise_quantiles(noise: str, u: np.ndarray) -> np.ndarray:
    """Noise values at quantiles ``u`` of the noise distribution: N(0, 1) or U(−1, 1)."""
    return ndtri(u) if noise == "normal" else 2 * u - 1


def discriminator_loss(out: np.ndarray, batch: int) -> tuple[float, np.ndarray]:
    """−E[log D(x)] − E[log(1 − D(G(z)))] for the logits ``out`` (2B, 1) of B real rows followed by B fake rows, and
    d(loss)/d(out). With D = sigmoid(logit), −log D = softplus(−logit) and −log(1 − D) = softplus(logit), so both
    halves are softplus(sign · logit) — stable, and one pass."""
    signs = _real_minus_fake_plus(batch, out.dtype)                          # (2B, 1)
    signed = out * signs
    return float(nn.softplus(signed).sum()) / batch, nn.sigmoid(signed) * signs / batch


def generator_loss(out: np.ndarray, loss: str) -> tuple[float, np.ndarray]:
    """Mean generator loss (one of LOSSES) for discriminator outputs ``out`` (B, 1), and each sample's
    d(loss)/d(out) (not divided by B)."""
    if loss == "non_saturating":                                             # −log D = softplus(−logit)
        return float(nn.softplus(-out).mean()), -nn.sigmoid(-out)
    if loss == "minimax":                                                    # log(1 − D) = −softplus(logit)
        return float(-nn.softplus(out).mean()), -nn.sigmoid(out)
    return float(-out.mean()), np.full_like(out, -1.0)                       # −f


@lru_cache(maxsize=8)
def _real_minus_fake_plus(batch: int, dtype: np.dtype) -> np.ndarray:
    signs = np.concatenate([np.full((batch, 1), -1, dtype), np.full((batch, 1), 1, dtype)])
    signs.flags.writeable = False
    return signs


def _smoothed_density(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A fast kernel density estimate on an even grid: samples are binned linearly onto the grid points and blurred
    with a Gaussian of half Silverman's bandwidth (sharper than Silverman, which smears separate modes together),
    never narrower than two grid steps. Samples outside the grid are left out."""
    samples = samples[np.isfinite(samples)]
    if len(samples) == 0:
        return np.zeros_like(grid)
    dx = grid[1] - grid[0]
    position = (samples - grid[0]) / dx
    inside = (position >= 0) & (position <= len(grid) - 1)
    position = position[inside]
    left = np.minimum(np.floor(position).astype(int), len(grid) - 2)
    frac = position - left
    counts = (np.bincount(left, 1 - frac, minlength=len(grid)) + np.bincount(left + 1, frac, minlength=len(grid)))
    q75, q25 = np.percentile(samples, [75, 25])
    spread = min(np.std(samples), (q75 - q25) / 1.34) or np.std(samples)
    # Capped at a tenth of the grid so the kernel stays shorter than the grid (wildly spread samples after a blow-up).
    bandwidth = min(max(0.45 * spread * len(samples) ** -0.2, 2 * dx), (grid[-1] - grid[0]) / 10)
    half = math.ceil(4 * bandwidth / dx)
    offsets = np.arange(-half, half + 1) * dx
    kernel = np.exp(-0.5 * (offsets / bandwidth) ** 2)
    kernel /= kernel.sum()
    return np.convolve(counts, kernel, mode="same") / (len(samples) * dx)


def _validate_hidden(hidden: Any) -> tuple[int, ...]:
    try:
        widths = tuple(int(h) for h in hidden)
    except (TypeError, ValueError):
        raise ValueError(f"hidden must be a list of layer widths such as (32, 32), not {hidden!r}") from None
    if not 1 <= len(widths) <= 4 or any(w != h for w, h in zip(widths, hidden)) or not all(1 <= w <= 512
                                                                                          for w in widths):
        raise ValueError(f"hidden must be 1 to 4 whole-number layer widths between 1 and 512, not {hidden!r}")
    return widths


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, not {value!r}")
    return float(value)


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def _validate_hyper(params: dict) -> dict:
    """Check every live parameter in ``params``; return the cleaned values (nothing is changed on failure)."""
    clean = {}
    for name, value in params.items():
        if name == "loss":
            if value not in LOSSES:
                raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {value!r}")
            clean[name] = value
        elif name == "noise":
            if value not in NOISES:
                raise ValueError(f"noise must be 'normal' or 'uniform', not {value!r}")
            clean[name] = value
        elif name in ("lr_g", "lr_d"):
            clean[name] = _positive(name, value)
        elif name == "gp_weight":
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value) or value < 0:
                raise ValueError(f"gp_weight must be a number ≥ 0, not {value!r}")
            clean[name] = float(value)
        elif name == "d_steps":
            clean[name] = _whole(name, value, 1, 100)
        elif name == "batch_size":
            clean[name] = _whole(name, value, 2, 65_536)
        elif name == "betas":
            try:
                b1, b2 = (float(b) for b in value)
            except (TypeError, ValueError):
                raise ValueError(f"betas must be two numbers (β₁, β₂), not {value!r}") from None
            if not (0 <= b1 < 1 and 0 <= b2 < 1):
                raise ValueError(f"Adam's betas must both lie in [0, 1), not ({b1}, {b2})")
            clean[name] = (b1, b2)
        else:
            raise ValueError(f"GAN1D has no parameter {name!r}")
    return clean


# ---------------------------------------------------------------------------------------------------------------
# Presets that teach. Each is {"kwargs": GAN1D arguments, "steps": how long to train, "claim": what happens, measured,
# "watch": what to look at}. tests/models/test_gan.py checks every claim at the preset's seed.

GAN_PRESETS: dict[str, dict] = {
    "Healthy Gaussian": {
        "kwargs": dict(target="gaussian", loss="non_saturating", lr_g=3e-4, lr_d=4e-3, d_steps=3, seed=0),
        "steps": 2000,
        "claim": "The generator matches N(2, 0.5²): after 2000 steps the Wasserstein distance is below 0.05, a tenth "
                 "of the target's standard deviation.",
        "watch": "The generated density slides onto the target and narrows; D(x) flattens towards ½ everywhere — "
                 "the discriminator can no longer tell real from fake, which is the goal.",
    },
    "Mode collapse": {
        "kwargs": dict(target="bimodal", loss="non_saturating", seed=2),
        "steps": 2000,
        "claim": "Within a few hundred steps more than 90 % of the generated samples sit in one of the two bumps, "
                 "and they are still there at step 2000 (Wasserstein distance ≈ 2: half the mass is 4 units away).",
        "watch": "D(x) is ≈ 1 over the empty bump — the discriminator knows the generator never goes there — but "
                 "flat between the bumps, so no arrow points across the gap. The z → G(z) lines all land in one "
                 "bump: many different noise values, one kind of output.",
    },
    "Fixed by WGAN-GP": {
        "kwargs": dict(target="bimodal", loss="wgan_gp", seed=2),
        "steps": 2000,
        "claim": "Same target, seed and learning rates as \"Mode collapse\", only the loss changes: each bump gets "
                 "between 15 % and 60 % of the samples and the Wasserstein distance ends at least 3× lower.",
        "watch": "The critic f(x) is not squashed through a sigmoid, so it never goes flat: its slope keeps "
                 "pointing from the generated mass towards the data it is missing. The z lines split into two fans "
                 "with a steep jump across the gap.",
    },
    "Discriminator too strong": {
        "kwargs": dict(target="distant", loss="minimax", lr_d=1e-2, d_steps=20, seed=0),
        "steps": 200,
        "claim": "With the original minimax loss and a fast discriminator, D(G(z)) drops below 10⁻³, the "
                 "generator's gradient all but vanishes, and after 200 steps the Wasserstein distance is still "
                 "above 2 (the data is 6 units away); the non-saturating loss at the same settings is below 1.",
        "watch": "The push arrows are invisible: log(1 − D) is flat where D ≈ 0. Switch the loss to "
                 "non_saturating (−log D is steep there) and the generator sets off at once.",
    },
    "Learning-rate imbalance": {
        "kwargs": dict(target="gaussian", loss="non_saturating", lr_g=3e-3, lr_d=3e-4, seed=0),
        "steps": 2000,
        "claim": "A generator that learns 10× faster than its discriminator never settles: after 2000 steps the "
                 "Wasserstein distance is over 5× that of \"Healthy Gaussian\", whose discriminator learns faster "
                 "than its generator (the two-timescale rule).",
        "watch": "A long tail of generated samples that the slow discriminator never learns to reject; "
                 "D(x) stays near ½ even where there is no real data.",
    },
    "Oscillation": {
        "kwargs": dict(target="gaussian", loss="non_saturating", lr_g=1e-2, lr_d=1e-2, betas=(0.9, 0.999), seed=0),
        "steps": 3000,
        "claim": "Large steps with heavy momentum (β₁ = 0.9) overshoot: between steps 1000 and 3000 the generated "
                 "mean swings back and forth across the target's mean, at times more than 3 standard deviations "
                 "away; with β₁ = 0.5 at the same learning rates it stays within 1.5.",
        "watch": "The generated bump sloshing from side to side and the loss curves chasing each other. Lower β₁ "
                 "to 0.5 or the learning rates to 1e-3 to damp it.",
    },
    "Penalty too strong": {
        "kwargs": dict(target="bimodal", loss="wgan_gp", gp_weight=10.0, seed=2),
        "steps": 2000,
        "claim": "With the paper's λ = 10 the critic gets stuck: the generated samples sweep far past the data and "
                 "back, and the Wasserstein distance exceeds 5 at some point between steps 500 and 2000, while with "
                 "λ = 1 it stays below 2.",
        "watch": "The critic's slope keeps the wrong sign beyond the data: in 1-D it can only turn round by passing "
                 "through slope 0, which the penalty (|f′| − 1)² punishes most.",
    },
}


def make_preset(name: str) -> GAN1D:
    """A fresh model with the preset's settings (train it for ``GAN_PRESETS[name]["steps"]`` steps)."""
    if name not in GAN_PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(GAN_PRESETS)}")
    return GAN1D(**GAN_PRESETS[name]["kwargs"])
