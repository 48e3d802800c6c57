"""A horizontal QSlider with a marker: a small triangle above the groove at one value.

The K slider uses it to show the K that the requirements chose (the slider itself stays the most
colours allowed). The marker is painted over the styled slider, at the position the style gives
the handle for that value, so it lines up in every style.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider, QWidget

MARKER_COLOR = QColor(40, 150, 70)


class MarkedSlider(QSlider):
    """`set_marker(value)` shows a triangle at `value`; `set_marker(None)` hides it."""

    MARKER_SIZE = 6  # half the triangle's width, in pixels

    def __init__(self, orientation: Qt.Orientation = Qt.Orientation.Horizontal, parent: QWidget | None = None):
        super().__init__(orientation, parent)
        self._marker: int | None = None
        self._marker_color = MARKER_COLOR

    def marker(self) -> int | None:
        return self._marker

    def set_marker(self, value: int | None, color: QColor | None = None) -> None:
        self._marker = None if value is None else int(value)
        if color is not None:
            self._marker_color = QColor(color)
        tip = "" if value is None else f"The requirements chose K = {int(value)}"
        self.setToolTip(tip or "K: how many colours the compressed image keeps")
        self.update()

    def marker_x(self) -> int | None:
        """The marker's x in widget coordinates (the centre of the handle at that value)."""
        if self._marker is None:
            return None
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        value = min(self.maximum(), max(self.minimum(), self._marker))
        offset = QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), value, span, opt.upsideDown)
        return groove.x() + offset + handle.width() // 2

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        x = self.marker_x()
        if x is None:
            return
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        handle: QRect = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                                    QStyle.SubControl.SC_SliderHandle, self)
        s = self.MARKER_SIZE
        top = max(0, handle.top() - 2)  # pointing down at the groove, just above the handle
        tip_y = top + s
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._marker_color)
        p.drawPolygon(QPolygonF([QPointF(x - s, max(0, tip_y - s - 1)), QPointF(x + s, max(0, tip_y - s - 1)),
                                 QPointF(x, tip_y)]))
        p.end()
