"""The main window: it composes the session, the scheduler, the helper process and the views, and wires them. No
numerics here.

The window owns one `session.Session` (the model: image, K, dithering, requirements, the result on screen and its
bytes), one `scheduler.Scheduler` (every background job runs in one of its lanes) and one `helper.HelperProcess`;
the preview worker (`worker`), the colour space (`colour_space`), the requirements (`requirements`) and the quality
score (`quality`) get these as parameters and never this window. Building is elsewhere: actions and menus in
`actions`, the central area, status bar and screen fit in `window_layout`, the side panel in `side_panel`; files in
`file_ops`; showing a result in `result_view`. This class keeps the public contract (signals, `open_image`,
`current_palette`, ...) and the slots.

Data flows one way: a file (drop, Open, Paste, recent, sample) goes to the worker, which loads it and sends back a
`LoadedImage` (-> `session.set_image`); the K slider sets `session.set_k`, whose `requestWanted` (at once for a lone
change, else debounced) the window sends to the worker (or to the fit, when requirements are active), and whose
`targetMoved` stops the worker's stale work at once; results go to `session.show_result`, and every view follows
`resultChanged`. Save writes exactly the bytes the stats show, through the core's atomic write.

Dialogs that ask something (file dialogs, the overwrite question) go through small methods (`ask_open_path`,
`ask_save_path`, `confirm`) that tests replace; messages open without blocking (`show_message`).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QShowEvent,
)
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from ..resources import sample_image_path
from . import actions, file_ops, window_layout
from .colour_space import ColourSpacePanels
from .files_and_colours import FilesAndColours, WindowContract
from .file_ops import STATUS_MS
from .helper import HelperProcess
from .icons import app_icon
from .messages import open_message
from .quality import PerceivedQuality
from .requirements import RequirementsControl
from .result_view import ResultViews
from .scheduler import Scheduler
from .session import Session
from .settings import AppSettings
from .side_panel import build_side_panel, show_values
from .worker import Encoded, LoadedImage, Preview, PreviewWorker

log = logging.getLogger("kmeans_desktop.gui")


class MainWindow(QMainWindow, WindowContract):
    """Open an image, choose K, compare before/after, save the compressed file."""

    #: The final (full-image) preview for this K is on screen.
    previewReady = Signal(int)
    #: An image was opened and is shown (its name).
    imageOpened = Signal(str)
    #: The exact size of the file Save would write for the result on screen is known (K, bytes).
    sizeReady = Signal(int, int)
    #: A compressed file was written (its path).
    saved = Signal(str)
    #: A message dialog was opened (its text).
    messageShown = Signal(str)
    #: k-means playback shows an iteration in the colour cloud (its number; 0 is the start).
    iterationShown = Signal(int)
    #: Save All ended (files saved, files failed; cancelled ones are neither).
    batchFinished = Signal(int, int)

    DEBOUNCE_MS = Session.DEBOUNCE_MS  # quiet time after the last K change before work starts
    MAX_WAIT_MS = Session.MAX_WAIT_MS  # while K keeps changing, still start work at least this often
    BUSY_DELAY_MS = 120  # don't flash the busy indicator for very short work

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("kmeans-desktop")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.settings = AppSettings()
        self.session = Session(parent=self)
        self.scheduler = Scheduler(self)
        self.helper = HelperProcess()
        self.destroyed.connect(self.helper.close)
        self.worker = PreviewWorker(self, self.scheduler, self.helper)
        self._load_note = ""
        self._loading_path: Path | None = None
        self._closing = False
        self._dock_shown_once = False
        self._fitted_once = False

        actions.build_actions(self)
        actions.build_menus(self)
        window_layout.build_central(self)
        build_side_panel(self)
        window_layout.build_status_bar(self)
        self.result_views = ResultViews(self.compare_view, self.palette_strip, self.palette_caption, self.stats)
        s = self.session
        self.colour_space = ColourSpacePanels(self, self.view_menu, s, self.settings, self.scheduler, self.helper,
                                              self._preview_busy, self.worker.computeIdle, self.worker.is_computing)
        self.colour_space.attach_preview(self.compare_view.set_result, self.compare_view.result_label)
        self.colour_space.player.iterationShown.connect(self.iterationShown)
        self.help_menu.insertAction(self.action_about, self.colour_space.action_help)
        self.requirements = RequirementsControl(s, self.requirements_panel, self.settings, self.scheduler,
                                                self.helper, self._mark_fitted_k, self)
        self.quality = PerceivedQuality(s, self.compare_view, self.stats, self.scheduler, self._preview_busy,
                                        self.worker.computeIdle, self)
        self.files_colours = FilesAndColours(
            self, s, self.worker, self.compare_view, self.palette_strip, self.requirements_panel,
            open_single=self.open_image, message=self.show_message, last_folder=self.settings.last_folder,
            effort=self.settings.effort,
            status=lambda text: self.statusBar().showMessage(text, STATUS_MS))
        self.files_colours.batchFinished.connect(self.batchFinished)

        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(self.BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.busy_bar.setVisible(self.session.busy))

        w = self.worker
        w.imageLoaded.connect(self._on_image_loaded)
        w.loadFailed.connect(self._on_load_failed)
        w.previewAvailable.connect(self._on_preview)
        w.encodedAvailable.connect(self._on_encoded)
        w.estimateAvailable.connect(lambda estimate: self.result_views.show_estimate(estimate, self.session))
        w.computeFailed.connect(lambda text: self.show_message("Preview failed", text))
        w.busyChanged.connect(lambda busy: self.session.set_busy("preview", busy))
        s.requestWanted.connect(self._send_request)
        # stale previews stop at once (with requirements active a fit answers: the worker's target stays)
        s.targetMoved.connect(lambda: self.requirements.active() or self.worker.target_moved(s.k, s.dither_value()))
        s.kChanged.connect(self._show_k)
        s.changed.connect(self._on_session_changed)
        s.busyChanged.connect(self._on_busy)

        icon = app_icon()
        self.setWindowIcon(icon)
        self.drop_zone.set_icon(icon)
        self._restore_settings()
        self.controls_dock.hide()  # the empty state is just the drop zone; shown with the first image
        self.colour_space.hide_until_image()
        self.files_colours.many.dock.hide()  # shown when several files are opened
        self._update_actions()

    # ---------------------------------------------------------------------------------------
    # The testability contract

    def open_image(self, path: str | os.PathLike, *, note: str = "") -> None:
        """Open an image file the way a drop does (asynchronously: `imageOpened` or a dialog)."""
        path = Path(os.fspath(path))
        self._load_note = note
        self._loading_path = path
        self.statusBar().showMessage(f"Opening {path.name}…")
        self.worker.load(path)

    def current_palette(self) -> np.ndarray:
        """The palette (n×3 or n×4 uint8) of the result on screen; empty (0×3) if there is none."""
        return self.session.current_palette()

    def play_kmeans(self) -> bool:
        """Play k-means in the colour cloud; False when it can't (the playback controls say why)."""
        return self.colour_space.player.play()

    # ---------------------------------------------------------------------------------------
    # More for tests, benchmarks and later widgets

    def current_image(self) -> LoadedImage | None:
        return self.session.image

    def current_preview(self) -> Preview | None:
        return self.session.result

    def k(self) -> int:
        return self.session.k

    def dither(self) -> bool:
        return self.session.dither

    def dither_value(self) -> float:
        """Dithering as the worker keys it: the strength (0..1) when on, 0.0 when off."""
        return self.session.dither_value()

    # ---------------------------------------------------------------------------------------
    # Opening

    def open_dialog(self) -> None:
        path = self.ask_open_path()
        if isinstance(path, list) and len(path) > 1:
            self.open_images(path)
        elif path:
            self.open_image(path if isinstance(path, str) else path[0])

    def ask_open_path(self) -> str:
        return file_ops.ask_open_path(self)

    def open_sample(self) -> None:
        self.open_image(sample_image_path())

    def paste_image(self) -> None:
        file_ops.open_mime(self, QGuiApplication.clipboard().mimeData(), what="clipboard")

    def open_qimage(self, image: QImage, name: str) -> None:
        """Open a pasted or dropped picture (asynchronously, like `open_image`)."""
        self._load_note = ""
        self._loading_path = None
        self.statusBar().showMessage("Opening the pasted image…")
        self.worker.load(image, name)

    def _on_image_loaded(self, image: LoadedImage) -> None:
        self.stack.setCurrentIndex(1)
        if self.stack.currentIndex() == 1 and not self._dock_shown_once:
            self._dock_shown_once = True
            self.controls_dock.show()
        self.compare_view.set_image(image.pyramid)
        self.compare_view.set_result(None)
        self.palette_strip.clear("Computing the palette…")
        self.palette_caption.setText("")
        src = image.source
        self.stats.set_image(image.name, src.width, src.height, image.distinct_colors,
                             src.file_size if src.path is not None else None, src.format)
        self.setWindowTitle(f"{image.name} — kmeans-desktop")
        if src.path is not None:
            self.settings.add_recent_file(src.path)
            self.settings.set_last_folder(src.path.parent)
            self._rebuild_recent_menu()
        note = f" {self._load_note}" if self._load_note else ""
        self.statusBar().showMessage(f"Opened {image.name} ({src.width} × {src.height}).{note}", STATUS_MS)
        self._load_note = ""
        self._loading_path = None
        log.info("opened %s (%d×%d, %d colours)", image.name, src.width, src.height, image.distinct_colors)
        self.session.set_image(image)  # the colour space, quality and requirements follow
        self.imageOpened.emit(image.name)
        self.session.dispatch()

    def _on_load_failed(self, message: str) -> None:
        path, self._loading_path = self._loading_path, None
        self._load_note = ""
        if path is not None and not path.exists() and str(path.resolve()) in self.settings.recent_files():
            self.settings.remove_recent_file(str(path.resolve()))
            self._rebuild_recent_menu()
        self.statusBar().showMessage("The image could not be opened.", STATUS_MS)
        self.show_message("Can't open image", message)

    # ---------------------------------------------------------------------------------------
    # K, dithering and results (the widgets change the session; the session says what changed)

    def _on_k_changed(self, k: int) -> None:
        self.session.set_k(k)

    def _on_dither_changed(self, on: bool) -> None:
        self.session.set_dither(on)

    def _on_dither_strength_changed(self, percent: int) -> None:
        self.session.set_dither_strength(percent)

    def _show_k(self, k: int) -> None:
        if self.k_slider.value() != k:
            self.k_slider.setValue(k)
        if self.k_spin.value() != k:
            self.k_spin.setValue(k)

    def _preview_busy(self) -> bool:
        """Whether the preview computes or is about to (background work waits for it)."""
        return self.worker.is_computing() or self.session.request_pending() or self.worker.encoding()

    def _send_request(self, settled: bool) -> None:
        if self._closing:
            return
        s = self.session
        if settled:
            self.settings.set_k(s.k)
            self.settings.set_dither(s.dither)
            self.settings.set_dither_strength(s.dither_strength)
        if s.image is None:
            return
        if self.requirements.active():
            self.requirements.request(s.k, s.dither_value(), settled)
        else:
            self.worker.request(s.k, s.dither_value(), settled=settled)

    def _on_session_changed(self, changes: frozenset) -> None:
        if "result" in changes:
            self._show_result(self.session.result)
        if "encoded" in changes and self.session.encoded is not None:
            self._show_encoded(self.session.encoded)
        if changes & {"image", "result", "requirements"}:
            self._update_actions()
        result = self.session.result
        if "result" in changes and result is not None and result.final:
            if result.fit is None:
                encoded = self.worker.cached_bytes(result, "png")
                if encoded is not None:
                    self.session.set_encoded(encoded)
            if self.compare_view.isVisible():
                self.compare_view.repaint()  # on screen before we say so
            self.previewReady.emit(result.k)  # a final result is on screen, fitted or not

    def _show_result(self, result: Preview | None) -> None:  # whatever made it (see `result_view`)
        self.result_views.show(result, self.session.image, self.session.requirements_active)

    def _on_preview(self, preview: Preview) -> None:
        if not self.session.requirements_active:  # else the fits' results are shown
            self.session.show_result(preview)

    def _on_encoded(self, encoded: Encoded) -> None:
        if encoded.fmt == "png" and not self.session.requirements_active:
            self.session.set_encoded(encoded)

    def _show_encoded(self, encoded: Encoded) -> None:
        self.result_views.show_encoded(encoded, self.session.result)
        self.sizeReady.emit(encoded.k, len(encoded.data))

    def _mark_fitted_k(self, k: int | None, size: tuple[int, int] | None = None) -> None:
        """Mark the K the requirements chose on the slider and the K curve; `size` when it was
        chosen at a smaller size than the curve's (whose points are for the full size)."""
        self.k_slider.set_marker(k)
        self.colour_space.curve.set_fitted_k(k, size)

    def _on_busy(self, busy: bool) -> None:
        if busy and self._busy_timer.isActive():
            return
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_bar.setVisible(False)

    # ---------------------------------------------------------------------------------------
    # Saving

    def suggested_save_path(self) -> Path:
        return file_ops.suggested_save_path(self)

    def ask_save_path(self, suggested: Path) -> str:
        return file_ops.ask_save_path(self, suggested)

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def save_compressed(self) -> None:
        file_ops.save_compressed(self)

    def _rebuild_recent_menu(self) -> None:
        actions.rebuild_recent_menu(self)

    # ---------------------------------------------------------------------------------------
    # View

    def _on_zoom_changed(self, scale: float) -> None:
        text = f"{scale * 100:.0f}%" if scale >= 0.1 else f"{scale * 100:.1f}%"
        self.zoom_label.setText(("Fit · " if self.compare_view.is_fit() else "") + text)

    def _update_actions(self) -> None:
        has_image = self.session.image is not None
        can_save = self.session.can_save()
        self.action_save.setEnabled(can_save)
        self.save_button.setEnabled(can_save)
        for a in (self.action_fit, self.action_actual, self.action_zoom_in, self.action_zoom_out):
            a.setEnabled(has_image)
        self.zoom_label.setVisible(has_image)

    # ---------------------------------------------------------------------------------------
    # Messages

    def show_message(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> QMessageBox:
        """Open a message without blocking (window-modal where the platform has sheets)."""
        box = open_message(self, title, text, icon)
        self.messageShown.emit(text)
        return box

    def show_about(self) -> QMessageBox:
        box = self.show_message("About kmeans-desktop", actions.about_text(), QMessageBox.Icon.Information)
        box.setTextFormat(Qt.TextFormat.RichText)
        return box

    # ---------------------------------------------------------------------------------------
    # Drag and drop (the window accepts drops for every widget in it)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        file_ops.drag_enter(self, event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        file_ops.drag_move(self, event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        file_ops.drag_leave(self, event)

    def dropEvent(self, event: QDropEvent) -> None:
        file_ops.drop(self, event)

    # ---------------------------------------------------------------------------------------
    # Settings and shutdown

    def _restore_settings(self) -> None:
        st = self.settings
        self.session.restore(st.k(), st.dither(), st.dither_strength())
        show_values(self, self.session.k, self.session.dither, self.session.dither_strength)
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(window_layout.FIRST_RUN_SIZE)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        window_layout.fit_to_screen(self)  # a first start on a small screen, or another monitor's geometry

    def save_settings(self) -> None:
        self.settings.set_k(self.session.k)
        self.settings.set_dither(self.session.dither)
        self.settings.set_dither_strength(self.session.dither_strength)
        self.settings.set_window(self.saveGeometry(), self.saveState())
        self.settings.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted_once:  # now the window manager's frame is known
            self._fitted_once = True
            window_layout.fit_to_screen(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self.session.close()
            self._busy_timer.stop()
            for box in self.findChildren(QMessageBox):
                box.close()
            self.save_settings()
            self.colour_space.shutdown()
            self.quality.shutdown()
            self.files_colours.shutdown()
            t0 = time.perf_counter()
            if not self.requirements.shutdown():
                log.warning("closing while a fit still runs; it is left to finish on its own")
            if not self.worker.shutdown(1000):
                log.warning("closing while a computation still runs; it is left to finish on its own")
            self.scheduler.close()
            self.helper.close()
            log.info("window closed (waited %.0f ms for background work)", (time.perf_counter() - t0) * 1000)
        super().closeEvent(event)
