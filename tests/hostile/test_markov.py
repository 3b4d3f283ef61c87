"""Hostile input to the Markov text panel: its number fields, the corpus box, the start prompt and a text file."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtGui import QTextOption

from playground.models.markov import MAX_ORDER, MIN_ORDER
from tests.hostile.support import (
    count_used,
    SIGNATURES,
    FileCase,
    hostile_settings,
    not_a_number,
    number_text,
    numbers_outside,
    refuse,
    run_case,
    said,
    settle,
    still_steps,
    type_into,
    unusable_files,
    whole,
)

FIELDS = {"order": lambda v: whole(v) and MIN_ORDER <= v <= MAX_ORDER,
          "top_k": lambda v: whole(v) and v >= 0,
          "smoothing": lambda v: v >= 0}


def applied(panel) -> dict:
    return {"applied": panel.applied}


@pytest.fixture
def panel(open_panel, qtbot):
    """The Markov panel on the nursery rhymes with no prompt: a previous test's exotic corpus would make every
    frame of this one lay out glyphs from a dozen scripts (font fallback costs seconds on a bare machine)."""
    panel = open_panel("markov")
    panel.use_corpus("nursery")
    type_into(panel.start_edit, "")
    panel.reset()
    settle(qtbot, panel)
    return panel


def refuse_or_use(qtbot, panel, what: str, act, used) -> None:
    """Either the input changed the model and ``used()`` holds (not every odd input is wrong: 'ω' is a prompt, and a
    file with a few undecodable bytes loads with a note), or nothing changed and a message says why. Either way the
    model then steps without complaint."""
    # The corpus box keeps refused text so that it can be fixed: the saved state may say "your own text".
    guard = run_case(qtbot, panel, __name__, what, act, extra=applied, ignore=("state",))
    if guard.changes():
        assert used(), f"{what}: it changed {guard.changes()} but is not what the model uses"
        count_used()
    elif said(panel):
        guard.assert_intact(what)
    else:
        assert used(), f"{what}: neither refused with a message nor used"   # e.g. the prompt it already had
    still_steps(qtbot, panel)


@hostile_settings(45)
@given(field=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_number_fields_refuse_what_is_not_a_valid_number(panel, qtbot, field, data):
    text = data.draw(st.one_of(not_a_number(), numbers_outside(FIELDS[field], integers=field != "smoothing")),
                     label="typed")
    edit = panel.model_form.controls[field]
    refuse(qtbot, panel, __name__, f"{field} = {text!r}", lambda: type_into(edit, text), extra=applied)


@hostile_settings(20)
@given(field=st.sampled_from(["top_k", "smoothing"]),
       value=st.one_of(st.sampled_from([1e300, 1.7976931348623157e308, 5e-324, 1e-300, 10**30, 2**63]),
                       st.integers(1, 10**40), st.floats(0, 1e308)))
def test_huge_and_tiny_numbers_are_refused_or_used(panel, qtbot, field, value):
    text = number_text(int(value) if field == "top_k" else value)
    typed = float(text)   # what the field reads (a whole number beyond 2^53 is rounded, as any float is)
    edit = panel.model_form.controls[field]
    refuse_or_use(qtbot, panel, f"{field} = {text}", lambda: type_into(edit, text),
                  lambda: panel.applied[field] == typed == (panel.model.top_k or 0 if field == "top_k" else
                                                            panel.model.smoothing))


def corpus_texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["", " ", "\n\n\t ", "a", "ab", "a b", "\u200b", "🐈", "\x00", "\x07\x08", "\ufffd" * 3]),
        st.text(max_size=6),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=2000, max_size=20_000),
        st.text(alphabet="ab \n", min_size=50, max_size=400),
    )


@hostile_settings(40)
@given(text=corpus_texts())
def test_the_corpus_box_refuses_or_learns_any_text(panel, qtbot, text):
    def typed():
        panel.corpus_box.setPlainText(text)

    # The box keeps the text as Qt holds it (a lone \r becomes a line break): that is what the model must learn.
    refuse_or_use(qtbot, panel, f"corpus {text[:40]!r}", typed,
                  lambda: panel.model.text == panel.corpus_box.toPlainText() == panel.applied["text"])


@hostile_settings(30)
@given(start=st.one_of(st.sampled_from(["", " ", "\t", "zzzz", "the cat", "🐈 🐈", "\u202e", "x" * 5000]),
                       st.text(max_size=40), st.text(min_size=1000, max_size=5000)))
def test_the_start_prompt_refuses_or_uses_any_text(panel, qtbot, start):
    refuse_or_use(qtbot, panel, f"start {start[:40]!r}", lambda: type_into(panel.start_edit, start),
                  lambda: panel.model.start == panel.start_edit.text() == panel.applied["start"])


def odd_text_files() -> st.SearchStrategy[FileCase]:
    """Text files a model cannot learn from, or that are barely text."""
    return st.one_of(
        st.sampled_from(["a", "é", " a ", "\n"]).map(lambda t: FileCase("one character", t.encode(), ".txt")),
        # English with stray bytes that are never valid UTF-8 (0x80–0xBF alone): a few are replaced by "�" and
        # the file loads with a note; many, and it is refused. (Random high bytes would decode to glyphs of a dozen
        # scripts, and Qt's font fallback for those costs seconds a frame on a bare machine.)
        st.lists(st.one_of(st.sampled_from([b"the cat ", b"sat on ", b"a mat. ", b"\n"]),
                           st.integers(0x80, 0xBF).map(lambda x: bytes([x]))), min_size=5, max_size=400).map(
            lambda parts: FileCase("not UTF-8", b"".join(parts), ".txt")),
        st.tuples(st.sampled_from(SIGNATURES), st.binary(max_size=500)).map(
            lambda sb: FileCase("a binary format", sb[0] + sb[1], ".txt")),
        st.binary(min_size=200, max_size=2000).map(
            lambda b: FileCase("control characters", bytes(x % 9 for x in b), ".txt")),
    )


@hostile_settings(40)
@given(case=st.one_of(unusable_files(".txt"), odd_text_files()))
def test_a_text_file_that_cannot_be_learned_changes_nothing(panel, qtbot, tmp_path_factory, case):
    path = case.write(tmp_path_factory.mktemp("text"))
    refuse_or_use(qtbot, panel, f"text file: {case.kind}", lambda: panel.load_text(str(path)),
                  lambda: panel.model.text == panel.applied["text"] == panel.corpus_box.toPlainText())
    assert not (path.parent / "PWNED").exists()


@hostile_settings(6)
@given(length=st.integers(600, 300_000), level=st.sampled_from(["word", "char"]))
def test_a_very_long_word_is_wrapped_anywhere_so_the_layout_stays_quick(panel, qtbot, tmp_path_factory, length,
                                                                        level):
    """A file (or generated text) holding one enormous word: Qt's word-boundary wrapping lays that out in time
    growing with the square of its length — 13 s for 400 000 characters, the window frozen. It must wrap anywhere."""
    path = tmp_path_factory.mktemp("long") / "minified.txt"
    path.write_text("start " + "x" * length + " end\n", encoding="utf-8")
    refuse_or_use(qtbot, panel, f"one word of {length} characters", lambda: panel.load_text(str(path)),
                  lambda: panel.model.text == panel.corpus_box.toPlainText())
    assert panel.corpus_box.wordWrapMode() == QTextOption.WrapMode.WrapAnywhere
    panel.model_form.controls["level"].setCurrentText(level)
    type_into(panel.model_form.controls["order"], "1")
    settle(qtbot, panel)
    still_steps(qtbot, panel, 6)
    if any(len(token) >= 500 for token in panel.last_snapshot.tokens):
        assert panel.text_view.wordWrapMode() == QTextOption.WrapMode.WrapAnywhere
