"""The app's icon: resources/icons/kmeans-desktop-*.png, rendered from kmeans-desktop.svg.

The PNGs (16 to 256 px) are made by scripts/make_icons.py, so no SVG plugin is needed at run
time. They ship inside the package (`kmeans_desktop.resources`) in a checkout, a wheel and the
frozen app alike; should they be missing anyway, a small icon drawn in code stands in.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from ..resources import APP_ID, ICON_SIZES, icon_png_path

ICON_NAME = APP_ID
SWATCHES = ("#e4572e", "#f3a712", "#29335c", "#669bbc")


def icon_files() -> list[str]:
    """The icon's PNG files that exist, smallest first."""
    return [str(p) for p in map(icon_png_path, ICON_SIZES) if p.is_file()]


def app_icon() -> QIcon:
    """The window and application icon, at every size there is a file for."""
    icon = QIcon()
    for path in icon_files():
        icon.addFile(path)
    return icon if not icon.isNull() else drawn_icon()


def drawn_icon() -> QIcon:
    """The stand-in: four palette swatches, drawn in code."""
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
