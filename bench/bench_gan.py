"""Time one GAN training step (one discriminator update, then one generator update) of playground.models.gan.GAN1D
against the same networks, batch, loss and optimiser written in PyTorch; also the cost of a snapshot.

    OPENBLAS_NUM_THREADS=1 python bench/bench_gan.py

The issue's target: our step takes ≤ 0.35× torch's time. Ours includes everything GAN1D does per step (drawing the
target batch, divergence checks, histories, the timeline); torch's loop is the bare minimum.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"


from playground.models.gan import GAN1D  # noqa: E402
from timing import best_time  # noqa: E402

BATCH, HIDDEN = 256, (32, 32)


def torch_step(loss: str):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    F = torch.nn.functional

    def mlp():
        layers, sizes = [], [1, *HIDDEN, 1]
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(torch.nn.LeakyReLU(0.2))
        return torch.nn.Sequential(*layers)

    G, D = mlp(), mlp()
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))

    def real_batch():  # the bimodal target: ±2 with standard deviation 0.4
        return 0.4 * torch.randn(BATCH, 1) + 2 * (2 * torch.randint(0, 2, (BATCH, 1)) - 1)

    def step_non_saturating():
        real = real_batch()
        with torch.no_grad():
            fake = G(torch.randn(BATCH, 1))
        opt_d.zero_grad(set_to_none=True)
        out = D(torch.cat([real, fake]))
        (F.softplus(-out[:BATCH]).mean() + F.softplus(out[BATCH:]).mean()).backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        F.softplus(-D(G(torch.randn(BATCH, 1)))).mean().backward()
        opt_g.step()

    def step_wgan_gp():
        real = real_batch()
        with torch.no_grad():
            fake = G(torch.randn(BATCH, 1))
        opt_d.zero_grad(set_to_none=True)
        out = D(torch.cat([real, fake]))
        mix = torch.rand(BATCH, 1)
        x_hat = (mix * real + (1 - mix) * fake).requires_grad_(True)
        (slope,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
        (out[BATCH:].mean() - out[:BATCH].mean() + 1.0 * ((slope.abs() - 1) ** 2).mean()).backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        (-D(G(torch.randn(BATCH, 1))).mean()).backward()
        opt_g.step()

    return step_non_saturating if loss == "non_saturating" else step_wgan_gp


def main() -> None:
    import torch

    sizes = " → ".join(map(str, (1, *HIDDEN, 1)))
    print(f"torch {torch.__version__}; batch {BATCH}, networks {sizes}, one thread each")
    print(f"{'loss':16s} {'ours µs':>9s} {'torch µs':>9s} {'ours/torch':>11s} {'ours steps/s':>13s}")
    for loss in ("non_saturating", "wgan_gp"):
        model = GAN1D("bimodal", loss=loss, hidden=HIDDEN, batch_size=BATCH, seed=0)
        t_ours = best_time(model.advance, 1000)
        t_torch = best_time(torch_step(loss), 1000)
        print(f"{loss:16s} {t_ours * 1e6:9.1f} {t_torch * 1e6:9.1f} {t_ours / t_torch:10.2f}× {1 / t_ours:13.0f}")
    model = GAN1D("bimodal", seed=0)
    model.train(100)
    t_snapshot = best_time(model.snapshot, 100)
    print(f"snapshot(): {t_snapshot * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
