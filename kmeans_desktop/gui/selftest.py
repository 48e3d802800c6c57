"""`kmeans-desktop --self-test [PATH]`: start the app for real, print one ready line, quit.

It builds the app the way `app.run` does, opens PATH (or the sample photo), waits for the final
preview (`MainWindow.previewReady`) and for the exact PNG size of that result (`sizeReady`, which
in a frozen app goes through the encoder helper process, the executable started again), then
prints

    kmeans-desktop self-test: ready (window shown in 0.84 s, first final preview K=16 in 1.52 s, PNG 41237 bytes in 1.60 s; times from process start)

on stdout and exits with 0. Any failure (the image can't be opened, a message the app would have
shown, an unhandled exception, no result within the time limit) prints one `error:` line on
stderr and exits with 1; the traceback goes to the log. No dialog ever opens, and the user's
settings (K, recent files, window geometry) are neither read nor changed: they live in a
temporary folder for the run. CI's frozen smoke test (scripts/smoke_frozen.sh) and
benchmarks/bench_startup.py run it.

The times count from the start of the process, read from the kernel on Linux (so the frozen
app's bootloader and the interpreter's start-up are included), else from `STARTED_AT` of the
entry script (`packaging/entry.py`, the frozen app's), else from when this module was imported.
"Window shown" is when the first expose of the main window has been handled, i.e. it is painted.

Environment: KMEANS_DESKTOP_SELFTEST_TIMEOUT (seconds, default 60) and
KMEANS_DESKTOP_SELFTEST_GRAB (a .png path: save a picture of the window before quitting).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

_IMPORTED_AT = time.time()

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ..resources import sample_image_path  # noqa: E402
from .app import create_app, exit_code_after_loop  # noqa: E402
from .main_window import MainWindow  # noqa: E402

log = logging.getLogger("kmeans_desktop.gui.selftest")

READY = "kmeans-desktop self-test: ready"
DEFAULT_TIMEOUT_S = 60.0
TIMEOUT_ENV = "KMEANS_DESKTOP_SELFTEST_TIMEOUT"
GRAB_ENV = "KMEANS_DESKTOP_SELFTEST_GRAB"


def process_start_time() -> tuple[float, str]:
    """The wall-clock time (as `time.time()`) at which this process started, and its source."""
    try:  # Linux: the start time in clock ticks after boot, field 22 of /proc/self/stat
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        start_ticks = int(stat[stat.rindex(b")") + 2:].split()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
        if 0.0 <= age < 3600.0:
            return time.time() - age, "process start"
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    started = getattr(sys.modules.get("__main__"), "STARTED_AT", None)
    if isinstance(started, float) and started <= time.time():
        return started, "entry script start"
    return _IMPORTED_AT, "self-test import"


def timeout_seconds() -> float:
    try:
        value = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


class _FirstExpose(QObject):
    """Calls `on_shown` once, right after the window's first expose has been handled (painted)."""

    def __init__(self, on_shown) -> None:
        super().__init__()
        self._on_shown = on_shown

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Expose and self._on_shown is not None:
            on_shown, self._on_shown = self._on_shown, None
            QTimer.singleShot(0, on_shown)  # after this expose, and so its paint, is done
        return False


class SelfTest(QObject):
    """One run: watches the window's signals, decides the outcome, stops the event loop."""

    def __init__(self, app: QApplication, window: MainWindow, started: float, origin: str, path: Path) -> None:
        super().__init__()
        self.app, self.window, self.started, self.origin, self.path = app, window, started, origin, path
        self.shown_at: float | None = None
        self.preview: tuple[int, float] | None = None  # (K, time)
        self.sizes: dict[int, tuple[int, float]] = {}  # K -> (bytes, time)
        self.code: int | None = None
        self._expose = _FirstExpose(self._on_shown)
        # Messages the app would show (a bad file, a failed preview) end the run instead.
        window.show_message = self._on_message  # type: ignore[method-assign]
        window.previewReady.connect(self._on_preview)
        window.sizeReady.connect(self._on_size)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    # -- outcome ----------------------------------------------------------------------------

    def start(self) -> None:
        self.window.show()
        handle = self.window.windowHandle()
        if handle is not None:
            handle.installEventFilter(self._expose)
            if handle.isExposed():
                self._on_shown()
        log.info("self-test: window shown, opening %s", self.path)
        self._timer.start(int(timeout_seconds() * 1000))
        self.window.open_image(self.path)

    def fail(self, message: str) -> None:
        if self.code is not None:
            return
        self.code = 1
        log.error("self-test failed: %s", message)
        print(f"error: {message}", file=sys.stderr, flush=True)
        self._finish()

    def _succeed(self) -> None:
        k, preview_at = self.preview
        size, size_at = self.sizes[k]
        shown_at = self.shown_at if self.shown_at is not None else preview_at
        line = (f"{READY} (window shown in {shown_at - self.started:.2f} s, first final preview K={k} in "
                f"{preview_at - self.started:.2f} s, PNG {size} bytes in {size_at - self.started:.2f} s; "
                f"times from {self.origin})")
        grab = os.environ.get(GRAB_ENV)
        if grab and not self.window.grab().save(grab):
            self.fail(f"could not save the window picture to {grab}.")
            return
        self.code = 0
        log.info("%s", line)
        print(line, flush=True)
        self._finish()

    def _finish(self) -> None:
        self._timer.stop()
        QTimer.singleShot(0, self.window.close)
        QTimer.singleShot(0, lambda: self.app.exit(self.code or 0))

    # -- signals ----------------------------------------------------------------------------

    def _on_shown(self) -> None:
        if self.shown_at is None:
            self.shown_at = time.time()

    def _on_preview(self, k: int) -> None:
        if self.preview is None:
            self.preview = (k, time.time())
        self._check()

    def _on_size(self, k: int, size: int) -> None:
        self.sizes.setdefault(k, (size, time.time()))
        self._check()

    def _check(self) -> None:
        if self.code is None and self.preview is not None and self.preview[0] in self.sizes:
            self._succeed()

    def _on_message(self, title: str, text: str, icon=None) -> None:
        self.fail(f"{title}: {text}")

    def _on_timeout(self) -> None:
        what = "final preview" if self.preview is None else "PNG size for the final preview"
        self.fail(f"no {what} of {self.path.name} within {timeout_seconds():g} s; the app may be stuck.")

    def excepthook(self, exc_type, exc, tb) -> None:
        log.error("unhandled exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc_type.__name__
        from ..logs import log_file

        self.fail(f"unexpected failure ({detail}); details are in {log_file()}.")


def run_self_test(path: str | None) -> int:
    """Start the app, open `path` (or the sample), wait for the final preview and its size; 0 if
    all went well, else 1 (see the module's doc)."""
    started, origin = process_start_time()
    image = Path(path) if path else sample_image_path()
    with tempfile.TemporaryDirectory(prefix="kmeans-desktop-selftest-") as settings_dir:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
        app = create_app()
        window = MainWindow()
        test = SelfTest(app, window, started, origin, image)
        previous_hook = sys.excepthook
        sys.excepthook = test.excepthook
        try:
            test.start()
            code = app.exec()
        finally:
            sys.excepthook = previous_hook
        if test.code is None:  # the loop ended some other way (e.g. the window was closed)
            print("error: the app stopped before the self-test was done.", file=sys.stderr, flush=True)
        code = test.code if test.code is not None else 1
    return exit_code_after_loop(code)


__all__ = ["READY", "process_start_time", "run_self_test"]

