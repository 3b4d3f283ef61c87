"""The four families side by side: a Gaussian mixture, a GAN, a VAE and a diffusion model learning the same points.

:class:`CompareTrainer` holds one 2-D data set (a preset of the diffusion panel or the user's own points) and one
model of each family:

    GMM         :class:`~playground.models.gmm.GMMTrainer`        one EM iteration per step, until it converges
    GAN         :class:`~playground.models.gan2d.GAN2D`           one discriminator + one generator update per step
    VAE         :class:`~playground.models.vae2d.PointVAE`        one minibatch per step
    Diffusion   :class:`~playground.models.diffusion.Diffusion2D`  one minibatch per step

A network's unit of work costs about the same for all three (0.5–0.8 ms with the default sizes, batches of 256); an
EM iteration costs far less, and EM stops once it has converged. How much each family really used is measured, not
assumed: every unit is timed with the worker thread's CPU clock (steadier than wall time on a shared machine), and
the snapshot reports each family's cumulative training time.

Every ``eval_every`` steps (and at step 0, the untrained baseline) each family draws ``N_SAMPLES`` points from
fixed noise — so between evaluations the pictures move only as much as the models changed — and is measured against
a fixed subset of the data:

* the energy distance (:func:`~playground.models.metrics.energy_distance`), one number for "how far from the data";
  ``ideal`` holds what fresh draws of the data itself score — the floor a perfect model reaches, never 0, since two
  samples of one distribution differ;
* precision and recall (:func:`~playground.models.metrics.precision_recall`): are the samples realistic, and is
  every part of the data produced?
* the CPU time it took to draw the samples: one pass of a network for the GAN and the VAE, T passes for diffusion.

Same seed, same parameters and the same number of steps give the same snapshot, except the timing fields
(``train_seconds``, ``sample_seconds`` and ``train_seconds_history``: measurements of this machine, declared
``compare=False`` so that equality and a session's fingerprint leave them out).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from playground.models import metrics
from playground.models.base import BaseModel, Snapshot, validate_seed
from playground.models.datasets import shapes2d  # importing it registers the diffusion point sets
from playground.models.datasets.toy2d import POINT_SETS, make_points
from playground.models.diffusion import Diffusion2D, _as_points, _whole
from playground.models.gan2d import GAN2D
from playground.models.gmm import GMMTrainer
from playground.models.history import History
from playground.models.vae2d import PointVAE

__all__ = ["CompareTrainer", "CompareSnapshot", "check_config", "FAMILIES", "PRESETS", "WIDTHS", "DEFAULTS"]

FAMILIES = ("GMM", "GAN", "VAE", "Diffusion")
PRESETS = shapes2d.DIFFUSION_PRESETS
#: Hidden-layer widths the networks may have (two layers for the GAN and the VAE, three for diffusion).
WIDTHS = (16, 32, 64, 128, 256)
MAX_COMPONENTS = 50
#: Points each family draws at an evaluation (and the snapshot shows).
N_SAMPLES = 500
#: Data points the samples are measured against (a fixed random subset; the whole data set trains the models).
N_REFERENCE = 500
#: The user's own data needs at least this many points (precision and recall need more than k = 3 per cloud).
MIN_POINTS = 10
MAX_POINTS = 20_000
EVAL_EVERY = 250
#: Fresh draws of the data averaged for the "perfect model" row.
N_IDEAL = 5
BATCH_SIZE = 256
DIFFUSION_T = 100
#: The configuration: what each family looks like and what it learns. Changing any of it starts everything afresh.
DEFAULTS: dict[str, Any] = dict(data="Eight Gaussians", n_points=2000, data_seed=0, gmm_components=8, gan_width=64,
                                vae_width=64, diffusion_width=64)


@dataclass(frozen=True, kw_only=True)
class CompareSnapshot(Snapshot):
    data_name: str                   # preset name, or "your points"
    families: tuple[str, ...]        # FAMILIES: the order of every per-family axis below
    data: np.ndarray                 # (M, 2) the data the samples are measured against (M ≤ N_REFERENCE)
    bounds: np.ndarray               # (2, 2) low and high corner of a box around all the data
    samples: np.ndarray              # (4, N_SAMPLES, 2) each family's samples at the latest evaluation
    evaluated_step: int              # the step of that evaluation
    energy: np.ndarray               # (4,) energy distance samples ↔ data, data units (lower is better)
    precision: np.ndarray            # (4,) share of samples inside the data's k-NN balls (quality)
    recall: np.ndarray               # (4,) share of data inside the samples' k-NN balls (coverage)
    untrained_energy: np.ndarray     # (4,) energy distance at step 0, before any training
    ideal: tuple[float, float, float]  # (energy, precision, recall) of fresh draws of the data: a perfect model
    # Timings are measurements of this machine, not functions of the seed: left out of equality (compare=False).
    train_seconds: np.ndarray = field(compare=False)   # (4,) cumulative CPU seconds of training so far
    sample_seconds: np.ndarray = field(compare=False)  # (4,) CPU seconds to draw the latest evaluation's samples
    n_samples: int                   # N_SAMPLES
    gmm_converged: bool              # EM has stopped (the log-likelihood gains less than its tolerance)
    history_steps: np.ndarray        # (H,) steps of the evaluations …
    energy_history: np.ndarray       # (H, 4) … the energy distance at each
    train_seconds_history: np.ndarray = field(compare=False)  # (H, 4) … and the training time spent by then
    config: dict                     # data_name, n_points, data_seed and the four sizes (JSON-able; no arrays)


class CompareTrainer(BaseModel):
    """Four generative models of four families learning one point set, for the Compare panel.

    ``data`` is a preset name (``PRESETS``, or any name in ``toy2d.POINT_SETS``; ``n_points`` and ``data_seed``
    pick the points) or the user's own array (N, 2). ``gmm_components`` is the mixture's K; ``gan_width``,
    ``vae_width`` and ``diffusion_width`` are the hidden-layer widths of the networks (from ``WIDTHS``).

    Everything is structural: :meth:`set_params` with any of them validates first, then starts all four again from
    the seed, so the comparison always runs from the same start for the same time.
    """

    def __init__(self, data: str | np.ndarray = DEFAULTS["data"], *, n_points: int = DEFAULTS["n_points"],
                 data_seed: int = DEFAULTS["data_seed"], gmm_components: int = DEFAULTS["gmm_components"],
                 gan_width: int = DEFAULTS["gan_width"], vae_width: int = DEFAULTS["vae_width"],
                 diffusion_width: int = DEFAULTS["diffusion_width"], eval_every: int = EVAL_EVERY,
                 seed: int = 0) -> None:
        seed = validate_seed(seed)
        config = check_config(dict(data=data, n_points=n_points, data_seed=data_seed,
                                        gmm_components=gmm_components, gan_width=gan_width, vae_width=vae_width,
                                        diffusion_width=diffusion_width))
        eval_every = _whole("eval_every", eval_every, 1, 10**6)
        super().__init__(seed=seed)
        self.eval_every = eval_every
        self.config = config
        self.reset()

    # -- configuration --------------------------------------------------------------------------------------------
    @property
    def points(self) -> np.ndarray:
        """(N, 2) every data point (read-only)."""
        return self.config["points"]

    @property
    def data_name(self) -> str:
        return self.config["data_name"]

    def tunable(self) -> tuple[str, ...]:
        return tuple(DEFAULTS)

    def set_params(self, **params: Any) -> None:
        unknown = set(params) - set(self.tunable())
        if unknown:
            raise ValueError(f"the comparison has no parameter(s) {', '.join(sorted(unknown))}; it has "
                             f"{', '.join(self.tunable())}")
        config = {key: self.config[key] for key in DEFAULTS}
        config.update(params)
        self.config = check_config(config)
        self.reset()

    def hyperparameters(self) -> dict[str, Any]:
        """The configuration without the points (the preset name, or "your points", in their place)."""
        return {key: (self.config[key] if isinstance(self.config[key], str | int) else self.data_name)
                for key in DEFAULTS}

    # -- construction ---------------------------------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        c, seed = self.config, self.seed
        points = self.points
        # Each family draws from its own Generator: changing one family's size never changes another's course.
        self.gmm = GMMTrainer(points, n_components=c["gmm_components"], init="kmeans++", seed=seed)
        self.gan = GAN2D(hidden=(c["gan_width"],) * 2, batch_size=BATCH_SIZE, seed=seed)
        self.vae = PointVAE(hidden=(c["vae_width"],) * 2, batch_size=BATCH_SIZE, seed=seed)
        self.diffusion = Diffusion2D(T=DIFFUSION_T, hidden=(c["diffusion_width"],) * 3, batch_size=BATCH_SIZE,
                                     seed=seed)
        for model in (self.gan, self.vae, self.diffusion):
            model.set_normalisation(points)
        # The fixed subset of the data that every family's samples are measured against.
        chosen = np.random.default_rng([c["data_seed"], 7]).choice(len(points), min(N_REFERENCE, len(points)),
                                                                      replace=False)
        self.reference = points[np.sort(chosen)]
        self.reference.flags.writeable = False
        self.within_reference = metrics.mean_pairwise_distance(self.reference, self.reference)
        self.ideal = self._measure_fresh_data()
        self.bounds = np.stack([points.min(axis=0), points.max(axis=0)])
        self.train_seconds = np.zeros(len(FAMILIES))
        self.history = History(len(FAMILIES), capacity=500)
        self.time_history = History(len(FAMILIES), capacity=500)
        self.evaluate()
        self.untrained_energy = self.energy.copy()

    # -- training -------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One unit of work for each family, each timed on this thread's CPU clock."""
        for i, train in enumerate(self._units()):
            start = time.thread_time()
            train()
            self.train_seconds[i] += time.thread_time() - start

    def _units(self) -> tuple[Callable[[], Any], ...]:
        points = self.points
        return (self._em_iteration, lambda: self.gan.fit(points, 1), lambda: self.vae.fit(points, 1),
                lambda: self._diffusion_step(points))

    def _em_iteration(self) -> None:
        if not self.gmm.converged:
            self.gmm.em_step()

    def _diffusion_step(self, points: np.ndarray) -> None:
        loss = self.diffusion.fit(points, 1)[0]
        if not math.isfinite(loss):
            raise FloatingPointError(f"the diffusion model diverged (loss {loss}); press Reset")

    def advance(self) -> None:
        super().advance()
        if self.n_steps % self.eval_every == 0:
            self.evaluate()

    def train(self, n_steps: int) -> None:
        for _ in range(_whole("n_steps", n_steps, 0, 10**9)):
            self.advance()

    # -- evaluation -----------------------------------------------------------------------------------------------
    def _measure_fresh_data(self) -> tuple[float, float, float]:
        """(energy distance, precision, recall) of fresh draws of the data itself, averaged over N_IDEAL draws: what
        a perfect model scores. Never 0 and 1: two samples of one distribution differ. A preset is drawn again
        with other seeds; the user's own points are drawn with replacement."""
        scores = []
        measured = min(N_SAMPLES, len(self.reference))
        for draw in range(N_IDEAL):
            if isinstance(self.config["data"], str):
                fresh = make_points(self.config["data"], N_SAMPLES, seed=self.config["data_seed"] + 1 + draw)
            else:
                fresh = self.points[np.random.default_rng([self.config["data_seed"], 8, draw]).integers(
                    0, len(self.points), N_SAMPLES)]
            scores.append((metrics.energy_distance(fresh, self.reference, within_y=self.within_reference),
                           *metrics.precision_recall(fresh[:measured], self.reference)))
        return tuple(float(v) for v in np.mean(scores, axis=0))

    def draw(self, family: str, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` points (n, 2) from one family's model, drawn with ``rng`` (never a training stream)."""
        n = _whole("n", n, 1, 100_000)
        if family == "GMM":
            return self.gmm.gmm.sample(n, rng)[0]
        if family == "GAN":
            return self.gan.sample(n, rng)
        if family == "VAE":
            return self.vae.sample(n, rng)
        if family == "Diffusion":
            with np.errstate(over="ignore", invalid="ignore"):
                return self.diffusion.sample(n, rng=rng)
        raise ValueError(f"unknown family {family!r}; the families are {', '.join(FAMILIES)}")

    def evaluate(self) -> None:
        """Measure now (``advance`` does it every ``eval_every`` steps): each family draws N_SAMPLES points from its
        own fixed noise, and they are measured against the reference."""
        samples = np.empty((len(FAMILIES), N_SAMPLES, 2))
        energy, precision, recall = (np.full(len(FAMILIES), math.nan) for _ in range(3))
        seconds = np.zeros(len(FAMILIES))
        measured = min(N_SAMPLES, len(self.reference))         # clouds of equal size: see metrics.precision_recall
        for i, family in enumerate(FAMILIES):
            start = time.thread_time()
            samples[i] = self.draw(family, N_SAMPLES, np.random.default_rng([self.seed, 10 + i]))
            seconds[i] = time.thread_time() - start
            if np.isfinite(samples[i]).all():
                energy[i] = metrics.energy_distance(samples[i], self.reference, within_y=self.within_reference)
                precision[i], recall[i] = metrics.precision_recall(samples[i, :measured], self.reference)
        samples.flags.writeable = False                          # shared by snapshots and checkpoints
        self.samples, self.evaluated_step = samples, self.n_steps
        self.energy, self.precision, self.recall, self.sample_seconds = energy, precision, recall, seconds
        self.history.record(self.n_steps, *energy)
        self.time_history.record(self.n_steps, *self.train_seconds)

    # -- snapshot and checkpoints ---------------------------------------------------------------------------------
    def snapshot(self) -> CompareSnapshot:
        steps, energy = self.history.arrays()
        _, seconds = self.time_history.arrays()
        return CompareSnapshot(
            step=self.n_steps,
            data_name=self.data_name, families=FAMILIES, data=self.reference.copy(), bounds=self.bounds.copy(),
            samples=self.samples.copy(), evaluated_step=self.evaluated_step, energy=self.energy.copy(),
            precision=self.precision.copy(), recall=self.recall.copy(),
            untrained_energy=self.untrained_energy.copy(), ideal=self.ideal,
            train_seconds=self.train_seconds.copy(), sample_seconds=self.sample_seconds.copy(), n_samples=N_SAMPLES,
            gmm_converged=self.gmm.converged, history_steps=steps, energy_history=energy,
            train_seconds_history=seconds, config=self.hyperparameters(),
        )

    def checkpoint(self) -> dict:
        """Each family's training state, the clocks and the latest evaluation. The points and the evaluation's
        arrays are never changed in place, so they are shared rather than copied."""
        return {
            "config": dict(self.config), "seed": self.seed, "n_steps": self.n_steps,
            "gmm": self.gmm.checkpoint(), "gan": self.gan.state(), "vae": self.vae.state(),
            "diffusion": self.diffusion.state(), "train_seconds": self.train_seconds.copy(),
            "history": self.history.state(), "time_history": self.time_history.state(),
            "evaluation": (self.samples, self.evaluated_step, self.energy, self.precision, self.recall,
                           self.sample_seconds),
        }

    def restore(self, state: dict) -> None:
        if state["config"]["points"] is not self.points or state["seed"] != self.seed or \
                any(state["config"][key] != self.config[key] for key in DEFAULTS if key != "data"):
            self.seed, self.config = state["seed"], dict(state["config"])
            self.reset()                                 # rebuild the structure; the state below overwrites it
        self.n_steps = state["n_steps"]
        self.gmm.restore(state["gmm"])
        self.gan.load_state(state["gan"])
        self.vae.load_state(state["vae"])
        self.diffusion.load_state(state["diffusion"])
        self.train_seconds = state["train_seconds"].copy()
        self.history.load_state(state["history"])
        self.time_history.load_state(state["time_history"])
        (self.samples, self.evaluated_step, self.energy, self.precision, self.recall,
         self.sample_seconds) = state["evaluation"]


# ---------------------------------------------------------------------------------------------------------------
# Checks

def check_config(config: dict) -> dict:
    """Check a full configuration (every key of DEFAULTS); return it cleaned, with the points made (read-only) and
    named, or raise ValueError saying what is wrong. Cheap: a panel checks a change with it before sending it."""
    clean = dict(config)
    clean["data_seed"] = validate_seed(config["data_seed"])
    clean["n_points"] = _whole("n_points", config["n_points"], MIN_POINTS, MAX_POINTS)
    clean["gmm_components"] = _whole("the number of GMM components", config["gmm_components"], 1, MAX_COMPONENTS)
    for key, family in (("gan_width", "GAN"), ("vae_width", "VAE"), ("diffusion_width", "diffusion model")):
        width = config[key]
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or int(width) not in WIDTHS:
            raise ValueError(f"the {family}'s hidden width must be one of {', '.join(map(str, WIDTHS))}, "
                             f"not {width!r}")
        clean[key] = int(width)
    data = config["data"]
    if isinstance(data, str):
        if data not in POINT_SETS:
            raise ValueError(f"unknown data set {data!r}; choose one of {', '.join(PRESETS)}, or draw your own points")
        points, name = make_points(data, clean["n_points"], seed=clean["data_seed"]), data
        if points.shape[1] != 2:
            raise ValueError(f"{data!r} is not a 2-D point set; choose one of {', '.join(PRESETS)}")
    else:
        points, name = _as_points(data).copy(), "your points"
        if points.shape[1] != 2:
            raise ValueError(f"points must have 2 coordinates (x, y), not {points.shape[1]}")
        if len(points) < MIN_POINTS:
            raise ValueError(f"draw at least {MIN_POINTS} points to learn from; there are {len(points)}")
        if len(points) > MAX_POINTS:
            raise ValueError(f"at most {MAX_POINTS:,} points, please; there are {len(points):,}")
        if np.ptp(points, axis=0).max() == 0:
            raise ValueError("all your points are in the same place: there is no shape to learn")
        clean["n_points"] = len(points)
    if clean["gmm_components"] > len(points):
        raise ValueError(f"a mixture of {clean['gmm_components']} components needs at least as many points; there "
                         f"are {len(points)}")
    points.flags.writeable = False                      # shared by checkpoints: never changed in place
    clean["data"] = data if isinstance(data, str) else points
    clean["points"], clean["data_name"] = points, name
    return clean
