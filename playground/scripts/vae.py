"""Copy as Python for the VAE panel: the image set, the network, β and the seed, trained for as many minibatches."""
from __future__ import annotations

from typing import Any

from playground.models.datasets.images import ImageSet
from playground.models.vae import VAESnapshot
from playground.scripts.writing import call, literal, plural, script

FALLBACK_DATASET = "digits"


def vae_script(settings: dict[str, Any], seed: int, snapshot: VAESnapshot | None,
               folder: ImageSet | None = None) -> str:
    """``settings`` are the ones the model uses (the panel's ``applied``: dataset, latent_dim, hidden, likelihood,
    beta, lr, batch_size); ``folder`` the images of a folder the user opened, when ``dataset`` is "folder"."""
    steps = snapshot.step if snapshot is not None else 0
    dataset = settings["dataset"]
    body: list[str] = []
    if dataset == "folder":
        name = folder.name if folder is not None else "your folder"
        body += [f"# The panel learned the images of the folder {literal(name)}. To do the same, set its path here:",
                 "#     from playground.models.datasets.images import load_image_folder",
                 f"#     images = load_image_folder(\"path/to/{name}\")   and pass  images  instead of "
                 f"{literal(FALLBACK_DATASET)}.",
                 f"# Until then this script learns the built-in {literal(FALLBACK_DATASET)}, so its numbers differ "
                 "from the panel's.", ""]
        dataset = FALLBACK_DATASET
    mode = "a plain autoencoder (β = 0)" if settings["beta"] == 0 else f"a VAE with β = {settings['beta']:g}"
    body += [f"# {mode}: loss = reconstruction + β·KL, one minibatch per step.",
             call("VAETrainer", dataset, latent_dim=int(settings["latent_dim"]),
                  hidden=(int(settings["hidden"]),), beta=float(settings["beta"]), likelihood=settings["likelihood"],
                  lr=float(settings["lr"]), batch_size=int(settings["batch_size"]), seed=int(seed),
                  prefix="trainer = ")]
    if steps:
        body += [f"for _ in range({steps}):  # {steps:,} minibatch{'es' if steps != 1 else ''} of training images",
                 "    trainer.advance()"]
    body += ["snap = trainer.snapshot()"]

    printing = "\n".join([
        'print("ELBO (latest minibatch, nats per image):", snap.elbo)',
        'print("reconstruction term:", snap.recon)',
        'print("KL term:", snap.kl)',
        'print("held-out ELBO:", snap.held_out_elbo_history[-1])',
        'print("held-out ELBO measured at step:", snap.held_out_steps[-1])',
    ])
    return script(
        title="VAE",
        about=f"{mode[0].upper() + mode[1:]} on the {dataset} images, {settings['latent_dim']} latent dimensions, "
              f"trained for {plural(steps, 'step')}, seed {seed} — the VAE panel's run replayed with "
              "playground.models.vae.",
        imports=["from playground.models.vae import VAETrainer"],
        body="\n".join(body), printing=printing, plotting=PLOT, one_blas_thread=True)


PLOT = """\
fig, (codes, curves, samples) = plt.subplots(1, 3, figsize=(14, 4.2))
# The latent map: where the encoder puts held-out images, coloured by their class.
points = codes.scatter(snap.latent_means[:, 0], snap.latent_means[:, 1], c=snap.labels, s=6, cmap="tab10")
codes.legend(points.legend_elements()[0], snap.label_names, fontsize="small", loc="upper right")
codes.set(xlabel="z1", ylabel="z2", title="Codes of held-out images")
curves.plot(snap.loss_steps, snap.elbo_history, alpha=0.5, label="training minibatch")
curves.plot(snap.held_out_steps, snap.held_out_elbo_history, label="held-out images")
curves.set(xlabel="step", ylabel="ELBO (nats per image)", title="ELBO ↑")
curves.legend()
# Decoded draws z ~ N(0, I) from the prior, in a 4 × 4 grid.
side = snap.image_side
tiles = snap.prior_samples[:16].reshape(4, 4, side, side).transpose(0, 2, 1, 3).reshape(4 * side, 4 * side)
samples.imshow(tiles, cmap="gray_r")
samples.set(title="Samples from the prior")
samples.axis("off")
plt.tight_layout()
"""
