"""Before/after view: one picture, split by a divider you drag; zoom and pan move both sides.

Both sides share one transform (scale and the image point at the view's centre), so they can
never drift apart; the divider is a position in the widget, as in Squoosh. Painting uses the
`ImagePyramid` levels built on the worker: smooth filtering when zoomed out, nearest-neighbour
from 100% up so the palette's pixels can be seen, and only the visible part is drawn.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolButton, QWidget

from ..render import ImagePyramid
from .diff_legend import LEGEND_HEIGHT, LEGEND_WIDTH, draw_diff_legend

MAX_SCALE = 32.0
MAX_FIT_SCALE = 16.0  # tiny images are enlarged to fit, but not beyond this
WHEEL_STEP = 1.25  # zoom factor per wheel notch
HANDLE_RADIUS = 15
GRAB_DISTANCE = 10  # how close to the divider a press grabs it


def checker_brush() -> QBrush:
    tile = QPixmap(16, 16)
    tile.fill(QColor(204, 204, 204))
    p = QPainter(tile)
    p.fillRect(0, 0, 8, 8, QColor(153, 153, 153))
    p.fillRect(8, 8, 8, 8, QColor(153, 153, 153))
    p.end()
    return QBrush(tile)


class CompareView(QWidget):
    """The original on the left of the divider, the compressed result on the right; with the
    difference map on (the `diffMapToggle` button), the right side shows where the result differs
    from the original, with its colour scale."""

    zoomChanged = Signal(float)  # the scale (screen pixels per image pixel)
    splitChanged = Signal(float)  # the divider as a share of the width
    diffMapToggled = Signal(bool)
    #: With the eyedropper on, a click on the image: the image pixel (x, y) under it.
    pointPicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("previewView")
        self.setAccessibleName("Before and after comparison")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self._before: ImagePyramid | None = None
        self._after: ImagePyramid | None = None
        self._before_label = "Original"
        self._after_label = ""
        self._scale = 1.0
        self._fit = True
        self._center = QPointF()  # the image point at the centre of the view
        self._split = 0.5
        self._drag: str | None = None  # "split" or "pan"
        self._drag_from = QPointF()
        self._drag_center = QPointF()
        self._checker = checker_brush()
        self._background = QColor(38, 40, 44)
        self._diff: ImagePyramid | None = None
        self._eyedropper = False
        self.diff_toggle = QToolButton(self)
        self.diff_toggle.setObjectName("diffMapToggle")
        self.diff_toggle.setText("Difference map")
        self.diff_toggle.setCheckable(True)
        self.diff_toggle.setCursor(Qt.CursorShape.ArrowCursor)
        self.diff_toggle.setToolTip("Show, over the result, where it differs from the original "
                                    "(per-pixel OKLab colour difference ΔE × 100).")
        self.diff_toggle.toggled.connect(self._on_diff_toggled)

    # -- content -------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(960, 640)

    def set_image(self, pyramid: ImagePyramid, label: str = "Original") -> None:
        """Show a new original; the result side stays empty until `set_result`. Fits to window."""
        self._before = pyramid
        self._after = None
        self._before_label = label
        self._after_label = ""
        self._center = QPointF(pyramid.size.width() / 2, pyramid.size.height() / 2)
        self.fit_to_window()
        self.update()

    def set_result(self, pyramid: ImagePyramid | None, label: str = "") -> None:
        old_label = self._result_text()
        self._after = pyramid
        self._after_label = label
        # Only the result's side (k-means playback sets one every frame): the original's stays.
        x = min(math.floor(self.split_x()) - HANDLE_RADIUS - 2, self._label_box(old_label, False).left(),
                self._label_box(self._result_text(), False).left())
        x = max(0, math.floor(x) - 1)
        self.update(QRect(x, 0, self.width() - x, self.height()))

    def clear(self) -> None:
        self._before = self._after = self._diff = None
        self.update()

    def set_diff_map(self, pyramid: ImagePyramid | None) -> None:
        """The difference map for the result on show (None: not computed yet)."""
        self._diff = pyramid
        self.update()

    def diff_map_on(self) -> bool:
        return self.diff_toggle.isChecked()

    def showing_diff_map(self) -> bool:
        """Whether the right side draws the difference map now."""
        return self.diff_map_on() and self._diff is not None and self._after is not None

    def _on_diff_toggled(self, on: bool) -> None:
        self.update()
        self.diffMapToggled.emit(on)

    def has_image(self) -> bool:
        return self._before is not None

    def result_label(self) -> str:
        return self._after_label

    # -- zoom and pan --------------------------------------------------------------------------

    def scale(self) -> float:
        return self._scale

    def is_fit(self) -> bool:
        return self._fit

    def split(self) -> float:
        return self._split

    def set_split(self, share: float) -> None:
        share = min(1.0, max(0.0, float(share)))
        if share != self._split:
            self._split = share
            self.splitChanged.emit(share)
            self.update()

    def fit_scale(self) -> float:
        if self._before is None:
            return 1.0
        size = self._before.size
        return min(MAX_FIT_SCALE, self.width() / max(1, size.width()), self.height() / max(1, size.height()))

    def min_scale(self) -> float:
        return min(1.0, self.fit_scale())

    def fit_to_window(self) -> None:
        self._fit = True
        if self._before is not None:
            self._center = QPointF(self._before.size.width() / 2, self._before.size.height() / 2)
        self._set_scale(self.fit_scale())

    def actual_size(self) -> None:
        """100%: one image pixel per screen pixel, keeping the view's centre where it is."""
        self._fit = False
        self._set_scale(1.0)

    def zoom_in(self) -> None:
        self.zoom_by(WHEEL_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / WHEEL_STEP)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by `factor`, keeping the image point under `anchor` (widget coordinates) still."""
        if self._before is None:
            return
        anchor = QPointF(self.width() / 2, self.height() / 2) if anchor is None else QPointF(anchor)
        before = self.widget_to_image(anchor)
        new = min(MAX_SCALE, max(self.min_scale(), self._scale * factor))
        if math.isclose(new, self._scale):
            return
        self._fit = False
        self._scale = new
        # Move the centre so that `before` maps to `anchor` again.
        c = QPointF(self.width() / 2, self.height() / 2)
        self._center = before - (anchor - c) / new
        self._clamp_center()
        self.update()
        self.zoomChanged.emit(self._scale)

    def _set_scale(self, scale: float) -> None:
        self._scale = min(MAX_SCALE, max(1e-4, scale))
        self._clamp_center()
        self.update()
        self.zoomChanged.emit(self._scale)

    def _clamp_center(self) -> None:
        if self._before is None:
            return
        w, h = self._before.size.width(), self._before.size.height()
        half_w, half_h = self.width() / (2 * self._scale), self.height() / (2 * self._scale)
        x = w / 2 if half_w * 2 >= w else min(max(self._center.x(), half_w), w - half_w)
        y = h / 2 if half_h * 2 >= h else min(max(self._center.y(), half_h), h - half_h)
        self._center = QPointF(x, y)

    def can_pan(self) -> bool:
        if self._before is None:
            return False
        return (self._before.size.width() * self._scale > self.width() + 0.5
                or self._before.size.height() * self._scale > self.height() + 0.5)

    def image_rect(self) -> QRectF:
        """Where the whole image lies, in widget coordinates."""
        if self._before is None:
            return QRectF()
        size = self._before.size
        top_left = QPointF(self.width() / 2, self.height() / 2) - self._center * self._scale
        return QRectF(top_left, QSize(size.width(), size.height()).toSizeF() * self._scale)

    def widget_to_image(self, p: QPointF) -> QPointF:
        return self._center + (QPointF(p) - QPointF(self.width() / 2, self.height() / 2)) / self._scale

    def split_x(self) -> float:
        return self._split * self.width()

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self._background)
        if self._before is None:
            p.end()
            return
        img = self.image_rect()
        shown = img.intersected(QRectF(event.rect()))  # only what needs drawing
        sx = self.split_x()
        left = shown.intersected(QRectF(0, 0, sx, self.height()))
        right = shown.intersected(QRectF(sx, 0, self.width() - sx, self.height()))
        if self._before.has_alpha or (self._after is not None and self._after.has_alpha):
            p.fillRect(shown, self._checker)
        diff = self.showing_diff_map()
        self._draw_side(p, self._before, left, img)
        self._draw_side(p, self._diff if diff else (self._after or self._before), right, img)
        waiting = self._after is None or (self.diff_map_on() and not diff)
        if waiting and not right.isEmpty():
            p.fillRect(right, QColor(38, 40, 44, 110))  # dim the stand-in until a result arrives
        self._draw_divider(p, sx)
        self._draw_label(p, self._before_label, left_side=True)
        self._draw_label(p, self._result_text(), left_side=False)
        if diff:
            draw_diff_legend(p, QRectF(self.width() - LEGEND_WIDTH - 12, self.height() - LEGEND_HEIGHT - 12,
                                       LEGEND_WIDTH, LEGEND_HEIGHT), self.font())
        p.end()

    def _draw_side(self, p: QPainter, pyramid: ImagePyramid, clip: QRectF, img: QRectF) -> None:
        if clip.isEmpty():
            return
        device_scale = self._scale * self.devicePixelRatioF()  # screen pixels per image pixel
        level: QImage = pyramid.level_for(device_scale)
        size = pyramid.size
        rx, ry = level.width() / size.width(), level.height() / size.height()  # level px per image px
        # The visible part in level pixels, widened to whole pixels.
        x0 = math.floor((clip.left() - img.left()) / self._scale * rx)
        y0 = math.floor((clip.top() - img.top()) / self._scale * ry)
        x1 = math.ceil((clip.right() - img.left()) / self._scale * rx)
        y1 = math.ceil((clip.bottom() - img.top()) / self._scale * ry)
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(level.width(), x1), min(level.height(), y1)
        if x1 <= x0 or y1 <= y0:
            return
        source = QRectF(x0, y0, x1 - x0, y1 - y0)
        target = QRectF(img.left() + x0 / rx * self._scale, img.top() + y0 / ry * self._scale,
                        (x1 - x0) / rx * self._scale, (y1 - y0) / ry * self._scale)
        exact_pixels = device_scale >= 1.0 and level.width() == size.width()
        p.save()
        p.setClipRect(clip)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not exact_pixels)
        p.drawImage(target, level, source)
        p.restore()

    def _draw_divider(self, p: QPainter, x: float) -> None:
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(0, 0, 0, 90), 3))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setPen(QPen(QColor(255, 255, 255, 235), 1.5))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        c = QPointF(x, self.height() / 2)
        p.setPen(QPen(QColor(0, 0, 0, 60), 1))
        p.setBrush(QColor(255, 255, 255, 240))
        p.drawEllipse(c, HANDLE_RADIUS, HANDLE_RADIUS)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(60, 64, 72))
        for direction in (-1, 1):  # two small arrows: ‹ ›
            tip = c + QPointF(direction * 9, 0)
            path = QPainterPath(tip)
            path.lineTo(c + QPointF(direction * 3, -5))
            path.lineTo(c + QPointF(direction * 3, 5))
            path.closeSubpath()
            p.drawPath(path)
        p.restore()

    def _draw_label(self, p: QPainter, text: str, *, left_side: bool) -> None:
        if not text:
            return
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setFont(self._label_font())
        box = self._label_box(text, left_side)
        h = box.height()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(20, 22, 26, 185))
        p.drawRoundedRect(box, h / 2, h / 2)
        p.setPen(QColor(245, 245, 245))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.restore()

    def _result_text(self) -> str:
        """The result side's label as drawn."""
        if self._after is None:
            return "Computing…"
        if self.diff_map_on():
            return self._after_label + " · difference map" + ("" if self.showing_diff_map() else ": computing…")
        return self._after_label

    def _label_font(self) -> QFont:
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold)
        return font

    def _label_box(self, text: str, left_side: bool) -> QRectF:
        fm = QFontMetricsF(self._label_font())
        pad_x, pad_y, margin = 10.0, 5.0, 12.0
        w, h = fm.horizontalAdvance(text) + 2 * pad_x, fm.height() + 2 * pad_y
        return QRectF(margin if left_side else self.width() - margin - w, margin, w, h)

    # -- interaction ---------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        hint = self.diff_toggle.sizeHint()  # top right, under the result's label
        self.diff_toggle.setGeometry(self.width() - hint.width() - 12, 52, hint.width(), hint.height())
        if self._fit:
            self._set_scale(self.fit_scale())
        else:
            self._scale = max(self._scale, self.min_scale())
            self._clamp_center()
        super().resizeEvent(event)

    def _near_divider(self, pos: QPointF) -> bool:
        return abs(pos.x() - self.split_x()) <= GRAB_DISTANCE or (
            (pos - QPointF(self.split_x(), self.height() / 2)).manhattanLength() <= HANDLE_RADIUS * 1.5)

    def set_eyedropper(self, on: bool) -> None:
        """Pick mode: the next click on the image emits `pointPicked` instead of panning."""
        self._eyedropper = bool(on)
        self._update_cursor(self.mapFromGlobal(self.cursor().pos()).toPointF())

    def eyedropper_on(self) -> bool:
        return self._eyedropper

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._before is None:
            return super().mousePressEvent(event)
        pos = event.position()
        if self._eyedropper:
            pt = self.widget_to_image(pos)
            x, y = int(pt.x()), int(pt.y())
            if 0 <= pt.x() < self._before.size.width() and 0 <= pt.y() < self._before.size.height():
                self._eyedropper = False
                self._update_cursor(pos)
                self.pointPicked.emit(x, y)
            event.accept()
            return
        if self._near_divider(pos):
            self._drag = "split"
        elif self.can_pan():
            self._drag = "pan"
            self._drag_from = pos
            self._drag_center = QPointF(self._center)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag == "split":
            self.set_split(pos.x() / max(1, self.width()))
        elif self._drag == "pan":
            self._center = self._drag_center - (pos - self._drag_from) / self._scale
            self._clamp_center()
            self.update()
        else:
            self._update_cursor(pos)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drag is not None:
            self._drag = None
            self._update_cursor(event.position())
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._before is None or event.button() != Qt.MouseButton.LeftButton or self._near_divider(event.position()):
            return super().mouseDoubleClickEvent(event)
        if self._fit or self._scale < 1.0:
            self.zoom_by(1.0 / self._scale, event.position())
        else:
            self.fit_to_window()
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self._before is None:
            return super().wheelEvent(event)
        delta = event.angleDelta().y()
        if delta == 0:
            delta = event.pixelDelta().y() * 4  # trackpads without notches
        if delta:
            self.zoom_by(WHEEL_STEP ** (delta / 120.0), event.position())
        event.accept()

    def _update_cursor(self, pos: QPointF) -> None:
        if self._eyedropper:
            self.setCursor(Qt.CursorShape.CrossCursor)
        elif self._before is not None and self._near_divider(pos):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self.can_pan():
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()
