"""The small plot of k-means' total squared error per iteration, beside the colour cloud.

A plain QWidget painted with QPainter, not a pyqtgraph PlotWidget: a playback frame repaints it,
and pyqtgraph's plot (a QGraphicsView with axes that lay their tick labels out again on every
paint) cost 5.2-5.5 ms of the GUI thread's CPU per frame (bench_gui's stage timing, 3-D and 2-D,
50,000 points, load 8 on 2 CPUs); this one paints in a few tenths of a millisecond. The curve's
points are appended as frames arrive and scaled once per frame; its title and the error's top and
bottom values and the last iteration are its only labels.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

CURVE = QColor(110, 160, 230)


def short_number(value: float) -> str:
    """3 significant digits with k/M/G: what fits beside a 60 px high axis."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


class ErrorPlot(QWidget):
    """Error per iteration (objectName ``kmeansErrorPlot``): a line from the first frame's error
    to the last, y from the smallest to the largest error, x from 0 to the last iteration."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kmeansErrorPlot")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self._errors = np.zeros(0, np.float64)
        self._polygon: QPolygonF | None = None  # the curve in widget coordinates, made when painted

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(160, self.fixed_height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(80, self.fixed_height())

    def fixed_height(self) -> int:
        return round(4.5 * QFontMetrics(self.font()).height()) + 6

    def set_errors(self, errors) -> None:
        """The errors so far (one per frame shown; [] clears the plot). Repaints in the window's
        next update request, with the frame's other changes."""
        self._errors = np.asarray(errors, np.float64).copy()
        self._polygon = None
        self.update()

    def errors(self) -> np.ndarray:
        return self._errors.copy()

    # -- drawing ----------------------------------------------------------------------------------

    def plot_rect(self) -> QRectF:
        """Where the curve goes: left of it the error's labels, below it the iteration's."""
        fm = QFontMetrics(self.font())
        left = fm.horizontalAdvance("8.88M") + 8
        return QRectF(left, fm.height() * 0.5 + 2, max(1.0, self.width() - left - 6),
                      max(1.0, self.height() - 1.5 * fm.height() - 6))

    def curve_points(self) -> np.ndarray:
        """The curve's points (n×2) in widget coordinates."""
        e = self._errors
        r = self.plot_rect()
        if len(e) == 0:
            return np.zeros((0, 2))
        lo, hi = float(e.min()), float(e.max())
        x = r.left() + r.width() * (np.arange(len(e)) / max(1, len(e) - 1))
        y = r.bottom() - r.height() * ((e - lo) / (hi - lo) if hi > lo else np.full(len(e), 0.5))
        return np.column_stack([x, y])

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        pal = self.palette()
        text = pal.color(pal.ColorRole.PlaceholderText)
        fm = QFontMetrics(self.font())
        r = self.plot_rect()
        p.setPen(QPen(pal.color(pal.ColorRole.Mid), 1))
        p.drawLine(r.bottomLeft(), r.bottomRight())
        p.drawLine(r.bottomLeft(), r.topLeft())
        p.setPen(text)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        label_w = r.left() - 6
        e = self._errors
        if len(e):
            p.drawText(QRectF(0, r.top() - fm.height() / 2, label_w, fm.height()), right, short_number(e.max()))
            if e.max() > e.min():
                p.drawText(QRectF(0, r.bottom() - fm.height() / 2, label_w, fm.height()), right, short_number(e.min()))
            p.drawText(QRectF(r.right() - 60, r.bottom() + 2, 60, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, str(len(e) - 1))
        if len(e):
            p.drawText(QRectF(r.left(), r.bottom() + 2, 60, fm.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "0")
        # the title top right, inside: the error falls, so the curve runs low there
        p.drawText(QRectF(r.left(), r.top(), r.width() - 2, fm.height()),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "error per iteration")
        if len(e):
            if self._polygon is None:
                self._polygon = QPolygonF([QPointF(x, y) for x, y in self.curve_points()])
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(QPen(CURVE, 2))
            if len(e) == 1:
                p.drawPoint(self._polygon[0])
            else:
                p.drawPolyline(self._polygon)
        p.end()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._polygon = None
        super().resizeEvent(event)
