"""Two light scene items for the 2-D colour cloud, drawn with plain QPainter calls.

`Markers` are the centroids: round markers of a fixed size in pixels at points in the plot's
coordinates. `pg.ScatterPlotItem` did this at a cost that mattered during k-means playback, where
the markers move every frame: each `setData` rebuilt its spot records, looked each brush and size
up in its symbol atlas and re-rendered every symbol it had not seen (one per new brush and size),
about 3–6 ms a frame for three projections (profiled, issue 17). Drawing 16–256 circles straight
away costs well under a millisecond.

`Raster` is one projection's playback picture: a `QImage` in the premultiplied ARGB32 format
QPainter draws without converting, stretched over the cube's face. `pg.ImageItem` made a new
QImage from the array at every paint and handed QPainter a format it converts each time.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsObject

FACE = QRectF(0, 0, 256, 256)  # the cube's face in the plots' coordinates
MARGIN = 40  # the plots' limits reach this far past the face (FlatCloudView's setLimits)


class Markers(QGraphicsObject):
    """Filled circles with an outline, `size` px across whatever the zoom, at points in the
    item's coordinates."""

    def __init__(self, pen: QPen, parent=None):
        super().__init__(parent)
        self._pen = QPen(pen)
        self._pen.setCosmetic(True)
        self._xy = np.zeros((0, 2), np.float64)
        self._sizes = np.zeros(0, np.float32)
        self._brushes: list[QBrush] = []
        self.data = self._xy  # one row per marker (read by the tests, like ScatterPlotItem.data)

    def set_markers(self, x: np.ndarray, y: np.ndarray, sizes: np.ndarray, colors: np.ndarray) -> None:
        """Markers at (`x`, `y`), `sizes` px across, filled with `colors` (k×3 uint8)."""
        self._xy = np.column_stack([np.asarray(x, np.float64), np.asarray(y, np.float64)])
        self._sizes = np.broadcast_to(np.asarray(sizes, np.float32), (len(self._xy),))
        cache: dict[tuple, QBrush] = {}
        brushes = []
        for c in np.asarray(colors, np.int64).reshape(-1, 3):
            key = (int(c[0]), int(c[1]), int(c[2]))
            if key not in cache:
                cache[key] = QBrush(QColor(*key))
            brushes.append(cache[key])
        self._brushes = brushes
        self.data = self._xy
        self.update()

    def boundingRect(self) -> QRectF:
        # The whole area the plot can show: markers sit inside it, and a rect that doesn't depend
        # on the zoom spares working out how far a pixel-sized marker reaches in data units.
        return FACE.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self._xy):
            return
        t = painter.transform()
        x, y = self._xy[:, 0], self._xy[:, 1]
        px = t.m11() * x + t.m21() * y + t.dx()
        py = t.m12() * x + t.m22() * y + t.dy()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(self._pen)
        radii = self._sizes / 2.0
        for i in range(len(px)):
            painter.setBrush(self._brushes[i])
            painter.drawEllipse(QPointF(px[i], py[i]), float(radii[i]), float(radii[i]))
        painter.restore()


class Raster(QGraphicsObject):
    """A picture (rows × columns of 0xAARRGGBB, premultiplied) stretched over the cube's face."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._qimage: QImage | None = None
        self.image: np.ndarray | None = None  # rows × columns × 4 bytes (read by the tests)

    def set_argb(self, argb: np.ndarray) -> None:
        """`argb` rows × columns uint32 (0xAARRGGBB, premultiplied; 0 is see-through). Row 0 is
        drawn at the face's bottom (y = 0 is the plot's bottom)."""
        argb = np.ascontiguousarray(argb, np.uint32)
        rows, cols = argb.shape
        self.image = argb.view(np.uint8).reshape(rows, cols, 4)
        # the QImage reads the array's memory: keep the array alive as long as the image
        self._qimage = QImage(argb.data, cols, rows, cols * 4, QImage.Format.Format_ARGB32_Premultiplied)
        self._argb = argb
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(FACE)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self._qimage is not None:
            painter.drawImage(FACE, self._qimage)
