"""The Markov text panel: the bars are the distribution each token was drawn from, bad input keeps the last good
model, and the graph and the perplexity chart appear when they should."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QTextCharFormat

from playground.models.datasets.text import corpus_info, load_corpus
from playground.models.markov import tokenize
from playground.panels import PANELS
from playground.panels.markov_views import CHOSEN, bar_label, percent, visible_token
from tests.panels.helpers import wait_for_step


@pytest.fixture
def panel(window, qtbot):
    window.panel_list.setCurrentRow([entry.name for entry in PANELS].index("markov"))
    panel = window.current
    assert panel.name == "markov"
    wait_for_step(qtbot, panel, 0)
    panel.corpus_timer.setInterval(5)  # the real 400 ms debounce is tested once, below
    return panel


def step_to(qtbot, panel, n: int) -> None:
    target = panel.last_snapshot.step + n
    panel.step(n)
    wait_for_step(qtbot, panel, target)


def type_corpus(qtbot, panel, text: str) -> None:
    """Type into the corpus box and wait until the debounced rebuild has been sent."""
    panel.corpus_box.setPlainText(text)
    assert panel.corpus_timer.isActive()
    qtbot.waitUntil(lambda: not panel.corpus_timer.isActive())


def test_stepping_updates_the_bars_and_highlights_the_sampled_token(panel, qtbot):
    snap = panel.last_snapshot
    assert (snap.level, snap.order) == ("word", 2)   # "the cat sat on the" bars from the start
    assert snap.corpus_tokens == len(tokenize(load_corpus("nursery"), "word"))
    assert panel.corpus_box.toPlainText() == load_corpus("nursery")
    assert panel.speed == 5
    assert "Step" in panel.bars.plot_item.titleLabel.text
    orange = QColor(panel.theme.color(CHOSEN)).rgb()
    for _ in range(6):
        step_to(qtbot, panel, 1)
        last = panel.last_snapshot.last
        bars = panel.bars.bars.opts
        assert np.allclose(bars["width"], 100 * last.probabilities)
        assert panel.bars.token_labels == [("▶ " if i == last.chosen_rank else "") + bar_label(token)
                                           for i, token in enumerate(last.candidates)]
        shown = [label.toPlainText() for label in panel.bars.labels if label.isVisible()]
        assert shown == [percent(p) for p in last.probabilities]
        colours = [b.color().rgb() for b in bars["brushes"]]
        assert colours[last.chosen_rank] == orange
        assert colours.count(orange) == 1
        # The text: the chosen token is bold on orange, the context before it on blue.
        chosen = panel.text_view.extraSelections()[-1]
        assert chosen.cursor.selectedText() == last.token.replace("\n", "\u2029")
        assert chosen.format.fontWeight() == QFont.Weight.Bold
        tokens = panel.last_snapshot.tokens
        on_screen = tokens[max(0, len(tokens) - 1 - last.used_order):-1]  # the first context came from the corpus
        if on_screen:
            context = panel.text_view.extraSelections()[-2]
            assert "".join(context.cursor.selectedText().split()) == "".join("".join(on_screen).split())
    assert panel.text_view.text == panel.last_snapshot.text
    context_title = panel.bars.plot_item.titleLabel.text
    assert "After" in context_title and visible_token(last.context[-1]) in context_title
    # Copied runs are underlined; the nursery rhymes are so small that order 2 soon copies whole lines.
    step_to(qtbot, panel, 60)
    snap = panel.last_snapshot
    assert snap.copied.any()
    underlined = [s for s in panel.text_view.extraSelections()
                  if s.format.underlineStyle() == QTextCharFormat.UnderlineStyle.SingleUnderline]
    assert underlined
    assert all(len(s.cursor.selectedText().split()) >= 1 for s in underlined)
    assert f"{snap.longest_copy_length} tokens" in panel.readout.text()
    scroll = panel.text_view.verticalScrollBar()
    assert scroll.maximum() > 0 and scroll.value() == scroll.maximum()   # the newest token stays in view


def test_clear_starts_the_same_text_again_from_the_seed(panel, qtbot):
    step_to(qtbot, panel, 12)
    first = panel.last_snapshot.text
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 0)
    assert panel.last_snapshot.text == "" and panel.text_view.text == ""
    step_to(qtbot, panel, 12)
    assert panel.last_snapshot.text == first
    # Scrolled up to read, the view stays put as tokens arrive; a cleared text is followed to its end again.
    step_to(qtbot, panel, 60)
    scroll = panel.text_view.verticalScrollBar()
    scroll.setValue(0)
    step_to(qtbot, panel, 5)
    assert scroll.value() == 0 < scroll.maximum()
    panel.reset()
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 0)
    step_to(qtbot, panel, 60)
    assert scroll.maximum() > 0 and scroll.value() == scroll.maximum()


def test_temperature_zero_makes_one_bar_of_100_percent(panel, qtbot):
    panel.temperature_slider.setValue(0)
    assert panel.temperature_readout.text() == "0 greedy"
    qtbot.waitUntil(lambda: panel.last_snapshot.temperature == 0)
    step_to(qtbot, panel, 3)
    assert list(panel.last_snapshot.last.probabilities) == [1.0]
    assert list(panel.bars.bars.opts["width"]) == [100.0]
    assert [label.toPlainText() for label in panel.bars.labels if label.isVisible()] == ["100 %"]


def test_typing_in_the_corpus_rebuilds_the_model_once_typing_pauses(panel, qtbot, monkeypatch):
    panel.corpus_timer.setInterval(400)
    sent = []
    send = panel.call
    monkeypatch.setattr(panel, "call", lambda fn, label, on_done=None: (sent.append(label), send(fn, label, on_done)))
    text = "the dog ran home. the dog sat down. the cat ran home."
    panel.corpus_box.setPlainText(text[:10])
    panel.corpus_box.setPlainText(text)
    assert "relearning" in panel.corpus_status.text()
    qtbot.waitUntil(lambda: not panel.corpus_timer.isActive())
    assert len(sent) == 1   # one rebuild for a burst of typing
    tokens = tokenize(text, "word")
    qtbot.waitUntil(lambda: panel.last_snapshot.corpus_tokens == len(tokens))
    assert panel.last_snapshot.vocabulary_size == len(set(tokens))
    assert panel.applied["text"] == text
    assert panel.corpus_choice.currentText() == "Your own text"
    step_to(qtbot, panel, 5)
    assert set(panel.last_snapshot.tokens) <= set(tokens)


def test_an_empty_or_too_short_corpus_keeps_the_last_good_model(panel, qtbot):
    before = panel.last_snapshot.corpus_tokens
    for bad, reason in (("", "empty"), ("the cat", "only 2 tokens")):
        type_corpus(qtbot, panel, bad)
        qtbot.waitUntil(lambda reason=reason: reason in panel.message_bar.text)
        assert "Not used" in panel.corpus_status.text()
        assert panel.corpus_box.toPlainText() == bad  # what you typed stays, so you can fix it
        step_to(qtbot, panel, 2)
        assert panel.last_snapshot.corpus_tokens == before
    type_corpus(qtbot, panel, "the cat sat on the mat.")
    qtbot.waitUntil(lambda: panel.last_snapshot.corpus_tokens == 7)
    assert not panel.message_bar.isVisible() and "Not used" not in panel.corpus_status.text()
    # An order the panel can check is refused beside the field; one only the model can check, by the model.
    edit = panel.model_form.controls["order"]
    edit.setText("9")
    edit.editingFinished.emit()
    assert "between 1 and 8" in panel.model_form.error("order")
    edit.setText("7")   # 7 tokens cannot hold a context of 7 and what follows it
    edit.editingFinished.emit()
    qtbot.waitUntil(lambda: "order-7" in panel.message_bar.text)
    assert edit.text() == "2" and panel.applied["order"] == 2
    step_to(qtbot, panel, 1)
    assert panel.last_snapshot.order == 2 and panel.last_snapshot.corpus_tokens == 7


def test_a_bad_file_keeps_the_old_model_and_says_why(panel, qtbot, tmp_path):
    step_to(qtbot, panel, 3)
    before = panel.last_snapshot
    png, blank = tmp_path / "picture.txt", tmp_path / "blank.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    blank.write_bytes(b"   \n")
    for path, reason in ((png, "PNG image"), (blank, "empty"), (tmp_path / "missing.txt", "no file")):
        assert not panel.load_text(str(path))
        assert "Nothing was loaded" in panel.message_bar.text and reason in panel.message_bar.text
        assert panel.corpus_box.toPlainText() == load_corpus("nursery")
    step_to(qtbot, panel, 1)
    assert panel.last_snapshot.corpus_tokens == before.corpus_tokens
    assert panel.last_snapshot.tokens[:3] == before.tokens  # the text carried on: nothing was rebuilt
    good = tmp_path / "tiny.txt"
    good.write_text("a rose is a rose is a rose.\n", encoding="utf-8")
    assert panel.load_text(str(good))
    qtbot.waitUntil(lambda: panel.last_snapshot.vocabulary_size == 5)   # a, rose, is, "." and the line break
    assert "tiny.txt" in panel.message_bar.text and "tiny.txt" in panel.corpus_about.text()


def test_a_prompt_with_unseen_words_shows_a_note(panel, qtbot):
    panel.start_edit.setText("the zebra sat")
    panel.start_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: panel.last_snapshot.unknown_prompt_tokens == ("zebra",))
    assert panel.start_note.isVisibleTo(panel) and "zebra" in panel.start_note.text()
    step_to(qtbot, panel, 4)
    assert panel.last_snapshot.text.startswith("the zebra sat")
    panel.start_edit.setText("the cat")
    panel.start_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: panel.last_snapshot.text.startswith("the cat") and panel.last_snapshot.step == 0)
    assert not panel.start_note.isVisibleTo(panel)


def test_the_graph_shows_for_the_nursery_rhymes_and_hides_for_the_story(panel, qtbot):
    step_to(qtbot, panel, 5)
    snap = panel.last_snapshot
    view = panel.graph_view
    assert not view.isHidden() and panel.graph_reason.isHidden()
    assert sum(label.isVisible() for label in view.labels) == len(snap.graph.tokens) == snap.vocabulary_size
    current = snap.graph.tokens.index(snap.tokens[-1])
    x, y = view.current_node.getData()
    assert np.allclose([x[0], y[0]], view.positions[current])
    panel.use_corpus("prose")
    qtbot.waitUntil(lambda: panel.last_snapshot.level == corpus_info("prose").level)
    assert panel.last_snapshot.graph is None
    assert view.isHidden() and not panel.graph_reason.isHidden()
    assert f"{panel.last_snapshot.vocabulary_size}" in panel.graph_reason.text()


def test_perplexity_against_order_runs_with_progress_and_plots_six_orders(panel, qtbot):
    progress = []
    panel.progress.valueChanged.connect(progress.append)
    qtbot.mouseClick(panel.curve_button, Qt.MouseButton.LeftButton)
    assert panel.progress.isVisibleTo(panel) and not panel.curve_button.isEnabled()
    qtbot.waitUntil(lambda: panel.curve is not None, timeout=20_000)
    assert not panel.progress.isVisibleTo(panel) and panel.curve_button.isEnabled()
    assert max(progress) == 100 and len(progress) >= 6
    x, train = panel.perplexity_chart.train.getData()
    _, held_out = panel.perplexity_chart.held_out.getData()
    assert list(x) == [1, 2, 3, 4, 5, 6]
    assert np.isfinite(held_out).all() and np.all(held_out >= train)  # new text surprises it more than old
    assert "α = 0.1" in panel.perplexity_chart.plot_item.getAxis("left").labelText


def test_markov_panel_state_round_trips(qtbot, settings):
    from playground.app import MainWindow
    first = MainWindow(settings=settings, panel="markov")
    qtbot.addWidget(first)
    panel = first.current
    panel.use_corpus("weather")
    panel._param_edited("order", 3)
    panel.temperature_slider.setValue(50)
    panel.start_edit.setText("Rain")
    panel.start_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: panel.applied["order"] == 3 and panel.applied["temperature"] == 0.5
                    and panel.applied["start"] == "Rain")
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    panel = second.current
    assert panel.name == "markov" and panel.corpus_name == "weather"
    assert panel.corpus_choice.currentData() == "weather" and panel.temperature_slider.value() == 50
    assert panel.start_edit.text() == "Rain" and panel.model_form.values()["order"] == 3
    panel.step(1)
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step == 1)
    snap = panel.last_snapshot
    assert (snap.order, snap.temperature, snap.level) == (3, 0.5, "word") and snap.text.startswith("Rain")
    second.close()


def test_your_own_text_is_saved_and_bad_saved_settings_fall_back_to_the_defaults(qtbot, settings):
    from playground.app import MainWindow
    first = MainWindow(settings=settings, panel="markov")
    qtbot.addWidget(first)
    first.current.corpus_timer.setInterval(5)
    type_corpus(qtbot, first.current, "one fish two fish red fish blue fish.")
    qtbot.waitUntil(lambda: first.current.applied["text"].startswith("one fish"))
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.current.corpus_box.toPlainText() == "one fish two fish red fish blue fish."
    second.current.step(1)
    qtbot.waitUntil(lambda: second.current.last_snapshot is not None and second.current.last_snapshot.step == 1)
    assert second.current.last_snapshot.vocabulary_size == 6
    second.close()
    state = json.loads(settings.value("panels"))
    state["markov"]["corpus"] = "no such corpus"
    settings.setValue("panels", json.dumps(state))
    third = MainWindow(settings=settings)
    qtbot.addWidget(third)
    assert "could not be used" in third.current.message_bar.text
    assert third.current.corpus_name == "nursery"
    third.close()


def _underlined(panel) -> list[str]:
    return [s.cursor.selectedText() for s in panel.text_view.extraSelections()
            if s.format.underlineStyle() == QTextCharFormat.UnderlineStyle.SingleUnderline]


def _copied_runs(snap) -> list[str]:
    """Each maximal run of copied tokens, as the text it covers (token starts index the whole text)."""
    runs, run = [], []
    for i, copied in enumerate(snap.copied):
        if copied:
            run.append(i)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return [snap.text[snap.token_starts[r[0]]:snap.token_starts[r[-1]] + len(snap.tokens[r[-1]])] for r in runs]


def test_every_copied_run_is_underlined_exactly(panel, qtbot):
    step_to(qtbot, panel, 80)
    snap = panel.last_snapshot
    expected = [run.replace("\n", "\u2029") for run in _copied_runs(snap)]
    assert expected and _underlined(panel) == expected


def test_highlights_land_on_the_right_characters_after_an_emoji(panel, qtbot):
    """QTextDocument counts UTF-16 units; an emoji takes two, so every highlight after one must shift by one."""
    type_corpus(qtbot, panel, "the 🐱 sat on the mat. the 🐶 sat on the log. the 🐱 ran to the log.\n" * 3)
    qtbot.waitUntil(lambda: "🐱" in panel.last_snapshot.text or panel.last_snapshot.step == 0)
    for _ in range(30):
        step_to(qtbot, panel, 1)
        last = panel.last_snapshot.last
        chosen = panel.text_view.extraSelections()[-1]
        assert chosen.cursor.selectedText() == last.token.replace("\n", "\u2029")
    snap = panel.last_snapshot
    assert "🐱" in snap.text or "🐶" in snap.text
    assert _underlined(panel) == [run.replace("\n", "\u2029") for run in _copied_runs(snap)]
