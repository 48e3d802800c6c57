"""The colour-space panels of the main window: the colour cloud and the K-choice curve, as docks
below the preview, their View-menu entries and their wiring to the window and its workers.

It follows the session (a new image, each result shown, K and dithering) and runs its work in
the window's scheduler (`analysis.AnalysisWorker`'s lanes) and helper process; the window only
builds it and calls `shutdown`. It gets the QMainWindow to dock into, never the MainWindow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from .analysis import AnalysisWorker
from .settings import FLAT_KEY, AppSettings
from .widgets.color_cloud import ColorCloud, opengl_support
from .widgets.k_curve import KCurveView

if TYPE_CHECKING:
    from .compute import LoadedImage, Preview
    from .helper import HelperProcess
    from .scheduler import Scheduler
    from .session import Session

log = logging.getLogger("kmeans_desktop.gui")

__all__ = ["FLAT_KEY", "ColourSpacePanels"]  # FLAT_KEY: AppSettings reads and writes it; tests set it

DOCK_HEIGHT = 320
DOCK_MIN_HEIGHT = 160  # the window's minimum height must fit a 1024×600 screen


class ColourSpacePanels(QObject):
    """Builds and drives the two docks for one `MainWindow`."""

    def __init__(self, window: QMainWindow, view_menu: QMenu, session: Session, settings: AppSettings,
                 scheduler: Scheduler, helper: HelperProcess, preview_busy: Callable[[], bool], preview_idle):
        super().__init__(window)
        self.window = window
        self.session = session
        self.settings = settings
        self.analysis = AnalysisWorker(preview_busy=preview_busy, parent=self, scheduler=scheduler, helper=helper)

        self.cloud = ColorCloud(flat=settings.flat_cloud())
        self.curve = KCurveView()
        self.cloud_dock = self._dock("Colour space", "colourSpaceDock", self.cloud)
        self.curve_dock = self._dock("Choosing K", "kCurveDock", self.curve)
        window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.cloud_dock)
        window.splitDockWidget(self.cloud_dock, self.curve_dock, Qt.Orientation.Horizontal)

        self.action_flat = QAction("Flat Colour Cloud (2-D)", window)
        self.action_flat.setObjectName("actionFlatColorCloud")
        self.action_flat.setCheckable(True)
        gl_ok, why = opengl_support()
        self.action_flat.setChecked(not gl_ok or settings.flat_cloud())
        self.action_flat.setEnabled(gl_ok)
        self.action_flat.setStatusTip("Show the colour cloud as three 2-D projections instead of a 3-D view"
                                      if gl_ok else f"The 3-D view is not available: {why}")
        self.action_flat.toggled.connect(self._on_flat_toggled)
        view_menu.addAction(self.cloud_dock.toggleViewAction())
        view_menu.addAction(self.curve_dock.toggleViewAction())
        view_menu.addAction(self.action_flat)
        for dock in (self.cloud_dock, self.curve_dock):
            dock.toggleViewAction().triggered.connect(self._remember_visibility)

        a = self.analysis
        preview_idle.connect(a.on_preview_idle)
        a.cloudSampled.connect(self.cloud.set_sample)
        a.cloudAssigned.connect(self.cloud.set_assignment)
        a.curveStarted.connect(self.curve.start)
        a.curvePoint.connect(self.curve.add_point)
        a.curveFailed.connect(lambda text: window.statusBar().showMessage(text, 8000))
        self.curve.kChosen.connect(self._on_k_chosen)
        session.imageChanged.connect(self._on_image)
        session.resultChanged.connect(self._on_result)
        session.ditherChanged.connect(lambda on, _value: a.want_k(session.k, on))
        self._shown_once = False

    def _dock(self, title: str, name: str, widget) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        dock.setMinimumHeight(DOCK_MIN_HEIGHT)
        return dock

    def hide_until_image(self) -> None:
        """The empty window is just the drop zone."""
        self.cloud_dock.hide()
        self.curve_dock.hide()

    # -- from the window ----------------------------------------------------------------------

    def _on_image(self, image: LoadedImage | None) -> None:
        if image is None:
            return
        if not self._shown_once:
            self._shown_once = True
            if self.settings.show_colour_space():
                self.cloud_dock.show()
                self.curve_dock.show()
                if self.settings.window_state() is None:  # first run: a sensible split
                    w = self.window.centralWidget().width()
                    self.window.resizeDocks([self.cloud_dock, self.curve_dock], [w // 2, w - w // 2],
                                            Qt.Orientation.Horizontal)
                    self.window.resizeDocks([self.cloud_dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
        self.cloud.clear()
        self.curve.clear()
        self.analysis.set_image(image)
        self.analysis.want_k(self.session.k, self.session.dither)
        self.curve.set_current_k(self.session.k)

    def _on_result(self, preview: Preview | None) -> None:
        """A result is on screen (quick or final): centroids now, the points' clusters soon."""
        if preview is None:
            return
        q = preview.quantized
        self.cloud.set_palette(q.palette, q.counts, q)
        self.analysis.set_palette(q.palette, q)
        if preview.final:
            self.curve.set_current_k(preview.k)
            self.analysis.want_k(preview.k, self.session.dither)

    def shutdown(self) -> None:
        self.analysis.shutdown()

    # -- internal -----------------------------------------------------------------------------

    def _on_k_chosen(self, k: int) -> None:
        self.session.set_k(k)

    def _on_flat_toggled(self, flat: bool) -> None:
        if self.action_flat.isEnabled():
            self.settings.set_flat_cloud(flat)
        self.cloud.set_flat(flat)

    def _remember_visibility(self, visible: bool) -> None:
        self.settings.set_show_colour_space(self.cloud_dock.isVisible() or self.curve_dock.isVisible())
