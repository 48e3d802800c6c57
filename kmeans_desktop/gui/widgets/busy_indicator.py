"""A small "working" indicator for the status bar that repaints a few times a second.

Why not an indeterminate QProgressBar: its style animates at ~60 frames a second, and once the
window holds an OpenGL view (the colour cloud), Qt composes the whole window through OpenGL for
every frame of it: ~40 ms each with Mesa's llvmpipe, so the bar alone kept the GUI thread busy
most of the time while work ran. Eight steps a second say "busy" just as well.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget


class BusyIndicator(QWidget):
    """A thin track with a segment sliding along it while visible."""

    STEP_MS = 125
    STEPS = 16

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("busyIndicator")
        self.setFixedSize(QSize(110, 12))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setToolTip("Working…")
        self.setAccessibleName("Working")
        self._step = 0
        self._timer = QTimer(self)
        self._timer.setInterval(self.STEP_MS)
        self._timer.timeout.connect(self._advance)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._step = 0
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._timer.stop()
        super().hideEvent(event)

    def _advance(self) -> None:
        self._step = (self._step + 1) % self.STEPS
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        track = QRectF(self.rect()).adjusted(0.5, 2.5, -0.5, -2.5)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(pal.color(pal.ColorRole.Mid))
        p.drawRoundedRect(track, 3, 3)
        width = track.width() * 0.3
        x = track.left() + (track.width() + width) * self._step / self.STEPS - width
        segment = QRectF(max(track.left(), x), track.top(), min(width, track.right() - x, x + width - track.left()),
                         track.height())
        if segment.width() > 0:
            p.setBrush(pal.color(pal.ColorRole.Highlight))
            p.drawRoundedRect(segment, 3, 3)
        p.end()
