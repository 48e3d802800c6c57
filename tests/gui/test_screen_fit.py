"""The window fits the screen it opens on (first start and restored geometry), down to 1024×600."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kmeans_desktop.gui.window_layout import FRAME_GUESS

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys, time
from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QApplication
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
app = QApplication(sys.argv[:1])
from kmeans_desktop.gui import MainWindow

def settle(window, until=lambda: True, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until():
            break
    app.processEvents()

def rect(r):
    return [r.x(), r.y(), r.width(), r.height()]

out = {}
w = MainWindow()
w.show()
settle(w)
out["screen"] = rect(w.screen().availableGeometry())
out["first"] = rect(w.frameGeometry())
ready = []
w.previewReady.connect(ready.append)
w.open_image(sys.argv[2])
settle(w, lambda: bool(ready))
out["with_image"] = rect(w.frameGeometry())
out["minimum"] = [w.minimumSizeHint().width(), w.minimumSizeHint().height()]
# As if the last run was on a large monitor to the right of this one.
w.setGeometry(QRect(2200, 150, 1800, 1100))
w.close()
settle(w)
again = MainWindow()
again.show()
settle(again)
out["restored"] = rect(again.frameGeometry())
again.close()
print("RESULT", json.dumps(out), flush=True)
"""


def inside(frame: list[int], screen: list[int]) -> bool:
    x, y, w, h = frame
    sx, sy, sw, sh = screen
    return sx <= x and sy <= y and x + w <= sx + sw and y + h <= sy + sh


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run for a 1280×720 screen of its own")
def test_window_fits_a_1280x720_screen_first_and_restored(tmp_path, make_image):
    photo = make_image("p.png", 300, 200)
    settings = tmp_path / "probe-settings"
    settings.mkdir()
    r = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x720x24 +extension GLX +render",
                        sys.executable, "-c", PROBE, str(settings), str(photo)],
                       capture_output=True, text=True, cwd=ROOT, timeout=240)
    line = next((s for s in r.stdout.splitlines() if s.startswith("RESULT ")), None)
    assert line is not None, r.stderr[-3000:]
    got = json.loads(line[len("RESULT "):])
    assert got["screen"] == [0, 0, 1280, 720]
    for key in ("first", "with_image", "restored"):
        assert inside(got[key], got["screen"]), (key, got)
    assert got["first"][3] >= 600  # it still uses the room it has


def test_minimum_size_fits_1024x600_with_every_panel_shown(opened, qtbot):
    panels = opened.colour_space
    qtbot.waitUntil(lambda: panels.cloud_dock.isVisible() and panels.curve_dock.isVisible(), timeout=20_000)
    assert opened.controls_dock.isVisible()
    minimum = opened.minimumSizeHint().expandedTo(opened.minimumSize())
    assert minimum.width() + FRAME_GUESS.width() <= 1024
    assert minimum.height() + FRAME_GUESS.height() <= 600


def test_at_1024x600_the_playback_controls_keep_their_width_and_the_cloud_header_shortens(opened, qtbot):
    panels = opened.colour_space
    qtbot.waitUntil(lambda: panels.cloud_dock.isVisible() and panels.curve_dock.isVisible(), timeout=20_000)
    cloud, controls = panels.cloud, panels.kmeans_controls
    opened.resize(1024 - FRAME_GUESS.width(), 600 - FRAME_GUESS.height())
    qtbot.waitUntil(lambda: opened.width() <= 1024 - FRAME_GUESS.width(), timeout=5_000)
    # every playback control is shown whole (they were cut off: "Ste", half of "Run again")
    qtbot.waitUntil(lambda: controls.width() >= controls.minimumSizeHint().width(), timeout=5_000)
    assert cloud.original_button.text() == "Original" and cloud.reduced_button.text() == "Reduced"
    assert cloud.reset_button.text() == "Reset view"
    opened.resize(1500, 900)
    qtbot.waitUntil(lambda: cloud.original_button.text() == "Original colours", timeout=5_000)
    assert cloud.reduced_button.text() == "Reduced colours"
