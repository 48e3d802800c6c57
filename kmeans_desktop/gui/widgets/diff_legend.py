"""The difference map's colour scale, painted in a corner of the compare view: the colours of
`core.quality.DIFF_STOPS` from 0 to 20+ (OKLab ΔE × 100), with the words a reader needs."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QLinearGradient, QPainter

from ...core.quality import DIFF_STOPS

LEGEND_WIDTH = 250
LEGEND_HEIGHT = 62
TICKS = (0, 2, 5, 10, 20)


def draw_diff_legend(p: QPainter, box: QRectF, font: QFont) -> None:
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(20, 22, 26, 200))
    p.drawRoundedRect(box, 8, 8)
    small = QFont(font)
    small.setPointSizeF(font.pointSizeF() * 0.85)
    p.setFont(small)
    fm = QFontMetricsF(small)
    pad = 10.0
    title_y = box.top() + pad + fm.ascent()
    p.setPen(QColor(235, 235, 235))
    p.drawText(QPointF(box.left() + pad, title_y), "Colour difference (OKLab ΔE × 100)")
    bar = QRectF(box.left() + pad, title_y + 6, box.width() - 2 * pad, 10)
    top = DIFF_STOPS[-1][0]
    grad = QLinearGradient(bar.topLeft(), bar.topRight())
    for value, rgb in DIFF_STOPS:
        grad.setColorAt(value / top, QColor(*rgb))
    p.setBrush(grad)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRect(bar)
    p.setPen(QColor(220, 220, 220))
    for t in TICKS:
        x = bar.left() + bar.width() * t / top
        text = f"{t}+" if t == top else str(t)
        w = fm.horizontalAdvance(text)
        x_text = min(max(x - w / 2, bar.left()), bar.right() - w)
        p.drawText(QPointF(x_text, bar.bottom() + 4 + fm.ascent()), text)
    p.restore()
