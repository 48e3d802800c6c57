"""Where the app writes its log, and how: tracebacks go to a file, people get plain sentences.

Qt-free on purpose: the CLI and the GUI both use it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
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
    _configured = path
    return path
