"""Where the app writes its log, and how: tracebacks go to a file, people get plain sentences.

Qt-free on purpose: the CLI and the GUI both use it.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import sys
from contextlib import contextmanager
from pathlib import Path

APP_NAME = "kmeans-desktop"
_configured: Path | None = None


def log_dir() -> Path:
    """The platform's per-user log folder (XDG state dir on Linux, Library/Logs on macOS,
    LOCALAPPDATA on Windows); KMEANS_DESKTOP_LOG_DIR overrides it (tests use that)."""
    override = os.environ.get("KMEANS_DESKTOP_LOG_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / APP_NAME / "Logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / APP_NAME
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / APP_NAME


def log_file() -> Path:
    return log_dir() / f"{APP_NAME}.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Send the package's log records to a rotating file; returns its path (None if the folder
    can't be created, in which case records go nowhere rather than onto the user's terminal)."""
    global _configured
    if _configured is not None:
        return _configured
    logger = logging.getLogger("kmeans_desktop")
    logger.setLevel(level)
    logger.propagate = False
    try:
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:
        logger.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    # Python warnings (logging.captureWarnings) go to the same file, never to the terminal.
    warnings_logger = logging.getLogger("py.warnings")
    warnings_logger.addHandler(handler)
    warnings_logger.propagate = False
    _configured = path
    return path


@contextmanager
def native_stderr_to_log():
    """For a command-line run: point file descriptor 2 at the log, so what C libraries print
    (libtiff's and libjpeg's warnings about damaged files) lands there, while Python's
    `sys.stderr` keeps writing our own lines to the terminal. Python warnings go to the log too.

    Child processes started inside inherit descriptor 2, so their chatter goes to the log as well.
    Does nothing when stderr is not the process's real descriptor 2 (captured in tests).
    """
    try:
        real = sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        real = False
    if not real:
        yield
        return
    target = str(_configured) if _configured is not None else os.devnull
    old_stderr = sys.stderr
    old_stderr.flush()
    saved = os.dup(2)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        os.close(saved)
        yield
        return
    os.dup2(fd, 2)
    os.close(fd)
    sys.stderr = io.TextIOWrapper(io.FileIO(os.dup(saved), "w"), encoding=old_stderr.encoding,
                                  errors="backslashreplace", line_buffering=True, write_through=True)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = old_stderr
        os.dup2(saved, 2)
        os.close(saved)
