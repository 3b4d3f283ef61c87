"""Read a user's own numbers from a CSV file — all of it or nothing, with errors that name the lines to fix.

``load_points_csv`` reads points (rows of ``n_columns`` numbers); ``load_column_csv`` reads one column of numbers.
Both accept an optional header row, commas, semicolons, tabs or spaces between values, quoted values, and a decimal
comma when the values are not separated by commas ("1,5;2,25"). A file is never executed or unpickled: it is decoded
as text and every value goes through ``float``.
"""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np

__all__ = ["load_points_csv", "load_column_csv", "MAX_MAGNITUDE"]

#: How many bad lines one error message lists before "… and N more".
SHOWN_PROBLEMS = 5
#: Larger numbers are refused: the models square distances between points, and beyond about 1e75 (diffusion's
#: sample-quality measures) to 1e150 (every model) the squares overflow to infinity.
MAX_MAGNITUDE = 1e50


def load_points_csv(path: str | os.PathLike, *, n_columns: int = 2, max_bytes: int = 20_000_000) -> np.ndarray:
    """Points from a CSV file, as a float64 array (n_rows, n_columns).

    The first row may be a header (if none of its values is a number). Every other row must hold exactly
    ``n_columns`` finite numbers; otherwise one ValueError lists the first few bad lines (counting from 1).
    """
    if isinstance(n_columns, bool) or not isinstance(n_columns, int) or n_columns < 1:
        raise ValueError(f"n_columns must be a whole number ≥ 1; got {n_columns!r}")
    name, rows = _read_rows(path, max_bytes)
    first = rows[0][1]
    if first != [""] and not any(_written_as_number(field) for field in first):
        rows = rows[1:]  # a header
    if not rows:
        raise ValueError(f"{name} has a header but no rows of numbers")

    points, problems = [], []
    for line, fields in rows:
        if fields == [""]:
            problems.append(f"line {line}: empty line")
        elif len(fields) != n_columns:
            problems.append(f"line {line}: expected {n_columns} value{'s' * (n_columns > 1)}, found {len(fields)}")
        else:
            values = [_number(field) for field in fields]
            problem = next((_describe(field) for field, value in zip(fields, values) if value is None), None)
            if problem:
                problems.append(f"line {line}: {problem}")
            else:
                points.append(values)
    _raise_if_any(name, problems, len(rows))
    return np.array(points, dtype=np.float64).reshape(-1, n_columns)


def load_column_csv(path: str | os.PathLike, column: int | str = 0, *, max_bytes: int = 20_000_000) -> np.ndarray:
    """One column of numbers from a CSV file, as a float64 array (n_rows,).

    ``column`` is a position (0 = first) or the name of a column in the header row. Other columns may hold anything.
    """
    name, rows = _read_rows(path, max_bytes)
    header = rows[0][1]
    if isinstance(column, str):
        if column not in [field.strip() for field in header]:
            raise ValueError(f"{name} has no column called {column!r}; its first row is: {', '.join(header)}")
        index, rows = [field.strip() for field in header].index(column), rows[1:]
    elif isinstance(column, bool) or not isinstance(column, int) or column < 0:
        raise ValueError(f"column must be a position (0 for the first column) or a column name; got {column!r}")
    else:
        index = column
        if len(header) > index and header != [""] and not _written_as_number(header[index]):
            rows = rows[1:]  # a header
    if not rows:
        raise ValueError(f"{name} has a header but no rows of numbers")

    values, problems = [], []
    for line, fields in rows:
        if fields == [""]:
            problems.append(f"line {line}: empty line")
        elif len(fields) <= index:
            problems.append(f"line {line}: no column {index + 1} (the line has {len(fields)} value"
                            f"{'s' * (len(fields) != 1)})")
        elif (value := _number(fields[index])) is None:
            problems.append(f"line {line}: {_describe(fields[index])}")
        else:
            values.append(value)
    _raise_if_any(name, problems, len(rows))
    return np.array(values, dtype=np.float64)


# ---------------------------------------------------------------------------------------------------------------

def _read_rows(path: str | os.PathLike, max_bytes: int) -> tuple[str, list[tuple[int, list[str]]]]:
    """The file's name and its non-blank-at-the-end rows as (1-based line number, fields); ValueError if unreadable."""
    path = Path(path)
    name = f"'{path.name}'"
    if not path.exists():
        raise ValueError(f"there is no file at {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{name} is {size / 1e6:.1f} MB; files up to {max_bytes / 1e6:g} MB can be loaded")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{name} could not be read: {exc.strerror or exc}") from None
    if b"\x00" in raw:
        raise ValueError(f"{name} is not a text file (it contains binary data); save the table as CSV text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")  # what spreadsheets on Windows often write
        except UnicodeDecodeError:
            raise ValueError(f"{name} is not readable text (neither UTF-8 nor Windows-1252); "
                             "save the table as CSV text") from None

    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()  # blank lines at the very end are harmless
    if not lines:
        raise ValueError(f"{name} is empty")

    delimiter = _guess_delimiter(lines)
    if delimiter is None:
        rows = [(number, line.split() or [""]) for number, line in enumerate(lines, start=1)]
    else:
        reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
        try:
            rows = [(reader.line_num, [field.strip() for field in fields] or [""]) for fields in reader]
        except csv.Error as exc:  # e.g. a quote never closed, which swallows the rest of the file into one value
            raise ValueError(f"{name} cannot be read from line {reader.line_num} on ({exc}); check the quotes "
                             "there") from None
    if delimiter != ",":
        rows = [(number, [_decimal_point(field) for field in fields]) for number, fields in rows]
    return name, rows


def _guess_delimiter(lines: list[str]) -> str | None:
    """The separator used in the first lines: semicolon, tab or comma — or None for spaces (or one column).

    On a tie a semicolon or tab wins: next to one of them, commas are decimal commas ("1,5;2,25").
    """
    sample = [line for line in lines[:50] if line.strip()]
    counts = {delimiter: sum(delimiter in line for line in sample) for delimiter in (";", "\t", ",")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else None


def _decimal_point(field: str) -> str:
    """'1,5' → '1.5' (a decimal comma), leaving everything else alone."""
    return field.replace(",", ".") if field.count(",") == 1 and "." not in field else field


def _number(field: str) -> float | None:
    """The finite number (at most MAX_MAGNITUDE in size) written in ``field``, or None."""
    try:
        value = float(field)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= MAX_MAGNITUDE else None


def _written_as_number(field: str) -> bool:
    """True for anything ``float`` reads, "nan" and "1e999" included: such a first row is data, not a header."""
    try:
        float(field)
    except ValueError:
        return False
    return True


def _describe(field: str) -> str:
    if field == "":
        return "a value is missing"
    try:
        value = float(field)
    except ValueError:
        shown = field if len(field) <= 20 else field[:17] + "..."
        return f"{shown!r} is not a number"
    if math.isfinite(value):
        return f"{field!r} is too large (numbers up to ±1e{round(math.log10(MAX_MAGNITUDE))} can be used; rescale the column)"
    return f"{field!r} is not a finite number"


def _raise_if_any(name: str, problems: list[str], n_rows: int) -> None:
    if not problems:
        return
    shown = "; ".join(problems[:SHOWN_PROBLEMS])
    more = f"; … and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
    raise ValueError(f"{name}: {len(problems)} of {n_rows} rows could not be read, so nothing was loaded — "
                     f"{shown}{more}")
