"""The colour cloud's 3-D view: pyqtgraph's scene in an `OffscreenGLView` (`gl_offscreen`: rendered
into a framebuffer and painted as a picture) with the sample as square points (`IndexedPoints`:
new colours repainted through an index picture while the camera rests), the
centroids as larger round markers drawn on top, the frame of the colour space (the RGB cube with
its R/G/B axes, or for OKLab and HSV a lightness/value axis with a ring around it) and, while
k-means plays, the centroids' short trails. The mouse rotates (drag) and zooms (wheel).

Only made where an OpenGL context works (see `color_cloud.opengl_support`). Every array it gets
is ready to hand to pyqtgraph; nothing here computes.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from .flat_cloud import BACKGROUND, GRID, POINT_PX

TRAIL_COLOUR = (0.92, 0.93, 0.95)


class GLCloudView(QWidget):
    """Points, centroids and the colour space's frame in a rotatable `GLViewWidget`."""

    CAMERA = {"distance": 2.75, "elevation": 20.0, "azimuth": -55.0}
    FOV = 38.0  # degrees across the narrower side of the view (pyqtgraph's fov is across the width)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph.opengl as gl
        from OpenGL import GL

        from .gl_items import LineItem, ScatterItem
        from .gl_points import IndexedPoints

        from .gl_offscreen import OffscreenGLView, TextItem

        self.view = OffscreenGLView()
        self.view.setObjectName("colorCloudGL")
        self.view.setBackgroundColor(QColor(*BACKGROUND))
        on_top = {GL.GL_DEPTH_TEST: False, GL.GL_BLEND: True,
                  "glBlendFunc": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)}
        dpr = max(1.0, self.devicePixelRatioF())
        self.points = IndexedPoints(pos=np.zeros((1, 3), np.float32), size=POINT_PX * dpr, pxMode=True,
                                  glOptions="opaque")
        self.points.setVisible(False)
        self.rings = ScatterItem(pos=np.zeros((1, 3), np.float32), size=1.0, color=(0.08, 0.08, 0.09, 0.9),
                                 pxMode=True, glOptions=on_top)
        self.centroids = ScatterItem(pos=np.zeros((1, 3), np.float32), size=1.0, pxMode=True, glOptions=on_top)
        self.trails = LineItem(pos=np.zeros((2, 3), np.float32), color=TRAIL_COLOUR + (0.8,), width=1.5,
                               mode="lines", antialias=True, glOptions=on_top)
        for item in (self.rings, self.centroids, self.trails):
            item.setVisible(False)
        self.trails.setDepthValue(9)
        self.rings.setDepthValue(10)
        self.centroids.setDepthValue(11)
        self._frames = {"rgb": self._cube(gl, LineItem), "oklab": self._axis(gl, LineItem, "L", False),
                        "hsv": self._axis(gl, LineItem, "V", True)}
        self.set_space("rgb")
        for item in (self.points, self.trails, self.rings, self.centroids):
            self.view.addItem(item)
        self._dpr = dpr
        self.reset_view()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view)

    # -- the frames of the spaces ----------------------------------------------------------------

    @staticmethod
    def _fonts() -> tuple[QFont, QFont]:
        font = QFont()
        font.setPointSizeF(max(10.0, font.pointSizeF() * 1.1))
        font.setBold(True)
        small = QFont(font)
        small.setBold(False)
        small.setPointSizeF(font.pointSizeF() * 0.8)
        return font, small

    def _add(self, items: list) -> list:
        for item in items:
            self.view.addItem(item)
        return items

    def _cube(self, gl, line_item) -> list:
        from .gl_offscreen import TextItem

        c = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], np.float32) - 0.5
        edges = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]
        axes = [(0, 4), (0, 2), (0, 1)]  # from black along R, G and B
        box = np.array([c[i] for e in edges if e not in axes for i in e], np.float32)
        grey = np.array(GRID + (255,), np.float32) / 255
        items = [line_item(pos=box, color=tuple(grey * [1, 1, 1, 0.55]), width=1.0, mode="lines", antialias=True,
                           glOptions="translucent")]
        colors = np.array([[0.55, 0.55, 0.55, 1], [1, 0.25, 0.25, 1], [0.55, 0.55, 0.55, 1], [0.3, 0.9, 0.3, 1],
                           [0.55, 0.55, 0.55, 1], [0.35, 0.55, 1, 1]], np.float32)
        ends = np.array([c[i] for e in axes for i in e], np.float32)
        items.append(line_item(pos=ends, color=colors, width=2.0, mode="lines", antialias=True, glOptions="translucent"))
        font, small = self._fonts()
        for text, at, color in (("R", (0.62, -0.5, -0.5), (255, 110, 110)), ("G", (-0.5, 0.62, -0.5), (110, 230, 110)),
                                ("B", (-0.5, -0.5, 0.64), (120, 160, 255))):
            items.append(TextItem(pos=at, text=text, color=QColor(*color), font=font))
        for text, at in (("0", (-0.56, -0.56, -0.56)), ("255", (0.5, 0.5, 0.53))):
            items.append(TextItem(pos=at, text=text, color=QColor(*GRID), font=small))
        return self._add(items)

    def _axis(self, gl, line_item, name: str, ring: bool) -> list:
        """A vertical axis (lightness or value) through the middle, a ring (HSV: saturation 1) or
        cross (OKLab: the a and b axes) at the bottom."""
        from .gl_offscreen import TextItem

        grey = tuple(np.array(GRID + (255,), np.float32) / 255 * [1, 1, 1, 0.7])
        items = [line_item(pos=np.array([[0, 0, -0.5], [0, 0, 0.5]], np.float32), color=(0.85, 0.85, 0.85, 1),
                           width=2.0, mode="lines", antialias=True, glOptions="translucent")]
        if ring:
            t = np.linspace(0, 2 * math.pi, 73)
            for z in (-0.5, 0.5):
                pts = np.column_stack([0.5 * np.cos(t), 0.5 * np.sin(t), np.full_like(t, z)]).astype(np.float32)
                items.append(line_item(pos=pts, color=grey, width=1.0, mode="line_strip", antialias=True,
                                       glOptions="translucent"))
        else:
            cross = np.array([[-0.5, 0, -0.5], [0.5, 0, -0.5], [0, -0.5, -0.5], [0, 0.5, -0.5]], np.float32)
            items.append(line_item(pos=cross, color=grey, width=1.0, mode="lines", antialias=True,
                                   glOptions="translucent"))
        font, small = self._fonts()
        items.append(TextItem(pos=(0.03, 0.03, 0.56), text=name, color=QColor(235, 235, 235), font=font))
        labels = (("0°", (0.55, 0, -0.5)), ("120°", (-0.3, 0.48, -0.5))) if ring else (
            ("+a", (0.55, 0, -0.5)), ("+b", (0, 0.55, -0.5)))
        for text, at in labels:
            items.append(TextItem(pos=at, text=text, color=QColor(*GRID), font=small))
        return self._add(items)

    def set_space(self, space: str) -> None:
        """Show the frame of the space the points are drawn in."""
        for key, items in self._frames.items():
            for item in items:
                item.setVisible(key == space)

    # -- data ---------------------------------------------------------------------------------

    def set_points(self, positions: np.ndarray, colors: np.ndarray) -> None:
        if len(positions) == 0:
            self.points.setVisible(False)
            return
        self.points.setData(pos=positions, color=colors)
        self.points.setVisible(True)

    def set_colors(self, colors: np.ndarray) -> None:
        self.points.setData(color=colors)

    def set_centroids(self, rgb: np.ndarray, sizes: np.ndarray, positions: np.ndarray | None = None) -> None:
        if len(rgb) == 0:
            self.rings.setVisible(False)
            self.centroids.setVisible(False)
            return
        pos = rgb.astype(np.float32) / 255 - 0.5 if positions is None else positions
        color = np.concatenate([rgb.astype(np.float32) / 255, np.ones((len(rgb), 1), np.float32)], axis=1)
        self.rings.setData(pos=pos, size=(sizes + 3.0) * self._dpr)
        self.centroids.setData(pos=pos, color=color, size=sizes * self._dpr)
        self.rings.setVisible(True)
        self.centroids.setVisible(True)

    def set_trails(self, segments: np.ndarray, alpha: np.ndarray | None = None) -> None:
        """Line segments (2m×3: start, end, start, end …) behind the moving centroids, each
        with its opacity (m), older ones fainter; empty hides them."""
        if len(segments) == 0:
            self.trails.setVisible(False)
            return
        color = np.tile(np.array(TRAIL_COLOUR + (0.8,), np.float32), (len(segments), 1))
        if alpha is not None:
            color[:, 3] = np.repeat(alpha, 2)
        self.trails.setData(pos=segments, color=color)
        self.trails.setVisible(True)

    def reset_view(self) -> None:
        self.view.opts["center"] = self.view.opts["center"] * 0
        self._fit_fov()
        self.view.setCameraPosition(**self.CAMERA)

    def _fit_fov(self) -> None:
        """Keep the cube the same size in a wide view as in a tall one."""
        w, h = max(1, self.view.width()), max(1, self.view.height())
        half = math.radians(self.FOV / 2)
        self.view.opts["fov"] = math.degrees(2 * math.atan(math.tan(half) * w / h)) if w > h else self.FOV
        self.view.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_fov()

    def point_colors(self) -> np.ndarray:
        return self.points.color if isinstance(self.points.color, np.ndarray) else np.zeros((0, 4), np.float32)

    def centroid_colors(self) -> np.ndarray:
        return self.centroids.color if self.centroids.visible() else np.zeros((0, 4), np.float32)
