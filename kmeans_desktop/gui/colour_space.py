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

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QScrollArea, QSplitter, QWidget

from .analysis import AnalysisWorker
from .help_dialog import KMeansHelp
from .playback import KMeansPlayer
from .settings import FLAT_KEY, AppSettings
from .widgets.kmeans_controls import KMeansControls
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
                 scheduler: Scheduler, helper: HelperProcess, preview_busy: Callable[[], bool], preview_idle,
                 computing: Callable[[], bool] | None = None):
        super().__init__(window)
        self.window = window
        self.session = session
        self.settings = settings
        # (`preview_busy` also counts the packing of the bytes on show; `computing`, the worker's, doesn't)
        preview_computing = (lambda: computing() or session.request_pending()) if computing is not None else None
        self.analysis = AnalysisWorker(preview_busy=preview_busy, parent=self, scheduler=scheduler, helper=helper,
                                       preview_computing=preview_computing)

        self.cloud = ColorCloud(flat=settings.flat_cloud())
        self.curve = KCurveView()
        self.player = KMeansPlayer(self._show_frame, self.cloud.end_playback, self._show_picture, scheduler, parent=self)
        self.kmeans_controls = KMeansControls(self.player)
        self._split = self._beside(self.cloud, self.kmeans_controls)
        self.cloud_dock = self._dock("Colour space", "colourSpaceDock", self._split)
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
        session.targetMoved.connect(a.preview_moved)
        session.ditherChanged.connect(lambda on, _value: a.want_k(session.k, on))
        a.cloudSampled.connect(self._on_sampled)
        session.kChanged.connect(self.player.set_k)
        self.player.set_k(session.k)
        self._picture: tuple[Callable, Callable[[], str]] | None = None
        self._saved_label: str | None = None  # the result's label while a playback picture covers it
        self.action_help = QAction("What is k-means?", window)
        self.action_help.setObjectName("actionWhatIsKMeans")
        self.action_help.setStatusTip("A short page with pictures: assignment, update, K, bytes, dithering")
        self.action_help.triggered.connect(self.show_help)
        self._shown_once = False
        for painted in (window, self.cloud_dock):  # the dock paints on its own while floating
            painted.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """A playback frame is painted in the window's next update request (every changed
        widget, one composition): once that has run, the player's worker may go on."""
        if event.type() == QEvent.Type.UpdateRequest and self.player.drawing():
            QTimer.singleShot(0, self.player.frame_drawn)  # after this event: the painting
        return False

    @staticmethod
    def _beside(cloud: QWidget, controls: QWidget) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Its controls' whole width (they were cut off at 1024×600 with 110 px): the cloud's header
        # shortens its texts to make room (`CompactRow`); only the height scrolls.
        scroll.setMinimumWidth(controls.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        box = QSplitter(Qt.Orientation.Horizontal)
        box.setChildrenCollapsible(False)
        box.addWidget(cloud)
        box.addWidget(scroll)
        box.setStretchFactor(0, 1)
        box.setStretchFactor(1, 0)
        scroll.sizeHint = lambda: controls.sizeHint().expandedTo(QSize(300, 0))  # its full width when there is room
        return box

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

    def _first_split(self) -> None:
        """The playback controls up to 300 px, but not at the cost of the cloud header's full texts."""
        width, controls = self._split.width() - self._split.handleWidth(), self._split.widget(1).minimumWidth()
        controls = max(controls, min(300, width - self.cloud.compact_header.full_width))
        self._split.setSizes([max(1, width - controls), controls])

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
                    left = w * 5 // 8  # the cloud and its playback controls
                    self.window.resizeDocks([self.cloud_dock, self.curve_dock], [left, w - left],
                                            Qt.Orientation.Horizontal)
                    QTimer.singleShot(0, self._first_split)
                    self.window.resizeDocks([self.cloud_dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)
        self.player.set_sample(None)
        self.cloud.clear()
        self.curve.clear()
        self.analysis.set_image(image)
        self.analysis.want_k(self.session.k, self.session.dither)
        self.curve.set_current_k(self.session.k)

    def _on_result(self, preview: Preview | None) -> None:
        """A result is on screen (quick or final): centroids now, the points' clusters soon."""
        self._saved_label = None  # the window has drawn this result over any playback picture
        if preview is None:
            return
        q = preview.quantized
        # The centroids now, drawn after the window's repaint of the result (`previewReady`): a
        # widget marked for update then is painted in that repaint, and the 3-D cloud's paint
        # (render and read-back) took 7-8 of its 12-18 ms on 9 MP.
        view = self.cloud.view
        if view is not None and view.updatesEnabled():
            view.setUpdatesEnabled(False)
            QTimer.singleShot(0, view, lambda: view.setUpdatesEnabled(True))  # (asks for the paint; not once gone)
        self.cloud.set_palette(q.palette, q.counts, q)
        # The rest once the window has drawn the result: the points' assignment job would share
        # the GIL and the cores with the preview's repaint, and the curve's marker its time.
        QTimer.singleShot(0, lambda: self._follow_result(preview))

    def _follow_result(self, preview: Preview) -> None:
        if self.session.result is not preview:
            return  # a newer result came meanwhile: it follows itself
        self.analysis.set_palette(preview.quantized.palette, preview.quantized)
        if preview.final:
            self.curve.set_current_k(preview.k)
            self.analysis.want_k(preview.k, self.session.dither)

    def shutdown(self) -> None:
        self.player.shutdown()
        self.analysis.shutdown()

    def show_help(self) -> KMeansHelp:
        """Help ▸ What is k-means? (one page per window, raised when open)."""
        page = getattr(self, "_help", None)
        if page is None:
            page = self._help = KMeansHelp(self.window)
        page.show()
        page.raise_()
        return page

    # -- k-means playback ---------------------------------------------------------------------

    def attach_preview(self, show: Callable, label: Callable[[], str]) -> None:
        """Where "follow in preview" draws: `show(pyramid, label)` sets the preview's result side,
        `label()` reads its label. Playback pictures go there and, when playback ends, the
        session's result with the label it had; the session is never touched (no previewReady,
        the same current_palette()). A new result shown meanwhile is left as the window drew it."""
        self._picture = (show, label)

    def _on_sampled(self, sample) -> None:
        image = self.session.image
        if image is not None and image.image_id == sample.image_id:
            self.player.set_k(self.session.k)
            self.player.set_sample(sample.colors, image.source.pixels, image.pyramid)

    def _show_frame(self, frame, trails) -> None:
        self.cloud.show_playback(frame.point_rgba, frame.labels, frame.centre_rgb, frame.centre_srgb,
                                 frame.counts, trails)

    def _show_picture(self, pyramid, label: str) -> None:
        if self._picture is None:
            return
        show, current_label = self._picture
        if pyramid is not None:
            if self._saved_label is None:
                self._saved_label = current_label()
            show(pyramid, label)
        elif self._saved_label is not None:
            result = self.session.result
            show(result.pyramid if result is not None else None, self._saved_label)
            self._saved_label = None

    # -- internal -----------------------------------------------------------------------------

    def _on_k_chosen(self, k: int) -> None:
        self.session.set_k(k)

    def _on_flat_toggled(self, flat: bool) -> None:
        if self.action_flat.isEnabled():
            self.settings.set_flat_cloud(flat)
        self.cloud.set_flat(flat)

    def _remember_visibility(self, visible: bool) -> None:
        self.settings.set_show_colour_space(self.cloud_dock.isVisible() or self.curve_dock.isVisible())
