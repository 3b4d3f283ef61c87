"""File → Record animation…: the dialog that makes a RecordingPlan, and the status-bar indicator with Stop."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from playground.recording import FPS_CHOICES, MAX_SECONDS, MAX_STEPS, SIZE_CHOICES, Recorder, RecordingPlan

FORMATS = (("gif", "Animated GIF (.gif)"), ("png", "PNG frames (a new folder)"))


class RecordDialog(QDialog):
    """Choose what to record. Record checks the choices and, if one cannot work, says why and stays open."""

    def __init__(self, panel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Record {panel.title}")
        self.panel = panel
        self.plan_chosen: RecordingPlan | None = None

        self.by_seconds = QRadioButton("Seconds")
        self.by_steps = QRadioButton("Next steps")
        self.by_seconds.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_seconds)
        group.addButton(self.by_steps)
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(0, MAX_SECONDS)
        self.seconds.setDecimals(1)
        self.seconds.setValue(5)
        self.steps = QSpinBox()
        self.steps.setRange(0, MAX_STEPS)
        self.steps.setGroupSeparatorShown(True)
        self.steps.setValue(200)
        length = QGridLayout()
        length.addWidget(self.by_seconds, 0, 0)
        length.addWidget(self.seconds, 0, 1)
        length.addWidget(self.by_steps, 1, 0)
        length.addWidget(self.steps, 1, 1)

        self.size_box = QComboBox()
        shown = self._shown_size()
        for index, (label, size) in enumerate(SIZE_CHOICES):   # the index as data: Qt would turn a tuple into a list
            self.size_box.addItem(label if size else f"{label} ({shown[0]} × {shown[1]})", index)
        self.fps_box = QComboBox()
        for fps in FPS_CHOICES:
            self.fps_box.addItem(f"{fps}", fps)
        self.fps_box.setCurrentText("12")
        self.format_box = QComboBox()
        for kind, label in FORMATS:
            self.format_box.addItem(label, kind)
        self.format_box.currentIndexChanged.connect(self._format_chosen)
        self.plots_only = QCheckBox("Plots only (leave out the controls)")
        self.plots_only.setChecked(True)
        self.plots_only.toggled.connect(self._refresh_shown_size)

        self.path_edit = QLineEdit(str(Path.home() / f"{panel.name}.gif"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("RecordError")
        self.error.setStyleSheet("color: #b03000;")
        self.error.hide()

        form = QFormLayout()
        form.addRow("Record for", length)
        form.addRow("Frame size", self.size_box)
        form.addRow("Frames per second", self.fps_box)
        form.addRow("Format", self.format_box)
        form.addRow("", self.plots_only)
        form.addRow("Save as", path_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.record_button = buttons.addButton("Record", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _widget(self) -> QWidget:
        plots = getattr(self.panel, "plots_area", None)
        return plots if self.plots_only.isChecked() and plots is not None else self.panel.body

    def _shown_size(self) -> tuple[int, int]:
        widget = self._widget() if hasattr(self, "plots_only") else self.panel.body
        return widget.width(), widget.height()

    @Slot()
    def _refresh_shown_size(self) -> None:
        shown = self._shown_size()
        self.size_box.setItemText(len(SIZE_CHOICES) - 1, f"{SIZE_CHOICES[-1][0]} ({shown[0]} × {shown[1]})")

    @Slot(int)
    def _format_chosen(self, _index: int) -> None:
        """Follow the format with the name: name.gif for a GIF, a folder name_frames for PNGs."""
        path = Path(self.path_edit.text().strip() or f"{self.panel.name}.gif")
        stem = path.stem.removesuffix("_frames") if path.suffix.lower() == ".gif" or not path.suffix else path.stem
        kind = self.format_box.currentData()
        self.path_edit.setText(str(path.with_name(f"{stem}.gif" if kind == "gif" else f"{stem}_frames")))

    @Slot()
    def _browse(self) -> None:
        current = self.path_edit.text().strip()
        if self.format_box.currentData() == "gif":
            path, _ = QFileDialog.getSaveFileName(self, "Save the animation as", current, "GIF (*.gif)")
            if path and not path.lower().endswith(".gif"):
                path += ".gif"
        else:
            path, _ = QFileDialog.getSaveFileName(self, "A new folder for the frames", current, "Folder (*)")
        if path:
            self.path_edit.setText(path)

    def plan(self) -> RecordingPlan:
        """The choices as they stand (unchecked)."""
        by_seconds = self.by_seconds.isChecked()
        return RecordingPlan(path=Path(self.path_edit.text().strip()).expanduser(),
                             kind=self.format_box.currentData(), size=SIZE_CHOICES[self.size_box.currentIndex()][1],
                             fps=float(self.fps_box.currentData()),
                             seconds=float(self.seconds.value()) if by_seconds else None,
                             steps=None if by_seconds else int(self.steps.value()),
                             plots_only=self.plots_only.isChecked())

    def accept(self) -> None:
        plan = self.plan()
        try:
            plan.check(self._shown_size())
        except ValueError as exc:
            self.error.setText(f"Cannot record: {exc}.")
            self.error.show()
            return
        self.error.hide()
        self.plan_chosen = plan
        super().accept()


class RecordingIndicator(QWidget):
    """In the status bar while a recording runs and is written: what is happening, a progress bar and Stop."""

    def __init__(self, recorder: Recorder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recorder = recorder
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(160)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the recording now and save what was recorded")
        self.stop_button.clicked.connect(recorder.stop)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.stop_button)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)  # no wider than its contents
        recorder.changed.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        r = self.recorder
        if r.status == "recording":
            limit = f"{r.plan.seconds:g} s" if r.plan.seconds is not None else f"{r.plan.steps:,} steps"
            self.label.setText(f"<span style='color:#d00000'>●</span> Recording {r.seconds:.1f} s of {limit} · "
                               f"{r.n_frames} frames")
        elif r.status == "writing":
            self.label.setText(f"Writing {r.n_frames} frames…")
            self.stop_button.hide()
        self.bar.setValue(round(1000 * r.fraction_done()))


def start_recording(window, plan: RecordingPlan) -> Recorder:
    """Record the window's current panel; the indicator sits in the status bar until the files are written.
    ValueError, with nothing created, if the plan cannot work."""
    recorder = Recorder(window.current, plan, window)
    plan.check()                                   # before the indicator appears: nothing changes on a bad plan
    indicator = RecordingIndicator(recorder)
    window.statusBar().addWidget(indicator)
    window.layout().activate()                     # the panel's size with the indicator shown, for "as shown"
    try:
        recorder.start()
    except ValueError:
        window.statusBar().removeWidget(indicator)
        indicator.deleteLater()
        raise

    def finished() -> None:
        if recorder.status in ("recording", "writing"):
            return
        window.statusBar().removeWidget(indicator)
        indicator.deleteLater()
        recorder.changed.disconnect(finished)
        if recorder.status == "done":
            files = recorder.sink.result
            where = files[0] if plan.kind == "gif" else plan.path
            size = sum(f.stat().st_size for f in files)
            note = f" ({recorder.message})" if recorder.message else ""
            window.statusBar().showMessage(f"Wrote {where}: {len(files) if plan.kind == 'png' else recorder.n_frames}"
                                           f" frames, {size / 1e6:.1f} MB{note}", 15000)
        elif recorder.status == "failed":
            window.window_message.show_message(f"The recording could not be written: {recorder.message}", "error")

    recorder.changed.connect(finished)
    QApplication.instance().aboutToQuit.connect(recorder.finish_before_quitting)
    window.recorder = recorder
    return recorder


def _start_or_say_why(window, plan: RecordingPlan) -> None:
    try:
        start_recording(window, plan)
    except ValueError as exc:   # the folder went away between the dialog and now
        window.window_message.show_message(f"Cannot record: {exc}.", "warning")


def record_dialog(window) -> RecordDialog | None:
    """File → Record animation…: ask, then record. Returns the dialog (open, not modal) for tests."""
    if window.current is None:
        return None
    busy = getattr(window, "recorder", None)
    if busy is not None and busy.status in ("recording", "writing"):
        window.window_message.show_message("A recording is still running: stop it first (Stop, in the status bar).",
                                           "info")
        return None
    dialog = RecordDialog(window.current, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: _start_or_say_why(window, dialog.plan_chosen))
    window.record_dialog = dialog
    dialog.open()
    return dialog
