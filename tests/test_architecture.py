"""The core and the compress CLI never load Qt, so they start fast and run without a display."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import sys, runpy
import kmeans_desktop.core
from kmeans_desktop.cli import main
code = main(["compress", sys.argv[1], "-k", "4", "-o", sys.argv[2]])
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
print("QT:", ",".join(qt))
sys.exit(code)
"""


def test_core_and_compress_never_import_qt(tmp_path, gradient):
    Image.fromarray(gradient).save(tmp_path / "in.png")
    r = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "in.png"), str(tmp_path / "out.png")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "QT: \n" in r.stdout or r.stdout.rstrip().endswith("QT:"), r.stdout
    assert (tmp_path / "out.png").exists()


def test_core_sources_have_no_qt_import():
    for path in (ROOT / "kmeans_desktop" / "core").rglob("*.py"):
        text = path.read_text()
        for name in ("PySide6", "pyqtgraph", "shiboken6", "PyQt"):
            assert f"import {name}" not in text and f"from {name}" not in text, path
