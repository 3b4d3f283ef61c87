"""Copy as Python for the GAN 1-D panel: the target, both networks' settings and the seed, trained as long."""
from __future__ import annotations

from typing import Any

import numpy as np

from playground.models.gan import GAN_PRESETS, Empirical1D, GANSnapshot, make_preset
from playground.scripts.writing import MAX_EMBEDDED_POINTS, Code, array_assignment, call, literal, plural, script

LIVE = ("loss", "noise", "lr_g", "lr_d", "betas", "d_steps", "batch_size", "gp_weight")


def gan_script(state: dict[str, Any], snapshot: GANSnapshot | None, *, betas: tuple[float, float],
               custom_target: Empirical1D | None = None) -> str:
    """``state`` is the panel's ``state()``; ``betas`` Adam's (not among the panel's controls: a scene sets them);
    ``custom_target`` the numbers a user loaded, if any."""
    seed, width, steps = int(state["seed"]), int(state["hidden"]), snapshot.step if snapshot is not None else 0
    settings = {"loss": state["loss"], "hidden": (width, width), "noise": state["noise"], "lr_g": state["lr_g"],
                "lr_d": state["lr_d"], "betas": tuple(float(b) for b in betas), "d_steps": state["d_steps"],
                "batch_size": state["batch_size"], "gp_weight": state["gp_weight"]}

    body: list[str] = []
    imports = ["from playground.models.gan import GAN1D"]
    target: Any = state["target"]
    if custom_target is not None and len(custom_target.data) <= MAX_EMBEDDED_POINTS:
        body += [f"# The target: your {len(custom_target.data):,} numbers ({custom_target.name}). The GAN learns their "
                 "smoothed density.",
                 array_assignment("data", custom_target.data),
                 call("Empirical1D", Code("data"), name=custom_target.name, prefix="target = "), ""]
        imports = ["from playground.models.gan import GAN1D, Empirical1D"]
        target = Code("target")
    elif custom_target is not None:
        body += [f"# Your {len(custom_target.data):,} numbers are too many to write out here (at most "
                 f"{MAX_EMBEDDED_POINTS:,}); this script",
                 f"# learns the built-in {literal(target)} target instead, so its numbers differ from the panel's.",
                 "# To use yours: target = Empirical1D.from_csv(\"your-file.csv\", column=0), then GAN1D(target, …)."]
    scene = state.get("preset") or ""
    if custom_target is None and scene in GAN_PRESETS and _is_scene(scene, state["target"], settings, seed):
        body += [f"# The {literal(scene)} scene: make_preset({literal(scene)}) builds the same model."]
    body += [call("GAN1D", target, **settings, seed=seed, prefix="gan = ")]
    if steps:
        body += [f"gan.train({steps})  # {plural(steps, 'step')}, each {plural(int(state['d_steps']), 'discriminator update')}"
                 " and one generator update"]
    body += ["snap = gan.snapshot()"]

    printing = "\n".join([
        'print("Wasserstein distance W1 to the data:", snap.wasserstein)',
        'print("discriminator loss:", snap.d_loss)',
        'print("generator loss:", snap.g_loss)',
        "if len(snap.mode_shares):",
        '    print("share of the samples in each mode:", np.round(snap.mode_shares, 3).tolist())',
    ])
    return script(
        title="GAN 1-D",
        about=f"A generator and a discriminator, each 1 → {width} → {width} → 1, trained with the "
              f"{state['loss'].replace('_', '-')} loss for {plural(steps, 'step')}, seed {seed} — the GAN panel's "
              "run replayed with playground.models.gan.",
        imports=imports, body="\n".join(body), printing=printing, plotting=PLOT, one_blas_thread=True)


def _is_scene(scene: str, target: str, settings: dict[str, Any], seed: int) -> bool:
    """Do these settings make exactly the model of ``make_preset(scene)``?"""
    model = make_preset(scene)
    return (model.target.name == target and model.seed == seed and model.hidden == settings["hidden"]
            and all(np.all(np.asarray(getattr(model, name)) == np.asarray(settings[name])) for name in LIVE))


PLOT = """\
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.fill_between(snap.x_grid, snap.target_pdf, alpha=0.3, label="real data")
left.hist(snap.generated, bins=60, range=(snap.x_grid[0], snap.x_grid[-1]), density=True, alpha=0.5,
          label="generated")
left.set(xlabel="x", ylabel="density", title=f"After {snap.step:,} steps")
left.legend()
right.plot(snap.loss_steps, snap.d_loss_history, label="discriminator loss")
right.plot(snap.loss_steps, snap.g_loss_history, label="generator loss")
right.plot(snap.wasserstein_steps, snap.wasserstein_history, label="W1 to the data")
right.set(xlabel="step")
right.legend()
plt.tight_layout()
"""
