"""The K-choice curve (objectName ``kCurve``): perceived quality and PNG size against K.

SSIMULACRA2 (left axis; PSNR in dB instead when the "PSNR" box, ``kCurvePsnrToggle``, is ticked)
and the PNG size (bytes, right axis) for K = 2, 4, … 256 on a log-2 axis, plus every K the user
settled on. The current K is marked; clicking a point of either curve asks for that K
(`kChosen`). When the doubling series is complete, the "knee" is marked: the smallest K past
which no doubling gains a visible step in SSIMULACRA2 (`core.sampling.knee_k_ssimulacra2` says
how that was tuned), whichever quality measure is drawn.
The points are computed in the background by `analysis.AnalysisWorker`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.sampling import KNEE_ENOUGH_S2, KNEE_GAIN_S2, knee_k_ssimulacra2
from .stats_panel import human_bytes, quality_word

GRID_KS = (2, 4, 8, 16, 32, 64, 128, 256)
PSNR_COLOR = (70, 130, 220)  # the quality curve, whichever measure it draws
BYTES_COLOR = (225, 125, 40)
MARK_COLOR = (120, 120, 128)
FITTED_COLOR = (40, 150, 70)


class BytesAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        return [human_bytes(round(v)) if v > 0 else "0" for v in values]


class KCurveView(QWidget):
    """SSIMULACRA2 (or PSNR) and bytes against K; click a point to choose K."""

    #: A point was clicked: the K it stands for.
    kChosen = Signal(int)

    #: Points arriving within this time are drawn together: each redraw repaints the plot and,
    #: in a window with an OpenGL view, composes the whole window (tens of ms on llvmpipe).
    REDRAW_MS = 150

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kCurve")
        self._points: dict[int, tuple[float, int | None, bool]] = {}  # K -> (psnr, bytes or None, estimated)
        self._scores: dict[int, float] = {}  # K -> SSIMULACRA2 (NaN if not measured)
        self._show_psnr = False
        self._current_k: int | None = None
        self._note = ""
        self._image_id: int | None = None
        self._dither = False

        self.status = QLabel("")
        self.status.setObjectName("kCurveStatus")
        self.status.setWordWrap(True)
        header = QHBoxLayout()
        header.setContentsMargins(10, 6, 10, 0)
        header.addWidget(self.status, 1)
        self.psnr_toggle = QCheckBox("PSNR")  # below the plot: beside the status it widens the dock
        self.psnr_toggle.setObjectName("kCurvePsnrToggle")
        self.psnr_toggle.setToolTip("Draw PSNR (dB) instead of SSIMULACRA2. The knee stays in SSIMULACRA2.")
        self.psnr_toggle.toggled.connect(self.set_show_psnr)
        footer = QHBoxLayout()
        footer.setContentsMargins(10, 0, 10, 0)
        footer.addStretch(1)
        footer.addWidget(self.psnr_toggle)

        self.plot = pg.PlotWidget(axisItems={"bottom": pg.AxisItem("bottom"), "right": BytesAxis("right")},
                                  background=None)
        self.plot.setObjectName("kCurvePlot")
        item = self.plot.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.15)
        fg = self.palette().color(self.foregroundRole())
        for side in ("left", "bottom", "right"):
            axis = item.getAxis(side)
            axis.setStyle(maxTickLevel=1)  # no minor ticks and grid lines: half the painting
            axis.setTextPen(pg.mkPen(fg))
            axis.setPen(pg.mkPen(QColor(fg.red(), fg.green(), fg.blue(), 110)))
        # Two levels: 2, 16 and 256 always labelled, the others only while they have room (they
        # overlapped in a narrow dock, 1024×600 window: "48364"). pyqtgraph drops a lower level's
        # labels once all labels so far fill this share of the axis: all eight take about half of
        # it when the widest two just stop touching (an axis of about 245 px; the default window's
        # is 260).
        item.getAxis("bottom").setTicks([[(math.log2(k), str(k)) for k in GRID_KS if k in (2, 16, 256)],
                                         [(math.log2(k), str(k)) for k in GRID_KS if k not in (2, 16, 256)]])
        item.getAxis("bottom").setStyle(textFillLimits=[(0, 0.8), (2, 0.5)])
        item.setLabel("bottom", "K (colours)")
        item.setLabel("left", "SSIMULACRA2", color=QColor(*PSNR_COLOR).name())
        item.showAxis("right")
        item.setLabel("right", "PNG size", color=QColor(*BYTES_COLOR).name())
        item.setXRange(math.log2(2) - 0.35, math.log2(256) + 0.35, padding=0)

        self.bytes_box = pg.ViewBox()
        self.bytes_box.setMouseEnabled(x=False, y=False)
        self.bytes_box.setMenuEnabled(False)
        item.scene().addItem(self.bytes_box)
        item.getAxis("right").linkToView(self.bytes_box)
        self.bytes_box.setXLink(item)
        item.getViewBox().sigResized.connect(self._sync_boxes)

        self.psnr_line = pg.PlotCurveItem(pen=pg.mkPen(PSNR_COLOR, width=2))
        self.psnr_points = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(PSNR_COLOR), pen=pg.mkPen("w", width=1),
                                              hoverable=True, hoverSize=12, tip=self._tip)
        self.bytes_line = pg.PlotCurveItem(pen=pg.mkPen(BYTES_COLOR, width=2, style=Qt.PenStyle.DashLine))
        self.bytes_points = pg.ScatterPlotItem(size=8, symbol="s", brush=pg.mkBrush(BYTES_COLOR),
                                               pen=pg.mkPen("w", width=1), hoverable=True, hoverSize=11,
                                               tip=self._tip)
        item.addItem(self.psnr_line)
        item.addItem(self.psnr_points)
        self.bytes_box.addItem(self.bytes_line)
        self.bytes_box.addItem(self.bytes_points)
        for scatter in (self.psnr_points, self.bytes_points):
            scatter.sigClicked.connect(self._on_clicked)

        self.current_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(fg, width=1.5),
                                            label="K = {value}", labelOpts={"position": 0.95, "color": fg})
        self.current_line.setVisible(False)
        self.knee_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen(MARK_COLOR, width=1.2, style=Qt.PenStyle.DotLine),
                                         label="knee", labelOpts={"position": 0.08, "color": MARK_COLOR})
        self.knee_line.setVisible(False)
        self.fitted_line = pg.InfiniteLine(angle=90, movable=False,
                                           pen=pg.mkPen(FITTED_COLOR, width=2, style=Qt.PenStyle.DashLine),
                                           label="fits", labelOpts={"position": 0.8, "color": FITTED_COLOR})
        self.fitted_line.setVisible(False)
        self._fitted_k: int | None = None
        item.addItem(self.fitted_line, ignoreBounds=True)
        item.addItem(self.current_line, ignoreBounds=True)
        item.addItem(self.knee_line, ignoreBounds=True)
        small = QFont(self.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        for line in (self.current_line, self.knee_line, self.fitted_line):
            line.label.setFont(small)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(self.REDRAW_MS)
        self._redraw_timer.timeout.connect(self._redraw)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 4)
        box.setSpacing(0)
        box.addLayout(header)
        box.addWidget(self.plot, 1)
        box.addLayout(footer)
        self._update_status()

    # -- data ---------------------------------------------------------------------------------

    def start(self, image_id: int, dither: bool, note: str) -> None:
        """A curve for this image and dithering begins (or its note arrived): drop other points."""
        if (image_id, dither) != (self._image_id, self._dither):
            self._points.clear()
            self._scores.clear()
        self._image_id, self._dither = image_id, dither
        if note:
            self._note = note
        self._redraw()

    def clear(self) -> None:
        self._points.clear()
        self._scores.clear()
        self._image_id = None
        self._note = ""
        self._redraw()

    def add_point(self, point) -> None:
        """An `analysis.CurvePoint` for the current image and dithering."""
        if (point.image_id, point.dither) != (self._image_id, self._dither):
            return
        self._points[point.k] = (point.psnr, point.nbytes, point.estimated)
        self._scores[point.k] = float(getattr(point, "ssimulacra2", math.nan))
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def set_current_k(self, k: int) -> None:
        self._current_k = int(k)
        self.current_line.setValue(math.log2(k))
        self.current_line.label.setFormat(f"K = {int(k)}")
        self.current_line.setVisible(True)
        self._update_status()

    def set_fitted_k(self, k: int | None, size: tuple[int, int] | None = None) -> None:
        """Mark the K the requirements chose (None: no mark); `size` when it was chosen at a
        smaller size than the full one, which the curve's points are for (the mark says so)."""
        self._fitted_k = None if k is None else int(k)
        self.fitted_line.setVisible(k is not None)  # first: a hidden label ignores new text
        if k is not None:
            self.fitted_line.setValue(math.log2(k))
            note = f"\nat {size[0]} × {size[1]} px\n(curve: full size)" if size is not None else ""
            self.fitted_line.label.setFormat(f"fits: K = {int(k)}{note}")
        self._fitted_note = None if k is None or size is None else f"{size[0]} × {size[1]}"

    def fitted_label(self) -> str:
        """The fitted mark's text ('' without one)."""
        return self.fitted_line.label.format if self._fitted_k is not None else ""

    def fitted_k(self) -> int | None:
        return self._fitted_k

    def points(self) -> dict[int, tuple[float, int | None]]:
        """K -> (PSNR, PNG bytes); bytes are None while that K is still being encoded."""
        return {k: (p, b) for k, (p, b, _) in self._points.items()}

    def scores(self) -> dict[int, float]:
        """K -> SSIMULACRA2 of the result at K (of the tiles, when estimated)."""
        return dict(self._scores)

    def knee(self) -> int | None:
        if not all(k in self._scores for k in GRID_KS):
            return None
        return knee_k_ssimulacra2(GRID_KS, [self._scores[k] for k in GRID_KS])

    def set_show_psnr(self, on: bool) -> None:
        """Draw PSNR instead of SSIMULACRA2 on the left axis."""
        self._show_psnr = bool(on)
        if self.psnr_toggle.isChecked() != self._show_psnr:
            self.psnr_toggle.setChecked(self._show_psnr)
        label = "PSNR (dB)" if self._show_psnr else "SSIMULACRA2"
        self.plot.getPlotItem().setLabel("left", label, color=QColor(*PSNR_COLOR).name())
        self._redraw()

    def showing_psnr(self) -> bool:
        return self._show_psnr

    def point_position(self, k: int, which: str = "quality") -> QPoint:
        """Where the point for K is drawn, in the plot's viewport coordinates (tests click it).
        `which`: "quality" (the curve drawn on the left axis; "psnr" means the same) or "bytes"."""
        if self._redraw_timer.isActive():
            self._redraw()
        value, nbytes = self._display_value(k), self._points[k][1] or 0
        on_left = which != "bytes"
        box = self.plot.getPlotItem().getViewBox() if on_left else self.bytes_box
        scene = box.mapViewToScene(QPointF(math.log2(k), value if on_left else nbytes))
        return self.plot.mapFromScene(scene)

    # -- drawing ------------------------------------------------------------------------------

    def _display_value(self, k: int) -> float:
        """What the quality curve draws for K: PSNR (see _display_psnr) or SSIMULACRA2."""
        return self._display_psnr(k) if self._show_psnr else self._scores.get(k, math.nan)

    def _display_psnr(self, k: int) -> float:
        """PSNR to draw: a lossless result (infinite PSNR) is drawn just above the best finite one."""
        value = self._points[k][0]
        if math.isfinite(value):
            return value
        finite = [p for p, _, _ in self._points.values() if math.isfinite(p)]
        return (max(finite) if finite else 40.0) + 4.0

    def _redraw(self) -> None:
        self._redraw_timer.stop()
        ks = [k for k in sorted(self._points) if math.isfinite(self._display_value(k))]
        x = np.log2(np.array(ks, dtype=np.float64)) if ks else np.zeros(0)
        y = np.array([self._display_value(k) for k in ks], dtype=np.float64)
        kb = [k for k in ks if self._points[k][1] is not None]
        xb = np.log2(np.array(kb, dtype=np.float64)) if kb else np.zeros(0)
        b = np.array([self._points[k][1] for k in kb], dtype=np.float64)
        self.psnr_line.setData(x, y)
        self.bytes_line.setData(xb, b)
        self.psnr_points.setData(x=x, y=y, data=ks)
        self.bytes_points.setData(x=xb, y=b, data=kb)
        if ks:
            margin = 1.5 if self._show_psnr else 4.0
            self.plot.getPlotItem().setYRange(float(y.min()) - margin, float(y.max()) + margin, padding=0)
        if kb:
            self.bytes_box.setYRange(0, float(b.max()) * 1.08, padding=0)
        item = self.plot.getPlotItem()  # no numbers on an axis with nothing on it ("1 bytes", "0")
        for side, shown in (("left", bool(ks)), ("right", bool(kb))):
            if item.getAxis(side).style["showValues"] != shown:
                item.getAxis(side).setStyle(showValues=shown)
        knee = self.knee()
        self.knee_line.setVisible(knee is not None)
        if knee is not None:
            self.knee_line.setValue(math.log2(knee))
        self._sync_boxes()
        self._update_status()

    def _sync_boxes(self) -> None:
        main = self.plot.getPlotItem().getViewBox()
        self.bytes_box.setGeometry(main.sceneBoundingRect())
        self.bytes_box.linkedViewChanged(main, self.bytes_box.XAxis)

    def _update_status(self) -> None:
        done = sum(1 for k in GRID_KS if k in self._points and self._points[k][1] is not None)
        if self._image_id is None:
            text = ""
        elif done < len(GRID_KS):
            text = f"Computing SSIMULACRA2 and PNG size for each K… {done} of {len(GRID_KS)}"
        else:
            knee = self.knee()
            if knee is None:
                text = (f"No knee: every doubling of K up to 256 still gains {KNEE_GAIN_S2:g} SSIMULACRA2 "
                        f"points or more.")
            else:
                text = (f"Knee at K = {knee}: past it, a doubling of K gains less than {KNEE_GAIN_S2:g} "
                        f"SSIMULACRA2 points.")
        if self._points and any(e for _, _, e in self._points.values()):
            text += " · estimated"
        self.status.setText(text)
        tip = (f"Click a point to use its K. SSIMULACRA2: 100 = identical, ≥ 90 visually lossless, ≥ 70 high, "
               f"≥ 50 medium, ≥ 30 low. The knee is the smallest K past which each doubling gains less "
               f"than {KNEE_GAIN_S2:g} points (less than half a step in those words) or starts at "
               f"{KNEE_ENOUGH_S2:g} or more.\n"
               + (self._note or "SSIMULACRA2, PSNR and PNG size of the whole image at each K."))
        if self._dither:
            tip += " With dithering, as set."
        self.status.setToolTip(tip)
        self.plot.setToolTip(tip)

    def _tip(self, x: float, y: float, data) -> str:
        k = int(data)
        psnr, nbytes, estimated = self._points.get(k, (math.nan, None, False))
        quality = "lossless" if math.isinf(psnr) else f"{psnr:.1f} dB"
        score = self._scores.get(k, math.nan)
        if math.isfinite(score):
            quality = f"SSIMULACRA2 {score:.1f} ({quality_word(score)}), {quality}"
        size = human_bytes(nbytes) if nbytes is not None else "size not known yet"
        return f"K = {k}: {quality}, {size}{' (estimated)' if estimated else ''}. Click to use K = {k}."

    def _on_clicked(self, item, points, ev=None) -> None:
        if len(points):
            self.kChosen.emit(int(points[0].data()))
