"""`kmeans-desktop --self-test`: the start-up check that CI also runs on the frozen app."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from kmeans_desktop.gui.selftest import READY, process_start_time

pytestmark = pytest.mark.timeout(180)
ROOT = Path(__file__).resolve().parents[2]
READY_LINE = re.compile(
    re.escape(READY) + r" \(window shown in (\d+\.\d\d) s, first final preview K=(\d+) in (\d+\.\d\d) s, "
    r"PNG (\d+) bytes in (\d+\.\d\d) s; times from process start\)")


def self_test(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m kmeans_desktop --self-test ARGS` on this test's X display, with its own folders."""
    environ = dict(os.environ, KMEANS_DESKTOP_LOG_DIR=str(tmp_path / "logs"),
                   XDG_CONFIG_HOME=str(tmp_path / "config"), **env)
    return subprocess.run([sys.executable, "-m", "kmeans_desktop", "--self-test", *args], capture_output=True,
                          text=True, cwd=ROOT, env=environ, timeout=150)


def test_self_test_opens_the_sample_and_prints_the_ready_line(tmp_path):
    grab = tmp_path / "window.png"
    r = self_test(tmp_path, KMEANS_DESKTOP_SELFTEST_GRAB=str(grab))
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    assert "Traceback" not in output and "error:" not in output, output
    match = READY_LINE.search(r.stdout)
    assert match, r.stdout
    shown, k, preview, size, sized = match.groups()
    assert int(k) == 16  # the default K: the user's settings are not read
    assert 0 < float(shown) <= float(preview) <= float(sized) < 120 and int(size) > 1000
    with Image.open(grab) as picture:  # a picture of the window, for people checking a build
        assert picture.width >= 640 and picture.height >= 400
    # The user's settings are neither read nor written: they live in a temporary folder.
    assert not (tmp_path / "config" / "kmeans-desktop").exists()
    assert "self-test" in (tmp_path / "logs" / "kmeans-desktop.log").read_text()


def test_self_test_fails_with_one_error_line_for_a_bad_image(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    r = self_test(tmp_path, str(bad))
    assert r.returncode == 1
    assert READY not in r.stdout
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "broken.png" in errors[0], r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_self_test_has_a_time_limit(tmp_path, make_image):
    r = self_test(tmp_path, str(make_image("slow.png", w=640, h=480)), KMEANS_DESKTOP_SELFTEST_TIMEOUT="0.05")
    assert r.returncode == 1
    assert "error: no final preview of slow.png within 0.05 s" in r.stderr, r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_process_start_time_is_read_from_the_kernel():
    started, origin = process_start_time()
    assert started <= time.time()
    if sys.platform.startswith("linux"):
        assert origin == "process start"
