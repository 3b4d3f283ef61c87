"""Edit → Copy as Python and File → Export data as CSV: the current panel's work handed to other tools.

The panels write the script (``Panel.python_script``, see playground/scripts) and the tables
(``Panel.export_tables``, see playground/export_csv.py); this module puts the script on the clipboard, asks where
the tables go and says what happened — in the panel's message bar when something needs reading, in the status bar
when it is a confirmation. A panel that has neither hook yet says so and nothing else happens.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

if TYPE_CHECKING:
    from playground.app import MainWindow


def copy_python(window: "MainWindow") -> bool:
    """Put the current panel's script on the clipboard; True if it did."""
    panel = window.current
    if panel is None:
        return False
    try:
        source = panel.python_script()
    except Exception as exc:  # noqa: BLE001 - a slot must not throw into Qt; say what went wrong instead
        panel.message_bar.show_message(f"Copy as Python failed ({type(exc).__name__}: {exc}).", "error")
        return False
    if source is None:
        panel.message_bar.show_message(f"Copy as Python is not available for the {panel.title} panel yet.", "info")
        return False
    QApplication.clipboard().setText(source)
    window.statusBar().showMessage(
        f"Copied a {source.count(chr(10))}-line Python script to the clipboard: paste it into a file or a notebook "
        "and run it.", 10_000)
    return True


def export_data_dialog(window: "MainWindow") -> None:
    """Ask for a folder, confirm replacing files already there, then export."""
    panel = window.current
    if panel is None or _tables_or_say_why(panel) is None:
        return
    folder = QFileDialog.getExistingDirectory(window, f"Export the {panel.title} panel's data as CSV into",
                                              str(Path.home()))
    if not folder:
        return
    tables = _tables_or_say_why(panel)       # made again: the panel may have moved on while the dialog was open
    if tables is None:
        return
    existing = [t.file_name for t in tables if (Path(folder) / t.file_name).exists()]
    if existing:
        answer = QMessageBox.question(window, "Replace files?",
                                      f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''} in "
                                      f"{folder}. Replace {'it' if len(existing) == 1 else 'them'}?")
        if answer != QMessageBox.StandardButton.Yes:
            return
    export_data(window, Path(folder), tables)


def export_data(window: "MainWindow", folder: Path, tables: list | None = None) -> list[Path] | None:
    """Write the current panel's tables into ``folder`` (replacing files of the same names); the paths written, or
    None after saying why nothing was written."""
    panel = window.current
    if panel is None:
        return None
    tables = tables if tables is not None else _tables_or_say_why(panel)
    if tables is None:
        return None
    try:
        from playground.export_csv import write_tables  # it imports every model: not at start-up
        written = write_tables(tables, folder)
    except OSError as exc:
        panel.message_bar.show_message(f"Nothing was exported: {exc.strerror or exc}"
                                       + (f" ({exc.filename})" if exc.filename else "") + ".", "warning")
        return None
    notes = " ".join(t.note for t in tables if t.note)
    panel.message_bar.show_message(
        f"Exported {', '.join(p.name for p in written)} to {folder}." + (f" {notes}" if notes else ""), "info")
    return written


def _tables_or_say_why(panel) -> list | None:
    if panel.last_snapshot is None:
        panel.message_bar.show_message("There is nothing to export yet: the panel has not drawn anything.", "info")
        return None
    try:
        tables = panel.export_tables()
    except Exception as exc:  # noqa: BLE001 - a slot must not throw into Qt; say what went wrong instead
        panel.message_bar.show_message(f"Export failed ({type(exc).__name__}: {exc}); nothing was written.", "error")
        return None
    if tables is None:
        panel.message_bar.show_message(f"Export data as CSV is not available for the {panel.title} panel yet.",
                                       "info")
    return tables
