"""The main window: menus, actions, layout and wiring. No numerics here.

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
from PySide6.QtCore import QMimeData, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..core import FORMATS, K_MAX, ImageSaveError, format_for_path, write_atomic
from ..resources import sample_image_path
from . import refcount_guard
from .colour_space import ColourSpacePanels
from .requirements import RequirementsControl
from .icons import app_icon
from .settings import AppSettings
from .widgets.compare_view import CompareView
from .widgets.drop_zone import DropZone
from .widgets.marked_slider import MarkedSlider
from .widgets.palette_strip import PaletteStrip
from .widgets.requirements_panel import RequirementsPanel
from .widgets.stats_panel import StatsPanel
from .worker import Encoded, LoadedImage, Preview, PreviewWorker

log = logging.getLogger("kmeans_desktop.gui")

K_LOW = 2
OPEN_FILTER = ("Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp *.gif *.ppm *.pgm *.tga *.ico);;"
               "All files (*)")

def save_filters() -> dict[str, str]:
    """File-dialog filters for every format the core can write, PNG first: {fmt: filter}."""
    by_format: dict[str, list[str]] = {}
    for ext, fmt in FORMATS.items():
        by_format.setdefault(fmt, []).append(f"*{ext}")
    order = sorted(by_format, key=lambda f: (f != "png", f))
    return {f: f"{f.upper()} image ({' '.join(by_format[f])})" for f in order}


STATUS_MS = 8000


def local_files(mime: QMimeData | None) -> list[str]:
    """Local file paths among dropped or pasted URLs, in order."""
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


def shortcut_keys(*specs: QKeySequence.StandardKey | str) -> list[QKeySequence]:
    """The platform's bindings for standard keys, plus explicit ones, without duplicates."""
    keys: list[QKeySequence] = []
    for spec in specs:
        found = QKeySequence.keyBindings(spec) if isinstance(spec, QKeySequence.StandardKey) else [QKeySequence(spec)]
        keys.extend(k for k in found if not k.isEmpty() and k not in keys)
    return keys


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

        self._build_actions()
        self._build_menus()
        self._build_central()
        self._build_dock()
        self._build_status_bar()
        self.colour_space = ColourSpacePanels(self, self.view_menu)
        self.requirements = RequirementsControl(self, self.requirements_panel)

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
    # Building

    def _action(self, text: str, slot, keys: list[QKeySequence] | None = None, name: str = "",
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if name:
            action.setObjectName(name)
        if keys:
            action.setShortcuts(keys)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        S = QKeySequence.StandardKey
        self.action_open = self._action("&Open…", self.open_dialog, shortcut_keys(S.Open), "actionOpen",
                                        "Open an image file")
        self.action_sample = self._action("Open &Sample Image", self.open_sample, None, "actionOpenSample",
                                          "Open the photo that comes with the app")
        self.action_save = self._action("&Save Compressed…", self.save_compressed, shortcut_keys(S.Save),
                                        "actionSaveCompressed", "Save the image with K colours as PNG or GIF")
        self.action_quit = self._action("&Quit", self.close, shortcut_keys(S.Quit) or shortcut_keys("Ctrl+Q"),
                                        "actionQuit")
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.action_paste = self._action("&Paste Image", self.paste_image, shortcut_keys(S.Paste), "actionPaste",
                                         "Open the image (or image file) on the clipboard")
        self.action_fit = self._action("&Fit to Window", self._fit, shortcut_keys("Ctrl+0"), "actionFitToWindow")
        self.action_actual = self._action("&Actual Size (100%)", self._actual_size, shortcut_keys("Ctrl+1"),
                                          "actionActualSize")
        self.action_zoom_in = self._action("Zoom &In", self._zoom_in, shortcut_keys(S.ZoomIn, "Ctrl+="),
                                           "actionZoomIn")
        self.action_zoom_out = self._action("Zoom &Out", self._zoom_out, shortcut_keys(S.ZoomOut, "Ctrl+-"),
                                            "actionZoomOut")
        self.action_about = self._action("&About kmeans-desktop", self.show_about, None, "actionAbout")
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.action_clear_recent = QAction("&Clear Menu", self)
        self.action_clear_recent.setObjectName("actionClearRecent")
        self.action_clear_recent.triggered.connect(self._clear_recent)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.action_open)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        file_menu.addMenu(self.recent_menu)
        file_menu.addAction(self.action_sample)
        file_menu.addSeparator()
        file_menu.addAction(self.action_save)
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.action_paste)
        self.view_menu = bar.addMenu("&View")
        for a in (self.action_fit, self.action_actual, self.action_zoom_in, self.action_zoom_out):
            self.view_menu.addAction(a)
        self.view_menu.addSeparator()
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.action_about)
        self._rebuild_recent_menu()

    def _build_central(self) -> None:
        self.drop_zone = DropZone()
        self.drop_zone.openRequested.connect(self.open_dialog)
        self.drop_zone.sampleRequested.connect(self.open_sample)

        self.compare_view = CompareView()
        self.compare_view.zoomChanged.connect(self._on_zoom_changed)
        self.palette_strip = PaletteStrip()
        self.palette_caption = QLabel("")
        self.palette_caption.setObjectName("paletteCaption")
        self.palette_caption.setMinimumWidth(90)
        self.palette_caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        palette_row = QHBoxLayout()
        palette_row.setContentsMargins(10, 8, 10, 10)
        palette_row.setSpacing(10)
        palette_row.addWidget(self.palette_strip, 1)
        palette_row.addWidget(self.palette_caption)

        editor = QWidget()
        editor.setObjectName("editor")
        box = QVBoxLayout(editor)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.compare_view, 1)
        box.addLayout(palette_row)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.drop_zone)
        self.stack.addWidget(editor)
        self.setCentralWidget(self.stack)

    def _build_dock(self) -> None:
        panel = QWidget()
        panel.setObjectName("controlsPanel")
        box = QVBoxLayout(panel)
        box.setContentsMargins(14, 10, 14, 14)
        box.setSpacing(8)

        box.addWidget(self._heading("Colours"))
        self.k_slider = MarkedSlider(Qt.Orientation.Horizontal)  # marks the K the requirements chose
        self.k_slider.setObjectName("kSlider")
        self.k_slider.setRange(K_LOW, K_MAX)
        self.k_slider.setPageStep(8)
        self.k_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.k_slider.setTickInterval(32)
        self.k_slider.setToolTip("K: how many colours the compressed image keeps")
        self.k_slider.setAccessibleName("Number of colours (K)")
        self.k_spin = QSpinBox()
        self.k_spin.setObjectName("kSpin")
        self.k_spin.setRange(K_LOW, K_MAX)
        self.k_spin.setKeyboardTracking(False)
        self.k_spin.setAccessibleName("Number of colours (K)")
        self.k_spin.setMinimumWidth(72)
        self.k_spin.lineEdit().setAcceptDrops(False)  # file drops go to the window
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(QLabel("K"))
        row.addWidget(self.k_slider, 1)
        row.addWidget(self.k_spin)
        box.addLayout(row)
        self.k_slider.valueChanged.connect(self._on_k_changed)
        self.k_spin.valueChanged.connect(self.k_slider.setValue)

        self.dither_check = QCheckBox("Dithering (Floyd–Steinberg)")
        self.dither_check.setObjectName("ditherCheck")
        self.dither_check.setToolTip("Diffuse the colour error between neighbouring pixels: smoother "
                                     "gradients, usually a larger file")
        self.dither_check.toggled.connect(self._on_dither_changed)
        box.addWidget(self.dither_check)

        box.addSpacing(10)
        box.addWidget(self._separator())
        self.requirements_panel = RequirementsPanel()
        box.addWidget(self.requirements_panel)
        box.addSpacing(4)
        box.addWidget(self._separator())
        box.addSpacing(4)
        box.addWidget(self._heading("Result"))
        self.stats = StatsPanel()
        box.addWidget(self.stats)
        box.addSpacing(14)
        self.save_button = QPushButton("Save compressed…")
        self.save_button.setObjectName("saveButton")
        self.save_button.setMinimumHeight(34)
        self.save_button.clicked.connect(self.action_save.trigger)
        box.addWidget(self.save_button)
        box.addStretch(1)
        tips = QLabel("Drag the divider to compare. Scroll to zoom, drag to pan, double-click for "
                      "100%. Hover the palette for each colour's share.")
        tips.setObjectName("tips")
        tips.setWordWrap(True)
        muted = tips.palette()
        muted.setColor(tips.foregroundRole(), muted.color(muted.ColorRole.PlaceholderText))
        tips.setPalette(muted)
        box.addWidget(tips)

        self.controls_dock = QDockWidget("Compression", self)
        self.controls_dock.setObjectName("compressionDock")
        self.controls_dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.controls_dock.setTitleBarWidget(QWidget())  # a fixed side panel: no title bar to drag
        self.controls_dock.setWidget(panel)
        self.controls_dock.setMinimumWidth(300)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.controls_dock)

    def _heading(self, text: str) -> QLabel:
        label = QLabel(text)
        font = label.font()
        font.setWeight(font.Weight.DemiBold)
        font.setPointSizeF(font.pointSizeF() * 1.08)
        label.setFont(font)
        return label

    def _separator(self) -> QFrame:
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        return line

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setSizeGripEnabled(True)
        self.zoom_label = QLabel("")
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setMinimumWidth(70)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.busy_bar = QProgressBar()
        self.busy_bar.setObjectName("busyIndicator")
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedSize(QSize(110, 12))
        self.busy_bar.setToolTip("Working…")
        self.busy_bar.setVisible(False)
        self.busy_bar.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        status.addPermanentWidget(self.busy_bar)
        status.addPermanentWidget(self.zoom_label)

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

    # ---------------------------------------------------------------------------------------
    # Opening

    def open_dialog(self) -> None:
        path = self.ask_open_path()
        if path:
            self.open_image(path)

    def ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.settings.last_folder(), OPEN_FILTER)
        return path

    def open_sample(self) -> None:
        self.open_image(sample_image_path())

    def paste_image(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        self._open_mime(mime, what="clipboard")

    def _open_mime(self, mime: QMimeData | None, *, what: str) -> bool:
        files = local_files(mime)
        if files:
            note = ""
            if len(files) > 1:
                note = f"{len(files)} files were {'dropped' if what == 'drop' else 'pasted'}; only the first is opened."
            self.open_image(files[0], note=note)
            return True
        if mime is not None and mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self._load_note = ""
                self._loading_path = None
                self.statusBar().showMessage("Opening the pasted image…")
                name = "pasted image" if what == "clipboard" else "dropped image"
                self.worker.load(image.copy(), name)
                return True
        if what == "clipboard":
            self.statusBar().showMessage("The clipboard holds no image to paste.", STATUS_MS)
        else:
            self.statusBar().showMessage("Only image files on this computer can be opened.", STATUS_MS)
        return False

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
        k, dither = self.k(), self.dither()
        if settled:
            self.settings.set_k(k)
            self.settings.set_dither(dither)
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
        k = self._shown.k if self._shown is not None else self.k()
        ext = self.requirements.suggested_extension() if self.requirements.active() else ".png"
        image = self._image
        if image is not None and image.path is not None:
            return image.path.with_name(f"{image.path.stem}-k{k}{ext}")
        return Path(self.settings.last_folder()) / f"pasted-k{k}{ext}"

    def ask_save_path(self, suggested: Path) -> str:
        filters = save_filters()
        default = filters.get(FORMATS.get(suggested.suffix.lower(), "png"), filters["png"])
        path, chosen = QFileDialog.getSaveFileName(self, "Save compressed image", str(suggested),
                                                   ";;".join(filters.values()), default)
        if path and not Path(path).suffix:  # no extension typed: take the chosen filter's first one
            fmt = next((f for f, text in filters.items() if text == chosen), "png")
            path += next(ext for ext, f in FORMATS.items() if f == fmt)
        return path

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def save_compressed(self) -> None:
        preview = self._shown
        if (preview is None or not preview.final or self._image is None
                or (self.requirements.active() and not self.requirements.ready())):
            self.statusBar().showMessage("Nothing to save yet: the result is still being computed.", STATUS_MS)
            return
        answer = self.ask_save_path(self.suggested_save_path())
        if not answer:
            return
        path = Path(answer)
        if not path.suffix:
            path = path.with_suffix(".png")
        try:
            fmt = format_for_path(path)
        except ImageSaveError as exc:
            self.show_message("Can't save", str(exc))
            return
        original = self._image.path
        if original is not None and path.exists() and original.exists() and os.path.samefile(path, original):
            if not self.confirm("Replace the original?",
                                f"{path.name} is the original image. Replace it with the compressed "
                                f"version? This can't be undone."):
                self.statusBar().showMessage("Not saved.", STATUS_MS)
                return
        self.settings.set_last_folder(path.parent)
        if self.requirements.active():  # exactly the fitted file the panel shows
            encoded, error = self.requirements.encoded_for_save(fmt)
            if encoded is None:
                self.show_message("Can't save", error or "")
                return
            self._write(path, encoded, None)
            return
        self.statusBar().showMessage(f"Saving {path.name}…")
        self.worker.request_bytes(preview, fmt, lambda enc, err: self._write(path, enc, err))

    def _write(self, path: Path, encoded: Encoded | None, error: str | None) -> None:
        if encoded is None:
            self.show_message("Can't save", error or f"{path.name}: the file could not be encoded.")
            return
        try:
            write_atomic(path, encoded.data)
        except ImageSaveError as exc:
            self.statusBar().showMessage(f"{path.name} was not saved.", STATUS_MS)
            self.show_message("Can't save", str(exc))
            return
        log.info("saved %s (%d bytes)", path, len(encoded.data))
        self.statusBar().showMessage(f"Saved {path.name}: {len(encoded.data):,} bytes, "
                                     f"{encoded.fmt.upper()}, K = {encoded.k}.", STATUS_MS)
        self.saved.emit(str(path))

    # ---------------------------------------------------------------------------------------
    # Recent files

    def _rebuild_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.settings.recent_files()
        for i, f in enumerate(files, 1):
            action = menu.addAction(f"&{i} {Path(f).name}" if i < 10 else Path(f).name)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.setData(f)
            action.triggered.connect(lambda _=False, f=f: self.open_image(f))
        if files:
            menu.addSeparator()
        menu.addAction(self.action_clear_recent)
        self.action_clear_recent.setEnabled(bool(files))
        menu.setEnabled(True)

    def _clear_recent(self) -> None:
        self.settings.clear_recent_files()
        self._rebuild_recent_menu()

    # ---------------------------------------------------------------------------------------
    # View

    def _fit(self) -> None:
        self.compare_view.fit_to_window()

    def _actual_size(self) -> None:
        self.compare_view.actual_size()

    def _zoom_in(self) -> None:
        self.compare_view.zoom_in()

    def _zoom_out(self) -> None:
        self.compare_view.zoom_out()

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
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        from ..logs import log_file

        text = (f"<h3>kmeans-desktop {__version__}</h3>"
                "<p>Compress images by k-means colour quantization: choose how many colours to keep, "
                "compare before and after, and save an indexed PNG or GIF.</p>"
                f"<p>Qt {qVersion()} · PySide6 {pyside_version}<br>Log file: {log_file()}</p>")
        box = self.show_message("About kmeans-desktop", text, QMessageBox.Icon.Information)
        box.setTextFormat(Qt.TextFormat.RichText)
        return box

    # ---------------------------------------------------------------------------------------
    # Drag and drop (the window accepts drops for every widget in it)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if local_files(mime) or mime.hasImage():
            event.acceptProposedAction()
            self.drop_zone.set_highlight(True)
            self.statusBar().showMessage("Drop to open the image.")
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_files(event.mimeData()) or event.mimeData().hasImage():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_zone.set_highlight(False)
        self.statusBar().clearMessage()
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_zone.set_highlight(False)
        if self._open_mime(event.mimeData(), what="drop"):
            event.acceptProposedAction()
        else:
            event.ignore()

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
            t0 = time.perf_counter()
            if not self.requirements.shutdown():
                log.warning("closing while a fit still runs; it is left to finish on its own")
            if not self.worker.shutdown(1000):
                log.warning("closing while a computation still runs; it is left to finish on its own")
            log.info("window closed (waited %.0f ms for background work)", (time.perf_counter() - t0) * 1000)
        super().closeEvent(event)
