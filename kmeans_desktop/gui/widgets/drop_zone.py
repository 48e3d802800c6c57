"""The empty state: a large drop target with buttons to open a file or the sample image."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class DropZone(QWidget):
    """Shown until an image is open. Drops are handled by the window, which spans every widget."""

    openRequested = Signal()
    sampleRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dropZone")
        self._highlight = False
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Drop an image here")
        title.setObjectName("dropTitle")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setWeight(QFont.Weight.DemiBold)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("PNG, JPEG, WebP, TIFF, BMP or GIF — or paste one with "
                      "<b>Ctrl+V</b>. Then choose how many colours to keep.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.open_button = QPushButton("Open image…")
        self.open_button.setObjectName("openButton")
        self.open_button.setDefault(True)
        self.sample_button = QPushButton("Open sample image")
        self.sample_button.setObjectName("sampleButton")
        for b in (self.open_button, self.sample_button):
            b.setMinimumHeight(34)
            b.setMinimumWidth(170)
        self.open_button.clicked.connect(self.openRequested)
        self.sample_button.clicked.connect(self.sampleRequested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.sample_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(48, 48, 48, 48)
        box.addStretch(3)
        box.addWidget(self.icon)
        box.addSpacing(14)
        box.addWidget(title)
        box.addSpacing(10)
        box.addWidget(hint)
        box.addSpacing(24)
        box.addLayout(buttons)
        box.addStretch(4)

    def set_icon(self, icon: QIcon, size: int = 72) -> None:
        self.icon.setPixmap(icon.pixmap(size, size))

    def set_highlight(self, on: bool) -> None:
        if on != self._highlight:
            self._highlight = on
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = self.palette().highlight().color()
        frame = QRectF(self.rect()).adjusted(20, 20, -20, -20)
        if self._highlight:
            fill = QColor(accent)
            fill.setAlpha(28)
            p.setBrush(fill)
        else:
            p.setBrush(Qt.BrushStyle.NoBrush)
        pen = QPen(accent if self._highlight else self.palette().mid().color(), 2, Qt.PenStyle.DashLine)
        pen.setDashPattern([6, 4])
        p.setPen(pen)
        p.drawRoundedRect(frame, 16, 16)
        p.end()
