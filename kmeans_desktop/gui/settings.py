"""What the window remembers between runs (QSettings), in one place: every key is read and
written here, nowhere else.

The settings are an INI file in the user's configuration folder on every platform (readable,
easy to reset); tests point `QSettings.setPath(IniFormat, UserScope, ...)` at a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from .session import FIRST_RUN_K, clamp_k
from ..core.encoding import DEFAULT_EFFORT, EFFORT_MAX, EFFORT_MIN

ORGANIZATION = "kmeans-desktop"
APPLICATION = "kmeans-desktop"
MAX_RECENT = 8
FLAT_KEY = "view/flatColorCloud"
SHOW_KEY = "view/showColourSpace"
REQUIREMENTS_KEY = "requirements/"
#: The requirements panel's values: name -> (type, default).
REQUIREMENTS = {
    "maxWidth": (int, 0), "maxHeight": (int, 0), "targetOn": (bool, False), "target": (float, 100.0),
    "unit": (str, "KB"), "format": (str, "png"), "minWidth": (int, 0), "minHeight": (int, 0),
    "keepFullSize": (bool, False), "keepMetadata": (bool, False), "expanded": (bool, True),
}


def _typed(value, kind: type, default):
    """An INI value (often a string) as `kind`, or `default` when missing or unreadable."""
    if value is None:
        return default
    if kind is bool:
        return value is True or str(value).lower() in ("true", "1")
    try:
        return int(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        return default


class AppSettings:
    """Typed access to the few values the app keeps."""

    def __init__(self) -> None:
        self.q = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)

    def sync(self) -> None:
        self.q.sync()

    # K and dithering
    def k(self) -> int:
        """The K of the last run; `session.FIRST_RUN_K` on a first run."""
        return clamp_k(_typed(self.q.value("preview/k"), int, FIRST_RUN_K))

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

    # the colour-space docks
    def flat_cloud(self) -> bool:
        return _typed(self.q.value(FLAT_KEY), bool, False)

    def set_flat_cloud(self, flat: bool) -> None:
        self.q.setValue(FLAT_KEY, bool(flat))

    def show_colour_space(self) -> bool:
        return _typed(self.q.value(SHOW_KEY), bool, True)

    def set_show_colour_space(self, shown: bool) -> None:
        self.q.setValue(SHOW_KEY, bool(shown))

    # the requirements panel
    def requirements_state(self) -> dict:
        return {name: _typed(self.q.value(REQUIREMENTS_KEY + name), kind, default)
                for name, (kind, default) in REQUIREMENTS.items()}

    def set_requirements_state(self, state: dict) -> None:
        for name in REQUIREMENTS:
            if name in state:
                self.q.setValue(REQUIREMENTS_KEY + name, state[name])
