"""The app's icon, drawn in code (no image files to ship or find)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

SWATCHES = ("#e4572e", "#f3a712", "#29335c", "#669bbc")


def app_icon() -> QIcon:
    """A small generated icon: four palette swatches."""
    icon = QIcon()
    for size in (16, 32, 64, 128, 256):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        gap = size / 16
        cell = (size - 3 * gap) / 2
        for i, c in enumerate(SWATCHES):
            x = gap + (i % 2) * (cell + gap)
            y = gap + (i // 2) * (cell + gap)
            p.setBrush(QColor(c))
            p.drawRoundedRect(QRectF(QPointF(x, y), QPointF(x + cell, y + cell)), size / 10, size / 10)
        p.end()
        icon.addPixmap(pm)
    return icon
