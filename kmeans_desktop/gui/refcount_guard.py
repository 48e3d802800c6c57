"""A stopgap for a reference-counting bug in PySide6 6.12.0 on Python 3.11.

There, every PySide method that returns nothing (``widget.setWindowTitle(...)``,
``painter.translate(...)``, ...) takes one reference from ``None`` that it never gave, and
some calls do the same to ``True``/``False``. Python 3.12+ doesn't notice (those objects are
immortal there); on 3.11 the count reaches zero after some tens of thousands of such calls and
the interpreter aborts ("Fatal Python error: none_dealloc"). pyqtgraph makes ~50 of them per
frame of the 3-D colour cloud, so rotating it for half a minute, or a long session of panning
the preview, ended the app. PySide6 6.11.3 is not affected.

`install` checks for the bug with a probe and, only if present, keeps the counts of ``None``,
``True`` and ``False`` far from zero by adding to them now and then (they are never freed, so
an inflated count harms nothing). Remove this module once the project requires a PySide6
without the bug (or Python 3.12+).
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer

log = logging.getLogger("kmeans_desktop.gui")

_LOW = 1 << 22  # top up below this count...
_TOP_UP = 1 << 26  # ...by this much
_INTERVAL_MS = 1000
_timer: QTimer | None = None


def affected() -> bool:
    """Whether void PySide calls take references from None here (probes 64 calls)."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return sys.getrefcount(None) <= before - 32


def top_up() -> None:
    for obj in (None, True, False):
        if sys.getrefcount(obj) < _LOW:
            ctypes.c_ssize_t.from_address(id(obj)).value += _TOP_UP  # ob_refcnt, the first field


def install() -> bool:
    """Start the guard for this process if the bug is present (idempotent); True if running."""
    global _timer
    if _timer is not None:
        return True
    if not affected():
        return False
    log.warning("PySide6 %s on Python %d.%d loses references to None; guarding against it "
                "(see kmeans_desktop/gui/refcount_guard.py)", _pyside_version(), *sys.version_info[:2])
    top_up()
    _timer = QTimer(QCoreApplication.instance())  # ends with the application
    _timer.setInterval(_INTERVAL_MS)
    _timer.timeout.connect(top_up)
    _timer.start()
    return True


def _pyside_version() -> str:
    import PySide6

    return PySide6.__version__
