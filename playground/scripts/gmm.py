"""Copy as Python for the GMM-EM panel: the points, the mixture's settings and the seed; EM one half-step at a time."""
from __future__ import annotations

from typing import Any

import numpy as np

from playground.models.datasets import toy2d
from playground.models.gmm import GMMSnapshot
from playground.scripts.writing import MAX_EMBEDDED_POINTS, Code, array_assignment, call, literal, plural, script

FALLBACK_PRESET = "Anisotropic"


def gmm_script(state: dict[str, Any], X: np.ndarray, snapshot: GMMSnapshot | None) -> str:
    """``state`` is the panel's ``state()``; ``X`` its points (the snapshot's, when there is one, are used)."""
    X = np.asarray(snapshot.X if snapshot is not None else X, dtype=np.float64)
    settings = {key: state[key] for key in ("n_components", "covariance_type", "init", "tol", "reg_covar")}
    seed = int(state["seed"])
    one_d = X.ndim == 2 and X.shape[1] == 1

    body = [*data_lines(state["preset"], int(state["n_points"]), X, seed), "",
            "# EM as the panel runs it: each step is half an iteration, the E-step or the M-step.",
            call("GMMTrainer", Code("X"), **settings, seed=seed, prefix="trainer = ")]
    half_steps = 0
    if snapshot is not None:
        # The panel's E-step / M-step buttons take half-steps without counting them, so count what was done.
        half_steps = 2 * snapshot.n_iter + (1 if snapshot.phase_done == "E" else 0)
        if half_steps < snapshot.step:
            body += ["# (The panel's fit carried on over points added or removed during the run; this script runs",
                     "# EM afresh on the final points, so its numbers may differ from the panel's.)"]
    if half_steps:
        done = " and ".join(filter(None, [plural(half_steps // 2, "full iteration") if half_steps > 1 else "",
                                          "an E-step" if half_steps % 2 else ""]))
        body += [f"for _ in range({half_steps}):  # {done}", "    trainer.advance()"]
    body += ["snap = trainer.snapshot()"]

    printing = "\n".join([
        'print("iterations (M-steps):", snap.n_iter)',
        'print("log-likelihood per point:", snap.log_likelihood)',
        'print("converged:", snap.converged)',
        "for k in range(snap.n_components):",
        '    print(f"component {k + 1}: weight {snap.weights[k]:.4f}, mean {np.round(snap.means[k], 4).tolist()}")',
    ])
    return script(
        title="GMM-EM",
        about=f"A mixture of {settings['n_components']} Gaussians ({settings['covariance_type']} covariances) fitted "
              f"by EM to {len(X):,} points, seed {seed} — the GMM-EM panel's run replayed with "
              "playground.models.gmm.",
        imports=["from playground.models.gmm import GMMTrainer"]
        + (["from playground.models.datasets import toy2d"] if "toy2d." in "\n".join(body) else []),
        body="\n".join(body), printing=printing, plotting=PLOT_1D if one_d else PLOT_2D, one_blas_thread=True)


def data_lines(preset: str, n_points: int, X: np.ndarray, seed: int) -> list[str]:
    """The points: a preset call if they are a preset's (made with the panel's seed or the first seed, 0), else the
    points themselves if there are not too many, else a preset with a comment saying why."""
    if preset in toy2d.GMM_PRESETS and len(X) == n_points:
        for data_seed in dict.fromkeys((seed, 0)):
            if np.array_equal(toy2d.make_points(preset, n_points, seed=data_seed), X):
                return [f"# The data: {n_points:,} points of the {literal(preset)} preset, made with seed {data_seed}.",
                        f"X = toy2d.make_points({literal(preset)}, {n_points}, seed={data_seed})"
                        f"  # ({n_points}, {X.shape[1]})"]
    if len(X) <= MAX_EMBEDDED_POINTS:
        return [f"# The data: the panel's {len(X):,} points" + (f" ({preset})" if preset else "") + ".",
                array_assignment("X", X)]
    fallback = preset if preset in toy2d.GMM_PRESETS else FALLBACK_PRESET
    return [f"# The panel's {len(X):,} points are too many to write out here (at most {MAX_EMBEDDED_POINTS:,}).",
            "# Export them with File → Export data as CSV and read them with",
            '#     X = np.loadtxt("gmm-points.csv", delimiter=",", skiprows=1, '
            f'usecols={tuple(range(1, X.shape[1] + 1))}, ndmin=2)',
            f"# Until then this script uses the {literal(fallback)} preset, so its numbers differ from the panel's.",
            f"X = toy2d.make_points({literal(fallback)}, {len(X)}, seed={seed})"]


PLOT_2D = """\
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
left.scatter(X[:, 0], X[:, 1], c=snap.resp.argmax(axis=1), s=8, cmap="tab10", vmin=0, vmax=9)
# Each component's 2σ ellipse: the unit circle stretched along the covariance's eigenvectors.
circle = np.stack([np.cos(np.linspace(0, 2 * np.pi, 100)), np.sin(np.linspace(0, 2 * np.pi, 100))])
for mean, covariance in zip(snap.means, snap.covariances):
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    ellipse = mean[:, None] + 2 * eigenvectors @ (np.sqrt(np.clip(eigenvalues, 0, None))[:, None] * circle)
    left.plot(ellipse[0], ellipse[1], "k--", linewidth=1)
left.plot(snap.means[:, 0], snap.means[:, 1], "k+", markersize=14)
left.set_aspect("equal")
left.set(title="Points coloured by their most likely component")
right.plot(snap.lower_bounds, "o-")
right.set(xlabel="iteration", ylabel="log-likelihood per point", title="EM never lowers the likelihood")
plt.tight_layout()
"""

PLOT_1D = """\
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
x = np.linspace(X.min(), X.max(), 400)
left.hist(X[:, 0], bins=40, density=True, alpha=0.4, label="data")
mixture = np.zeros_like(x)
for weight, mean, covariance in zip(snap.weights, snap.means, snap.covariances):
    variance = covariance[0, 0]
    component = weight * np.exp(-0.5 * (x - mean[0]) ** 2 / variance) / np.sqrt(2 * np.pi * variance)
    left.plot(x, component, "--")
    mixture += component
left.plot(x, mixture, "k", label="mixture")
left.legend()
right.plot(snap.lower_bounds, "o-")
right.set(xlabel="iteration", ylabel="log-likelihood per point", title="EM never lowers the likelihood")
plt.tight_layout()
"""
