"""The guard against PySide6 6.12.0 losing references to None on Python 3.11 (refcount_guard)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kmeans_desktop.gui import refcount_guard

PROBE = r"""
import sys
from PySide6.QtCore import QCoreApplication, QObject
app = QCoreApplication([])
from kmeans_desktop.gui import refcount_guard
print("guarded" if refcount_guard.install() else "not needed", flush=True)
obj = QObject()
for _ in range(int(sys.argv[1])):
    obj.setObjectName("x")  # returns None: one reference lost per call where the bug is
print("alive", flush=True)
"""


@pytest.mark.skipif(not refcount_guard.affected(), reason="this PySide6 keeps None's count right")
def test_a_million_void_calls_no_longer_abort_the_interpreter(tmp_path):
    r = subprocess.run([sys.executable, "-c", PROBE, "1000000"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["guarded", "alive"]


def test_install_is_idempotent_and_top_up_keeps_counts_high(qapp):
    first = refcount_guard.install()
    assert refcount_guard.install() == first
    refcount_guard.top_up()
    if first:
        assert sys.getrefcount(None) >= refcount_guard._LOW
