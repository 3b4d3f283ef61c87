"""Copy as Python: each panel's script, run in a fresh interpreter, prints the numbers the panel shows — exactly.

Every test sets non-default parameters the way a user does (the panel's own controls), runs some steps on the
panel's worker, asks the panel for its script and runs it with ``sys.executable``. The script prints ``label: value``
lines; floats are printed with all their digits, so they must equal the snapshot's to the last bit.

Running a script takes a fresh interpreter and the whole training run again: all but the Sampling one are marked
slow (``pytest -m slow tests/test_copy_as_python.py``). The default run still builds and compiles every panel's script.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QLineEdit

from playground import panels as registry
from playground.panels.base import Panel
from playground.scripts.writing import MAX_EMBEDDED_POINTS, PRINT_ONLY_VARIABLE
from tests.panels.helpers import wait_for_step


def open_panel(window, qtbot, name: str) -> Panel:
    window.panel_list.setCurrentRow([e.name for e in registry.PANELS].index(name))
    panel = window.current
    assert panel.name == name
    wait_for_step(qtbot, panel, 0)
    return panel


def edit(form, name: str, value) -> None:
    """Change one field of a ParamForm as a user does: type and leave a number field, pick from a list."""
    control = form.controls[name]
    if isinstance(control, QLineEdit):
        control.setText(str(value))
        control.editingFinished.emit()
    else:
        form.set_values({name: value}, emit=True)


def run_to(qtbot, panel: Panel, steps: int, seed: int):
    """Start again from ``seed`` with the settings now in the panel, take ``steps`` steps; the last snapshot."""
    panel.reset(seed)
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 0 and not panel._pending_calls, timeout=30_000)
    panel.step(steps)
    wait_for_step(qtbot, panel, steps, timeout=120_000)
    return panel.last_snapshot


def run_script(source: str, folder: Path, *, print_only: bool = True) -> str:
    path = folder / "experiment.py"
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONIOENCODING": "utf-8"}
    env.pop(PRINT_ONLY_VARIABLE, None)
    if print_only:
        env[PRINT_ONLY_VARIABLE] = "1"
    done = subprocess.run([sys.executable, str(path)], capture_output=True, encoding="utf-8", env=env, cwd=folder,
                          timeout=600)
    assert done.returncode == 0, f"the script failed:\n{done.stderr}\n--- script ---\n{source}"
    return done.stdout


def printed(stdout: str) -> dict[str, str]:
    """The ``label: value`` lines of a script's output."""
    values = {}
    for line in stdout.splitlines():
        label, colon, value = line.rpartition(": ")
        if colon:
            values[label] = value
    return values


def same_float(text: str, value: float) -> bool:
    return float(text) == value or (np.isnan(value) and text == "nan")


def check_reads_like_an_example(source: str) -> None:
    compile(source, "experiment.py", "exec")
    assert "PySide6" not in source and "playground.panels" not in source, "a script must not need the app"
    assert not re.search(r"\._[a-z]", source), "a script must not reach into private attributes"
    assert source.startswith('"""') and ("import numpy as np" in source or "np." not in source)
    assert max(len(line) for line in source.splitlines()) <= 120


# ---------------------------------------------------------------------------------------------------------------
# Each panel, with settings a user changed

def test_sampling_script_reproduces_the_panel(window, qtbot, tmp_path):
    from playground.panels.sampling import BATCH_CHOICES
    panel = open_panel(window, qtbot, "sampling")
    panel.preset_box.setCurrentText("Heights N(170, 10)")
    panel.sampler_box.setCurrentIndex(panel.sampler_box.findData("box_muller"))
    panel.batch_box.setCurrentIndex(BATCH_CHOICES.index(100))
    snap = run_to(qtbot, panel, 13, seed=7)
    assert (snap.sampler, snap.batch, snap.n) == ("box_muller", 100, 1300)

    source = panel.python_script()
    check_reads_like_an_example(source)
    out = printed(run_script(source, tmp_path))
    assert int(out["samples drawn"]) == snap.n
    for label, value in (("sample mean", snap.sample_mean), ("sample variance", snap.sample_var),
                         ("true mean", snap.true_mean), ("total-variation distance to the truth", snap.tv[-1]),
                         ("chi-square p-value", snap.gof_p)):
        assert same_float(out[label], value), label


@pytest.mark.slow
def test_a_categorical_with_draw_now_clicks_is_said_to_differ(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "sampling")
    panel.preset_box.setCurrentText("Weather")
    run_to(qtbot, panel, 4, seed=3)
    panel.draw_now(100)
    qtbot.waitUntil(lambda: panel.last_snapshot.n == 4 * panel.batch + 100)
    source = panel.python_script()
    assert "cannot replay" in source and "model.draw_now(140)" in source
    out = printed(run_script(source, tmp_path))
    assert int(out["samples drawn"]) == 140 and "sunny" in out


@pytest.mark.slow
def test_gmm_script_reproduces_the_panel(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "gmm")
    panel.preset_box.setCurrentText("Overlapping blobs")
    edit(panel.model_form, "n_components", 4)
    edit(panel.model_form, "covariance_type", "diag")
    edit(panel.model_form, "init", "kmeans++")
    edit(panel.model_form, "reg_covar", 0.001)
    snap = run_to(qtbot, panel, 9, seed=5)
    assert (snap.n_components, snap.covariance_type, snap.n_iter, snap.phase_done) == (4, "diag", 4, "E")

    source = panel.python_script()
    check_reads_like_an_example(source)
    assert 'make_points("Overlapping blobs", 500, seed=0)' in source  # the points came from the preset
    out = printed(run_script(source, tmp_path))
    assert int(out["iterations (M-steps)"]) == snap.n_iter
    assert same_float(out["log-likelihood per point"], snap.log_likelihood)
    assert out["converged"] == str(snap.converged)


@pytest.mark.slow
def test_gmm_points_loaded_from_a_file_are_written_into_the_script(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "gmm")
    points = np.random.default_rng(4).normal(size=(150, 2)) * [2.0, 0.5] + [1.0, -3.0]
    csv = tmp_path / "points.csv"
    csv.write_text("x,y\n" + "\n".join(f"{x!r},{y!r}" for x, y in points.tolist()), encoding="utf-8")
    assert panel.load_csv(str(csv))
    qtbot.waitUntil(lambda: len(panel.last_snapshot.X) == 150)
    edit(panel.model_form, "n_components", 2)
    snap = run_to(qtbot, panel, 6, seed=1)
    assert np.array_equal(snap.X, points)

    source = panel.python_script()
    assert "X = np.array([" in source and "points.csv" in source
    out = printed(run_script(source, tmp_path))
    assert same_float(out["log-likelihood per point"], snap.log_likelihood)


@pytest.mark.slow
def test_gan_script_reproduces_the_panel(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "gan")
    panel.target_box.setCurrentIndex(panel.target_box.findData("trimodal"))
    panel.hidden_box.setCurrentText("16")
    panel.loss_box.setCurrentIndex(panel.loss_box.findData("wgan_gp"))
    panel.batch_box.setCurrentText("128")
    panel.train_form.controls["lr_g"].slider.setValue(700)       # the slider a user drags
    edit(panel.train_form, "d_steps", 2)
    edit(panel.train_form, "gp_weight", 0.5)
    snap = run_to(qtbot, panel, 30, seed=11)
    assert snap.target_name == "trimodal" and snap.loss_name == "wgan_gp"

    source = panel.python_script()
    check_reads_like_an_example(source)
    assert "d_steps=2" in source and "gp_weight=0.5" in source and "hidden=(16, 16)" in source
    out = printed(run_script(source, tmp_path))
    assert same_float(out["Wasserstein distance W1 to the data"], snap.wasserstein)
    assert same_float(out["discriminator loss"], snap.d_loss)
    assert same_float(out["generator loss"], snap.g_loss)


@pytest.mark.slow
def test_a_gan_scene_is_named_and_a_users_column_is_written_out(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "gan")
    source = panel.python_script()
    assert 'make_preset("Mode collapse")' in source  # the opening scene, unchanged

    csv = tmp_path / "heights.csv"
    csv.write_text("height\n" + "\n".join(f"{v!r}" for v in np.random.default_rng(0).normal(170, 8, 120).tolist()),
                   encoding="utf-8")
    assert panel.load_csv(str(csv))
    qtbot.waitUntil(lambda: 150 < panel.last_snapshot.x_grid.mean() < 190)
    snap = run_to(qtbot, panel, 12, seed=2)
    source = panel.python_script()
    assert "Empirical1D(data" in source and "make_preset" not in source
    out = printed(run_script(source, tmp_path))
    assert same_float(out["Wasserstein distance W1 to the data"], snap.wasserstein)


@pytest.mark.slow
def test_vae_script_reproduces_the_panel(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "vae")
    panel.dataset_box.setCurrentIndex(panel.dataset_box.findData("patterns"))
    edit(panel.model_form, "latent_dim", "3")
    edit(panel.model_form, "hidden", "64")
    edit(panel.model_form, "beta", 0.5)
    edit(panel.train_form, "lr", 0.002)
    edit(panel.train_form, "batch_size", "64")
    qtbot.waitUntil(lambda: not panel._pending_calls and panel.applied["batch_size"] == 64, timeout=30_000)
    snap = run_to(qtbot, panel, 25, seed=4)
    assert (snap.dataset_name, snap.latent_dim, snap.beta) == ("patterns", 3, 0.5)

    source = panel.python_script()
    check_reads_like_an_example(source)
    out = printed(run_script(source, tmp_path))
    for label, value in (("ELBO (latest minibatch, nats per image)", snap.elbo), ("reconstruction term", snap.recon),
                         ("KL term", snap.kl), ("held-out ELBO", snap.held_out_elbo_history[-1])):
        assert same_float(out[label], value), label


@pytest.mark.slow
def test_diffusion_script_reproduces_the_panel_on_the_users_points(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "diffusion")
    edit(panel.model_form, "T", 40)
    edit(panel.model_form, "schedule", "cosine")
    edit(panel.model_form, "hidden", "32")
    edit(panel.model_form, "lr", 0.005)
    edit(panel.model_form, "batch_size", "128")
    rng = np.random.default_rng(8)
    angle = rng.uniform(0, 2 * np.pi, 300)
    points = np.c_[np.cos(angle), np.sin(angle)] * 2 + rng.normal(0, 0.1, (300, 2))
    csv = tmp_path / "ring.csv"
    csv.write_text("\n".join(f"{x!r},{y!r}" for x, y in points.tolist()), encoding="utf-8")
    assert panel.load_csv(str(csv))
    snap = run_to(qtbot, panel, 20, seed=6)
    assert snap.T == 40 and snap.schedule == "cosine" and len(snap.data) == 300

    source = panel.python_script()
    check_reads_like_an_example(source)
    assert "points = np.array([" in source
    out = printed(run_script(source, tmp_path))
    for label, value in (("training loss (latest minibatch)", snap.loss),
                         ("training loss (smoothed)", snap.loss_smoothed[-1]),
                         ("energy distance, samples to data", snap.energy_history[-1]),
                         ("Frechet distance, samples to data", snap.frechet_history[-1])):
        assert same_float(out[label], value), label


@pytest.mark.slow
def test_markov_script_reproduces_the_panels_text(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "markov")
    text = ("The owl and the pussy-cat went to sea\nin a beautiful pea-green boat.\n"
            "They took some honey, and plenty of money,\nwrapped up in a five-pound note.\n") * 3
    panel.corpus_box.setPlainText(text)
    qtbot.waitUntil(lambda: panel.applied["text"] == text, timeout=10_000)
    edit(panel.model_form, "level", "word")
    edit(panel.model_form, "order", 1)
    edit(panel.model_form, "top_k", 3)
    panel.temperature_slider.setValue(70)
    qtbot.waitUntil(lambda: not panel._pending_calls and panel.applied["temperature"] == 0.7, timeout=10_000)
    snap = run_to(qtbot, panel, 40, seed=9)
    assert (snap.level, snap.order, snap.top_k, snap.temperature) == ("word", 1, 3, 0.7)

    source = panel.python_script()
    check_reads_like_an_example(source)
    assert '"The owl and the pussy-cat went to sea\\n"' in source        # the user's text, written out
    stdout = run_script(source, tmp_path)
    assert snap.text in stdout
    assert same_float(printed(stdout)["perplexity of the generated tokens"], snap.perplexity)


@pytest.mark.slow
def test_compare_script_reproduces_the_panel_on_drawn_points(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "compare")
    edit(panel.model_form, "gmm_components", 3)
    edit(panel.model_form, "gan_width", "32")
    rng = np.random.default_rng(5)
    points = np.r_[rng.normal([-2, 0], 0.4, (80, 2)), rng.normal([2, 1], 0.6, (80, 2))]
    panel.apply_drawing(points)
    qtbot.waitUntil(lambda: not panel._pending_calls and panel.last_snapshot.data_name == "your points",
                    timeout=30_000)
    snap = run_to(qtbot, panel, 260, seed=2)
    assert snap.evaluated_step == 250 and snap.config["gmm_components"] == 3 and snap.config["gan_width"] == 32

    source = panel.python_script()
    check_reads_like_an_example(source)
    assert "points = np.array([" in source and "gan_width=32" in source
    out = printed(run_script(source, tmp_path))
    assert int(out["measured at step"]) == snap.evaluated_step
    for i, family in enumerate(snap.families):
        for label, values in (("energy distance", snap.energy), ("precision", snap.precision),
                              ("recall", snap.recall)):
            assert same_float(out[f"{family} {label}"], values[i]), f"{family} {label}"


def test_a_compare_preset_is_made_by_name(window, qtbot):
    panel = open_panel(window, qtbot, "compare")
    panel.data_box.setCurrentText("Two moons")
    qtbot.waitUntil(lambda: panel.last_snapshot.data_name == "Two moons", timeout=30_000)
    source = panel.python_script()
    check_reads_like_an_example(source)
    assert 'CompareTrainer("Two moons", n_points=2000, data_seed=0' in source and "np.array([" not in source


def test_a_built_in_corpus_is_loaded_by_name(window, qtbot):
    panel = open_panel(window, qtbot, "markov")
    source = panel.python_script()
    assert f'load_corpus("{panel.corpus_name}")' in source and "text = (" not in source


def test_text_too_long_to_paste_falls_back_to_a_corpus_and_says_so():
    from playground.scripts.markov import markov_script
    settings = {"text": "a long text. " * 5000, "level": "char", "order": 3, "temperature": 1.0, "top_k": 0,
                "smoothing": 0.0, "start": ""}
    source = markov_script(settings, 0, None, corpus_name="", corpus_source="book.txt")
    assert "too long to write out" in source and "book.txt" in source and 'load_corpus("nursery")' in source
    compile(source, "experiment.py", "exec")


def test_too_many_points_fall_back_to_a_preset_and_say_so():
    from playground.scripts.gmm import gmm_script
    X = np.random.default_rng(0).normal(size=(MAX_EMBEDDED_POINTS + 1, 2))
    state = {"seed": 0, "preset": "my.csv", "n_points": 500, "n_components": 3, "covariance_type": "full",
             "init": "kmeans++", "tol": 1e-4, "reg_covar": 1e-6}
    source = gmm_script(state, X, None)
    assert "too many to write out" in source and "Export data as CSV" in source and "np.array([" not in source
    compile(source, "experiment.py", "exec")


def test_every_panel_writes_a_script_that_reads_like_an_example(window, qtbot):
    for entry in registry.PANELS:
        panel = open_panel(window, qtbot, entry.name)
        source = panel.python_script()
        if source is None:
            continue    # a panel without a script yet (see the next tests)
        check_reads_like_an_example(source)
        assert f'"""{panel.title} — copied as Python' in source


# ---------------------------------------------------------------------------------------------------------------
# The app: button, menu, clipboard, and a panel without a script

def test_the_button_and_the_menu_put_the_script_on_the_clipboard(window, qtbot):
    panel = open_panel(window, qtbot, "gmm")
    QApplication.clipboard().clear()
    window.transport.copy_python_button.click()
    assert QApplication.clipboard().text() == panel.python_script()
    assert "Copied" in window.statusBar().currentMessage()
    QApplication.clipboard().clear()
    window.copy_python_action.trigger()
    assert QApplication.clipboard().text().startswith('"""GMM-EM')


def test_a_panel_without_a_script_says_so_and_copies_nothing(window, qtbot, monkeypatch):
    panel = open_panel(window, qtbot, "gmm")
    monkeypatch.setattr(type(panel), "python_script", Panel.python_script)   # as a panel that has none yet
    QApplication.clipboard().setText("unchanged")
    window.transport.copy_python_button.click()
    assert QApplication.clipboard().text() == "unchanged"
    assert "not available for the GMM-EM panel yet" in panel.message_bar.label.text()


@pytest.mark.slow
@pytest.mark.skipif(not __import__("importlib").util.find_spec("matplotlib"), reason="matplotlib is not installed")
def test_with_matplotlib_the_scripts_plot_without_error(window, qtbot, tmp_path):
    for name in ("sampling", "gmm", "markov"):
        panel = open_panel(window, qtbot, name)
        run_to(qtbot, panel, 3, seed=0)
        assert "samples drawn" in run_script(panel.python_script(), tmp_path, print_only=False) or name != "sampling"
