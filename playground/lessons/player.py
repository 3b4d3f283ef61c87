"""The lesson player: walks a panel through a lesson's steps, with a large caption and a frame around what each step
points at.

Every step is reached the same way every time. A step that sets something restores its full settings (worked out
beforehand by :func:`playground.lessons.format.rehearse`) through ``Panel.change_state`` — the model restarts from its
seed — and then replays the model steps and button presses of every step since, in order. Next carries on from the
step before when nothing has disturbed the panel (that is the same sequence of commands, just not repeated); Back and
any other jump always replay. The UI thread only sends commands: the panel's worker does the training.

The caption and the frames are overlays — widgets floating above the window — so no plot is repainted for them.
"""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QRegion
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground import panels as registry
from playground.lessons.format import Lesson, rehearse
from playground.theme import Theme

#: The pointer's colour: a magenta that none of the panels' Okabe–Ito series uses, visible on light and dark.
POINTER_COLOUR = "#E0007A"
#: Caption height as a share of the window's height (×1.6 in presentation mode): about 28 px in an 860-px window,
#: 37 px in presentation mode at 1280×720 — the size slide guides give for the back row of a large room.
CAPTION_SHARE = 0.032
MIN_CAPTION_PX = 18
#: For this long after a step is shown its targets are scrolled into view whenever the layout changes.
REVEAL_SECONDS = 1.0
#: A caption that would hide what a step points at may shrink to this share of the panel's width.
NARROW_CAPTION = 0.62


def prepare(lesson: Lesson, theme: Theme) -> tuple[dict[str, Any], ...]:
    """Check ``lesson`` against a spare panel of its kind (never shown, no worker) and return each step's full
    settings. Raises LessonError naming the line and field; the app's own panels are not touched."""
    spare = registry.find(lesson.panel).load()(theme)
    try:
        return rehearse(lesson, spare)
    finally:
        spare.deleteLater()


class LessonPlayer(QObject):
    #: The index (0-based) of the step now shown.
    step_shown = Signal(int)
    #: The lesson was left (Exit, Esc, or another lesson).
    finished = Signal()

    def __init__(self, lesson: Lesson, panel: Any, resolved: tuple[dict[str, Any], ...],
                 host: QWidget | None = None) -> None:
        self.host = host or panel.window()
        super().__init__(self.host)
        self.lesson, self.panel, self.resolved = lesson, panel, resolved
        self.theme: Theme = panel.theme
        self.index = -1
        self.closed = False
        self._exact = -1                   # the panel is exactly where this step's commands left it (-1: unsure)
        self._expected_state: dict[str, Any] | None = None
        self._stale: Any = None            # the snapshot drawn before the last restart: not this step's
        self._driving = False
        self._reveal_until = 0.0
        self.overlay = CaptionOverlay(self.host)
        self.overlay.back_button.clicked.connect(self.back)
        self.overlay.next_button.clicked.connect(self.next)
        self.overlay.exit_button.clicked.connect(self.exit)
        self.highlights: list[Highlight] = []
        self._watched: list[QWidget] = []
        self._relayout_timer = QTimer(self, singleShot=True, interval=0)
        self._relayout_timer.timeout.connect(self.relayout)
        panel.rendered.connect(self._on_rendered)
        panel.playing_changed.connect(self._on_playing_changed)
        panel.destroyed.connect(self._on_panel_destroyed)
        self._watch(panel)
        self.apply_theme(panel.theme)

    # --- moving through the lesson -------------------------------------------------------------------------------
    @property
    def step(self):
        return self.lesson.steps[self.index]

    @property
    def target_step(self) -> int:
        """The model step the current lesson step runs to."""
        return self.lesson.model_steps[self.index]

    @Slot()
    def next(self) -> None:
        if self.index < len(self.lesson.steps) - 1:
            self.go_to(self.index + 1)

    @Slot()
    def back(self) -> None:
        if self.index > 0:
            self.go_to(self.index - 1)

    def go_to(self, index: int) -> None:
        if self.closed or not 0 <= index < len(self.lesson.steps):
            return
        self._driving = True
        try:
            if self._can_carry_on(index):
                self._send_step(index)
            elif not self._replay(index):
                return
            step = self.lesson.steps[index]
            if step.play:
                self.panel.play()
            self.index = index
            self._exact = -1 if step.play else index
            self._expected_state = self.panel.state()
        finally:
            self._driving = False
        self._show_step()
        self.step_shown.emit(index)

    def _can_carry_on(self, index: int) -> bool:
        """Is the panel exactly where step index − 1 left it, so that step ``index`` only has to add its own?"""
        last = self.panel.last_snapshot
        return (index == self.index + 1 and self._exact == self.index
                and not self.lesson.steps[index].sets_something and not self.panel.playing
                and (last is None or last.step <= self.lesson.model_steps[self.index])
                and _same_settings(self.panel.state(), self._expected_state))

    def _replay(self, index: int) -> bool:
        """Restore the settings step ``index`` runs on (the model restarts from its seed), then replay every step's
        commands from there. False, with a message, if the panel refused the settings."""
        start = self.lesson.restart_of(index)
        self.panel.pause()
        try:
            self.panel.change_state(self.resolved[start])
        except (ValueError, TypeError, KeyError) as exc:
            self.panel.message_bar.show_message(f"Lesson step {index + 1} could not be set up: {exc}", "error")
            return False
        self._stale = self.panel.last_snapshot
        for j in range(start, index + 1):
            self._send_step(j)
        return True

    def _send_step(self, index: int) -> None:
        """Step ``index``'s own commands: its model steps, then its button presses (queued behind them)."""
        steps = self.lesson.model_steps_to_run(index)
        if steps:
            self.panel.step(steps)
        targets = self.panel.lesson_targets()
        for name in self.lesson.steps[index].click:
            targets[name].click()

    def settled(self) -> bool:
        """Has the current step finished its work (the model reached its step, pressed buttons were answered)?"""
        last = self.panel.last_snapshot
        return (self.index >= 0 and last is not None and last is not self._stale
                and last.step >= self.target_step and self.panel.calls_pending == 0)

    @Slot()
    def exit(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self.panel is not None:
                self.panel.rendered.disconnect(self._on_rendered)
                self.panel.playing_changed.disconnect(self._on_playing_changed)
                self.panel.destroyed.disconnect(self._on_panel_destroyed)
                for widget in self._watched:
                    widget.removeEventFilter(self)
            self.host.removeEventFilter(self)
            self._clear_highlights()
            self.overlay.hide()
            self.overlay.deleteLater()
            self.finished.emit()
            self.deleteLater()
        except RuntimeError:  # the window is being torn down around the lesson: nothing is left to tidy
            pass
        self._watched.clear()

    # --- what the room sees --------------------------------------------------------------------------------------
    def _show_step(self) -> None:
        step = self.step
        total = len(self.lesson.steps)
        self.overlay.show_step(self.lesson.title, step.caption, self.index + 1, total)
        self._clear_highlights()
        targets = self.panel.lesson_targets()
        for name in step.point:
            target = targets[name]
            reveal(target)
            highlight = Highlight(self.host, target)
            self.highlights.append(highlight)
            watched = target if isinstance(target, QWidget) else _view_of(target)
            if watched is not None:
                self._watch(watched)
        self._update_status(self.panel.last_snapshot)
        # A panel or tab shown just now is still settling its layout: keep scrolling to the targets for a moment.
        self._reveal_until = time.monotonic() + REVEAL_SECONDS
        self.relayout()

    def _clear_highlights(self) -> None:
        for highlight in self.highlights:
            highlight.hide()
            highlight.deleteLater()
        self.highlights = []

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.overlay.apply_theme(theme)
        self.relayout()

    @Slot()
    def relayout(self) -> None:
        """Place the caption over the panel (away from what it points at) and the frames around their targets."""
        if self.closed:
            return
        shown = self.panel.isVisible() and self.index >= 0
        self.overlay.setVisible(shown)
        if not shown:
            for highlight in self.highlights:
                highlight.hide()
            return
        if time.monotonic() < self._reveal_until:
            for highlight in self.highlights:
                reveal(highlight.target)
        frame_width = max(3, round(4 * self.theme.scale))
        boxes = []
        for highlight in self.highlights:
            box = highlight.place(frame_width)
            if box is not None:
                boxes.append(box)
        area = QRect(self.panel.mapTo(self.host, QPoint(0, 0)), self.panel.size())
        self.overlay.set_caption_size(max(MIN_CAPTION_PX, round(self.host.height() * CAPTION_SHARE * self.theme.scale)))
        self.overlay.setGeometry(self._caption_place(area, boxes))
        for highlight in self.highlights:
            highlight.raise_()
        self.overlay.raise_()

    def _caption_place(self, area: QRect, boxes: list[QRect]) -> QRect:
        """Where the caption hides least of what the step points at: across the bottom of the panel by preference,
        else across the top, else in a narrower strip at the left or right of either."""
        margin = max(8, round(12 * self.theme.scale))
        inner = area.adjusted(margin, margin, -margin, -margin)
        best, best_share = QRect(), 2.0
        for share_of_width in (1.0, NARROW_CAPTION):
            width = max(200, round(inner.width() * share_of_width))
            height = min(self.overlay.height_for(width), inner.height())
            lefts = (inner.left(),) if share_of_width == 1.0 else (inner.left(), inner.right() - width + 1)
            for top in (inner.bottom() - height + 1, inner.top()):
                for left in lefts:
                    place = QRect(left, top, width, height)
                    share = round(_hidden_share(place, boxes), 2)
                    if share < best_share:
                        best, best_share = place, share
        return best

    def _update_status(self, snapshot: Any) -> None:
        if self.index < 0:
            return
        step_now = getattr(snapshot, "step", 0) if snapshot is not self._stale else 0
        if step_now < self.target_step:
            self.overlay.set_status(f"training: step {step_now:,} of {self.target_step:,}")
        elif self.panel.playing:
            self.overlay.set_status("running")
        else:
            self.overlay.set_status("")

    # --- events ----------------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_rendered(self, snapshot: Any) -> None:
        self._update_status(snapshot)
        if any(not isinstance(highlight.target, QWidget) for highlight in self.highlights):
            self._relayout_timer.start()  # a plot item moves with its plot's range (widgets report their moves)

    @Slot()
    def _on_panel_destroyed(self) -> None:
        """The panel was replaced (an opened session brings new ones): the lesson ends with it."""
        self.panel = None
        self._watched.clear()
        self.exit()

    @Slot(bool)
    def _on_playing_changed(self, _playing: bool) -> None:
        if not self._driving:
            self._exact = -1  # someone pressed Play or Step by hand: the next step replays

    def _watch(self, widget: QWidget) -> None:
        """Relayout when ``widget`` or anything holding it moves, resizes, shows or hides."""
        while widget is not None and widget not in self._watched:
            widget.installEventFilter(self)
            self._watched.append(widget)
            if widget is self.host:
                break
            widget = widget.parentWidget()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show, QEvent.Type.Hide):
            self._relayout_timer.start()
        return False


class CaptionOverlay(QFrame):
    """The lesson's strip: title, "step 3 of 7", Back / Next / Exit, and the caption in large type."""

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("LessonCaption")
        self.title_label = _ElidedLabel()
        self.title_label.setObjectName("LessonTitle")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("LessonProgress")
        self.status_label = QLabel()
        self.status_label.setObjectName("LessonStatus")
        self.back_button = QPushButton("◀ Back")
        self.next_button = QPushButton("Next ▶")
        self.exit_button = QPushButton("✕ Exit")
        self.back_button.setToolTip("Previous step (← or Page Up), replayed from the seed")
        self.next_button.setToolTip("Next step (→ or Page Down)")
        self.exit_button.setToolTip("Leave the lesson (Esc)")
        for button in (self.back_button, self.next_button, self.exit_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the arrow keys stay with the window's shortcuts
        self.caption_label = QLabel()
        self.caption_label.setObjectName("LessonCaptionText")
        self.caption_label.setTextFormat(Qt.TextFormat.PlainText)
        self.caption_label.setWordWrap(True)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title_label, 1)
        header.addWidget(self.progress_label)
        header.addWidget(self.status_label)
        header.addStretch(0)
        for button in (self.back_button, self.next_button, self.exit_button):
            header.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.caption_label)
        self.hide()

    def show_step(self, title: str, caption: str, number: int, total: int) -> None:
        self.title_label.setText(title)
        self.progress_label.setText(f"· step {number} of {total}")
        self.caption_label.setText(caption)
        self.back_button.setEnabled(number > 1)
        self.next_button.setEnabled(number < total)

    def set_status(self, text: str) -> None:
        self.status_label.setText(f"  {text}" if text else "")

    def apply_theme(self, theme: Theme) -> None:
        background = QColor(theme.background)
        self.setStyleSheet(
            f"#LessonCaption {{ background: rgba({background.red()}, {background.green()}, {background.blue()}, 242);"
            f" border: {max(2, round(2 * theme.scale))}px solid {POINTER_COLOUR}; border-radius: 8px; }}"
            f"#LessonCaption QLabel {{ color: {theme.foreground}; background: transparent; }}"
            f"#LessonStatus {{ color: {theme.muted}; }}")
        header = QFont(self.font())
        header.setPointSizeF(theme.font_size)
        for widget in (self.title_label, self.progress_label, self.status_label,
                       self.back_button, self.next_button, self.exit_button):
            widget.setFont(header)
        bold = QFont(header)
        bold.setBold(True)
        self.title_label.setFont(bold)
        margin = round(10 * theme.scale)
        self.layout().setContentsMargins(margin, round(margin * 0.6), margin, margin)

    def set_caption_size(self, pixels: int) -> None:
        font = QFont(self.caption_label.font())
        if font.pixelSize() != pixels:
            font.setPixelSize(pixels)
            self.caption_label.setFont(font)

    def height_for(self, width: int) -> int:
        layout = self.layout()
        layout.activate()
        height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
        return height if height > 0 else self.sizeHint().height()


class _ElidedLabel(QLabel):
    """A one-line label that ends in "…" when the strip is too narrow for all of it."""

    def __init__(self) -> None:
        super().__init__()
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._elide()

    def _elide(self) -> None:
        self.setMaximumWidth(self.fontMetrics().horizontalAdvance(self.full_text) + 4)  # no wider than its text
        super().setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, self.width()))


class Highlight(QWidget):
    """A thick coloured frame around a widget (or a plot item inside one), floating above the window."""

    def __init__(self, host: QWidget, target: Any) -> None:
        super().__init__(host)
        self.host, self.target = host, target
        self.frame_width = 4
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.hide()

    def target_rect(self) -> QRect | None:
        """Where the target is, in the host's coordinates; None while it cannot be seen."""
        target = self.target
        if isinstance(target, QWidget):
            return _shown_part(target, target.rect(), self.host) if target.isVisible() else None
        view = _view_of(target)
        if view is None or not view.isVisible() or not target.isVisible():
            return None
        return _shown_part(view, view.mapFromScene(target.sceneBoundingRect()).boundingRect(), self.host)

    def place(self, frame_width: int) -> QRect | None:
        """Put the frame just outside the target; returns the target's box, or None if it is not shown."""
        box = self.target_rect()
        if box is None:
            self.hide()
            return None
        pad = frame_width + 2
        geometry = box.adjusted(-pad, -pad, pad, pad).intersected(self.host.rect())
        if geometry != self.geometry() or frame_width != self.frame_width:
            self.frame_width = frame_width
            self.setGeometry(geometry)
            # Only the ring is part of the widget: the plot inside it is neither covered nor repainted for it.
            ring = QRegion(self.rect()).subtracted(QRegion(self.rect().adjusted(pad + 2, pad + 2, -pad - 2, -pad - 2)))
            self.setMask(ring)
        self.show()
        return box

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = self.frame_width
        rect = QRectF(self.rect()).adjusted(w / 2 + 1, w / 2 + 1, -w / 2 - 1, -w / 2 - 1)
        painter.setPen(QPen(QColor(POINTER_COLOUR), w))
        painter.drawRoundedRect(rect, 8, 8)
        # A thin light line inside the frame keeps it visible on dark plots and on the magenta of a plot's own.
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1.5))
        painter.drawRoundedRect(rect.adjusted(w / 2 + 1, w / 2 + 1, -w / 2 - 1, -w / 2 - 1), 6, 6)
        painter.end()


def _shown_part(widget: QWidget, rect: QRect, host: QWidget) -> QRect | None:
    """``rect`` (in ``widget``'s coordinates) in the host's coordinates, cut to what the widgets holding it show
    (a scroll area's viewport, a squeezed splitter); None if nothing of it shows."""
    shown = QRect(widget.mapTo(host, rect.topLeft()), rect.size())
    holder = widget.parentWidget()
    while holder is not None and holder is not host:
        shown = shown.intersected(QRect(holder.mapTo(host, QPoint(0, 0)), holder.size()))
        holder = holder.parentWidget()
    return None if shown.isEmpty() else shown


def _same_settings(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # settings holding arrays compare element by element: call them different, and replay
        return False


def _hidden_share(rect: QRect, boxes: list[QRect]) -> float:
    """The largest share of any one of ``boxes`` that ``rect`` would hide."""
    def area(r: QRect) -> int:
        return max(0, r.width()) * max(0, r.height())
    return max((area(rect.intersected(box)) / max(1, area(box)) for box in boxes), default=0.0)


def _view_of(item: Any) -> QWidget | None:
    """The widget a plot item is drawn in (a pyqtgraph item lives in a QGraphicsScene shown by one view)."""
    scene = item.scene() if hasattr(item, "scene") else None
    views = scene.views() if scene is not None else []
    return views[0] if views else None


def reveal(target: Any) -> None:
    """Bring the tab holding ``target`` to the front and scroll it into view, so that what a step points at can
    be seen."""
    widget = target if isinstance(target, QWidget) else _view_of(target)
    child = widget
    while child is not None:
        parent = child.parentWidget()
        if isinstance(parent, QStackedWidget) and isinstance(parent.parentWidget(), QTabWidget):
            parent.parentWidget().setCurrentWidget(child)
        if isinstance(parent, QScrollArea) or (parent is not None and isinstance(parent.parentWidget(), QScrollArea)):
            area = parent if isinstance(parent, QScrollArea) else parent.parentWidget()
            area.ensureWidgetVisible(widget)
        child = parent
