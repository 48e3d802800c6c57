"""Getting colours and files out of the window: File > Export Palette…, copying hex codes, and the
compressed file for drag-out and Edit > Copy Compressed.

Plain functions of narrow arguments (the palette, a parent for dialogs, the file's bytes), never
the main window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from ..core.encoding import EXTENSIONS
from ..core.fixed_colours import PaletteError
from ..core.errors import ImageSaveError
from ..core.palette_io import export_palette, hex_colour
from .compressed_mime import DragFiles, compressed_mime

EXPORT_FILTERS = {"gpl": "GIMP palette (*.gpl)", "css": "CSS custom properties (*.css)", "json": "JSON (*.json)"}


def ask_export_path(parent: QWidget | None, suggested: Path) -> str:
    path, chosen = QFileDialog.getSaveFileName(parent, "Export palette", str(suggested), ";;".join(EXPORT_FILTERS.values()))
    if path and not Path(path).suffix:
        fmt = next((f for f, text in EXPORT_FILTERS.items() if text == chosen), "gpl")
        path += f".{fmt}"
    return path


def write_palette(palette: np.ndarray, counts: np.ndarray | None, path: str | Path) -> str | None:
    """Export; None on success, else the sentence to show."""
    try:
        export_palette(palette, path, counts=counts)
    except (PaletteError, ImageSaveError) as exc:
        return str(exc)
    return None


def hex_codes(palette: np.ndarray) -> str:
    """One hex code a line, as a designer pastes them."""
    return "\n".join(hex_colour(e) for e in np.asarray(palette))


def copy_hex_codes(palette: np.ndarray) -> None:
    QGuiApplication.clipboard().setText(hex_codes(palette))


def drag_name(stem: str, k: int, fmt: str) -> str:
    """`<stem>-k<K>.png` (or the format's extension): the name Save suggests."""
    return f"{stem}-k{k}{EXTENSIONS.get(fmt, '.png')}"


class CompressedFile:
    """The compressed result as mime data (drag-out, clipboard). `encoded()` gives (bytes, stem,
    K, format) of exactly what Save would write, or None while it is still being computed."""

    def __init__(self, encoded: Callable[[], tuple[bytes, str, int, str] | None]):
        self.encoded = encoded
        self.files = DragFiles()

    def mime_data(self) -> QMimeData | None:
        got = self.encoded()
        if got is None:
            return None
        data, stem, k, fmt = got
        return compressed_mime(data, drag_name(stem, k, fmt), fmt, self.files)

    def copy(self) -> bool:
        mime = self.mime_data()
        if mime is None:
            return False
        QGuiApplication.clipboard().setMimeData(mime)
        return True

    def cleanup(self) -> None:
        self.files.cleanup()
