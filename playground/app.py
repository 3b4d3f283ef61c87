"""The main window: panel list, the current panel, the explanation pane, one transport bar, menus and shortcuts."""
from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QIcon, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground import panels as registry
from playground import copy_and_export, session_window
from playground.lessons import window as lesson_window
from playground.lessons.player import LessonPlayer
from playground.panels.base import Panel
from playground.resources import asset_path
from playground.theme import THEMES, Theme, get_theme
from playground.widgets.message_bar import MessageBar
from playground.widgets.transport import TransportBar

SETTINGS_VERSION = 1

#: (keys, what they do) — the F1 help lists exactly these.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Space", "Play / pause the current panel"),
    ("→  or  Page Down", "One step (what a presentation clicker sends)"),
    ("→ / Page Down,  ← / Page Up", "In a lesson: next / previous step (Lessons menu)"),
    ("Esc", "Leave the lesson"),
    ("R", "Reset the current panel from its seed"),
    ("Ctrl+1 … Ctrl+7", "Switch panel"),
    ("F11", "Full screen"),
    ("Ctrl+Shift+P", "Presentation mode (larger fonts, lines and markers)"),
    ("Ctrl+E", "Export the current panel's plots as PNG and SVG"),
    ("Ctrl+Shift+C", "Copy as Python: a script that reproduces the current panel's experiment"),
    ("Ctrl+S  /  Ctrl+O", "Save / open a session: every panel's settings, data and step"),
    ("Ctrl+Shift+R", "Record the current panel as an animated GIF or PNG frames"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
)


class MainWindow(QMainWindow):
    def __init__(self, *, settings: QSettings | None = None, theme: str | None = None,
                 presentation: bool | None = None, panel: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Generative Playground")
        self.setWindowIcon(QIcon(str(asset_path("icons", "app.svg"))))
        self.settings = settings
        self.panels: dict[str, Panel] = {}
        self.current: Panel | None = None
        self.lesson: LessonPlayer | None = None  # the guided lesson running, if any (see lessons/window.py)
        saved = self._read_settings()
        self.theme_name = theme or saved.get("theme", "light")
        self.presentation = bool(saved.get("presentation", False)) if presentation is None else presentation
        self.theme: Theme = get_theme(self.theme_name, presentation=self.presentation)
        self._saved_panel_states: dict[str, Any] = saved.get("panels", {})

        self.transport = TransportBar()
        self.panel_list = QListWidget()
        self.panel_list.setObjectName("PanelList")
        self.stack = QStackedWidget()
        self.explanation = QTextBrowser()
        self.explanation.setObjectName("Explanation")
        self.explanation.setOpenExternalLinks(False)
        self.window_message = MessageBar()
        self.step_label = QLabel()
        self.rate_label = QLabel()
        self._build_layout()
        self._build_menus_and_shortcuts()
        self._connect_transport()

        for entry in registry.PANELS:
            item = QListWidgetItem(QIcon(str(asset_path("icons", entry.icon))), entry.title)
            item.setData(Qt.ItemDataRole.UserRole, entry.name)
            self.panel_list.addItem(item)
            self.stack.addWidget(QWidget())  # placeholder until the panel is first shown
        self.panel_list.currentRowChanged.connect(self._show_row)

        geometry = saved.get("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        self.apply_theme()
        start = panel or saved.get("last_panel") or registry.PANELS[0].name
        names = [e.name for e in registry.PANELS]
        self.panel_list.setCurrentRow(names.index(start) if start in names else 0)
        if saved.get("_problem"):
            self.window_message.show_message(saved["_problem"], "warning")

    # --- layout ----------------------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.panel_list.setIconSize(QSize(28, 28))
        self.panel_list.setMinimumWidth(150)
        self.panel_list.setMaximumWidth(220)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(self.window_message)
        centre_layout.addWidget(self.transport)
        centre_layout.addWidget(self.stack, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.panel_list)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.explanation)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([150, 1000, 250])
        self.setCentralWidget(self.splitter)
        self.statusBar().addPermanentWidget(self.step_label)
        self.statusBar().addPermanentWidget(self.rate_label)

    def _build_menus_and_shortcuts(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.export_action = self._action(file_menu, "&Export plots…", "Ctrl+E", self.export_dialog)
        self.export_data_action = self._action(file_menu, "Export &data as CSV…", None,
                                               lambda: copy_and_export.export_data_dialog(self))
        self.record_action = self._action(file_menu, "&Record animation…", "Ctrl+Shift+R",
                                          self._record_dialog)
        self._action(file_menu, "&Save session…", "Ctrl+S", lambda: session_window.save_session_dialog(self))
        self._action(file_menu, "&Open session…", "Ctrl+O", lambda: session_window.open_session_dialog(self))
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", "Ctrl+Q", self.close)

        edit_menu = bar.addMenu("&Edit")
        self.copy_python_action = self._action(edit_menu, "Copy as &Python", "Ctrl+Shift+C",
                                               lambda: copy_and_export.copy_python(self))

        view = bar.addMenu("&View")
        self.theme_actions = QActionGroup(self)
        for name in THEMES:
            action = QAction(name.capitalize(), self, checkable=True)
            action.setData(name)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            self.theme_actions.addAction(action)
            view.addAction(action)
        view.addSeparator()
        self.presentation_action = self._action(view, "&Presentation mode", "Ctrl+Shift+P",
                                                lambda: self.set_presentation(not self.presentation))
        self.presentation_action.setCheckable(True)
        self.fullscreen_action = self._action(view, "&Full screen", "F11", self.toggle_fullscreen)
        self.explanation_action = self._action(view, "Show &explanation", None,
                                               lambda: self.explanation.setVisible(not self.explanation.isVisible()))

        panels_menu = bar.addMenu("&Panels")
        for index, entry in enumerate(registry.PANELS):
            key = f"Ctrl+{index + 1}" if index < 9 else None
            self._action(panels_menu, entry.title, key, lambda _=False, i=index: self.panel_list.setCurrentRow(i))

        run_menu = bar.addMenu("&Run")
        self.play_action = self._action(run_menu, "Play / pause", "Space", self.toggle_play)
        self.step_action = self._action(run_menu, "Step", "Right", self.forward_key)
        QShortcut(QKeySequence("PgDown"), self, self.forward_key)
        for key, what in (("Left", "back"), ("PgUp", "back"), ("Esc", "exit")):
            QShortcut(QKeySequence(key), self, lambda what=what: lesson_window.lesson_key(self, what))
        lesson_window.build_lessons_menu(self, bar.addMenu("&Lessons"))
        self.reset_action = self._action(run_menu, "Reset", "R", self.reset_current)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", "F1", self.show_shortcuts)

    def _record_dialog(self) -> None:
        from playground import recording_dialog  # it brings Pillow: imported when first used, not at start-up
        recording_dialog.record_dialog(self)

    def _action(self, menu, text: str, key: str | None, slot) -> QAction:
        action = QAction(text, self)
        if key:
            action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work even while the menu bar is hidden (full screen)
        return action

    def _connect_transport(self) -> None:
        t = self.transport
        t.play_toggled.connect(lambda on: self.current and (self.current.play() if on else self.current.pause()))
        t.step_clicked.connect(self.step_current)
        t.reset_clicked.connect(self.reset_current)
        t.speed_changed.connect(lambda s: self.current and self.current.set_speed(s))
        t.seed_changed.connect(lambda seed: self.current and self.current.reset(seed))
        t.copy_python_clicked.connect(lambda: copy_and_export.copy_python(self))

    # --- panels ----------------------------------------------------------------------------------------------
    def panel(self, name: str) -> Panel:
        """The panel called ``name``, built on first use."""
        if name not in self.panels:
            names = [e.name for e in registry.PANELS]
            index = names.index(name)
            panel = registry.PANELS[index].load()(self.theme)
            state = self._saved_panel_states.get(name)
            if state:
                try:
                    panel.restore_state(state)
                except (ValueError, TypeError, KeyError) as exc:
                    panel.message_bar.show_message(
                        f"Saved settings for this panel could not be used ({exc}); defaults are shown.", "warning")
            self.install_panel(name, panel)
            # What exists now (Qt, pyqtgraph, the panel's widgets and model: ~130 000 objects) lives as long as the
            # window. Frozen, it is left out of the collector's full passes, which otherwise walk all of it every
            # few seconds while a model trains and hold the GIL for 40–56 ms each (a visible stall).
            gc.freeze()
        return self.panels[name]

    def install_panel(self, name: str, panel: Panel) -> None:
        """Put ``panel`` in the window as the panel called ``name`` (an opened session brings fresh ones), in place
        of the placeholder or of the panel there, which is stopped and deleted; a replaced current panel is shown."""
        index = [e.name for e in registry.PANELS].index(name)
        previous = self.panels.get(name)
        if previous is not None:
            previous.deactivate()
        panel.playing_changed.connect(self._panel_playing_changed)
        panel.stats_changed.connect(self._panel_stats_changed)
        panel.seed_changed.connect(self._panel_seed_changed)
        old = self.stack.widget(index)
        self.stack.insertWidget(index, panel)
        self.stack.removeWidget(old)
        old.deleteLater()
        self.panels[name] = panel
        if previous is not None and previous is self.current:
            self.current = None
            self._show_row(index)

    @Slot(int)
    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        name = registry.PANELS[row].name
        if self.current is not None and self.current.name != name:
            self.current.deactivate()
        panel = self.panel(name)
        self.current = panel
        self.stack.setCurrentWidget(panel)
        self.explanation.setMarkdown(panel.explanation())
        self.transport.set_playing(panel.playing)
        self.transport.set_speed(panel.speed)
        self.transport.set_seed(panel.seed)
        self._panel_stats_changed(getattr(panel.last_snapshot, "step", 0), 0.0)
        panel.activate()

    @Slot(bool)
    def _panel_playing_changed(self, playing: bool) -> None:
        if self.sender() is self.current:
            self.transport.set_playing(playing)

    @Slot(int)
    def _panel_seed_changed(self, seed: int) -> None:
        if self.sender() is self.current:
            self.transport.set_seed(seed)

    @Slot(int, float)
    def _panel_stats_changed(self, step: int, rate: float) -> None:
        if self.sender() not in (None, self.current):
            return
        self.step_label.setText(f"step {step:,}")
        self.rate_label.setText(f"{rate:,.0f} steps/s" if rate else "")

    @Slot()
    def toggle_play(self) -> None:
        if self.current:
            self.current.toggle_play()

    @Slot()
    def step_current(self) -> None:
        if self.current:
            self.current.step()

    @Slot()
    def forward_key(self) -> None:
        """→ / Page Down: the next step of a lesson running on this panel, otherwise one model step."""
        if not lesson_window.lesson_key(self, "next"):
            self.step_current()

    @Slot()
    def reset_current(self) -> None:
        if self.current:
            self.current.reset()

    # --- look ------------------------------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        self.theme_name = name
        self.theme = get_theme(name, presentation=self.presentation)
        self.apply_theme()

    def set_presentation(self, on: bool) -> None:
        self.presentation = on
        self.theme = get_theme(self.theme_name, presentation=on)
        self.apply_theme()

    def _fit_chrome_to_mode(self) -> None:
        """At a projector every pixel goes to the plots: the panel list and the explanation step aside
        (Ctrl+1…6 still switch panels; View → Show explanation brings the text back)."""
        self.panel_list.setVisible(not self.presentation)
        self.explanation.setVisible(not self.presentation)

    def apply_theme(self) -> None:
        t = self.theme
        app = QApplication.instance()
        palette = QPalette()
        for role, value in ((QPalette.ColorRole.Window, t.panel_background), (QPalette.ColorRole.Base, t.background),
                            (QPalette.ColorRole.AlternateBase, t.panel_background),
                            (QPalette.ColorRole.WindowText, t.foreground), (QPalette.ColorRole.Text, t.foreground),
                            (QPalette.ColorRole.ButtonText, t.foreground),
                            (QPalette.ColorRole.Button, t.panel_background),
                            (QPalette.ColorRole.ToolTipBase, t.background),
                            (QPalette.ColorRole.ToolTipText, t.foreground)):
            palette.setColor(role, QColor(value))
        placeholder = QColor(t.muted)
        placeholder.setAlphaF(0.75)
        palette.setColor(QPalette.ColorRole.PlaceholderText, placeholder)
        palette.setColor(QPalette.ColorRole.Highlight, QColor(t.series[0]))
        palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        app.setPalette(palette)
        font = QFont(app.font())
        font.setPointSizeF(t.font_size)
        app.setFont(font)
        self.setFont(font)
        self.panel_list.setIconSize(QSize(round(28 * t.scale), round(28 * t.scale)))
        self.explanation.document().setDefaultFont(font)
        self.presentation_action.setChecked(self.presentation)
        self._fit_chrome_to_mode()
        for action in self.theme_actions.actions():
            action.setChecked(action.data() == self.theme_name)
        for panel in self.panels.values():
            panel.apply_theme(t)
        if self.lesson is not None:
            self.lesson.apply_theme(t)

    @Slot()
    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    @Slot()
    def show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(SHORTCUTS), 2)
        table.setHorizontalHeaderLabels(["Keys", "What it does"])
        for row, (keys, text) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(560, 380)
        self.shortcuts_dialog = dialog
        dialog.show()

    # --- export ----------------------------------------------------------------------------------------------
    @Slot()
    def export_dialog(self) -> None:
        if self.current is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", f"{self.current.name}.png",
                                              "PNG and SVG (*.png)")
        if path:
            written = self.export_current(Path(path))
            self.statusBar().showMessage("Wrote " + ", ".join(str(p) for p in written), 8000)

    def export_current(self, path: Path) -> list[Path]:
        """Write the current panel's plots as ``path`` (.png) and the same name with .svg; returns both paths."""
        from PySide6.QtSvg import QSvgGenerator

        assert self.current is not None
        widget = self.current.body
        png, svg = path.with_suffix(".png"), path.with_suffix(".svg")
        if not widget.grab().save(str(png)):
            raise OSError(f"could not write {png}")
        # pyqtgraph's own SVG exporter crashes on some PySide6 releases; QSvgGenerator renders any widget safely.
        generator = QSvgGenerator()
        generator.setFileName(str(svg))
        generator.setSize(widget.size())
        generator.setViewBox(widget.rect())
        generator.setTitle(f"Generative Playground — {self.current.title}")
        widget.render(generator)
        return [png, svg]

    # --- settings --------------------------------------------------------------------------------------------
    def _read_settings(self) -> dict[str, Any]:
        s = self.settings
        if s is None:
            return {}
        try:
            version = s.value("version")
            if version is None:
                return {}
            if int(version) != SETTINGS_VERSION:
                raise ValueError(f"they are from version {version} of the app")
            panels = json.loads(s.value("panels", "{}") or "{}")
            if not isinstance(panels, dict):
                raise ValueError("the panel section is not a table")
            theme = s.value("theme", "light")
            if theme not in THEMES:
                raise ValueError(f"unknown theme {theme!r}")
            return {"theme": theme, "presentation": str(s.value("presentation", "false")).lower() == "true",
                    "last_panel": s.value("last_panel"), "geometry": s.value("geometry"), "panels": panels}
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            s.clear()
            return {"_problem": f"Saved settings could not be read ({exc}); the defaults are used."}

    def save_settings(self) -> None:
        s = self.settings
        if s is None:
            return
        states = dict(self._saved_panel_states)
        for name, panel in self.panels.items():
            states[name] = panel.state()
        s.setValue("version", SETTINGS_VERSION)
        s.setValue("theme", self.theme_name)
        s.setValue("presentation", "true" if self.presentation else "false")
        s.setValue("last_panel", self.current.name if self.current else "")
        s.setValue("geometry", self.saveGeometry())
        s.setValue("panels", json.dumps(states))
        s.sync()

    # --- shutdown --------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every worker; safe to call more than once."""
        for panel in self.panels.values():
            panel.deactivate()

    def closeEvent(self, event) -> None:
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)
