"""Copy as Python for the Diffusion panel: the points, the noise schedule, the denoising network and the seed."""
from __future__ import annotations

from typing import Any

import numpy as np

from playground.models.diffusion import DIFFUSION_PRESETS, DiffusionSnapshot
from playground.scripts.writing import MAX_EMBEDDED_POINTS, Code, array_assignment, call, literal, plural, script

FALLBACK_PRESET = "Eight Gaussians"


def diffusion_script(state: dict[str, Any], user_points: np.ndarray | None,
                     snapshot: DiffusionSnapshot | None) -> str:
    """``state`` is the panel's ``state()`` (T, schedule, hidden, input_embedding, lr, batch_size, data, seed);
    ``user_points`` the drawn or loaded points the model learns, if any."""
    seed, steps = int(state["seed"]), snapshot.step if snapshot is not None else 0
    width = int(state["hidden"])
    body: list[str] = []
    data: Any = state["data"]
    if user_points is not None and len(user_points) <= MAX_EMBEDDED_POINTS:
        origin = state["data"].removeprefix("File: ")
        origin = "drawn in the panel" if origin == "Draw your own" else f"from {origin}"
        body += [f"# The data: your {len(user_points):,} points, {origin}.", array_assignment("points", user_points), ""]
        data = Code("points")
    elif user_points is not None or data not in DIFFUSION_PRESETS:
        data = FALLBACK_PRESET
        body += [f"# Your {len(user_points) if user_points is not None else 'own'} points are too many to write out "
                 f"here (at most {MAX_EMBEDDED_POINTS:,}). Export them",
                 "# with File → Export data as CSV, read them with np.loadtxt and pass them instead of "
                 f"{literal(FALLBACK_PRESET)};",
                 "# until then this script learns that preset, so its numbers differ from the panel's."]
    settings = {"T": int(state["T"]), "schedule": state["schedule"], "hidden": (width,) * 3,
                "input_embedding": state["input_embedding"], "lr": float(state["lr"]),
                "batch_size": int(state["batch_size"])}
    eval_every = snapshot.eval_every if snapshot is not None else 250
    body += [f"# A network ε̂(x_t, t) learns to predict the noise added at step t of {settings['T']}; every "
             f"{eval_every} steps",
             "# the model generates 1000 points (DDPM) and measures their distance to the data.",
             call("DiffusionTrainer", data, **settings, seed=seed, eval_every=eval_every, prefix="trainer = ")]
    if steps:
        body += [f"trainer.train({steps})  # {steps:,} minibatch{'es' if steps != 1 else ''} of points"]
    body += ["snap = trainer.snapshot()"]

    printing = "\n".join([
        'print("training loss (latest minibatch):", snap.loss)',
        "if len(snap.loss_smoothed):",
        '    print("training loss (smoothed):", snap.loss_smoothed[-1])',
        'print("energy distance, samples to data:", snap.energy_history[-1])',
        'print("Frechet distance, samples to data:", snap.frechet_history[-1])',
        'print("distances measured at step:", snap.quality_steps[-1])',
    ])
    return script(
        title="Diffusion",
        about=f"A denoising diffusion model (T = {settings['T']}, {settings['schedule']} schedule, a 3 × {width} "
              f"network) trained for {plural(steps, 'step')}, seed {seed} — the Diffusion panel's run replayed "
              "with playground.models.diffusion.",
        imports=["from playground.models.diffusion import DiffusionTrainer"],
        body="\n".join(body), printing=printing, plotting=PLOT, one_blas_thread=True)


PLOT = """\
fig, (cloud, loss, quality) = plt.subplots(1, 3, figsize=(14, 4.2))
cloud.scatter(snap.data[:, 0], snap.data[:, 1], s=4, alpha=0.3, label="data")
cloud.scatter(snap.generated[:, 0], snap.generated[:, 1], s=4, label=f"generated at step {snap.generated_step}")
cloud.set_aspect("equal")
cloud.legend(fontsize="small")
loss.plot(snap.loss_steps, snap.loss_history, alpha=0.3, label="minibatch")
loss.plot(snap.loss_steps, snap.loss_smoothed, label="smoothed")
loss.set(xlabel="step", ylabel="noise-prediction loss", title="Loss ↓")
loss.legend()
quality.plot(snap.quality_steps, snap.energy_history, "o-", label="energy distance")
quality.plot(snap.quality_steps, snap.frechet_history, "o-", label="Fréchet distance")
quality.set(xlabel="step", ylabel="distance to the data", title="Sample quality ↓")
quality.legend()
plt.tight_layout()
"""
