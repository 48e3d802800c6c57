"""The compressed file as drag-and-drop and clipboard data: a file URL (a real file holding
exactly the bytes Save would write, named `<stem>-k<K>.<ext>`) plus the image data itself, so it
drops into a file manager, a browser's upload field or a chat.

The files live in one temporary folder per run, removed when the app quits (and at exit).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, QUrl
from PySide6.QtGui import QImage

MIME_TYPES = {"png": "image/png", "gif": "image/gif", "webp": "image/webp", "jpeg": "image/jpeg"}


class DragFiles:
    """The temporary folder for dragged and copied files; each file gets its own sub-folder,
    so a later drag never changes a file another program is still reading."""

    def __init__(self):
        self._root: Path | None = None
        self._n = 0
        atexit.register(self.cleanup)

    def write(self, name: str, data: bytes) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="kmeans-desktop-drag-"))
        self._n += 1
        folder = self._root / str(self._n)
        folder.mkdir()
        path = folder / name
        path.write_bytes(data)
        return path

    @property
    def root(self) -> Path | None:
        return self._root

    def cleanup(self) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None


def compressed_mime(data: bytes, name: str, fmt: str, files: DragFiles) -> QMimeData:
    """QMimeData with the file's URL, its bytes under the format's MIME type, and the image."""
    path = files.write(name, data)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    image = QImage.fromData(data)
    if not image.isNull():
        mime.setImageData(image)
    mime.setData(MIME_TYPES.get(fmt, "application/octet-stream"), QByteArray(data))
    return mime
