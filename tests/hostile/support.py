"""What every hostile-input case checks, and the invalid values the cases are drawn from.

A case is: note what the panel, its controls and its model look like (:class:`Guard`), feed one invalid input, let
the worker answer (:func:`settle`), then require that something on the panel says what was wrong (:func:`said`)
and that nothing else changed (:meth:`Guard.assert_intact`). :func:`still_steps` proves the model still works.
"""
from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit

from playground.widgets.params import ParamForm

#: Cases run, by test module, and how they ended: "refused" (a message, nothing changed) or "used" (an odd but
#: valid input the model took and still steps with). The summary at the end of the run prints both.
CASES: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()


def count_case(module: str) -> None:
    CASES[module.rsplit(".", 1)[-1]] += 1


def count_used() -> None:
    OUTCOMES["used"] += 1


def hostile_settings(n: int) -> settings:
    """``n`` examples; windows are shared by the examples of a test, so the fixture health check is off."""
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- what the panel says ----------------------------------------------------------------------------------------

def said(panel) -> str:
    """Every complaint the panel shows now: its message bar, any field's own error line, the Sampling editors'
    error lines and the Markov corpus note."""
    texts = []
    if not panel.message_bar.isHidden() and panel.message_bar.label.text():
        texts.append(panel.message_bar.label.text())
    for label in panel.findChildren(QLabel):
        if label.objectName() == "FieldError" and not label.isHidden() and label.text():
            texts.append(label.text())
    for editor in getattr(panel, "editors", {}).values():
        if editor.error:
            texts.append(editor.error)
    status = getattr(panel, "corpus_status", None)
    if status is not None and "Not used" in status.text():
        texts.append(status.text())
    return " | ".join(texts)


def hush(panel) -> None:
    """Clear every complaint (so the next case must make its own), and put each number field back to the value in
    use (a refused value stays visible in its field for the student to fix)."""
    panel.message_bar.clear()
    for form in panel.findChildren(ParamForm):
        form.clear_error()
        form.set_values(form.values())
    for editor in getattr(panel, "editors", {}).values():
        error_line = getattr(editor, "error_line", None)
        if error_line is not None:
            error_line.clear()
    if hasattr(panel, "corpus_error"):
        panel.corpus_error = ""
        panel._render_corpus_status(panel.last_snapshot)
    note = getattr(panel, "start_note", None)
    if note is not None:
        note.hide()


# --- what must not change -----------------------------------------------------------------------------------------

def frozen(value: Any) -> Any:
    """A value made comparable with ==: arrays by content, containers element-wise, other objects by identity
    (a refused input must not even replace an object with an equal one)."""
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str, np.ascontiguousarray(value).tobytes())
    if isinstance(value, dict):
        return tuple(sorted((str(k), frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if value is None or isinstance(value, (bool, int, float, str, bytes, np.generic)):
        return value
    return ("object", type(value).__name__, id(value))


def model_parameters(model) -> dict[str, Any]:
    """The model's parameters as the worker uses them: its tunable attributes, configuration and step count."""
    found: dict[str, Any] = {"type": type(model).__name__, "seed": model.seed, "n_steps": model.n_steps}
    for name in model.tunable():
        if name in vars(model):
            found[name] = vars(model)[name]
    for name in ("config", "live"):
        if isinstance(vars(model).get(name), dict):
            found[name] = dict(vars(model)[name])
    return found


def fingerprint(panel, extra: Callable[[Any], dict] | None = None) -> dict[str, Any]:
    forms = {f"form{i}": form.values() for i, form in enumerate(panel.findChildren(ParamForm))}
    return {"model object": id(panel.model), "model": frozen(model_parameters(panel.model)),
            "state": json.dumps(panel.state(), sort_keys=True, default=repr), "forms": frozen(forms),
            **{k: frozen(v) for k, v in (extra(panel) if extra else {}).items()}}


class Guard:
    """A panel's controls, saved state, data and model parameters before a case (less the parts ``ignore`` names:
    "state", "forms", "model", "model object" or a key of ``extra``)."""

    def __init__(self, panel, extra: Callable[[Any], dict] | None = None, ignore: tuple[str, ...] = ()) -> None:
        self.panel, self.extra, self.ignore = panel, extra, ignore
        self.before = fingerprint(panel, extra)

    def changes(self) -> list[str]:
        after = fingerprint(self.panel, self.extra)
        return [key for key in self.before if self.before[key] != after[key] and key not in self.ignore]

    def assert_intact(self, what: str) -> None:
        changed = self.changes()
        assert not changed, f"{what}: the refused input changed {changed}"
        OUTCOMES["refused"] += 1


# --- driving the panel ------------------------------------------------------------------------------------------

def type_into(edit: QLineEdit, text: str) -> None:
    """Replace the field's text and press Return, as a student would."""
    edit.setFocus()
    edit.setText(text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


#: Debounce timers of each panel (attribute names); the cases cut them to zero.
DEBOUNCE = {"sampling": ("_redraw_timer",), "gmm": ("_data_timer",), "diffusion": ("_draw_timer",),
            "markov": ("corpus_timer",)}


def debounce_timers(panel) -> tuple:
    return tuple(getattr(panel, attribute) for attribute in DEBOUNCE.get(panel.name, ()))


def settle(qtbot, panel) -> None:
    """Let the debounce timers fire, then wait until the worker has answered every command sent so far: a no-op
    Call queued behind them comes back last, with a frame (``rendered`` is emitted after the answers are handled)."""
    for timer in debounce_timers(panel):
        qtbot.waitUntil(lambda timer=timer: not timer.isActive(), timeout=5000)
    answered: list = []
    with qtbot.waitSignal(panel.rendered, timeout=20_000, check_params_cb=lambda _: bool(answered)):
        panel.call(lambda model: None, "hostile-input barrier", on_done=answered.append)


def still_steps(qtbot, panel, n: int = 1) -> None:
    """The model takes ``n`` more steps and nothing on the panel reports an error."""
    assert panel.active
    target = panel.model.n_steps + n
    with qtbot.waitSignal(panel.rendered, timeout=20_000,
                          check_params_cb=lambda snap: snap.step >= target or panel.message_bar.level == "error"):
        panel.step(n)
    assert panel.message_bar.level != "error", panel.message_bar.label.text()


def run_case(qtbot, panel, module: str, what: str, act: Callable[[], Any], *,
             extra: Callable[[Any], dict] | None = None, ignore: tuple[str, ...] = ()) -> Guard:
    """Count a case, clear old complaints, note what must not change, feed the input with ``act()`` and wait for
    the worker's answer. An exception raised in any slot meanwhile fails the case (pytest-qt catches it)."""
    count_case(module)
    hush(panel)
    guard = Guard(panel, extra, ignore)
    with qtbot.capture_exceptions() as exceptions:
        act()
        settle(qtbot, panel)
    assert not exceptions, f"{what}: an exception escaped into Qt: {exceptions[0][1]!r}"
    return guard


def refuse(qtbot, panel, module: str, what: str, act: Callable[[], Any], *,
           extra: Callable[[Any], dict] | None = None, ignore: tuple[str, ...] = (), step: bool = True) -> None:
    """One case: ``act()`` feeds an invalid input; it must be refused with a message, change nothing (but what
    ``ignore`` names, see Guard), and leave a model that still steps."""
    guard = run_case(qtbot, panel, module, what, act, extra=extra, ignore=ignore)
    assert said(panel), f"{what}: nothing on the panel says what was wrong"
    guard.assert_intact(what)
    if step:
        still_steps(qtbot, panel)


# --- invalid values -------------------------------------------------------------------------------------------

def parses(text: str) -> bool:
    try:
        float(text.strip().replace("−", "-"))
    except ValueError:
        return False
    return True


def finite(text: str) -> bool:
    return parses(text) and math.isfinite(float(text.strip().replace("−", "-")))


#: Texts that are no number at all, or no finite one.
NOT_NUMBERS = ("", " ", "\t", "nan", "NaN", "-nan", "inf", "-inf", "+Infinity", "∞", "1e309", "-1e999", "abc",
               "1,5", "1.2.3", "--1", "0x10", "½", "1e", "e5", "None", "True", "[1]", "1 2", "٣.x", "1/2", "—",
               "NaN ", " inf\t", "1e-400e", "١e", "0.0.", "\u200b", "+-0")


def not_a_number() -> st.SearchStrategy[str]:
    """Text that does not read as a finite number: words, symbols, unicode, NaN, inf, overflow, very long."""
    return st.one_of(
        st.sampled_from(NOT_NUMBERS),
        st.text(max_size=40).filter(lambda s: not finite(s)),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=300, max_size=2000).filter(lambda s: not parses(s)),
        st.integers(309, 5000).map(lambda e: f"1e{e}"),
    )


def number_text(value: float) -> str:
    """How a student might type ``value``: plain, exponent, or with a Unicode minus."""
    text = repr(float(value)) if isinstance(value, float) else str(value)
    return text.replace("-", "−") if value < 0 and len(text) % 2 else text


def numbers_outside(valid: Callable[[float], bool], *, integers: bool = False) -> st.SearchStrategy[str]:
    """Finite numbers (negative, zero, huge, tiny, fractional) for which ``valid`` is False, as typed text."""
    special = st.sampled_from([0.0, -0.0, -1.0, -1e-300, 1e-320, 1e300, -1e300, 1.7976931348623157e308, 0.5, 2.5,
                               1e6, 1e15, -2.0, 3.0, 1001.0, 51.0, 11.0, 100000.0])
    floats = st.floats(allow_nan=False, allow_infinity=False)
    ints = st.integers(-10**30, 10**30)
    values = st.one_of(special, floats, ints.map(int), st.floats(-1e4, 1e4).map(lambda x: round(x, 2)))
    if integers:
        values = st.one_of(values, ints)
    return values.filter(lambda v: not valid(v)).map(number_text)


def whole(value: float) -> bool:
    return float(value).is_integer()


# --- files ------------------------------------------------------------------------------------------------------

def pickle_npy_bytes(marker: Path) -> bytes:
    """A well-formed .npy file of an object array whose unpickling calls ``pathlib.Path(marker).touch()``.

    The pickle is written opcode by opcode (protocol 2), so making the file runs nothing; loading it with
    ``allow_pickle=True`` would create ``marker`` (tests/test_no_code_execution.py checks that it really would).
    """
    path = str(marker).encode()
    payload = (b"\x80\x02"                                                      # PROTO 2
               b"cpathlib\nPath\n"                                              # push pathlib.Path
               b"X" + len(path).to_bytes(4, "little") + path + b"\x85R"          # Path(marker)
               b"q\x00"                                                         # memo[0] = it
               b"cbuiltins\ngetattr\n"                                          # push getattr
               b"h\x00X\x05\x00\x00\x00touch\x86R"                              # getattr(memo[0], "touch")
               b")R.")                                                          # ...() and stop
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"                     # pad to a multiple of 64
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1") + payload


#: Starts of files that are not text.
SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n", b"PK\x03\x04", b"\xff\xd8\xff\xe0", b"GIF89a", b"\x1f\x8b\x08",
              b"\xd0\xcf\x11\xe0", b"\x7fELF\x02\x01")
BIG_BYTES = 21 * 1024 * 1024          # above every loader's 20 MB limit


@dataclasses.dataclass(frozen=True)
class FileCase:
    """A file (or something at a path) a student might pick. ``kind`` says what it is, for the failure message."""

    kind: str
    content: bytes = b""
    suffix: str = ".csv"

    def write(self, folder: Path) -> Path:
        """Put it in ``folder`` (a fresh one per case) and return the path to open."""
        path = folder / f"data{self.suffix}"
        if self.kind == "missing":
            return path
        if self.kind == "folder":
            path.mkdir()
            (path / "inside.csv").write_text("1,2\n3,4\n", encoding="utf-8")
        elif self.kind == "too big":
            with path.open("wb") as f:
                f.write(self.content)
                f.truncate(BIG_BYTES)        # sparse: no 21 MB actually written
        elif self.kind == "npy with a pickle":
            path = path.with_suffix(".npy")
            path.write_bytes(pickle_npy_bytes(folder / "PWNED"))
        else:
            path.write_bytes(self.content)
        return path


def numeric_row(values: list[float], delimiter: str) -> str:
    return delimiter.join(f"{v:.6g}" for v in values)


@st.composite
def broken_tables(draw, n_columns: int, *, blank_lines: bool = True) -> FileCase:
    """CSV text with good rows and at least one bad one (NaN, inf, overflow, a word, a missing value, a row with
    too few or too many values, an empty line if ``blank_lines``), in any of the separators the loader accepts."""
    delimiter = draw(st.sampled_from([",", ";", "\t", " "]))
    value = st.floats(-1e6, 1e6, allow_nan=False)
    n_good = draw(st.integers(0, 30))
    rows = [numeric_row(draw(st.lists(value, min_size=n_columns, max_size=n_columns)), delimiter)
            for _ in range(n_good)]
    word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéßλ字_-", min_size=1, max_size=12).filter(lambda w: not parses(w))
    bad_cell = st.one_of(st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e400", "1e60", "-3e300",
                                          "n/a", "#N/A",
                                          "?", "1.2.3", "0x1F", "--5"]), word)
    bad_rows = []
    for _ in range(draw(st.integers(1, 4))):
        kinds = ["cell", "few", "many"][:3 if n_columns > 1 else 1] + ["blank"] * blank_lines
        kind = draw(st.sampled_from(kinds))
        good = [f"{v:.6g}" for v in draw(st.lists(value, min_size=n_columns, max_size=n_columns))]
        if kind == "cell":
            good[draw(st.integers(0, n_columns - 1))] = draw(bad_cell)
        elif kind == "few":
            good = good[:draw(st.integers(1, n_columns - 1))]
        elif kind == "many":
            good += [f"{v:.6g}" for v in draw(st.lists(value, min_size=1, max_size=4))]
        bad_rows.append((kind, delimiter.join(good) if kind != "blank" else ""))
    for kind, row in bad_rows:
        # A blank line at the very end, or a row of words at the very top (a header), is harmless: keep bad rows
        # between good ones.
        rows.insert(draw(st.integers(0, len(rows))), row)
    if not rows[0] or not any(finite(c) for c in rows[0].split(delimiter if delimiter != " " else None)):
        rows.insert(0, numeric_row([1.0] * n_columns, delimiter))
    if not rows[-1]:
        rows.append(numeric_row([2.0] * n_columns, delimiter))
    if draw(st.booleans()):
        rows.insert(0, delimiter.join(f"col{i}" for i in range(n_columns)))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    kinds = "+".join(sorted({kind for kind, _ in bad_rows}))
    return FileCase(f"table with bad rows ({kinds})", ending.join(rows).encode("utf-8"))


def unusable_files(suffix: str = ".csv") -> st.SearchStrategy[FileCase]:
    """Files no table loader can use: missing, a folder, empty, blank, binary, known binary formats, an .npy holding
    a pickle, too big, a quote never closed (one value of 200 000 characters; as text, it is text)."""
    binary = st.binary(min_size=1, max_size=4000).map(lambda b: b[: len(b) // 2] + b"\x00" + b[len(b) // 2:])
    return st.one_of(
        st.sampled_from([FileCase("missing", suffix=suffix), FileCase("folder", suffix=suffix),
                         FileCase("empty", b"", suffix), FileCase("npy with a pickle", suffix=suffix)]),
        st.text(alphabet=" \t\r\n\x0b\x0c", min_size=1, max_size=200).map(
            lambda t: FileCase("blank", t.encode(), suffix)),
        binary.map(lambda b: FileCase("binary", b, suffix)),
        st.tuples(st.sampled_from(SIGNATURES), st.binary(max_size=2000)).map(
            lambda sb: FileCase("a binary format", sb[0] + sb[1], suffix)),
        st.binary(max_size=200).map(lambda b: FileCase("too big", b, suffix)),
        st.integers(0, 3).map(lambda n: FileCase("a quote never closed",
                                                  b"1,2\n" * n + b'"3' + b"4" * 200_000 + b",5\n6,7\n", suffix)),
    )


def undecodable_text() -> st.SearchStrategy[FileCase]:
    """Text in an encoding the loaders do not read: UTF-16 without a BOM, or bytes invalid in UTF-8 and cp1252."""
    text = st.text(alphabet="0123456789.,;\n -", min_size=4, max_size=300)
    return st.one_of(
        text.map(lambda t: FileCase("UTF-16 without a BOM", t.encode("utf-16-le"))),
        st.tuples(text, st.lists(st.sampled_from([b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"]), min_size=1)).map(
            lambda tb: FileCase("neither UTF-8 nor cp1252", b"1,2\n" + b"".join(tb[1]) + tb[0].encode())),
    )

