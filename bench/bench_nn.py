"""Time one training step (forward + backward + Adam) of playground.models.nn.MLP against the same network in PyTorch.

    OPENBLAS_NUM_THREADS=1 python bench/bench_nn.py

Sizes: the GAN's networks (batch 256, 1 → 32 → 32 → 1, LeakyReLU) and a VAE-ish layer stack (batch 128,
256 → 256 → 4, ReLU). Both libraries on one thread, MSE loss, same Adam settings; the best of several repeats.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"


import numpy as np  # noqa: E402

from playground.models import nn  # noqa: E402
from timing import best_time  # noqa: E402

CASES = [
    # (name, batch, sizes, activation)
    ("GAN  256 × (1→32→32→1)", 256, [1, 32, 32, 1], "leaky_relu"),
    ("VAE  128 × (256→256→4)", 128, [256, 256, 4], "relu"),
]


def ours(batch, sizes, activation):
    rng = np.random.default_rng(0)
    net = nn.MLP(sizes, activation=activation, rng=rng)
    opt = nn.Adam(net.params, net.grads, lr=1e-3)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.standard_normal((batch, sizes[-1])).astype(np.float32)

    def step():
        _, grad = nn.mse(net.forward(x), y)
        net.zero_grad()
        net.backward(grad, need_input_grad=False)
        opt.step()

    return step


def reference(batch, sizes, activation):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    act = {"leaky_relu": lambda: torch.nn.LeakyReLU(0.2), "relu": torch.nn.ReLU}[activation]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(act())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.randn(batch, sizes[0]), torch.randn(batch, sizes[-1])

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.mse_loss(net(x), y).backward()
        opt.step()

    return step


def main() -> None:
    import torch

    print(f"numpy {np.__version__}, torch {torch.__version__}, one thread each")
    print(f"{'network':26s} {'ours µs':>9s} {'torch µs':>9s} {'ours/torch':>11s}")
    for name, batch, sizes, activation in CASES:
        n_iter = 2000 if sizes[0] < 100 else 500
        t_ours = best_time(ours(batch, sizes, activation), n_iter)
        t_torch = best_time(reference(batch, sizes, activation), n_iter)
        print(f"{name:26s} {t_ours * 1e6:9.1f} {t_torch * 1e6:9.1f} {t_ours / t_torch:10.2f}×")


if __name__ == "__main__":
    main()
