"""The 2-D cloud's own scene items (widgets/flat_items.py): markers keep their size in pixels
whatever the zoom, and the playback picture covers the cube's face, row 0 at the bottom."""

import numpy as np
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene

from kmeans_desktop.gui.widgets.flat_items import Markers, Raster


def render(item, source: QRectF, size: int = 200, flip: bool = False) -> np.ndarray:
    """The scene area `source` rendered into a size×size picture (y up when `flip`, as a plot)."""
    scene = QGraphicsScene()
    scene.addItem(item)
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(0, 0, 0))
    p = QPainter(image)
    if flip:
        p.translate(0, size)
        p.scale(1, -1)
    scene.render(p, QRectF(0, 0, size, size), source, Qt.AspectRatioMode.IgnoreAspectRatio)
    p.end()
    rows = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes()).reshape(size, size, 4)
    scene.removeItem(item)
    return rows[..., [2, 1, 0]].copy()  # BGRA in memory on little-endian: RGB


def red_extent(rgb: np.ndarray) -> tuple[int, int]:
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 80)
    cols, rows = np.flatnonzero(red.any(axis=0)), np.flatnonzero(red.any(axis=1))
    return cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1


@pytest.mark.parametrize("span", [40.0, 160.0])
def test_markers_keep_their_size_in_pixels_at_any_zoom(qapp, span):
    markers = Markers(QPen(QColor(20, 20, 22), 1.0))
    markers.set_markers(np.array([100.0]), np.array([100.0]), np.array([20.0]), np.array([[230, 20, 20]]))
    rgb = render(markers, QRectF(100 - span / 2, 100 - span / 2, span, span))
    w, h = red_extent(rgb)
    assert 14 <= w <= 21 and 14 <= h <= 21  # 20 px across less the outline, at 4 data units a pixel or at 1/1.25
    assert len(markers.data) == 1


def test_markers_take_each_its_colour_and_size(qapp):
    markers = Markers(QPen(QColor(20, 20, 22), 1.0))
    markers.set_markers(np.array([50.0, 150.0]), np.array([50.0, 150.0]), np.array([8.0, 30.0]),
                        np.array([[230, 20, 20], [20, 20, 230]]))
    rgb = render(markers, QRectF(0, 0, 200, 200))
    assert rgb[50, 50, 0] > 150 and rgb[150, 150, 2] > 150
    blue = (rgb[..., 2] > 150) & (rgb[..., 0] < 80)
    assert 20 <= np.flatnonzero(blue.any(axis=0)).size <= 31  # the bigger marker is the blue one


def test_the_raster_covers_the_face_with_row_zero_at_the_bottom(qapp):
    r = 4
    argb = np.zeros((r, r), np.uint32)
    argb[0, :] = 0xFFE01010  # opaque red: the first row, y = 0
    argb[r - 1, :] = 0xFF1010E0  # blue: the last row
    raster = Raster()
    raster.set_argb(argb)
    assert raster.image.shape == (r, r, 4)
    rgb = render(raster, QRectF(0, 0, 256, 256), flip=True)  # a plot's y axis points up
    assert rgb[-5, 100, 0] > 200 and rgb[-5, 100, 2] < 50  # bottom: red
    assert rgb[4, 100, 2] > 200 and rgb[4, 100, 0] < 50  # top: blue
    assert rgb[100, 100].max() == 0  # zero is see-through: the black behind shows
