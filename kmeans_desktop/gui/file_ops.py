"""Files in and out of the main window: open, paste, drop and save.

Plain functions of the window. The questions they ask go through the window's own methods
(`ask_open_path`, `ask_save_path`, `confirm`), which tests replace, and every message through
`show_message` or the status bar. Save writes exactly the bytes the stats show, through the
core's atomic write.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import QFileDialog

from ..core import FORMATS, ImageSaveError, format_for_path, write_atomic
from ..core.formats import open_dialog_filter
from .worker import Encoded

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger("kmeans_desktop.gui")

STATUS_MS = 8000
#: The formats the core reads (one list: core.formats); "All files" still only opens those.
OPEN_FILTER = f"{open_dialog_filter()};;All files (*)"


def save_filters() -> dict[str, str]:
    """File-dialog filters for every format the core can write, PNG first: {fmt: filter}."""
    by_format: dict[str, list[str]] = {}
    for ext, fmt in FORMATS.items():
        by_format.setdefault(fmt, []).append(f"*{ext}")
    order = sorted(by_format, key=lambda f: (f != "png", f))
    return {f: f"{f.upper()} image ({' '.join(by_format[f])})" for f in order}


def local_files(mime: QMimeData | None) -> list[str]:
    """Local file paths among dropped or pasted URLs, in order."""
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


# --------------------------------------------------------------------------------------------
# Opening


def ask_open_path(window: MainWindow) -> str | list[str]:
    """One path, or a list when several files were selected (they open as a batch)."""
    paths, _ = QFileDialog.getOpenFileNames(window, "Open images", window.settings.last_folder(), OPEN_FILTER)
    return paths[0] if len(paths) == 1 else paths


def open_mime(window: MainWindow, mime: QMimeData | None, *, what: str) -> bool:
    """Open the first local file, else the image, of a drop (`what="drop"`) or the clipboard."""
    files = local_files(mime)
    if len(files) > 1 or (files and os.path.isdir(files[0])):  # several files, or a folder: a batch
        return window.open_images(files)
    if files:
        window.open_image(files[0])
        return True
    if mime is not None and mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            name = "pasted image" if what == "clipboard" else "dropped image"
            window.open_qimage(image.copy(), name)
            return True
    if what == "clipboard":
        window.statusBar().showMessage("The clipboard holds no image to paste.", STATUS_MS)
    else:
        window.statusBar().showMessage("Only image files on this computer can be opened.", STATUS_MS)
    return False


# --------------------------------------------------------------------------------------------
# Drag and drop (the window accepts drops for every widget in it)


def drag_enter(window: MainWindow, event: QDragEnterEvent) -> None:
    mime = event.mimeData()
    if local_files(mime) or mime.hasImage():
        event.acceptProposedAction()
        window.drop_zone.set_highlight(True)
        window.statusBar().showMessage("Drop to open the image.")
    else:
        event.ignore()


def drag_move(window: MainWindow, event: QDragMoveEvent) -> None:
    if local_files(event.mimeData()) or event.mimeData().hasImage():
        event.acceptProposedAction()
    else:
        event.ignore()


def drag_leave(window: MainWindow, event: QDragLeaveEvent) -> None:
    window.drop_zone.set_highlight(False)
    window.statusBar().clearMessage()
    event.accept()


def drop(window: MainWindow, event: QDropEvent) -> None:
    window.drop_zone.set_highlight(False)
    if open_mime(window, event.mimeData(), what="drop"):
        event.acceptProposedAction()
    else:
        event.ignore()


# --------------------------------------------------------------------------------------------
# Saving


def suggested_save_path(window: MainWindow) -> Path:
    shown = window.current_preview()
    k = shown.k if shown is not None else window.k()
    requirements = window.requirements
    ext = requirements.suggested_extension() if requirements.active() else ".png"
    image = window.current_image()
    if image is not None and image.path is not None:
        return image.path.with_name(f"{image.path.stem}-k{k}{ext}")
    return Path(window.settings.last_folder()) / f"pasted-k{k}{ext}"


def ask_save_path(window: MainWindow, suggested: Path) -> str:
    filters = save_filters()
    default = filters.get(FORMATS.get(suggested.suffix.lower(), "png"), filters["png"])
    path, chosen = QFileDialog.getSaveFileName(window, "Save compressed image", str(suggested),
                                               ";;".join(filters.values()), default)
    if path and not Path(path).suffix:  # no extension typed: take the chosen filter's first one
        fmt = next((f for f, text in filters.items() if text == chosen), "png")
        path += next(ext for ext, f in FORMATS.items() if f == fmt)
    return path


def save_compressed(window: MainWindow) -> None:
    preview = window.current_preview()
    image = window.current_image()
    requirements = window.requirements
    status = window.statusBar()
    if (preview is None or not preview.final or image is None
            or (requirements.active() and not requirements.ready())):
        status.showMessage("Nothing to save yet: the result is still being computed.", STATUS_MS)
        return
    answer = window.ask_save_path(window.suggested_save_path())
    if not answer:
        return
    path = Path(answer)
    if not path.suffix:
        path = path.with_suffix(".png")
    try:
        fmt = format_for_path(path)
    except ImageSaveError as exc:
        window.show_message("Can't save", str(exc))
        return
    original = window.current_image().path  # read again: the dialog ran an event loop
    if original is not None and path.exists() and original.exists() and os.path.samefile(path, original):
        if not window.confirm("Replace the original?",
                              f"{path.name} is the original image. Replace it with the compressed "
                              f"version? This can't be undone."):
            status.showMessage("Not saved.", STATUS_MS)
            return
    window.settings.set_last_folder(path.parent)
    if requirements.active():  # exactly the fitted file the panel shows
        encoded, error = requirements.encoded_for_save(fmt)
        if encoded is None:
            window.show_message("Can't save", error or "")
            return
        write_result(window, path, encoded, None)
        return
    status.showMessage(f"Saving {path.name}…")
    window.worker.request_bytes(preview, fmt, lambda enc, err: write_result(window, path, enc, err))


def write_result(window: MainWindow, path: Path, encoded: Encoded | None, error: str | None) -> None:
    if encoded is None:
        window.show_message("Can't save", error or f"{path.name}: the file could not be encoded.")
        return
    try:
        write_atomic(path, encoded.data)
    except ImageSaveError as exc:
        window.statusBar().showMessage(f"{path.name} was not saved.", STATUS_MS)
        window.show_message("Can't save", str(exc))
        return
    log.info("saved %s (%d bytes)", path, len(encoded.data))
    window.statusBar().showMessage(f"Saved {path.name}: {len(encoded.data):,} bytes, "
                                   f"{encoded.fmt.upper()}, K = {encoded.k}.", STATUS_MS)
    window.saved.emit(str(path))
