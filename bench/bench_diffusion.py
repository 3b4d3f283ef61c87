"""Time diffusion training and sampling of playground.models.diffusion against the same model written in PyTorch.

    python bench/bench_diffusion.py

The same network on both sides: input [x (2), sin/cos of x at 6 frequencies (24), sinusoidal embedding of t (32)]
→ 128 → 128 → 128 → 2, LeakyReLU(0.2), float32, T = 200, linear schedule, one thread each.
* Training step: a batch of 1024 points drawn from 2000, random t and ε, the ε-prediction MSE, backward, Adam and
  the running average of the weights (everything Diffusion2D.train_step does).
* Sampling: 1000 points with DDPM (all 200 steps) and with DDIM (20 steps), and the issue's 2000 points × 100 steps
  (DDIM); x̂_0 clipped to the data's box on both sides.
The issue's targets: training ≤ 0.8× torch's time per step, sampling ≤ 1.0×.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import math  # noqa: E402

import numpy as np  # noqa: E402

from playground.models.datasets.toy2d import make_points  # noqa: E402
from playground.models.diffusion import FOURIER_FREQUENCIES, Diffusion2D, DiffusionTrainer  # noqa: E402
from timing import best_time  # noqa: E402

T, HIDDEN, BATCH, N_SAMPLES, DDIM_STEPS = 200, (128, 128, 128), 1024, 1000, 20


class TorchDiffusion:
    """The same model, schedule, training step and samplers as Diffusion2D, in PyTorch."""

    def __init__(self, ours: Diffusion2D, data: np.ndarray) -> None:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)
        self.torch = torch
        self.frequencies = torch.from_numpy(FOURIER_FREQUENCIES.astype(np.float32))
        sizes = [2 + 2 * 2 * len(FOURIER_FREQUENCIES) + ours._embeddings.shape[1], *HIDDEN, 2]
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(torch.nn.LeakyReLU(0.2))
        self.net = torch.nn.Sequential(*layers)
        self.ema = [p.detach().clone() for p in self.net.parameters()]
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=3e-3)
        self.data = torch.from_numpy(((data - ours.mean) / ours.scale).astype(np.float32))
        self.embeddings = torch.from_numpy(ours._embeddings)                    # (T + 1, 32) the same table
        self.alpha_bar = torch.from_numpy(ours._alpha_bar.astype(np.float32))
        self.alpha_bar64 = ours._alpha_bar
        self.betas = ours.betas
        self.low = torch.from_numpy(ours._x0_low.astype(np.float32))
        self.high = torch.from_numpy(ours._x0_high.astype(np.float32))

    def features(self, x, embedding):
        angles = (x[:, :, None] * self.frequencies).reshape(len(x), -1)
        return self.torch.cat([x, angles.sin(), angles.cos(), embedding], dim=1)

    def train_step(self) -> None:
        torch = self.torch
        x0 = self.data[torch.randint(0, len(self.data), (BATCH,))]
        t = torch.randint(1, T + 1, (BATCH,))
        eps = torch.randn(BATCH, 2)
        a = self.alpha_bar[t][:, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
        self.optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(self.net(self.features(x_t, self.embeddings[t])), eps)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            torch._foreach_lerp_(self.ema, list(self.net.parameters()), 0.01)

    def _x0(self, x, t):
        torch = self.torch
        eps = self.net(self.features(x, self.embeddings[t].expand(len(x), -1)))
        a = self.alpha_bar64[t]
        return torch.clamp((x - math.sqrt(1 - a) * eps) / math.sqrt(a), self.low, self.high)

    def sample_ddpm(self, n: int):
        torch = self.torch
        with torch.no_grad():
            x = torch.randn(n, 2)
            for t in range(T, 0, -1):
                a, a_prev, beta = self.alpha_bar64[t], self.alpha_bar64[t - 1], self.betas[t - 1]
                x0 = self._x0(x, t)
                x = (math.sqrt(a_prev) * beta / (1 - a)) * x0 + (math.sqrt(1 - beta) * (1 - a_prev) / (1 - a)) * x
                if t > 1:
                    x = x + math.sqrt(beta * (1 - a_prev) / (1 - a)) * torch.randn(n, 2)
        return x

    def sample_ddim(self, n: int, times: list[int]):
        torch = self.torch
        with torch.no_grad():
            x = torch.randn(n, 2)
            for t, s in zip(times[:-1], times[1:]):
                a, a_prev = self.alpha_bar64[t], self.alpha_bar64[s]
                x0 = self._x0(x, t)
                eps = (x - math.sqrt(a) * x0) / math.sqrt(1 - a)
                x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps
        return x


def main() -> None:
    import torch

    data = make_points("Eight Gaussians", 2000, seed=0)
    ours = Diffusion2D(T=T, hidden=HIDDEN, batch_size=BATCH, seed=0)
    ours.set_normalisation(data)
    reference = TorchDiffusion(ours, data)
    times = {steps: [int(t) for t in ours.ddim_timesteps(steps)] for steps in (DDIM_STEPS, 100)}

    print(f"torch {torch.__version__}, numpy {np.__version__}; network [2 + 24 + 32] → {' → '.join(map(str, HIDDEN))} "
          "→ 2, float32, one thread")
    t_ours = best_time(lambda: ours.fit(data, 1), 100)
    t_torch = best_time(reference.train_step, 100)
    trainer = DiffusionTrainer("Eight Gaussians", T=T, hidden=HIDDEN, batch_size=BATCH, seed=0)
    # 1000 timed steps after 200 warm-up steps hold exactly two evaluations (at steps 500 and 1000).
    t_trainer = best_time(trainer.advance, 1000, repeats=1)
    print(f"\n{'training step (batch 1024)':34s} {'ours ms':>8s} {'torch ms':>9s} {'ours/torch':>11s}")
    print(f"{'Diffusion2D.fit(data, 1)':34s} {t_ours * 1e3:8.2f} {t_torch * 1e3:9.2f} {t_ours / t_torch:10.2f}×"
          f"   ({1 / t_ours:.0f} steps/s)")
    print(f"{'DiffusionTrainer.advance() + eval':34s} {t_trainer * 1e3:8.2f} {'':9s} {t_trainer / t_torch:10.2f}×"
          f"   (evaluation every {trainer.eval_every} steps, amortised)")

    rows = [
        (f"DDPM, {T} steps", lambda: ours.sample(N_SAMPLES), lambda: reference.sample_ddpm(N_SAMPLES)),
        (f"DDIM, {DDIM_STEPS} steps", lambda: ours.sample(N_SAMPLES, method="ddim", steps=DDIM_STEPS),
         lambda: reference.sample_ddim(N_SAMPLES, times[DDIM_STEPS])),
        ("DDIM, 100 steps, 2000 points", lambda: ours.sample(2000, method="ddim", steps=100),
         lambda: reference.sample_ddim(2000, times[100])),
    ]
    print(f"\n{f'sampling ({N_SAMPLES} points)':34s} {'ours ms':>8s} {'torch ms':>9s} {'ours/torch':>11s}")
    measured = {}
    for name, ours_fn, torch_fn in rows:
        a, b = best_time(ours_fn, 3), best_time(torch_fn, 3)
        measured[name] = (a, b)
        print(f"{name:34s} {a * 1e3:8.1f} {b * 1e3:9.1f} {a / b:10.2f}×")
    (ddpm_ours, ddpm_torch), (ddim_ours, ddim_torch), _ = measured.values()
    print(f"DDPM / DDIM-{DDIM_STEPS} time: ours {ddpm_ours / ddim_ours:.1f}×, torch {ddpm_torch / ddim_torch:.1f}×")


if __name__ == "__main__":
    main()
