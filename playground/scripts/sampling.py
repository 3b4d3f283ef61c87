"""Copy as Python for the Sampling panel: the distribution, the sampler, the batch size and the seed, replayed."""
from __future__ import annotations

from typing import Any

from playground.models.distributions import from_dict
from playground.models.sampling import SamplingModel, SamplingSnapshot
from playground.scripts.writing import LINE_WIDTH, Code, call, list_assignment, plural, script

#: What each distribution's constructor calls its arguments (to name them when they are too long for one line).
ARGUMENT_NAMES = {"Categorical": ("outcomes", "weights"), "Gaussian": ("mean", "std"), "Uniform": ("low", "high"),
                  "Exponential": ("rate",), "Beta": ("a", "b"), "Mixture": ("weights", "means", "stds"),
                  "DrawnDensity": ("x_knots", "heights")}


def sampling_script(state: dict[str, Any], snapshot: SamplingSnapshot | None) -> str:
    """``state`` is the panel's ``state()`` (distribution, sampler, batch, seed); ``snapshot`` its last one."""
    saved = state["distribution"]
    distribution = from_dict(saved)                       # checks it, and gives its kind
    sampler, batch, seed = state["sampler"], int(state["batch"]), int(state["seed"])
    steps = snapshot.step if snapshot is not None else 0
    n = snapshot.n if snapshot is not None else 0
    categorical = distribution.kind == "categorical"

    body = [*distribution_lines(saved),
            call("SamplingModel", Code("distribution"), prefix="model = ", sampler=sampler, batch=batch, seed=seed)]
    if n == steps * batch:
        if steps:
            body += [f"for _ in range({steps}):  # {plural(steps, 'step')} of {batch:,} samples, as in the panel",
                     "    model.advance()"]
    else:
        # Draw-now buttons, or a setting changed in the middle of the run: the panel's random stream cannot be
        # replayed step by step, so draw the same number of samples at once.
        n_drawn = min(n, SamplingModel.MAX_DRAW)
        body += ["# The panel drew its samples with the Draw-now buttons too (or a setting changed on the way), which",
                 "# this script cannot replay draw for draw: it draws as many at once, so its numbers differ from",
                 "# the panel's by chance alone."
                 + (f" (It stops at {n_drawn:,} of the panel's {n:,}.)" if n_drawn < n else "")]
        if n_drawn:
            body += [f"model.draw_now({n_drawn})"]
    body += ["snap = model.snapshot()"]

    printing = ['print("samples drawn:", snap.n)']
    if categorical:
        printing += ["for outcome, probability, count in zip(snap.outcomes, snap.probs, snap.counts):",
                     '    print(f"{outcome}: frequency {count / max(snap.n, 1):.4f} (true probability '
                     '{probability:.4f})")']
    else:
        printing += ['print("sample mean:", snap.sample_mean)', 'print("true mean:", snap.true_mean)',
                     'print("sample variance:", snap.sample_var)', 'print("true variance:", snap.true_var)']
    printing += ['if len(snap.tv):',
                 '    print("total-variation distance to the truth:", snap.tv[-1])',
                 'print("chi-square p-value:", snap.gof_p)']

    if categorical:
        picture = ["x = np.arange(len(snap.outcomes))",
                   'left.bar(x, snap.counts / max(snap.n, 1), width=0.6, alpha=0.6, label="samples")',
                   'left.scatter(x, snap.probs, marker="_", s=2000, color="black", label="true probability")',
                   "left.set_xticks(x, snap.outcomes)",
                   'left.set(ylabel="probability", title=f"{snap.n:,} samples")']
    else:
        picture = ["widths = np.diff(snap.bin_edges)",
                   'left.stairs(snap.counts / (max(snap.n, 1) * widths), snap.bin_edges, fill=True, alpha=0.4, '
                   'label="samples")',
                   'left.plot(snap.curve_x, snap.pdf_y, color="black", label="true density")',
                   'left.set(xlabel="x", ylabel="density", title=f"{snap.n:,} samples")']
    plotting = "\n".join([
        "fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))",
        *picture,
        "left.legend()",
        "# The law of large numbers: the distance to the truth shrinks like 1/√n.",
        'right.loglog(snap.tv_n, snap.tv, "o-", label="distance to the truth")',
        "n = np.geomspace(1, max(10, snap.n), 50)",
        'right.loglog(n, np.minimum(1, snap.tv_reference / np.sqrt(n)), "--", label="∝ 1/√n")',
        'right.set(xlabel="samples n", ylabel="total-variation distance")',
        "right.legend()",
    ])
    return script(
        title="Sampling",
        about=f"Draws from {distribution.label} with the {sampler.replace('_', ' ')} sampler, {batch:,} samples per "
              f"step, seed {seed} — the Sampling panel's run replayed with playground.models.sampling.",
        imports=[f"from playground.models.sampling import {', '.join(sorted({saved['type'], 'SamplingModel'}))}"],
        body="\n".join(body), printing="\n".join(printing), plotting=plotting)


def distribution_lines(saved: dict[str, Any]) -> list[str]:
    """``distribution = Gaussian(170.0, 10.0)``; long lists (a drawn density's knots) get a variable each."""
    kind, params = saved["type"], saved["params"]
    line = "distribution = " + call(kind, *params)
    if len(line) <= LINE_WIDTH and "\n" not in line:
        return [line]
    # Too long for one line: a variable for each argument, and a comment saying what it is.
    names = ARGUMENT_NAMES[kind]
    return [f"# {from_dict(saved).label}", *(list_assignment(name, value) for name, value in zip(names, params)),
            f"distribution = {kind}({', '.join(names)})"]
