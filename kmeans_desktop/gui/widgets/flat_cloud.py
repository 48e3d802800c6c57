"""The colour cloud's 2-D fallback: three projections of the RGB cube (R–G, G–B, R–B), for where no
OpenGL context can be made or the user asks for it.

QPainter draws these without a GPU. The points are `pg.ScatterPlotItem`s; pyqtgraph prepares each
point's brush in Python, so they draw a fair subset of the sample (the head of the shuffled sample)
with colours snapped to 4 bits per channel (fewer distinct brushes), one projection per turn of the
event loop. The centroids and k-means playback's pictures are our own light items
(`flat_items`): they change every playback frame.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QWidget

from .flat_items import Markers, Raster

BACKGROUND = (38, 40, 44)
GRID = (110, 114, 122)
POINT_PX = 3.0


class FlatCloudView(QWidget):
    """Three projections of the cube in `pg.PlotWidget`s, drawn by QPainter."""

    PROJECTIONS = ((0, 1), (1, 2), (0, 2))  # R–G, G–B, R–B
    NAMES = "RGB"
    AXIS_COLORS = ("#ff7070", "#70e070", "#80a8ff")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph as pg

        self._pg = pg
        self.plots = []
        self.point_items = []
        self.centroid_items = []
        self.trail_items = []
        self.raster_items = []
        self._raster_key = None
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 4, 4, 4)
        row.setSpacing(4)
        for x, y in self.PROJECTIONS:
            plot = pg.PlotWidget(background=QColor(*BACKGROUND))
            plot.setObjectName(f"colorCloud{self.NAMES[x]}{self.NAMES[y]}")
            item = plot.getPlotItem()
            item.hideButtons()
            item.setMenuEnabled(False)
            # The cube's face fills the plot: no locked aspect (it would add empty space in a
            # plot that isn't square), and no panning away from it.
            item.getViewBox().setLimits(xMin=-40, xMax=295, yMin=-40, yMax=295)
            for side, channel in (("bottom", x), ("left", y)):
                axis = item.getAxis(side)
                axis.setTextPen(pg.mkPen(GRID))
                axis.setPen(pg.mkPen(GRID))
                axis.setTicks([[(0, "0"), (128, "128"), (255, "255")]])
                axis.setLabel(self.NAMES[channel], color=self.AXIS_COLORS[channel])
            points = pg.ScatterPlotItem(size=POINT_PX, pen=None, symbol="s", pxMode=True)
            centroids = Markers(pg.mkPen((20, 20, 22), width=1.5))
            centroids.setZValue(10)
            trail = pg.PlotCurveItem(pen=pg.mkPen((235, 236, 240, 200), width=1.5), connect="pairs")  # no data pipeline
            trail.setZValue(9)
            raster = Raster()
            raster.setVisible(False)
            item.addItem(points)
            item.addItem(raster)
            self.raster_items.append(raster)
            item.addItem(trail)
            item.addItem(centroids)
            self.trail_items.append(trail)
            self.plots.append(plot)
            self.point_items.append(points)
            self.centroid_items.append(centroids)
            row.addWidget(plot)
        self._brushes: dict[int, object] = {}
        self._pending: list = []
        self._coords: np.ndarray | None = None
        self.reset_view()

    def brush_for(self, rgb: tuple[int, int, int]):
        key = (int(rgb[0]) << 16) | (int(rgb[1]) << 8) | int(rgb[2])
        brush = self._brushes.get(key)
        if brush is None:
            brush = self._brushes[key] = self._pg.mkBrush(int(rgb[0]), int(rgb[1]), int(rgb[2]))
        return brush

    def set_points(self, colors: np.ndarray, orders: tuple[np.ndarray, ...], codes: np.ndarray,
                   table: np.ndarray) -> None:
        """`colors` n×3 uint8; per projection the points to draw, back to front; each point's
        colour code into `table` (k×3 uint8 colours to draw)."""
        self._coords = colors
        self._orders = orders
        self.set_colors(codes, table)

    def set_colors(self, codes: np.ndarray, table: np.ndarray) -> None:
        if self._coords is None:
            return
        brushes = np.empty(len(table), dtype=object)
        brushes[:] = [self.brush_for(c) for c in table]
        # One projection per turn of the event loop: no single long stall.
        self._pending = [(i, brushes[codes[order]]) for i, order in enumerate(self._orders)]
        QTimer.singleShot(0, self._apply_next)

    def _apply_next(self) -> None:
        if not self._pending:
            return
        i, brushes = self._pending.pop(0)
        x, y = self.PROJECTIONS[i]
        order = self._orders[i]
        pts = self._coords[order]
        self.point_items[i].setData(x=pts[:, x].astype(np.float64), y=pts[:, y].astype(np.float64),
                                    brush=list(brushes))
        if self._pending:
            QTimer.singleShot(0, self._apply_next)

    def set_centroids(self, rgb: np.ndarray, sizes: np.ndarray, positions: np.ndarray | None = None) -> None:
        """Markers in the colours `rgb` (k×3 uint8), at `positions` (k×3 in the plots' 0..255
        coordinates; by default the colours themselves: the RGB cube)."""
        at = rgb if positions is None else positions
        for (x, y), item in zip(self.PROJECTIONS, self.centroid_items):
            item.set_markers(at[:, x], at[:, y], sizes, rgb)

    def set_trails(self, segments: np.ndarray, alpha: np.ndarray | None = None) -> None:
        """Line segments (2m×3, in the plots' coordinates) behind the moving centroids."""
        for (x, y), item in zip(self.PROJECTIONS, self.trail_items):
            if len(segments) == 0:
                item.setData([], [])
            else:
                item.setData(segments[:, x].astype(np.float64), segments[:, y].astype(np.float64))

    # -- playback: every point, as a picture ------------------------------------------------------

    RASTER = 160  # texels across a projection while k-means plays

    def set_raster_points(self, coords: np.ndarray) -> None:
        """The points (n×3 in the plots' 0..255 coordinates) that `show_raster` colours: each
        projection's texel per point and back-to-front order, worked out once per sample."""
        if self._raster_key is coords:
            return
        r = self.RASTER
        t = np.clip((np.asarray(coords, np.float32) * (r / 256)).astype(np.int32), 0, r - 1)
        orders = (np.argsort(coords[:, hidden], kind="stable") for hidden in (2, 0, 1))
        self._raster = [(order, t[order, y] * r + t[order, x]) for (x, y), order in zip(self.PROJECTIONS, orders)]
        self._raster_key = coords

    def show_raster(self, labels: np.ndarray, table: np.ndarray) -> None:
        """Every point in its cluster's colour (`labels` into `table`, k×3 uint8), as one picture
        per projection: while k-means plays, where a frame must draw in a few milliseconds
        (pyqtgraph's per-point brushes take hundreds)."""
        self._pending = []
        t = table.astype(np.uint32)
        packed = ((t[:, 0] << 16) | (t[:, 1] << 8) | t[:, 2] | np.uint32(0xFF000000))[labels]  # opaque ARGB32
        r = self.RASTER
        for item, points, (order, texel) in zip(self.raster_items, self.point_items, self._raster):
            image = np.zeros(r * r, np.uint32)
            image[texel] = packed[order]  # later (nearer) points overwrite
            item.set_argb(image.reshape(r, r))
            item.setVisible(True)
            points.setVisible(False)
        self._one_repaint(True)

    def hide_raster(self) -> None:
        for item, points in zip(self.raster_items, self.point_items):
            item.setVisible(False)
            points.setVisible(True)
        self._one_repaint(False)

    def _one_repaint(self, on: bool) -> None:
        """While k-means plays, each frame repaints the three projections in the window's next
        update request, all at once: left to their scenes, each projection's change reached the
        window in an update request of its own, one after the other (and on llvmpipe, once a
        3-D view has been in the window, every update request composes and swaps the whole
        window). Between frames a view still repaints on a pan or zoom, at the next frame."""
        from PySide6.QtWidgets import QGraphicsView

        mode = (QGraphicsView.ViewportUpdateMode.NoViewportUpdate if on
                else QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        for plot in self.plots:
            if plot.viewportUpdateMode() != mode:
                plot.setViewportUpdateMode(mode)
            plot.viewport().update()

    def set_space(self, names: tuple[str, str, str], ticks: bool = True) -> None:
        """Name the three coordinates (R, G, B; a, b, L; …); ticks at 0, 128, 255 or none."""
        for (x, y), plot in zip(self.PROJECTIONS, self.plots):
            item = plot.getPlotItem()
            for side, channel in (("bottom", x), ("left", y)):
                axis = item.getAxis(side)
                axis.setTicks([[(0, "0"), (128, "128"), (255, "255")]] if ticks else [[(128, "")]])
                axis.setLabel(names[channel], color=self.AXIS_COLORS[channel] if ticks else "#d0d0d0")

    def reset_view(self) -> None:
        for plot in self.plots:
            plot.getPlotItem().getViewBox().setRange(xRange=(0, 255), yRange=(0, 255), padding=0.04)

    def is_drawing(self) -> bool:
        return bool(self._pending)
