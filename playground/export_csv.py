"""Export data as CSV: each panel's data as a few clearly named tables a lecturer can open in a spreadsheet.

One function per panel turns the panel's last snapshot (and, for Sampling, its settings) into :class:`Table` s;
:func:`write_tables` writes them into a folder as ``<table name>.csv``: UTF-8 with a byte-order mark (so spreadsheet
programs read accents and symbols right), one header row, numbers with every digit (``repr``, which reads back as
exactly the same float). It writes all of them or none: each goes to a temporary file first, and only when every
one is complete are they renamed into place.
"""
from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from playground.models.compare import CompareSnapshot
from playground.models.diffusion import DiffusionSnapshot
from playground.models.distributions import from_dict
from playground.models.gan import GANSnapshot
from playground.models.gmm import GMMSnapshot
from playground.models.markov import MarkovSnapshot
from playground.models.sampling import SamplingSnapshot, draw
from playground.models.vae import VAESnapshot

__all__ = ["Table", "TextFile", "write_tables", "sampling_tables", "gmm_tables", "gan_tables", "vae_tables",
           "diffusion_tables", "markov_tables", "compare_tables", "MAX_SAMPLE_ROWS"]

#: The Sampling panel may have drawn millions; a spreadsheet wants at most this many rows of them.
MAX_SAMPLE_ROWS = 100_000
#: Samples are regenerated from the seed to export them (the model keeps only counts); up to this many.
MAX_REPLAYED_SAMPLES = 1_000_000
ENCODING = "utf-8-sig"


@dataclass(frozen=True)
class Table:
    name: str                                   # file name without ".csv", e.g. "gmm-points"
    header: tuple[str, ...]
    rows: list[Sequence[Any]]
    note: str = ""                              # what the user should know about it (said after the export)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


@dataclass(frozen=True)
class TextFile:
    """Plain text beside the tables (the Markov panel's generated text)."""

    file_name: str
    text: str
    note: str = ""


# ---------------------------------------------------------------------------------------------------------------
# Writing

def write_tables(files: Iterable[Table | TextFile], folder: str | os.PathLike) -> list[Path]:
    """Write every table into ``folder``; return the paths written. Raises OSError (with nothing written, and no
    temporary file left behind) if any of them cannot be written."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OSError(f"{folder} is not a folder")
    finished: list[tuple[Path, Path]] = []      # (temporary file, final path)
    try:
        for item in files:
            handle = tempfile.NamedTemporaryFile("w", dir=folder, prefix=f".{item.file_name}.", suffix=".part",
                                                 delete=False, encoding=ENCODING, newline="")
            finished.append((Path(handle.name), folder / item.file_name))
            with handle:
                if isinstance(item, TextFile):
                    handle.write(item.text)
                else:
                    writer = csv.writer(handle)
                    writer.writerow(item.header)
                    writer.writerows([_cell(value) for value in row] for row in item.rows)
        for temporary, final in finished:
            os.replace(temporary, final)
    except BaseException:
        for temporary, _ in finished:
            temporary.unlink(missing_ok=True)
        raise
    return [final for _, final in finished]


def _cell(value: Any) -> Any:
    """Python numbers (whose str() is repr(): every digit) for numpy scalars; everything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def _columns(*columns: Any) -> list[list[Any]]:
    """Rows from equally long columns (arrays become Python numbers, exactly)."""
    lists = [np.asarray(c).tolist() for c in columns]
    return [list(row) for row in zip(*lists)]


def _history(name: str, steps: np.ndarray, header: tuple[str, ...], *values: np.ndarray) -> Table:
    return Table(name, ("step", *header), _columns(steps, *values))


# ---------------------------------------------------------------------------------------------------------------
# One function per panel

def sampling_tables(snapshot: SamplingSnapshot, state: dict[str, Any]) -> list[Table]:
    """The samples (regenerated from the seed, at most MAX_SAMPLE_ROWS), the distribution's table and, for a
    continuous distribution, the histogram. ``state`` is the panel's ``state()``."""
    snap = snapshot
    categorical = snap.kind == "categorical"
    values = _replayed_samples(snap, state)
    if values is not None:
        shown = values[:MAX_SAMPLE_ROWS]
        note = "" if len(shown) == snap.n else (f"sampling-samples.csv holds the first {len(shown):,} of the "
                                                f"{snap.n:,} samples.")
    else:
        shown = snap.recent
        note = (f"sampling-samples.csv holds the last {len(shown):,} of the {snap.n:,} samples: the rest cannot be "
                "regenerated (the Draw-now buttons or a change of settings made them, or there are over "
                f"{MAX_REPLAYED_SAMPLES:,}).") if len(shown) < snap.n else ""
    index = np.arange(1, len(shown) + 1) + (snap.n - len(shown) if values is None else 0)
    if categorical:
        samples = Table("sampling-samples", ("sample", "outcome_index", "outcome"),
                        [[i, k, snap.outcomes[k]] for i, k in zip(index.tolist(), np.asarray(shown).tolist())], note)
        frequency = snap.counts / snap.n if snap.n else np.zeros(len(snap.counts))
        table = Table("sampling-distribution", ("outcome_index", "outcome", "probability", "count", "frequency"),
                      [[k, name, *row] for k, (name, row) in enumerate(zip(snap.outcomes, _columns(
                          snap.probs, snap.counts, frequency)))])
        return [samples, table]
    samples = Table("sampling-samples", ("sample", "x"), _columns(index, shown), note)
    distribution = from_dict(state["distribution"])
    left, right = snap.bin_edges[:-1], snap.bin_edges[1:]
    density = snap.counts / (snap.n * (right - left)) if snap.n else np.zeros(len(snap.counts))
    outside = snap.below + snap.above
    histogram = Table(
        "sampling-histogram", ("bin_left", "bin_right", "count", "density", "true_probability"),
        _columns(left, right, snap.counts, density, distribution.cdf(right) - distribution.cdf(left)),
        f"{outside:,} samples fell outside the histogram's range." if outside else "")
    curve = Table("sampling-distribution", ("x", "pdf", "cdf"), _columns(snap.curve_x, snap.pdf_y, snap.cdf_y))
    return [samples, histogram, curve]


def _replayed_samples(snap: SamplingSnapshot, state: dict[str, Any]) -> np.ndarray | None:
    """Every sample the panel drew, drawn again from the seed — or None when that cannot be done faithfully. The
    model keeps counts, not samples; a run of plain steps is replayed batch by batch from the seed and checked
    against the last samples the model kept."""
    batch, seed, sampler = int(state["batch"]), int(state["seed"]), state["sampler"]
    if snap.n != snap.step * batch or snap.n > MAX_REPLAYED_SAMPLES or sampler != snap.sampler:
        return None
    distribution = from_dict(state["distribution"])
    rng = np.random.default_rng(seed)
    parts = [draw(distribution, batch, rng, sampler, keep=0)[0] for _ in range(snap.step)]
    values = np.concatenate(parts) if parts else snap.recent[:0]
    recent = snap.recent
    if len(values) != snap.n or not np.array_equal(values[len(values) - len(recent):], recent):
        return None
    return values


def gmm_tables(snapshot: GMMSnapshot) -> list[Table]:
    """Each point with its responsibilities and most likely component; each component's weight, mean and
    covariance; the log-likelihood per iteration."""
    snap = snapshot
    n, d = snap.X.shape
    k = snap.n_components
    axes = ("x",) if d == 1 else tuple(f"x{i + 1}" for i in range(d))
    points = Table("gmm-points", ("point", *axes, *(f"responsibility_{j + 1}" for j in range(k)), "component"),
                   _columns(np.arange(1, n + 1), *snap.X.T, *snap.resp.T, snap.resp.argmax(axis=1) + 1))
    pairs = [(a, b) for a in range(d) for b in range(d)]
    components = Table(
        "gmm-components",
        ("component", "weight", *(f"mean_{axis}" for axis in axes),
         *(f"covariance_{axes[a]}_{axes[b]}" for a, b in pairs)),
        _columns(np.arange(1, k + 1), snap.weights, *snap.means.T, *(snap.covariances[:, a, b] for a, b in pairs)))
    likelihood = Table("gmm-log-likelihood", ("iteration", "log_likelihood_per_point"),
                       _columns(np.arange(len(snap.lower_bounds)), snap.lower_bounds))
    return [points, components, likelihood]


def gan_tables(snapshot: GANSnapshot) -> list[Table]:
    """Generated samples, the densities on the x-axis (data, generated, the discriminator's verdict), the losses
    and the Wasserstein distance over training."""
    snap = snapshot
    samples = Table("gan-samples", ("sample", "x"), _columns(np.arange(1, len(snap.generated) + 1), snap.generated),
                    f"gan-samples.csv: the generator's output for {len(snap.generated):,} fixed noise values at step "
                    f"{snap.step:,}.")
    curves = Table("gan-densities", ("x", "data_density", "generated_density",
                                     "critic" if snap.loss_name == "wgan_gp" else "D_of_x"),
                   _columns(snap.x_grid, snap.target_pdf, snap.generated_density, snap.d_of_x))
    losses = _history("gan-losses", snap.loss_steps, ("discriminator_loss", "generator_loss"),
                      snap.d_loss_history, snap.g_loss_history)
    distance = _history("gan-wasserstein", snap.wasserstein_steps, ("w1_to_data",), snap.wasserstein_history)
    return [samples, curves, losses, distance]


def vae_tables(snapshot: VAESnapshot) -> list[Table]:
    """The latent codes of the held-out images on the map (μ and log σ², label, the factors that drew each image)
    and the loss curves on training minibatches and on the held-out images."""
    snap = snapshot
    dims = range(1, snap.latent_dim + 1)
    factors = sorted(snap.factors)
    codes = Table(
        "vae-latent-codes",
        ("image", "label", "label_name", *(f"z{j}_mean" for j in dims), *(f"z{j}_log_variance" for j in dims),
         *factors),
        [[i, int(label), snap.label_names[int(label)], *row] for i, (label, row) in enumerate(zip(
            snap.labels.tolist(), _columns(*snap.latent_means.T, *snap.latent_logvars.T,
                                           *(snap.factors[name] for name in factors))), start=1)])
    training = _history("vae-losses", snap.loss_steps, ("reconstruction", "kl", "elbo"),
                        snap.recon_history, snap.kl_history, snap.elbo_history)
    held_out = _history("vae-held-out-losses", snap.held_out_steps, ("reconstruction", "kl", "elbo"),
                        snap.held_out_recon_history, snap.held_out_kl_history, snap.held_out_elbo_history)
    return [codes, training, held_out]


def diffusion_tables(snapshot: DiffusionSnapshot) -> list[Table]:
    """The samples of the latest evaluation, the data shown, the loss and the sample-quality curves."""
    snap = snapshot
    axes = tuple(f"x{i + 1}" for i in range(snap.input_dim))
    samples = Table("diffusion-samples", ("sample", *axes),
                    _columns(np.arange(1, len(snap.generated) + 1), *snap.generated.T),
                    f"diffusion-samples.csv: {len(snap.generated):,} points generated (DDPM) at step "
                    f"{snap.generated_step:,}, the latest evaluation.")
    data = Table("diffusion-data", ("point", *axes), _columns(np.arange(1, len(snap.data) + 1), *snap.data.T))
    losses = _history("diffusion-losses", snap.loss_steps, ("loss", "loss_smoothed"), snap.loss_history,
                      snap.loss_smoothed)
    quality = _history("diffusion-quality", snap.quality_steps, ("energy_distance", "frechet_distance"),
                       snap.energy_history, snap.frechet_history)
    return [samples, data, losses, quality]


def markov_tables(snapshot: MarkovSnapshot) -> list[Table | TextFile]:
    """The generated text (as plain text and one token per row, with whether it was copied from the corpus), the
    next-token table of the latest step, and the order-1 transition table when the vocabulary is small."""
    snap = snapshot
    text = TextFile("markov-text.txt", snap.text)
    tokens = Table("markov-tokens", ("position", "token", "starts_at_character", "copied_from_corpus"),
                   [[i, token, start, copied] for i, (token, start, copied) in enumerate(zip(
                       snap.tokens, snap.token_starts.tolist(), snap.copied.tolist()), start=1)])
    files: list[Table | TextFile] = [text, tokens]
    last = snap.last
    if last is not None:
        context = ("" if snap.level == "char" else " ").join(last.context)
        files.append(Table("markov-next-token", ("context", "rank", "token", "probability", "chosen"),
                           [[context, rank, token, p, rank - 1 == last.chosen_rank] for rank, (token, p) in
                            enumerate(zip(last.candidates, last.probabilities.tolist()), start=1)]))
    if snap.graph is not None:
        graph = snap.graph
        files.append(Table("markov-transitions", ("token", "next_token", "probability"),
                           [[graph.tokens[s], graph.tokens[t], p] for s, t, p in zip(
                               graph.source.tolist(), graph.target.tolist(), graph.probability.tolist())]))
    return files


def compare_tables(snapshot: CompareSnapshot) -> list[Table]:
    """Each family's samples of the latest evaluation, the data they are measured against, and the measures."""
    snap = snapshot
    n_families, n_samples = snap.samples.shape[:2]
    samples = Table("compare-samples", ("family", "x1", "x2"),
                    [[family, *row] for family, row in zip(np.repeat(snap.families, n_samples).tolist(),
                                                           _columns(*snap.samples.reshape(-1, 2).T))],
                    f"compare-samples.csv: {n_samples:,} points from each of the {n_families} families at step "
                    f"{snap.evaluated_step:,}, the latest evaluation.")
    data = Table("compare-data", ("x1", "x2"), _columns(*snap.data.T))
    measures = Table("compare-measures", ("family", "energy_distance", "precision", "recall", "train_seconds",
                                          "sample_seconds", "evaluated_step"),
                     [[family, *row, snap.evaluated_step] for family, row in zip(snap.families, _columns(
                         snap.energy, snap.precision, snap.recall, snap.train_seconds, snap.sample_seconds))])
    return [samples, data, measures]
