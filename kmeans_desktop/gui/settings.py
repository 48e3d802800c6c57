"""What the window remembers between runs (QSettings), in one place.

The settings are an INI file in the user's configuration folder on every platform (readable,
easy to reset); tests point `QSettings.setPath(IniFormat, UserScope, ...)` at a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from ..core.encoding import DEFAULT_EFFORT, EFFORT_MAX, EFFORT_MIN

ORGANIZATION = "kmeans-desktop"
APPLICATION = "kmeans-desktop"
MAX_RECENT = 8
DEFAULT_K = 16


class AppSettings:
    """Typed access to the few values the app keeps."""

    def __init__(self) -> None:
        self.q = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)

    def sync(self) -> None:
        self.q.sync()

    # K and dithering
    def k(self) -> int:
        try:
            k = int(self.q.value("preview/k", DEFAULT_K))
        except (TypeError, ValueError):
            return DEFAULT_K
        return min(256, max(2, k))

    def set_k(self, k: int) -> None:
        self.q.setValue("preview/k", int(k))

    def dither(self) -> bool:
        value = self.q.value("preview/dither", False)
        return value is True or str(value).lower() in ("true", "1")

    def set_dither(self, on: bool) -> None:
        self.q.setValue("preview/dither", bool(on))

    def dither_strength(self) -> int:
        """Dithering strength in percent (0–100)."""
        try:
            return min(100, max(0, int(self.q.value("preview/dither_strength", 100))))
        except (TypeError, ValueError):
            return 100

    def set_dither_strength(self, percent: int) -> None:
        self.q.setValue("preview/dither_strength", int(percent))

    # PNG packing effort (issue 13): 1 fastest .. 5 smallest; the colours never change with it
    def effort(self) -> int:
        try:
            return min(EFFORT_MAX, max(EFFORT_MIN, int(self.q.value("encode/effort", DEFAULT_EFFORT))))
        except (TypeError, ValueError):
            return DEFAULT_EFFORT

    def set_effort(self, effort: int) -> None:
        self.q.setValue("encode/effort", int(effort))

    # window
    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self.q.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    # folders and files
    def last_folder(self) -> str:
        folder = str(self.q.value("files/lastFolder", "") or "")
        return folder if folder and os.path.isdir(folder) else str(Path.home())

    def set_last_folder(self, folder: str | os.PathLike) -> None:
        self.q.setValue("files/lastFolder", str(folder))

    def recent_files(self) -> list[str]:
        value = self.q.value("files/recent", [])
        if isinstance(value, str):  # INI files give back a one-element list as a string
            value = [value] if value else []
        return [str(v) for v in (value or [])][:MAX_RECENT]

    def add_recent_file(self, path: str | os.PathLike) -> list[str]:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self._set_recent(files[:MAX_RECENT])
        return self.recent_files()

    def remove_recent_file(self, path: str | os.PathLike) -> None:
        self._set_recent([f for f in self.recent_files() if f != str(path)])

    def clear_recent_files(self) -> None:
        self._set_recent([])

    def _set_recent(self, files: list[str]) -> None:
        self.q.setValue("files/recent", files)
