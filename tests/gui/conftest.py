"""Fixtures for the GUI tests (pytest-qt under pytest-xvfb).

Every test gets its own settings folder and log folder, and fails if it leaves threads running:
Python threads it started, or jobs still active on Qt's global thread pool (where the window's
worker runs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from kmeans_desktop.gui.worker import wait_for_pool  # noqa: E402

def runs_until_cancelled(began: threading.Event) -> Callable:
    """A compute step that only a cancel ends (`core.cancel`): it sets `began`, then waits at a
    checkpoint every 2 ms. For tests of lanes that stop work no longer wanted."""
    import time

    from kmeans_desktop.core.cancel import checkpoint

    def step(*_args):
        began.set()
        while True:
            checkpoint()
            time.sleep(0.002)

    return step


LEAK_MESSAGE = "the test left threads running"
LEAK_GRACE_MS = 200


def python_threads() -> set[threading.Thread]:
    """Live threads started from Python (Qt pool threads that ran Python show up as _DummyThread
    and never leave the list; they are checked through the pool instead)."""
    return {t for t in threading.enumerate() if t.is_alive() and not isinstance(t, threading._DummyThread)}


def threads_left(before: set[threading.Thread]) -> list[str]:
    leaks = [f"Python thread {t.name!r}" for t in python_threads() - before]
    # A job whose outcome has arrived may still be returning its thread to the pool, and pool
    # threads run below the GUI thread's priority (scheduler.WORKER_NICE): on a loaded machine that
    # takes a moment. Real leaks (test_thread_fixture's job runs 0.5 s) outlast this grace.
    wait_for_pool(QThreadPool.globalInstance(), LEAK_GRACE_MS)
    active = QThreadPool.globalInstance().activeThreadCount()
    if active:
        leaks.append(f"{active} active job(s) on QThreadPool.globalInstance()")
    return leaks


@pytest.fixture(autouse=True)
def no_threads_left():
    """Fail the test if it leaves threads running (set up first, so torn down after qtbot)."""
    before = python_threads()
    yield
    leaks = threads_left(before)
    if leaks:
        wait_for_pool(QThreadPool.globalInstance(), 10_000)  # don't let the leak spill into the next test
        pytest.fail(f"{LEAK_MESSAGE}: {', '.join(leaks)}", pytrace=False)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings and logs in this test's own folders, so tests never depend on each other."""
    folder = tmp_path / "settings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    monkeypatch.setenv("KMEANS_DESKTOP_LOG_DIR", str(tmp_path / "logs"))
    return folder


def _pattern(w: int, h: int, seed: int, channels: int = 3) -> np.ndarray:
    """A smooth colour field with noise: a few thousand distinct colours, photo-like clusters."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([
        128 + 100 * np.sin(x / (w / 3.0) + seed),
        128 + 100 * np.cos(y / (h / 2.5) + 2 * seed),
        128 + 90 * np.sin((x + y) / ((w + h) / 4.0)),
    ], axis=2)
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    if channels == 4:
        alpha = np.full((h, w, 1), 255, np.uint8)
        alpha[: h // 4] = 0
        alpha[h // 4: h // 2] = 128
        pixels = np.concatenate([pixels, alpha], axis=2)
    return pixels


@pytest.fixture
def make_image(tmp_path: Path) -> Callable[..., Path]:
    """make_image(name="a.png", w=64, h=48, seed=0, channels=3) -> path of a new image file."""

    def make(name: str = "a.png", w: int = 64, h: int = 48, seed: int = 0, channels: int = 3) -> Path:
        path = tmp_path / name
        Image.fromarray(_pattern(w, h, seed, channels)).save(path)
        return path

    return make


@pytest.fixture
def pattern() -> Callable[..., np.ndarray]:
    return _pattern


def drop_files(target: QWidget, paths: Iterable[Path | str], *, urls: list[QUrl] | None = None) -> QDropEvent:
    """Send a real drag-enter and drop with file URLs to `target`; returns the drop event."""
    mime = QMimeData()
    mime.setUrls(urls if urls is not None else [QUrl.fromLocalFile(str(p)) for p in paths])
    centre = target.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    return drop


@pytest.fixture
def drop() -> Callable[..., QDropEvent]:
    return drop_files


def message_boxes(window: QWidget) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


@pytest.fixture
def window(qtbot):
    """A shown MainWindow; closed (and checked for a clean close) at the end of the test."""
    from kmeans_desktop.gui import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    for box in message_boxes(w):
        box.close()
    w.close()


@pytest.fixture
def opened(window, qtbot, make_image):
    """A window with a small image open and its final preview on screen."""
    path = make_image("opened.png")
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(path)
    return window


__all__ = ["LEAK_MESSAGE", "QPoint", "drop_files", "message_boxes", "runs_until_cancelled", "threads_left"]
