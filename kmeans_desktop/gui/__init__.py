"""The desktop window (PySide6). Imported only when the GUI starts, never by the core or `compress`.

`MainWindow` is imported on first use, so that the helper process, which imports
`kmeans_desktop.gui.helper`, doesn't load Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str):
    if name == "MainWindow":
        from .main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
