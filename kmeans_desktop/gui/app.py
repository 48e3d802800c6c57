"""Starting the desktop app: QApplication, the exception hook, the main window.

`kmeans-desktop [PATH]` ends up in `run` (see cli.run_gui). Unhandled exceptions are logged with
their traceback and shown as one plain sentence; the app keeps running.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ..core import KMeansDesktopError
from ..logs import log_file, setup_logging
from .icons import app_icon
from .main_window import MainWindow
from .settings import APPLICATION, ORGANIZATION
from .worker import wait_for_pool

log = logging.getLogger("kmeans_desktop.gui")

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def error_sentence(exc: BaseException) -> str:
    """What to tell a person about an unexpected exception (the traceback goes to the log)."""
    if isinstance(exc, KMeansDesktopError):
        return str(exc)
    if isinstance(exc, MemoryError):
        what = "there is not enough memory for this image"
    else:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        what = f"something unexpected went wrong ({detail})"
    return (f"Sorry, {what}. The app is still running; the details were written to {log_file()}.")


def make_excepthook(parent: Callable[[], QWidget | None]) -> ExceptHook:
    """An excepthook that logs the traceback and shows a non-blocking dialog over `parent()`."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("unhandled exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        try:
            window = parent()
            text = error_sentence(exc)
            if isinstance(window, MainWindow):
                window.show_message("Unexpected error", text, QMessageBox.Icon.Critical)
            elif QApplication.instance() is not None:
                box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", text, QMessageBox.StandardButton.Ok,
                                  window)
                box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                box.open()
        except Exception:  # noqa: BLE001 - never let the hook itself take the app down
            sys.__excepthook__(exc_type, exc, tb)

    return hook


def create_app() -> QApplication:
    """The QApplication with the app's names and icon (made once; reused if one exists)."""
    setup_logging()
    QApplication.setOrganizationName(ORGANIZATION)
    QApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationDisplayName("kmeans-desktop")
    app.setWindowIcon(app_icon())
    return app


def exit_code_after_loop(code: int) -> int:
    """Return the event loop's exit code, or leave at once if a computation still runs.

    closeEvent already waited about a second for background work; a scikit-learn fit can't be
    interrupted, so if one still runs, leave without waiting for it rather than hang.
    """
    if not wait_for_pool(QThreadPool.globalInstance(), 200):
        log.warning("exiting while a computation still runs")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return int(code)


def freeze_startup_objects() -> None:
    """Leave the objects the window's start made (modules, classes, widgets: ~170,000) out of
    every later garbage collection. A full collection walks all tracked objects with the GIL held,
    ~130 ms that stall the GUI thread whichever thread triggers it (a k-means playback frame has
    33 ms); with these frozen it walks only what was made since. They are live for the app's
    whole life anyway; one collection first, so no garbage is frozen with them."""
    gc.collect()
    gc.freeze()


def run(path: str | None = None) -> int:
    """Open the window (with `path`, or the drop zone), run the event loop, return the exit code."""
    app = create_app()
    window = MainWindow()
    previous_hook = sys.excepthook
    sys.excepthook = make_excepthook(lambda: window)
    try:
        window.show()
        freeze_startup_objects()
        log.info("window ready")
        if path:
            window.open_image(path)
        code = app.exec()
    finally:
        sys.excepthook = previous_hook
    return exit_code_after_loop(code)
