"""The colour cloud: the image's colours as points in a colour space (the RGB cube, OKLab with
lightness up, or an HSV cylinder; `cloudSpace`), with the K centroids, and k-means playing in it.

`ColorCloud` (objectName ``colorScatter``) holds a header (original/reduced colours, reset view)
and one of two views:

* `GLCloudView` (`gl_cloud`): pyqtgraph's 3-D scene, rendered offscreen and shown as a picture
  (`gl_offscreen`: the window is never composed by OpenGL), with the sample as points, the space's
  frame, and the centroids as larger round markers drawn on top. The mouse rotates and zooms.
* `FlatCloudView`: where no OpenGL context can be made (the offscreen platform, some remote
  desktops, old drivers) or the user asks for it: three 2-D projections (R–G, G–B, R–B) with
  `pg.ScatterPlotItem`. QPainter draws them without a GPU, so they show fewer points.

While k-means plays (`show_playback`), the points take their cluster's colour and the centroids
move with short trails, whichever view is shown; `end_playback` goes back to the result on show.

Which one is decided at run time by `opengl_support` (tries a real context), written to the
log, and never raises. Everything the views get is computed off the GUI thread (see
`analysis`): here arrays are only handed to pyqtgraph.
"""

from __future__ import annotations

import functools
import logging

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from ...core.playback import DISPLAY_AXES, DISPLAY_SPACES, display_positions
from .compact_row import CompactRow
from .flat_cloud import FlatCloudView
from .gl_cloud import GLCloudView

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
        self._space = "rgb"
        self._positions: dict[str, np.ndarray] = {}
        self._trail_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._playback = None  # (point rgba, labels, centre rgb, centre sRGB float, sizes, trails) while playing

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
        self.space_combo = QComboBox()
        self.space_combo.setObjectName("cloudSpace")
        for key, label in DISPLAY_SPACES.items():
            self.space_combo.addItem(label, key)
        self.space_combo.setToolTip("The space the points are drawn in: the RGB cube, OKLab (perceived lightness "
                                    "up, hue around) or HSV (display only: nothing is clustered in it)")
        self.space_combo.setMinimumContentsLength(6)
        self.space_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.space_combo.currentIndexChanged.connect(lambda _i: self.set_space(self.space_combo.currentData()))
        self.caption = QLabel("")
        self.caption.setObjectName("cloudCaption")
        self.caption.setMinimumWidth(1)  # it may be cut short; the dock keeps the window's minimum width
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        muted = self.caption.palette()
        muted.setColor(self.caption.foregroundRole(), muted.color(muted.ColorRole.PlaceholderText))
        self.caption.setPalette(muted)
        header = QHBoxLayout()
        header.setContentsMargins(8, 6, 8, 4)
        header.setSpacing(0)
        header.addWidget(self.original_button)
        header.addWidget(self.reduced_button)
        header.addSpacing(8)
        header.addWidget(self.space_combo)
        header.addSpacing(12)
        header.addWidget(self.caption, 1)
        header.addWidget(self.reset_button)

        self._stack = QStackedLayout()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(header)
        box.addLayout(self._stack, 1)
        self.compact_header = CompactRow(self, header, [(self.original_button, "Original colours", "Original"), (
            self.reduced_button, "Reduced colours", "Reduced")])
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
        self._show_space()
        if old is not None:
            self._stack.removeWidget(old)
            old.hide()  # not painted again: a GL view's framebuffer goes with its native window
            old.deleteLater()
        self._redraw()

    # -- data ---------------------------------------------------------------------------------

    def clear(self) -> None:
        self._positions = {}
        self._playback = None
        self._sample = None
        self._assignment = None
        self._palette_rgb = np.zeros((0, 3), np.uint8)
        self._sizes = np.zeros(0, np.float32)
        self.caption.setText("")
        self._redraw()

    def set_sample(self, sample) -> None:
        """A new image's points (an `analysis.CloudSample`)."""
        self._sample = sample
        self._positions = {}
        self._assignment = None
        self._redraw()

    def set_palette(self, palette: np.ndarray, counts: np.ndarray, key) -> None:
        """The result on screen: centroids now, reduced colours when its assignment arrives."""
        self._palette_rgb, counts = visible_palette(palette, counts)
        self._sizes = centroid_sizes(counts)
        self._palette_key = key
        if self._playback is None:
            self._draw_centroids()
        self._update_caption()

    def set_assignment(self, assignment) -> None:
        """Each point's cluster for the palette `assignment.key` (an `analysis.CloudAssignment`)."""
        if self._sample is None or assignment.image_id != self._sample.image_id:
            return
        self._assignment = assignment
        if self._reduced and self._playback is None:
            self._show_colors()

    def set_reduced(self, reduced: bool) -> None:
        reduced = bool(reduced)
        if self.reduced_button.isChecked() != reduced:
            (self.reduced_button if reduced else self.original_button).setChecked(True)
            return  # toggled() comes back here
        if reduced == self._reduced:
            return
        self._reduced = reduced
        if self._playback is None:
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

    # -- spaces and playback ----------------------------------------------------------------

    @property
    def space(self) -> str:
        return self._space

    def set_space(self, space: str) -> None:
        """Draw the points in another space: "rgb", "oklab" or "hsv"."""
        if space not in DISPLAY_SPACES:
            raise ValueError(f"unknown colour space {space!r}")
        if self.space_combo.currentData() != space:
            self.space_combo.setCurrentIndex(list(DISPLAY_SPACES).index(space))
            return  # currentIndexChanged comes back here
        if space == self._space:
            return
        self._space = space
        self._show_space()
        self._redraw()

    def _show_space(self) -> None:
        if isinstance(self.view, GLCloudView):
            self.view.set_space(self._space)
        else:
            self.view.set_space(DISPLAY_AXES[self._space], ticks=self._space == "rgb")

    def positions(self) -> np.ndarray:
        """The sample's points in the current space: the cloud's box, [-0.5, 0.5]³ (cached)."""
        s = self._sample
        if s is None:
            return np.zeros((0, 3), np.float32)
        if self._space == "rgb":
            return s.positions
        if self._space not in self._positions:
            self._positions[self._space] = display_positions(s.colors, self._space)
        return self._positions[self._space]

    def _flat_coords(self) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        s = self._sample
        if self._space == "rgb":
            return s.colors, s.flat_orders
        head = (self.positions()[:self.FLAT_POINTS] + 0.5) * 255
        return head, tuple(np.argsort(head[:, hidden], kind="stable") for hidden in (2, 0, 1))

    def _trail_at(self, srgb: np.ndarray) -> np.ndarray:
        """`_at` for one frame's centres, kept while they are on the trail: each frame would
        otherwise convert every earlier frame's centres again (in HSV or OKLab 3–4 ms a frame)."""
        key = (id(srgb), self._space, self.is_3d)
        hit = self._trail_cache.get(key)
        if hit is None or hit[0] is not srgb:
            if len(self._trail_cache) > 64:
                self._trail_cache.clear()
            hit = self._trail_cache[key] = (srgb, self._at(srgb))
        return hit[1]

    def _at(self, srgb: np.ndarray) -> np.ndarray:
        """Centroid positions for sRGB colours (float 0..255) in the view's coordinates."""
        p = display_positions(np.asarray(srgb, np.float64).reshape(-1, 3), self._space)
        return p if self.is_3d else (p + 0.5) * 255

    def show_playback(self, point_rgba: np.ndarray, labels: np.ndarray, centre_rgb: np.ndarray,
                      centre_srgb: np.ndarray, counts: np.ndarray, trails: list[np.ndarray]) -> None:
        """One frame of k-means: each point in its cluster's colour (`point_rgba` n×4 float32 for
        the 3-D view, `labels` into `centre_rgb` for the 2-D one), the centres (unrounded sRGB
        `centre_srgb`, k×3 float) sized by `counts`, and where they were (`trails`, oldest first)."""
        if self._sample is None:
            return
        first = self._playback is None
        self._playback = (point_rgba, labels, centre_rgb, centre_srgb, centroid_sizes(counts), trails)
        if first and self.is_3d:
            self._redraw()
        else:
            self._show_colors()
            self._draw_centroids()

    def end_playback(self) -> None:
        """Back to the result on show."""
        if self._playback is not None:
            self._playback = None
            self.view.set_trails(np.zeros((0, 3), np.float32))
            if not self.is_3d:
                self.view.hide_raster()
            self._redraw()

    @property
    def playing(self) -> bool:
        return self._playback is not None

    # -- drawing ------------------------------------------------------------------------------

    def _redraw(self) -> None:
        s = self._sample
        if isinstance(self.view, GLCloudView):
            if s is None:
                self.view.set_points(np.zeros((0, 3), np.float32), np.zeros((0, 4), np.float32))
            else:
                self.view.set_points(self.positions(), self._gl_colors())
        elif s is not None and self._playback is not None:
            self._show_colors()
        elif s is not None:
            codes, table = self._flat_colors()
            coords, orders = self._flat_coords()
            self.view.set_points(coords, orders, codes, table)
        self._draw_centroids()
        self._update_caption()

    def _draw_centroids(self) -> None:
        if self._playback is not None:
            _, _, rgb, srgb, sizes, trails = self._playback
            path = [self._trail_at(c) for c in trails + [srgb]]
            self.view.set_centroids(rgb, sizes, path[-1])
            segments = [np.stack([a, b], axis=1).reshape(-1, 3) for a, b in zip(path, path[1:])]
            self.view.set_trails(np.concatenate(segments).astype(np.float32) if segments
                                 else np.zeros((0, 3), np.float32))
            return
        positions = None if self._space == "rgb" or not len(self._palette_rgb) else self._at(self._palette_rgb)
        self.view.set_centroids(self._palette_rgb, self._sizes, positions)

    def _gl_colors(self) -> np.ndarray:
        if self._playback is not None:
            return self._playback[0]
        if self._reduced and self._assignment is not None:
            return self._assignment.rgba
        return self._sample.rgba

    def _flat_colors(self) -> tuple[np.ndarray, np.ndarray]:
        s = self._sample
        if self._playback is not None:
            return self._playback[1], self._playback[2]
        if self._reduced and self._assignment is not None:
            return self._assignment.labels, self._assignment.palette_rgb
        return s.flat_codes, s.flat_table

    def _show_colors(self) -> None:
        if self._sample is None:
            return
        if isinstance(self.view, GLCloudView):
            self.view.set_colors(self._gl_colors())
        elif self._playback is not None:  # all the points, as pictures: fast enough for every frame
            self.view.set_raster_points(self._raster_coords())
            self.view.show_raster(self._playback[1], self._playback[2])
        else:
            self.view.set_colors(*self._flat_colors())

    def _raster_coords(self) -> np.ndarray:
        if self._space == "rgb":
            return self._sample.colors
        key = "flat-" + self._space
        if key not in self._positions:
            self._positions[key] = (self.positions() + 0.5) * 255
        return self._positions[key]

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
