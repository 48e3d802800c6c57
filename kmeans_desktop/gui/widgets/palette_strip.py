"""The palette as a strip of swatches whose widths follow each colour's share of the pixels.

Every swatch keeps a minimum width so rare colours stay visible (and hoverable); the rest of the
width is shared by pixel count. Shares are printed on swatches wide enough to hold them, and the
tooltip gives the hex value, the share and the pixel count.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .compare_view import checker_brush

MIN_SWATCH = 3  # px
LABEL_MIN_WIDTH = 40  # px of swatch needed to print its share on it


def swatch_edges(counts: np.ndarray, width: int, min_width: int = MIN_SWATCH) -> np.ndarray:
    """Integer x positions (len n+1, from 0 to `width`) of swatches sized by `counts`."""
    n = len(counts)
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    total = float(np.sum(counts))
    if n * min_width >= width or total <= 0:
        widths = np.full(n, width / n)
    else:
        widths = min_width + (width - n * min_width) * (np.asarray(counts, dtype=np.float64) / total)
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    edges = np.rint(edges * width / edges[-1]).astype(np.int64)
    return edges


def hex_color(entry: np.ndarray) -> str:
    text = "#" + "".join(f"{int(v):02X}" for v in entry[:3])
    if len(entry) == 4 and int(entry[3]) != 255:
        text += f" (alpha {int(entry[3])})"
    return text


def share_text(share: float) -> str:
    pct = 100.0 * share
    if pct >= 9.95:
        return f"{pct:.0f}%"
    if pct >= 0.095:
        return f"{pct:.1f}%"
    return "<0.1%"


class PaletteStrip(QWidget):
    """Swatches of the K colours, each as wide as its share of the pixels (with a minimum).
    A click on a swatch emits `swatchClicked` with its (r, g, b): the window locks or unlocks it;
    locked colours carry a mark."""

    swatchClicked = Signal(tuple)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("paletteView")
        self.setAccessibleName("Palette")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(34)
        self._palette = np.zeros((0, 3), dtype=np.uint8)
        self._counts = np.zeros(0, dtype=np.int64)
        self._hover = -1
        self._checker = checker_brush()
        self._placeholder = "The palette appears here."
        self._locked: set[tuple[int, int, int]] = set()
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(480, 40)

    def set_palette(self, palette: np.ndarray, counts: np.ndarray) -> None:
        self._palette = np.asarray(palette)
        self._counts = np.asarray(counts)
        self._hover = -1
        self.update()

    def clear(self, placeholder: str = "The palette appears here.") -> None:
        self._placeholder = placeholder
        self.set_palette(np.zeros((0, 3), dtype=np.uint8), np.zeros(0, dtype=np.int64))

    def set_locked(self, colours) -> None:
        """Mark these (r, g, b) colours as locked."""
        self._locked = {tuple(int(v) for v in c[:3]) for c in colours}
        self.update()

    def is_locked(self, i: int) -> bool:
        return tuple(int(v) for v in self._palette[i][:3]) in self._locked

    def palette_array(self) -> np.ndarray:
        return self._palette

    def count(self) -> int:
        return len(self._palette)

    def _strip_rect(self) -> QRect:
        return self.rect().adjusted(1, 1, -1, -1)

    def edges(self) -> np.ndarray:
        r = self._strip_rect()
        return swatch_edges(self._counts, max(1, r.width())) + r.left()

    def swatch_at(self, x: float) -> int:
        """Index of the swatch under widget x, or -1."""
        if self.count() == 0:
            return -1
        edges = self.edges()
        i = int(np.searchsorted(edges, x, side="right")) - 1
        return i if 0 <= i < self.count() else -1

    def tooltip_for(self, i: int) -> str:
        total = float(self._counts.sum()) or 1.0
        n = int(self._counts[i])
        return f"{hex_color(self._palette[i])} — {100.0 * n / total:.2f}% of the pixels ({n:,})"

    def hover_text(self, i: int) -> str:
        """The tooltip shown: the colour's share, and what a click does."""
        lock = "Locked: click to unlock." if self.is_locked(i) else "Click to lock this colour."
        return f"{self.tooltip_for(i)}\n{lock}"

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        r = self._strip_rect()
        p.setPen(QPen(self.palette().mid().color(), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if self.count() == 0:
            p.setPen(self.palette().placeholderText().color())
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self._placeholder)
            p.end()
            return
        edges = self.edges()
        total = float(self._counts.sum()) or 1.0
        has_alpha = self._palette.shape[1] == 4
        if has_alpha:
            p.fillRect(r, self._checker)
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        p.setFont(font)
        fm = QFontMetrics(font)
        for i, entry in enumerate(self._palette):
            x0, x1 = int(edges[i]), int(edges[i + 1])
            if x1 <= x0:
                continue
            colour = QColor(int(entry[0]), int(entry[1]), int(entry[2]), int(entry[3]) if has_alpha else 255)
            cell = QRect(x0, r.top(), x1 - x0, r.height())
            p.fillRect(cell, colour)
            if x1 - x0 >= LABEL_MIN_WIDTH:
                text = share_text(self._counts[i] / total)
                if fm.horizontalAdvance(text) + 6 <= x1 - x0:
                    luma = 0.299 * entry[0] + 0.587 * entry[1] + 0.114 * entry[2]
                    p.setPen(QColor(20, 20, 20) if luma > 140 else QColor(245, 245, 245))
                    p.drawText(cell, Qt.AlignmentFlag.AlignCenter, text)
            if self.is_locked(i):
                self._draw_lock(p, cell, entry)
        if 0 <= self._hover < self.count():
            x0, x1 = int(edges[self._hover]), int(edges[self._hover + 1])
            p.setPen(QPen(QColor(255, 255, 255), 2))
            p.drawRect(QRect(x0, r.top(), max(1, x1 - x0), r.height()).adjusted(1, 1, -1, -1))
            p.setPen(QPen(QColor(0, 0, 0), 1))
            p.drawRect(QRect(x0, r.top(), max(1, x1 - x0), r.height()).adjusted(0, 0, -1, -1))
        p.end()

    @staticmethod
    def _draw_lock(p: QPainter, cell: QRect, entry) -> None:
        """A small padlock at the swatch's top: a body and a shackle, in the contrasting shade."""
        luma = 0.299 * entry[0] + 0.587 * entry[1] + 0.114 * entry[2]
        ink = QColor(20, 20, 20) if luma > 140 else QColor(245, 245, 245)
        w = min(8, max(3, cell.width() - 2))
        x = cell.center().x() - w // 2
        p.setPen(QPen(ink, 1.2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRect(x + 1, cell.top() + 2, max(1, w - 2), 6), 0, 180 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(ink)
        p.drawRect(QRect(x, cell.top() + 5, w, 5))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        i = self.swatch_at(event.position().x())
        if event.button() == Qt.MouseButton.LeftButton and i >= 0:
            self.swatchClicked.emit(tuple(int(v) for v in self._palette[i][:3]))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        i = self.swatch_at(event.position().x())
        if i != self._hover:
            self._hover = i
            self.update()
            if i >= 0 and QToolTip.isVisible():
                QToolTip.showText(event.globalPosition().toPoint(), self.hover_text(i), self)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if self._hover != -1:
            self._hover = -1
            self.update()
        super().leaveEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            help_event: QHelpEvent = event  # type: ignore[assignment]
            i = self.swatch_at(help_event.pos().x())
            if i >= 0:
                QToolTip.showText(help_event.globalPos(), self.hover_text(i), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

