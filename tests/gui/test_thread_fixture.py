"""The conftest's leak check really fails a test that leaves threads running."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

INNER_TESTS = '''
import threading

from PySide6.QtCore import QRunnable, QThreadPool


def test_leaves_a_python_thread():
    stop = threading.Event()
    threading.Thread(target=stop.wait, args=(5,), name="leaky", daemon=True).start()


class Sleeper(QRunnable):
    def run(self):
        threading.Event().wait(0.5)


def test_leaves_a_pool_job():
    QThreadPool.globalInstance().start(Sleeper())


def test_clean():
    pass


def test_clean_after_the_leaks():
    pass
'''


def test_leak_check_fails_tests_that_leave_threads(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    shutil.copy(Path(__file__).with_name("conftest.py"), inner / "conftest.py")
    (inner / "test_inner.py").write_text(INNER_TESTS)
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xvfb", str(inner)],
        cwd=inner, capture_output=True, text=True, timeout=100,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "4 passed, 2 errors" in out, out
    assert "ERROR at teardown of test_leaves_a_python_thread" in out
    assert "ERROR at teardown of test_leaves_a_pool_job" in out
    assert "the test left threads running: Python thread 'leaky'" in out
    assert "active job(s) on QThreadPool.globalInstance()" in out
