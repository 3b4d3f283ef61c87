"""Copy as Python for the Compare panel: the points, the four families' sizes and the seed, and the measures."""
from __future__ import annotations

from typing import Any

import numpy as np

from playground.models.compare import DEFAULTS, EVAL_EVERY, PRESETS, CompareSnapshot
from playground.scripts.writing import MAX_EMBEDDED_POINTS, Code, array_assignment, call, literal, plural, script

FALLBACK_PRESET = DEFAULTS["data"]
SIZES = ("gmm_components", "gan_width", "vae_width", "diffusion_width")


def compare_script(state: dict[str, Any], user_points: np.ndarray | None, snapshot: CompareSnapshot | None,
                   *, data_seed: int = DEFAULTS["data_seed"]) -> str:
    """``state`` is the panel's ``state()`` (data, n_points, the four sizes, seed); ``user_points`` the drawn points
    the four learn, if any; ``data_seed`` the seed that made a preset's points."""
    seed, steps = int(state["seed"]), snapshot.step if snapshot is not None else 0
    sizes = {key: int(state[key]) for key in SIZES}
    body: list[str] = []
    data: Any = state["data"]
    n_points = int(state["n_points"])
    if user_points is not None and len(user_points) <= MAX_EMBEDDED_POINTS:
        body += [f"# The data: your {len(user_points):,} points, drawn in the panel.",
                 array_assignment("points", user_points), ""]
        data = Code("points")
        data_settings: dict[str, Any] = {}
    else:
        if user_points is not None or data not in PRESETS:
            data = FALLBACK_PRESET
            body += [f"# Your {len(user_points) if user_points is not None else 'own'} points are too many to write "
                     f"out here (at most {MAX_EMBEDDED_POINTS:,}).",
                     f"# This script learns {literal(FALLBACK_PRESET)} instead, so its numbers differ from the "
                     "panel's.", ""]
        data_settings = {"n_points": n_points, "data_seed": int(data_seed)}
    body += [f"# One model of each family learns the same points; every {EVAL_EVERY} steps each draws 500 points",
             "# from fixed noise, measured against the data: energy distance, precision and recall.",
             call("CompareTrainer", data, **data_settings, **sizes, seed=seed, prefix="trainer = ")]
    if steps:
        body += [f"trainer.train({steps})  # one unit of work per family per step"]
    body += ["snap = trainer.snapshot()"]

    printing = "\n".join([
        'print("measured at step:", snap.evaluated_step)',
        "for i, family in enumerate(snap.families):",
        '    print(f"{family} energy distance:", float(snap.energy[i]))',
        '    print(f"{family} precision:", float(snap.precision[i]))',
        '    print(f"{family} recall:", float(snap.recall[i]))',
        'print("perfect model (fresh data) energy distance, precision, recall:", snap.ideal)',
    ])
    return script(
        title="Compare",
        about=f"A Gaussian mixture (K = {sizes['gmm_components']}), a GAN (2 × {sizes['gan_width']}), a VAE "
              f"(2 × {sizes['vae_width']}) and a diffusion model (3 × {sizes['diffusion_width']}) learning the same "
              f"points for {plural(steps, 'step')}, seed {seed} — the Compare panel's run replayed with "
              "playground.models.compare. Training times are measured on this machine and will differ.",
        imports=["from playground.models.compare import CompareTrainer"],
        body="\n".join(body), printing=printing, plotting=PLOT, one_blas_thread=True)


PLOT = """\
fig, axes = plt.subplots(1, 4, figsize=(16, 4.2), sharex=True, sharey=True)
for i, (family, ax) in enumerate(zip(snap.families, axes)):
    ax.scatter(snap.data[:, 0], snap.data[:, 1], s=4, color="0.7", label="data")
    ax.scatter(snap.samples[i, :, 0], snap.samples[i, :, 1], s=4, color=f"C{i}", label="samples")
    ax.set_title(f"{family}: energy {snap.energy[i]:.3f}")
    ax.set_aspect("equal")
axes[0].legend(fontsize="small")
fig.suptitle(f"samples at step {snap.evaluated_step}")
plt.tight_layout()
"""
