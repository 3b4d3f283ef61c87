"""What every Copy-as-Python script shares: exact literals, the header, and the guard around the plot.

Numbers are written with ``repr``, the shortest text that reads back as exactly the same float, so a script's data
and settings are the panel's to the last bit and its printed numbers can be compared with the panel's exactly.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

#: Set this environment variable (to anything) and a script prints its numbers without plotting.
PRINT_ONLY_VARIABLE = "PLAYGROUND_PRINT_ONLY"
#: A user's points up to this many are written into the script; beyond it the script says so and uses a preset.
MAX_EMBEDDED_POINTS = 2000
#: The same for a user's text, in bytes of UTF-8.
MAX_EMBEDDED_TEXT_BYTES = 20_000
LINE_WIDTH = 100
INDENT = "    "


# ---------------------------------------------------------------------------------------------------------------
# Literals

def literal(value: Any) -> str:
    """Python source for a plain value (number, text, None, bool, tuple or list of those) that reads back exactly."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return repr(None if value is None else bool(value))
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, (float, np.floating)):
        return float_literal(float(value))
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, tuple):
        items = [literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(value, (list, np.ndarray)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"no literal for a {type(value).__name__}")


def float_literal(x: float) -> str:
    if math.isfinite(x):
        return repr(x)
    return f'float("{x}")'   # nan, inf, -inf


def string_literal(text: str) -> str:
    """``repr``, in double quotes when the text allows it (the usual style of Python code)."""
    source = repr(text)
    if source.startswith("'") and '"' not in text:
        source = '"' + source[1:-1] + '"'
    return source


def packed_lines(items: Iterable[str], indent: str, width: int = LINE_WIDTH) -> list[str]:
    """Items joined by ", " into as few lines as fit in ``width`` (each line starts with ``indent``, ends in ",")."""
    lines: list[str] = []
    line = ""
    for item in items:
        candidate = f"{line} {item}," if line else f"{indent}{item},"
        if line and len(candidate) > width:
            lines.append(line)
            candidate = f"{indent}{item},"
        line = candidate
    if line:
        lines.append(line)
    return lines


def call(function: str, /, *args: Any, prefix: str = "", **kwargs: Any) -> str:
    """``prefix + function(arg, key=value, …)`` with literal arguments, continued under the opening bracket when too
    long (``prefix`` is e.g. ``"model = "``). An argument given as ``Code("X")`` is written as it is."""
    parts = [arg.source if isinstance(arg, Code) else literal(arg) for arg in args]
    parts += [f"{key}={value.source if isinstance(value, Code) else literal(value)}" for key, value in kwargs.items()]
    opening = prefix + function + "("
    one_line = opening + ", ".join(parts) + ")"
    if len(one_line) <= LINE_WIDTH:
        return one_line
    lines = packed_lines(parts, " " * len(opening))
    lines[0] = opening + lines[0].lstrip()
    return "\n".join(lines)[:-1] + ")"          # the last item needs no trailing comma


class Code:
    """Source text passed to :func:`call` as it is (a variable name, an expression)."""

    def __init__(self, source: str) -> None:
        self.source = source


def array_assignment(name: str, values: np.ndarray) -> str:
    """``name = np.array([...])`` for a 1-D or 2-D array of floats, several values or rows to a line."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        items = [float_literal(v) for v in values.tolist()]
    else:
        items = ["[" + ", ".join(float_literal(v) for v in row) + "]" for row in values.tolist()]
    return "\n".join([f"{name} = np.array([", *packed_lines(items, INDENT), "])"])


def list_assignment(name: str, values: list[Any]) -> str:
    """``name = [...]`` for a list of plain values, on one line if it fits, else several to a line."""
    items = [literal(v) for v in values]
    one_line = f"{name} = [{', '.join(items)}]"
    if len(one_line) <= LINE_WIDTH:
        return one_line
    return "\n".join([f"{name} = [", *packed_lines(items, INDENT), "]"])


def text_assignment(name: str, text: str, width: int = 80) -> str:
    """``name = ("line one\\n" "line two\\n" …)``: one literal per line of the text (long lines cut), exact."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        while len(line) > width:
            pieces.append(line[:width])
            line = line[width:]
        pieces.append(line)
    if not pieces:
        return f"{name} = {string_literal(text)}"
    return "\n".join([f"{name} = (", *(INDENT + string_literal(piece) for piece in pieces), ")"])


# ---------------------------------------------------------------------------------------------------------------
# The whole script

ONE_BLAS_THREAD = (
    "# One BLAS thread, as in the app: the same sums in the same order give the same numbers to the last digit.\n"
    'os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")\n')


def script(*, title: str, about: str, imports: list[str], body: str, printing: str, plotting: str,
           one_blas_thread: bool = False) -> str:
    """Assemble a script: docstring, imports, the experiment, the printed numbers, then the plot behind its guard.

    ``about`` is a paragraph for the docstring; the other parts are source text (``plotting`` is the body of the
    ``if`` that runs when matplotlib is there, unindented, without ``plt.show()``).
    """
    docstring = "\n".join([
        f'"""{title} — copied as Python from the Generative Playground.',
        "",
        *_wrapped(about, LINE_WIDTH - 4),
        "",
        "Prints the numbers the panel showed and, if matplotlib is installed, plots the result",
        f"(set the environment variable {PRINT_ONLY_VARIABLE}=1 to print only).",
        '"""',
    ])
    head = ["import os", ""]
    if one_blas_thread:
        head += [ONE_BLAS_THREAD]
    if "np." in body + printing + plotting:
        head += ["import numpy as np", ""]
    head += sorted(imports)
    guard = "\n".join([
        "# --- the picture: matplotlib, if it is installed -----------------------------------------------------",
        "try:",
        f"{INDENT}import matplotlib.pyplot as plt",
        "except ImportError:",
        f"{INDENT}plt = None",
        "",
        f"if plt is not None and not os.environ.get({string_literal(PRINT_ONLY_VARIABLE)}):",
        *(INDENT + line if line else "" for line in (plotting.rstrip("\n") + "\nplt.show()").splitlines()),
    ])
    numbers = "# --- the numbers the panel shows ---------------------------------------------------------------------"
    return "\n".join([docstring, *head, "", body.rstrip("\n"), "", numbers, printing.rstrip("\n"), "", guard]) + "\n"


def _wrapped(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def plural(count: int, noun: str) -> str:
    """"1 step", "2,000 steps"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
