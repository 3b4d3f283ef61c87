"""Time the VAE against the same model in PyTorch (CPU, one thread), and the pieces the panel waits for.

    python bench/bench_vae.py

Both sides train the same architecture (encoder 256 → 256 → 2 + 2, decoder 2 → 256 → 256, ReLU), the same
Bernoulli ELBO with the reparameterisation trick, Adam (lr 1e-3), float32, batches of 128 digits. "Step" is one
update on a batch already in memory; "epoch" is one pass over the 3500 training digits in minibatches (ours draws
them with the model's Generator, torch with randperm). Times are CPU seconds per call, the best of 5 runs after a
warm-up. The issue's target: ours ≤ 0.7× torch's time.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import math  # noqa: E402

import numpy as np  # noqa: E402

from playground.models.datasets.images import make_digits, make_patterns, make_sprites  # noqa: E402
from playground.models.vae import VAE, VAETrainer  # noqa: E402
from timing import best_time  # noqa: E402

BATCH, HIDDEN, LATENT = 128, 256, 2


def torch_vae(train: np.ndarray):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    nn, F = torch.nn, torch.nn.functional
    encoder = nn.Sequential(nn.Linear(256, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2 * LATENT))
    decoder = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 256))
    optimiser = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
    data = torch.from_numpy(train)
    fixed_batch = data[:BATCH]

    def step(x=fixed_batch):
        out = encoder(x)
        mu, logvar = out[:, :LATENT], out[:, LATENT:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        recon = F.binary_cross_entropy_with_logits(decoder(z), x, reduction="sum") / len(x)
        kl = 0.5 * torch.sum(mu * mu + logvar.exp() - 1 - logvar) / len(x)
        optimiser.zero_grad(set_to_none=True)
        (recon + kl).backward()
        optimiser.step()

    def epoch():
        order = torch.randperm(len(data))
        for start in range(0, len(data), BATCH):
            step(data[order[start:start + BATCH]])

    def decode(z):
        with torch.no_grad():
            return torch.sigmoid(decoder(torch.from_numpy(z)))

    return step, epoch, decode, torch.__version__


def main() -> None:
    digits = make_digits(4000, seed=0).images
    train = np.ascontiguousarray(digits[500:])                           # 3500 training images, as the trainer
    batch = train[:BATCH]
    steps_per_epoch = math.ceil(len(train) / BATCH)

    ours = VAE(256, latent_dim=LATENT, hidden=(HIDDEN,), batch_size=BATCH, seed=0)
    our_step = best_time(lambda: ours.train_step(batch), 200)
    our_epoch = best_time(lambda: ours.fit(train, steps_per_epoch), 5)
    torch_step, torch_epoch, torch_decode, version = torch_vae(train)
    their_step = best_time(torch_step, 200)
    their_epoch = best_time(torch_epoch, 5)

    print(f"VAE 256→{HIDDEN}→{LATENT}+{LATENT} / {LATENT}→{HIDDEN}→256, batch {BATCH}, float32, one thread; "
          f"torch {version}, numpy {np.__version__}")
    print(f"{'':28}{'ours':>10}{'torch':>10}{'ratio':>8}")
    print(f"{'train step (ms)':28}{our_step * 1e3:10.2f}{their_step * 1e3:10.2f}{our_step / their_step:8.2f}")
    print(f"{f'epoch, {steps_per_epoch} steps (ms)':28}{our_epoch * 1e3:10.1f}{their_epoch * 1e3:10.1f}"
          f"{our_epoch / their_epoch:8.2f}")

    # What the panel waits for: a mouse move decodes one point; the manifold decodes 15 × 15.
    trainer = VAETrainer("digits", n=4000, seed=0)
    for _ in range(20):
        trainer.advance()
    point = np.array([0.3, -1.2])
    grid = np.random.default_rng(0).standard_normal((225, LATENT)).astype(np.float32)
    print(f"{'decode 1 point (ms)':28}{best_time(lambda: trainer.decode_points(point), 500) * 1e3:10.3f}"
          f"{best_time(lambda: torch_decode(point[None].astype(np.float32)), 500) * 1e3:10.3f}")
    print(f"{'decode 15×15 manifold (ms)':28}{best_time(lambda: trainer.vae.decode(grid), 100) * 1e3:10.3f}"
          f"{best_time(lambda: torch_decode(grid), 100) * 1e3:10.3f}")
    print(f"{'VAETrainer.snapshot() (ms)':28}{best_time(trainer.snapshot, 50) * 1e3:10.2f}")
    print(f"{'VAETrainer.refresh() (ms)':28}{best_time(trainer.refresh, 20) * 1e3:10.2f}")
    print(f"{'VAETrainer.advance() (ms)':28}{best_time(trainer.advance, 100) * 1e3:10.2f}"
          "   (a step, its history row, and every 10th step the manifold and held-out losses)")

    print("\nImage generation (16×16, float32), 5000 images, CPU time, best of 5:")
    for make in (make_digits, make_sprites, make_patterns):
        seconds = best_time(lambda make=make: make(5000, seed=1), 1)
        print(f"  {make.__name__:14} {seconds * 1e3:7.1f} ms   {5000 / seconds:>10,.0f} images/s")


if __name__ == "__main__":
    main()
