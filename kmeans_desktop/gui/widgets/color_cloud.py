"""The colour cloud: the image's colours as points in the RGB cube, with the K centroids.

`ColorCloud` (objectName ``colorScatter``) holds a header (original/reduced colours, reset view)
and one of two views:

* `GLCloudView`: a pyqtgraph `GLViewWidget` with the sample as a `GLScatterPlotItem`, the cube's
  edges and R/G/B axes, and the centroids as larger round markers drawn on top. The mouse
  rotates (drag) and zooms (wheel).
* `FlatCloudView`: where no OpenGL context can be made (the offscreen platform, some remote
  desktops, old drivers) or the user asks for it: three 2-D projections (R–G, G–B, R–B) with
  `pg.ScatterPlotItem`. QPainter draws them without a GPU, so they show fewer points.

Which one is decided at run time by `opengl_support` (tries a real context), written to the
log, and never raises. Everything the views get is computed off the GUI thread (see
`analysis`): here arrays are only handed to pyqtgraph.
"""

from __future__ import annotations

import functools
import logging
import math

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QStackedLayout, QVBoxLayout, QWidget

from .flat_cloud import BACKGROUND, GRID, POINT_PX, FlatCloudView

log = logging.getLogger("kmeans_desktop.gui.cloud")

CENTROID_PX = (7.0, 22.0)  # marker diameter for the smallest and the largest share


@functools.cache
def opengl_support() -> tuple[bool, str]:
    """Whether a 3-D view can work here, and why: a real OpenGL 2.1+ context must be made
    current on an offscreen surface, and pyqtgraph.opengl (PyOpenGL) must import."""
    try:
        from PySide6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext

        platform = QGuiApplication.platformName()
        if platform in ("offscreen", "minimal"):
            return False, f"the '{platform}' platform has no OpenGL"
        context = QOpenGLContext()
        if not context.create():
            return False, "no OpenGL context could be created"
        surface = QOffscreenSurface()
        surface.setFormat(context.format())
        surface.create()
        try:
            if not surface.isValid() or not context.makeCurrent(surface):
                return False, "the OpenGL context could not be made current"
            version = context.format().version()
            if not context.isOpenGLES() and version < (2, 1):
                return False, f"OpenGL {version[0]}.{version[1]} is too old (2.1 is needed)"
            try:
                renderer = context.functions().glGetString(0x1F01) or "unknown renderer"  # GL_RENDERER
            except Exception:  # noqa: BLE001 - only for the log
                renderer = "unknown renderer"
            context.doneCurrent()
        finally:
            surface.destroy()
        import pyqtgraph.opengl  # noqa: F401 - PyOpenGL needs libGL

        return True, f"OpenGL {version[0]}.{version[1]} ({renderer})"
    except Exception as exc:  # noqa: BLE001 - any failure just means: no 3-D view
        return False, f"OpenGL failed ({type(exc).__name__}: {exc})"


def centroid_sizes(counts: np.ndarray) -> np.ndarray:
    """Marker diameters (px) by share of pixels: area grows with the share."""
    counts = np.asarray(counts, dtype=np.float64)
    top = counts.max() if len(counts) else 0.0
    rel = np.sqrt(counts / top) if top > 0 else np.zeros_like(counts)
    lo, hi = CENTROID_PX
    return (lo + (hi - lo) * rel).astype(np.float32)


def visible_palette(palette: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Palette entries that have a colour to show (alpha > 0) as RGB, and their pixel counts."""
    palette = np.asarray(palette)
    keep = palette[:, 3] > 0 if palette.shape[1] == 4 else np.ones(len(palette), bool)
    return palette[keep, :3], np.asarray(counts)[keep]


# --------------------------------------------------------------------------------------------
# The 3-D view


class GLCloudView(QWidget):
    """Points, centroids and the RGB cube in a rotatable `GLViewWidget`."""

    CAMERA = {"distance": 2.75, "elevation": 20.0, "azimuth": -55.0}
    FOV = 38.0  # degrees across the narrower side of the view (pyqtgraph's fov is across the width)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph.opengl as gl
        from OpenGL import GL

        from .gl_items import LineItem, ScatterItem, SquarePoints

        self.view = gl.GLViewWidget()
        self.view.setObjectName("colorCloudGL")
        self.view.setBackgroundColor(QColor(*BACKGROUND))
        on_top = {GL.GL_DEPTH_TEST: False, GL.GL_BLEND: True,
                  "glBlendFunc": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)}
        dpr = max(1.0, self.devicePixelRatioF())
        self.points = SquarePoints(pos=np.zeros((1, 3), np.float32), size=POINT_PX * dpr, pxMode=True,
                                  glOptions="opaque")
        self.points.setVisible(False)
        self.rings = ScatterItem(pos=np.zeros((1, 3), np.float32), size=1.0, color=(0.08, 0.08, 0.09, 0.9),
                                 pxMode=True, glOptions=on_top)
        self.centroids = ScatterItem(pos=np.zeros((1, 3), np.float32), size=1.0, pxMode=True, glOptions=on_top)
        for item in (self.rings, self.centroids):
            item.setVisible(False)
        self.rings.setDepthValue(10)
        self.centroids.setDepthValue(11)
        self._add_cube(gl, LineItem)
        for item in (self.points, self.rings, self.centroids):
            self.view.addItem(item)
        self._dpr = dpr
        self.reset_view()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view)

    def _add_cube(self, gl, line_item) -> None:
        c = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], np.float32) - 0.5
        edges = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]
        axes = [(0, 4), (0, 2), (0, 1)]  # from black along R, G and B
        box = np.array([c[i] for e in edges if e not in axes for i in e], np.float32)
        grey = np.array(GRID + (255,), np.float32) / 255
        self.view.addItem(line_item(pos=box, color=tuple(grey * [1, 1, 1, 0.55]), width=1.0, mode="lines",
                                    antialias=True, glOptions="translucent"))
        colors = np.array([[0.55, 0.55, 0.55, 1], [1, 0.25, 0.25, 1], [0.55, 0.55, 0.55, 1], [0.3, 0.9, 0.3, 1],
                           [0.55, 0.55, 0.55, 1], [0.35, 0.55, 1, 1]], np.float32)
        ends = np.array([c[i] for e in axes for i in e], np.float32)
        self.view.addItem(line_item(pos=ends, color=colors, width=2.0, mode="lines", antialias=True,
                                    glOptions="translucent"))
        font = QFont()
        font.setPointSizeF(max(10.0, font.pointSizeF() * 1.1))
        font.setBold(True)
        for text, at, color in (("R", (0.62, -0.5, -0.5), (255, 110, 110)), ("G", (-0.5, 0.62, -0.5), (110, 230, 110)),
                                ("B", (-0.5, -0.5, 0.64), (120, 160, 255))):
            self.view.addItem(gl.GLTextItem(pos=at, text=text, color=QColor(*color), font=font))
        small = QFont(font)
        small.setBold(False)
        small.setPointSizeF(font.pointSizeF() * 0.8)
        for text, at in (("0", (-0.56, -0.56, -0.56)), ("255", (0.5, 0.5, 0.53))):
            self.view.addItem(gl.GLTextItem(pos=at, text=text, color=QColor(*GRID), font=small))

    def set_points(self, positions: np.ndarray, colors: np.ndarray) -> None:
        if len(positions) == 0:
            self.points.setVisible(False)
            return
        self.points.setData(pos=positions, color=colors)
        self.points.setVisible(True)

    def set_colors(self, colors: np.ndarray) -> None:
        self.points.setData(color=colors)

    def set_centroids(self, rgb: np.ndarray, sizes: np.ndarray) -> None:
        if len(rgb) == 0:
            self.rings.setVisible(False)
            self.centroids.setVisible(False)
            return
        pos = rgb.astype(np.float32) / 255 - 0.5
        color = np.concatenate([rgb.astype(np.float32) / 255, np.ones((len(rgb), 1), np.float32)], axis=1)
        self.rings.setData(pos=pos, size=(sizes + 3.0) * self._dpr)
        self.centroids.setData(pos=pos, color=color, size=sizes * self._dpr)
        self.rings.setVisible(True)
        self.centroids.setVisible(True)

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


# --------------------------------------------------------------------------------------------
# The panel


class ColorCloud(QWidget):
    """The colour-cloud panel: header with the colour toggle and reset, and the 3-D or 2-D view."""

    #: Original (False) or reduced (True) colours were chosen.
    reducedChanged = Signal(bool)

    FLAT_POINTS = 6000  # points the 2-D projections draw (QPainter, no GPU)

    def __init__(self, flat: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("colorScatter")
        self._sample = None
        self._palette_rgb = np.zeros((0, 3), np.uint8)
        self._sizes = np.zeros(0, np.float32)
        self._assignment = None
        self._palette_key = None
        self._reduced = False

        self.original_button = QPushButton("Original colours")
        self.reduced_button = QPushButton("Reduced colours")
        self.original_button.setObjectName("cloudOriginalColors")
        self.reduced_button.setObjectName("cloudReducedColors")
        self.original_button.setToolTip("Each point in its own colour")
        self.reduced_button.setToolTip("Each point in its cluster's centroid colour: what K colours make of it")
        group = QButtonGroup(self)
        group.setExclusive(True)
        for b in (self.original_button, self.reduced_button):
            b.setCheckable(True)
            b.setFlat(False)
            group.addButton(b)
        self.original_button.setChecked(True)
        self.reduced_button.toggled.connect(self.set_reduced)
        self.reset_button = QPushButton("Reset view")
        self.reset_button.setObjectName("cloudResetView")
        self.reset_button.clicked.connect(self.reset_view)
        self.caption = QLabel("")
        self.caption.setObjectName("cloudCaption")
        muted = self.caption.palette()
        muted.setColor(self.caption.foregroundRole(), muted.color(muted.ColorRole.PlaceholderText))
        self.caption.setPalette(muted)
        header = QHBoxLayout()
        header.setContentsMargins(8, 6, 8, 4)
        header.setSpacing(0)
        header.addWidget(self.original_button)
        header.addWidget(self.reduced_button)
        header.addSpacing(12)
        header.addWidget(self.caption, 1)
        header.addWidget(self.reset_button)

        self._stack = QStackedLayout()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(header)
        box.addLayout(self._stack, 1)
        self.view: GLCloudView | FlatCloudView | None = None
        self.set_flat(flat)

    # -- mode ---------------------------------------------------------------------------------

    @property
    def is_3d(self) -> bool:
        return isinstance(self.view, GLCloudView)

    def set_flat(self, flat: bool) -> None:
        """Show the 2-D projections (True) or, where OpenGL works, the 3-D view."""
        ok, why = opengl_support()
        want_3d = ok and not flat
        if self.view is not None and self.is_3d == want_3d:
            return
        if want_3d:
            log.info("colour cloud: 3-D view, %s", why)
        elif flat and ok:
            log.info("colour cloud: 2-D projections, as chosen in the View menu")
        else:
            log.info("colour cloud: 2-D projections, because %s", why)
        old = self.view
        self.view = GLCloudView(self) if want_3d else FlatCloudView(self)
        self._stack.addWidget(self.view)
        self._stack.setCurrentWidget(self.view)
        if old is not None:
            self._stack.removeWidget(old)
            old.hide()  # not painted again: a GL view's framebuffer goes with its native window
            old.deleteLater()
        self._redraw()

    # -- data ---------------------------------------------------------------------------------

    def clear(self) -> None:
        self._sample = None
        self._assignment = None
        self._palette_rgb = np.zeros((0, 3), np.uint8)
        self._sizes = np.zeros(0, np.float32)
        self.caption.setText("")
        self._redraw()

    def set_sample(self, sample) -> None:
        """A new image's points (an `analysis.CloudSample`)."""
        self._sample = sample
        self._assignment = None
        self._redraw()

    def set_palette(self, palette: np.ndarray, counts: np.ndarray, key) -> None:
        """The result on screen: centroids now, reduced colours when its assignment arrives."""
        self._palette_rgb, counts = visible_palette(palette, counts)
        self._sizes = centroid_sizes(counts)
        self._palette_key = key
        self.view.set_centroids(self._palette_rgb, self._sizes)
        self._update_caption()

    def set_assignment(self, assignment) -> None:
        """Each point's cluster for the palette `assignment.key` (an `analysis.CloudAssignment`)."""
        if self._sample is None or assignment.image_id != self._sample.image_id:
            return
        self._assignment = assignment
        if self._reduced:
            self._show_colors()

    def set_reduced(self, reduced: bool) -> None:
        reduced = bool(reduced)
        if self.reduced_button.isChecked() != reduced:
            (self.reduced_button if reduced else self.original_button).setChecked(True)
            return  # toggled() comes back here
        if reduced == self._reduced:
            return
        self._reduced = reduced
        self._show_colors()
        self.reducedChanged.emit(reduced)

    @property
    def reduced(self) -> bool:
        return self._reduced

    def reset_view(self) -> None:
        if self.view is not None:
            self.view.reset_view()

    @property
    def sample(self):
        return self._sample

    @property
    def assignment(self):
        return self._assignment

    # -- drawing ------------------------------------------------------------------------------

    def _redraw(self) -> None:
        s = self._sample
        if isinstance(self.view, GLCloudView):
            if s is None:
                self.view.set_points(np.zeros((0, 3), np.float32), np.zeros((0, 4), np.float32))
            else:
                self.view.set_points(s.positions, self._gl_colors())
        elif s is not None:
            codes, table = self._flat_colors()
            self.view.set_points(s.colors, s.flat_orders, codes, table)
        self.view.set_centroids(self._palette_rgb, self._sizes)
        self._update_caption()

    def _gl_colors(self) -> np.ndarray:
        if self._reduced and self._assignment is not None:
            return self._assignment.rgba
        return self._sample.rgba

    def _flat_colors(self) -> tuple[np.ndarray, np.ndarray]:
        s = self._sample
        if self._reduced and self._assignment is not None:
            return self._assignment.labels, self._assignment.palette_rgb
        return s.flat_codes, s.flat_table

    def _show_colors(self) -> None:
        if self._sample is None:
            return
        if isinstance(self.view, GLCloudView):
            self.view.set_colors(self._gl_colors())
        else:
            self.view.set_colors(*self._flat_colors())

    def _update_caption(self) -> None:
        s = self._sample
        if s is None:
            self.caption.setText("")
            return
        shown = len(s.positions) if self.is_3d else min(len(s.positions), self.FLAT_POINTS)
        k = len(self._palette_rgb)
        text = f"{shown:,} pixels sampled"
        if k:
            text += f" · {k} centroid{'s' if k != 1 else ''}"
        self.caption.setText(text)
        self.caption.setToolTip("Points drawn by weight from the image's colour histogram; "
                                "markers are the palette, sized by their share of the pixels.")


__all__ = ["ColorCloud", "FlatCloudView", "GLCloudView", "centroid_sizes", "opengl_support"]
