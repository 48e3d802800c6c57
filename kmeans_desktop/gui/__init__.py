"""The desktop window (PySide6). Imported only when the GUI starts, never by the core or `compress`."""

from .main_window import MainWindow

__all__ = ["MainWindow"]
