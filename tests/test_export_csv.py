"""Export data as CSV: every panel exports, the files read back (numpy, csv) to the snapshot's numbers exactly, and a
folder that cannot be written to gives a message and leaves nothing behind."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from playground import copy_and_export
from playground import export_csv
from playground import panels as registry
from playground.panels.base import Panel
from tests.panels.helpers import wait_for_step


def open_panel(window, qtbot, name: str, steps: int = 0) -> Panel:
    window.panel_list.setCurrentRow([e.name for e in registry.PANELS].index(name))
    panel = window.current
    assert panel.name == name
    wait_for_step(qtbot, panel, 0)
    if steps:
        panel.step(steps)
        wait_for_step(qtbot, panel, steps, timeout=60_000)
    return panel


def numbers(path: Path, columns) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=columns, ndmin=2, encoding="utf-8-sig")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def export(window, folder: Path) -> dict[str, Path]:
    written = copy_and_export.export_data(window, folder)
    assert written, window.current.message_bar.label.text()
    assert "Exported" in window.current.message_bar.label.text()
    return {path.name: path for path in written}


# ---------------------------------------------------------------------------------------------------------------
# Each panel's files against its snapshot

def test_sampling_exports_every_sample_and_the_distribution(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "sampling")
    panel.preset_box.setCurrentText("Two-group heights mixture")
    panel.step(40)
    wait_for_step(qtbot, panel, 40)
    snap = panel.last_snapshot
    files = export(window, tmp_path)
    assert set(files) == {"sampling-samples.csv", "sampling-histogram.csv", "sampling-distribution.csv"}
    samples = numbers(files["sampling-samples.csv"], (1,))[:, 0]
    assert len(samples) == snap.n == 40 * panel.batch
    # The samples are the ones the model counted: the same histogram, and the model's last samples at the end.
    inside = np.histogram(samples, snap.bin_edges)[0]
    assert np.array_equal(inside, snap.counts) and np.array_equal(samples[-len(snap.recent):], snap.recent)
    histogram = numbers(files["sampling-histogram.csv"], (0, 1, 2, 4))
    assert np.array_equal(histogram[:, 2], snap.counts) and np.isclose(histogram[:, 3].sum(), 1, atol=0.01)
    curve = numbers(files["sampling-distribution.csv"], (0, 1, 2))
    assert np.array_equal(curve, np.c_[snap.curve_x, snap.pdf_y, snap.cdf_y])


def test_sampling_caps_a_large_count_and_says_so(window, qtbot, tmp_path):
    from playground.panels.sampling import BATCH_CHOICES
    panel = open_panel(window, qtbot, "sampling")
    panel.batch_box.setCurrentIndex(BATCH_CHOICES.index(1000))
    panel.step(120)
    wait_for_step(qtbot, panel, 120)
    snap = panel.last_snapshot
    assert snap.n == 120_000
    files = export(window, tmp_path)
    table = rows(files["sampling-samples.csv"])
    assert len(table) == export_csv.MAX_SAMPLE_ROWS
    # Categorical samples: the first 100 000 of the replayed run, named and numbered.
    assert table[0]["sample"] == "1" and table[0]["outcome"] in snap.outcomes
    assert "first 100,000 of the 120,000 samples" in panel.message_bar.label.text()
    distribution = rows(files["sampling-distribution.csv"])
    assert [int(r["count"]) for r in distribution] == snap.counts.tolist()
    assert [float(r["probability"]) for r in distribution] == snap.probs.tolist()


def test_samples_that_cannot_be_replayed_export_the_last_ones_and_say_so(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "sampling")
    panel.draw_now(1000)
    qtbot.waitUntil(lambda: panel.last_snapshot.n == 1000)
    snap = panel.last_snapshot
    files = export(window, tmp_path)
    table = rows(files["sampling-samples.csv"])
    assert [int(r["outcome_index"]) for r in table] == snap.recent.tolist()
    assert table[-1]["sample"] == "1000"
    assert f"last {len(snap.recent)} of the 1,000 samples" in panel.message_bar.label.text()


def test_gmm_exports_points_with_responsibilities_and_the_components(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "gmm", steps=5)
    snap = panel.last_snapshot
    files = export(window, tmp_path)
    k = snap.n_components
    points = numbers(files["gmm-points.csv"], range(0, 4 + k))
    assert np.array_equal(points[:, 1:3], snap.X) and np.array_equal(points[:, 3:3 + k], snap.resp)
    assert np.array_equal(points[:, 3 + k], snap.resp.argmax(axis=1) + 1)
    components = numbers(files["gmm-components.csv"], range(8))
    assert np.array_equal(components[:, 1], snap.weights) and np.array_equal(components[:, 2:4], snap.means)
    assert np.array_equal(components[:, 4:8].reshape(k, 2, 2), snap.covariances)
    header = rows(files["gmm-components.csv"])[0].keys()
    assert list(header)[:5] == ["component", "weight", "mean_x1", "mean_x2", "covariance_x1_x1"]
    assert np.array_equal(numbers(files["gmm-log-likelihood.csv"], (1,))[:, 0], snap.lower_bounds)


def test_gan_exports_samples_curves_and_losses(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "gan", steps=30)
    snap = panel.last_snapshot
    files = export(window, tmp_path)
    assert np.array_equal(numbers(files["gan-samples.csv"], (1,))[:, 0], snap.generated)
    assert np.array_equal(numbers(files["gan-densities.csv"], (0, 1, 2, 3)),
                          np.c_[snap.x_grid, snap.target_pdf, snap.generated_density, snap.d_of_x])
    losses = numbers(files["gan-losses.csv"], (0, 1, 2))
    assert np.array_equal(losses, np.c_[snap.loss_steps, snap.d_loss_history, snap.g_loss_history])
    assert len(losses) == 30
    assert np.array_equal(numbers(files["gan-wasserstein.csv"], (0, 1)),
                          np.c_[snap.wasserstein_steps, snap.wasserstein_history])


def test_vae_exports_latent_codes_with_labels_and_losses(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "vae", steps=12)
    snap = panel.last_snapshot
    files = export(window, tmp_path)
    codes = rows(files["vae-latent-codes.csv"])
    assert len(codes) == len(snap.latent_means)
    assert [int(r["label"]) for r in codes] == snap.labels.tolist()
    assert [r["label_name"] for r in codes] == [snap.label_names[i] for i in snap.labels]
    means = np.array([[float(r[f"z{j}_mean"]) for j in range(1, snap.latent_dim + 1)] for r in codes])
    assert np.array_equal(means, snap.latent_means)          # float32 codes survive the round trip exactly
    for name, values in snap.factors.items():
        assert [float(r[name]) for r in codes] == values.tolist()
    assert np.array_equal(numbers(files["vae-losses.csv"], (0, 3)), np.c_[snap.loss_steps, snap.elbo_history])
    assert np.array_equal(numbers(files["vae-held-out-losses.csv"], (0, 1, 2, 3)),
                          np.c_[snap.held_out_steps, snap.held_out_recon_history, snap.held_out_kl_history,
                                snap.held_out_elbo_history])


def test_diffusion_exports_samples_and_loss_history(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "diffusion", steps=20)
    snap = panel.last_snapshot
    files = export(window, tmp_path)
    assert np.array_equal(numbers(files["diffusion-samples.csv"], (1, 2)), snap.generated)
    assert np.array_equal(numbers(files["diffusion-data.csv"], (1, 2)), snap.data)
    assert np.array_equal(numbers(files["diffusion-losses.csv"], (0, 1, 2)),
                          np.c_[snap.loss_steps, snap.loss_history, snap.loss_smoothed])
    assert np.array_equal(numbers(files["diffusion-quality.csv"], (0, 1, 2)),
                          np.c_[snap.quality_steps, snap.energy_history, snap.frechet_history])


def test_markov_exports_the_text_and_the_next_token_table(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "markov", steps=25)
    snap = panel.last_snapshot
    files = export(window, tmp_path)
    assert files["markov-text.txt"].read_text(encoding="utf-8-sig") == snap.text
    tokens = rows(files["markov-tokens.csv"])
    assert tuple(r["token"] for r in tokens) == snap.tokens
    assert [r["copied_from_corpus"] == "True" for r in tokens] == snap.copied.tolist()
    table = rows(files["markov-next-token.csv"])
    assert [r["token"] for r in table] == list(snap.last.candidates)
    assert [float(r["probability"]) for r in table] == snap.last.probabilities.tolist()
    assert [r["chosen"] for r in table].count("True") == (1 if snap.last.chosen_rank < len(table) else 0)


def test_compare_exports_each_familys_samples_and_the_measures(window, qtbot, tmp_path):
    panel = open_panel(window, qtbot, "compare", steps=3)
    snap = panel.last_snapshot
    files = export(window, tmp_path)
    assert set(files) == {"compare-samples.csv", "compare-data.csv", "compare-measures.csv"}
    samples = rows(files["compare-samples.csv"])
    assert [r["family"] for r in samples] == [f for f in snap.families for _ in range(snap.n_samples)]
    assert np.array_equal(numbers(files["compare-samples.csv"], (1, 2)), snap.samples.reshape(-1, 2))
    assert np.array_equal(numbers(files["compare-data.csv"], (0, 1)), snap.data)
    measures = rows(files["compare-measures.csv"])
    assert [r["family"] for r in measures] == list(snap.families)
    assert np.array_equal(numbers(files["compare-measures.csv"], (1, 2, 3, 4, 5)),
                          np.c_[snap.energy, snap.precision, snap.recall, snap.train_seconds, snap.sample_seconds])
    assert {r["evaluated_step"] for r in measures} == {str(snap.evaluated_step)}


# ---------------------------------------------------------------------------------------------------------------
# Failures change nothing

def test_an_unwritable_folder_gives_a_message_and_writes_nothing(window, qtbot, tmp_path):
    open_panel(window, qtbot, "gmm", steps=2)
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder", encoding="utf-8")
    assert copy_and_export.export_data(window, not_a_folder) is None
    assert "Nothing was exported" in window.current.message_bar.label.text()
    assert copy_and_export.export_data(window, tmp_path / "missing") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_failure_half_way_leaves_no_file_behind(window, qtbot, tmp_path, monkeypatch):
    open_panel(window, qtbot, "gmm", steps=2)
    (tmp_path / "gmm-points.csv").write_text("an older export\n", encoding="utf-8")
    real_writer = csv.writer
    tables_started = []

    def failing_writer(handle, *args, **kwargs):
        tables_started.append(handle.name)
        if len(tables_started) == 2:
            raise OSError(28, "No space left on device")
        return real_writer(handle, *args, **kwargs)

    monkeypatch.setattr(export_csv.csv, "writer", failing_writer)
    assert copy_and_export.export_data(window, tmp_path) is None
    assert "No space left on device" in window.current.message_bar.label.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gmm-points.csv"]          # no .part files, no new ones
    assert (tmp_path / "gmm-points.csv").read_text(encoding="utf-8") == "an older export\n"


def test_a_panel_without_export_says_so(window, qtbot, tmp_path, monkeypatch):
    panel = open_panel(window, qtbot, "sampling")
    monkeypatch.setattr(type(panel), "export_tables", Panel.export_tables)   # as a panel that has none yet
    assert copy_and_export.export_data(window, tmp_path) is None
    assert "not available for the Sampling panel yet" in panel.message_bar.label.text()
    assert list(tmp_path.iterdir()) == []


def test_the_file_menu_has_the_export(window):
    from PySide6.QtWidgets import QMenu
    menus = [m.title() for m in window.export_data_action.associatedObjects() if isinstance(m, QMenu)]
    assert menus == ["&File"] and window.export_data_action.text() == "Export &data as CSV…"
