"""The main window: state and wiring between the widgets and the worker. No numerics here.

Building is elsewhere: actions and menus in `actions`, the central area and status bar in
`window_layout`, the side panel in `side_panel`; opening, pasting, dropping and saving files in
`file_ops`. This class keeps the public contract (signals, `open_image`, `current_palette`, ...)
and the slots.

Data flows one way: a file (drop, Open, Paste, recent, sample) goes to the worker, which loads it
and sends back a `LoadedImage`; the K slider (debounced) asks the worker for (K, dither); the
worker sends `Preview`s (a quick one, then the final one) and the encoded bytes, and the window
shows them. Save writes exactly the bytes the stats show, through the core's atomic write.

Dialogs that ask something (file dialogs, the overwrite question) go through small methods
(`ask_open_path`, `ask_save_path`, `confirm`) that tests replace; messages open without
blocking (`show_message`).
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
)
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from ..resources import sample_image_path
from . import actions, file_ops, refcount_guard, window_layout
from .colour_space import ColourSpacePanels
from .file_ops import STATUS_MS
from .icons import app_icon
from .quality import PerceivedQuality
from .requirements import RequirementsControl
from .settings import AppSettings
from .side_panel import build_side_panel
from .worker import Encoded, LoadedImage, Preview, PreviewWorker

log = logging.getLogger("kmeans_desktop.gui")


class MainWindow(QMainWindow):
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

    DEBOUNCE_MS = 40  # quiet time after the last K change before work starts
    MAX_WAIT_MS = 150  # while K keeps changing, still start work at least this often
    BUSY_DELAY_MS = 120  # don't flash the busy indicator for very short work

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        refcount_guard.install()
        self.setObjectName("mainWindow")
        self.setWindowTitle("kmeans-desktop")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.settings = AppSettings()
        self.worker = PreviewWorker(self)
        self._image: LoadedImage | None = None
        self._shown: Preview | None = None
        self._load_note = ""
        self._loading_path: Path | None = None
        self._pending_since: float | None = None
        self._closing = False
        self._dock_shown_once = False

        actions.build_actions(self)
        actions.build_menus(self)
        window_layout.build_central(self)
        build_side_panel(self)
        window_layout.build_status_bar(self)
        self.colour_space = ColourSpacePanels(self, self.view_menu)
        self.requirements = RequirementsControl(self, self.requirements_panel)
        self.quality = PerceivedQuality(self)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(self.DEBOUNCE_MS)
        self._debounce.timeout.connect(self._dispatch_request)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(self.BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.busy_bar.setVisible(self._any_busy()))

        w = self.worker
        w.imageLoaded.connect(self._on_image_loaded)
        w.loadFailed.connect(self._on_load_failed)
        w.previewAvailable.connect(self._on_preview)
        w.encodedAvailable.connect(self._on_encoded)
        w.computeFailed.connect(lambda text: self.show_message("Preview failed", text))
        w.busyChanged.connect(self._on_busy)

        icon = app_icon()
        self.setWindowIcon(icon)
        self.drop_zone.set_icon(icon)
        self._restore_settings()
        self.controls_dock.hide()  # the empty state is just the drop zone; shown with the first image
        self.colour_space.hide_until_image()
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
        if self._shown is None:
            return np.zeros((0, 3), dtype=np.uint8)
        return self._shown.quantized.palette

    def play_kmeans(self) -> bool:
        """Play k-means in the colour cloud (see `colour_space`); False when it can't (the
        playback controls say why)."""
        return self.colour_space.player.play()

    # ---------------------------------------------------------------------------------------
    # More for tests, benchmarks and later widgets

    def current_image(self) -> LoadedImage | None:
        return self._image

    def current_preview(self) -> Preview | None:
        return self._shown

    def k(self) -> int:
        return self.k_slider.value()

    def dither(self) -> bool:
        return self.dither_check.isChecked()

    def dither_value(self) -> float:
        """Dithering as the worker keys it: the strength (0..1) when on, 0.0 when off."""
        return self.dither_strength.value() / 100.0 if self.dither() else 0.0

    # ---------------------------------------------------------------------------------------
    # Opening

    def open_dialog(self) -> None:
        path = self.ask_open_path()
        if path:
            self.open_image(path)

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
        self._image = image
        self._shown = None
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
        self._update_actions()
        self.colour_space.set_image(image)
        self.quality.set_image(image)
        self.requirements.set_image(image)
        self.imageOpened.emit(image.name)
        self._dispatch_request()

    def _on_load_failed(self, message: str) -> None:
        path, self._loading_path = self._loading_path, None
        self._load_note = ""
        if path is not None and not path.exists() and str(path.resolve()) in self.settings.recent_files():
            self.settings.remove_recent_file(str(path.resolve()))
            self._rebuild_recent_menu()
        self.statusBar().showMessage("The image could not be opened.", STATUS_MS)
        self.show_message("Can't open image", message)

    # ---------------------------------------------------------------------------------------
    # K, dithering and previews

    def _on_k_changed(self, k: int) -> None:
        if self.k_spin.value() != k:
            self.k_spin.setValue(k)
        self._schedule_request()

    def _on_dither_changed(self, on: bool) -> None:
        self._schedule_request()

    def _on_dither_strength_changed(self, percent: int) -> None:
        if self.dither():
            self._schedule_request()

    def _schedule_request(self) -> None:
        """Debounce: start work after a short pause; during a long drag, ask for quick previews
        now and then (the full result waits for the pause)."""
        now = time.monotonic()
        if self._pending_since is None:
            self._pending_since = now
        elif (now - self._pending_since) * 1000 >= self.MAX_WAIT_MS:
            self._pending_since = now
            self._send_request(settled=False)
        self._debounce.start()

    def _dispatch_request(self) -> None:
        self._debounce.stop()
        self._pending_since = None
        self._send_request(settled=True)

    def _send_request(self, *, settled: bool) -> None:
        if self._closing:
            return
        k, dither = self.k(), self.dither_value()
        if settled:
            self.settings.set_k(k)
            self.settings.set_dither(self.dither())
            self.settings.set_dither_strength(self.dither_strength.value())
        if self._image is None:
            return
        if self.requirements.active():
            self.requirements.request(k, dither, settled)
        else:
            self.worker.request(k, dither, settled=settled)

    def _on_preview(self, preview: Preview) -> None:
        if self._image is None or preview.image_id != self._image.image_id or self.requirements.active():
            return
        self._shown = preview
        q = preview.quantized
        label = f"K = {preview.k}" + (", dithered" if preview.dither else "")
        if not preview.final:
            label += " · preview"
        self.compare_view.set_result(preview.pyramid, label)
        self.palette_strip.set_palette(q.palette, q.counts)
        n = q.n_colors
        self.palette_caption.setText(f"{n} colour{'s' if n != 1 else ''}")
        self.colour_space.show_preview(preview)
        self.stats.set_result(self._image.distinct_colors, n, q.psnr, preview.seconds, preview.final)
        self.quality.show_preview(preview)
        self._update_actions()
        if not preview.final:
            return
        encoded = self.worker.cached_bytes(preview, "png")
        if encoded is not None:
            self._show_encoded(encoded)
        if self.compare_view.isVisible():
            self.compare_view.repaint()  # on screen before we say so
        self.previewReady.emit(preview.k)

    def _on_encoded(self, encoded: Encoded) -> None:
        shown = self._shown
        if (shown is None or not shown.final or self.requirements.active() or encoded.image_id != shown.image_id
                or encoded.key != shown.key or encoded.fmt != "png"):
            return
        self._show_encoded(encoded)

    def _show_encoded(self, encoded: Encoded) -> None:
        self.stats.set_encoded(len(encoded.data), encoded.seconds)
        self.sizeReady.emit(encoded.k, len(encoded.data))

    def _any_busy(self) -> bool:
        return self.worker.busy or self.requirements.busy

    def _on_busy(self, _busy: bool = False) -> None:
        busy = self._any_busy()
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
        has_image = self._image is not None
        can_save = self._shown is not None and self._shown.final
        requirements = getattr(self, "requirements", None)  # built after the first call
        if requirements is not None and requirements.active():
            can_save = can_save and requirements.ready()
        self.action_save.setEnabled(can_save)
        self.save_button.setEnabled(can_save)
        for a in (self.action_fit, self.action_actual, self.action_zoom_in, self.action_zoom_out):
            a.setEnabled(has_image)
        self.zoom_label.setVisible(has_image)

    # ---------------------------------------------------------------------------------------
    # Messages

    def show_message(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> QMessageBox:
        """Open a message without blocking (window-modal where the platform has sheets)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("messageBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.messageShown.emit(text)
        return box

    def show_about(self) -> QMessageBox:
        text = actions.about_text()
        box = self.show_message("About kmeans-desktop", text, QMessageBox.Icon.Information)
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
        self.k_slider.blockSignals(True)
        self.k_slider.setValue(self.settings.k())
        self.k_slider.blockSignals(False)
        self.k_spin.setValue(self.k_slider.value())
        self.dither_check.blockSignals(True)
        self.dither_check.setChecked(self.settings.dither())
        self.dither_check.blockSignals(False)
        self.dither_strength.blockSignals(True)
        self.dither_strength.setValue(self.settings.dither_strength())
        self.dither_strength.setEnabled(self.dither())
        self.dither_strength.blockSignals(False)
        self.dither_strength_label.setText(f"{self.dither_strength.value()} %")
        self._debounce.stop()
        self._pending_since = None
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    def save_settings(self) -> None:
        self.settings.set_k(self.k())
        self.settings.set_dither(self.dither())
        self.settings.set_dither_strength(self.dither_strength.value())
        self.settings.set_window(self.saveGeometry(), self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self._debounce.stop()
            self._busy_timer.stop()
            for box in self.findChildren(QMessageBox):
                box.close()
            self.save_settings()
            self.colour_space.shutdown()
            self.quality.shutdown()
            t0 = time.perf_counter()
            if not self.requirements.shutdown():
                log.warning("closing while a fit still runs; it is left to finish on its own")
            if not self.worker.shutdown(1000):
                log.warning("closing while a computation still runs; it is left to finish on its own")
            log.info("window closed (waited %.0f ms for background work)", (time.perf_counter() - t0) * 1000)
        super().closeEvent(event)
