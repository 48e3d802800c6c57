"""Starting the app: `run(path)`, the command line, and the exception hook."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from kmeans_desktop.gui import MainWindow
from kmeans_desktop.gui.app import error_sentence, make_excepthook, run
from kmeans_desktop.gui.icons import app_icon

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(self.format(r) for r in self.records)


@pytest.fixture
def records():
    handler = Records()
    logger = logging.getLogger("kmeans_desktop")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_excepthook_logs_the_traceback_and_shows_a_sentence(window, qtbot, records):
    hook = make_excepthook(lambda: window)
    try:
        raise ValueError("a bug somewhere")
    except ValueError as exc:
        with qtbot.waitSignal(window.messageShown, timeout=5_000) as shown:
            hook(type(exc), exc, exc.__traceback__)
    text = shown.args[0]
    assert text.startswith("Sorry, something unexpected went wrong (a bug somewhere).")
    assert "still running" in text and "kmeans-desktop.log" in text
    assert "Traceback" in records.text() and "ValueError: a bug somewhere" in records.text()
    assert window.isVisible()  # the app carries on


def test_error_sentences():
    from kmeans_desktop.core import ImageLoadError

    assert error_sentence(ImageLoadError("x.png: the file is empty.")) == "x.png: the file is empty."
    assert "not enough memory" in error_sentence(MemoryError())
    assert "(KeyError)" not in error_sentence(KeyError("k")) and "'k'" in error_sentence(KeyError("k"))


def test_run_opens_the_given_image_and_returns_when_closed(qtbot, make_image, monkeypatch, records):
    path = make_image("start.png")
    seen = {}
    original_show = MainWindow.show

    def show(self):
        original_show(self)
        seen["window"] = self
        self.previewReady.connect(lambda k: QTimer.singleShot(0, self.close))

    monkeypatch.setattr(MainWindow, "show", show)
    hook_before = sys.excepthook
    assert run(str(path)) == 0
    assert sys.excepthook is hook_before  # restored after the event loop
    window = seen["window"]
    assert window.current_image().path == path and len(window.current_palette()) <= window.k()
    assert "window ready" in records.text()


def test_app_icon_has_sizes(qapp):
    icon = app_icon()
    assert not icon.isNull() and len(icon.availableSizes()) >= 4


CLI_PROBE = r"""
import sys
from PySide6.QtCore import QTimer
from kmeans_desktop.gui.main_window import MainWindow
from kmeans_desktop import cli

shown = MainWindow.show
def show(self):
    shown(self)
    def boom():
        raise RuntimeError("deliberate failure in a slot")
    QTimer.singleShot(0, boom)
    self.previewReady.connect(lambda k: QTimer.singleShot(0, self.close))
MainWindow.show = show
import os, threading
watchdog = threading.Timer(60, os._exit, (3,))  # never hang the test run
watchdog.daemon = True
watchdog.start()
sys.exit(cli.main([sys.argv[1]]))
"""


def test_command_line_opens_the_window_and_logs_errors(tmp_path, make_image):
    """`kmeans-desktop PATH` end to end, in its own process: window, preview, excepthook, log, exit 0."""
    path = make_image("cli.png")
    logs = tmp_path / "cli-logs"
    env = dict(os.environ, KMEANS_DESKTOP_LOG_DIR=str(logs), XDG_CONFIG_HOME=str(tmp_path / "config"))
    r = subprocess.run([sys.executable, "-c", CLI_PROBE, str(path)], capture_output=True, text=True,
                       cwd=ROOT, env=env, timeout=90)
    assert r.returncode == 0, r.stderr
    log = (logs / "kmeans-desktop.log").read_text()
    assert "window ready" in log and "opened cli.png" in log
    assert "RuntimeError: deliberate failure in a slot" in log  # the traceback went to the log...
    assert "Traceback" not in r.stderr  # ...not to the terminal
    assert "QThread" not in r.stderr and "QObject" not in r.stderr, r.stderr
