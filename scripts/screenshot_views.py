#!/usr/bin/env python
"""Write screenshots of the colour-space views: docs/color-cloud.png (3-D), docs/color-cloud-2d.png
(the 2-D fallback) and docs/k-curve.png, from the window with the sample photo at K=16.

Run under a real X server with GLX, e.g.:
    xvfb-run -a -s "-screen 0 1600x1000x24 +extension GLX +render" .venv/bin/python scripts/screenshot_views.py

The pictures are taken from the screen (what a user sees, OpenGL included), not re-rendered.
Options: --k K, --image PATH, --reduced (the cloud in reduced colours), --only cloud|flat|curve.
Settings are kept in a temporary folder, so your own K and window layout are neither used nor changed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from kmeans_desktop.gui import MainWindow  # noqa: E402
from kmeans_desktop.gui.icons import app_icon  # noqa: E402
from kmeans_desktop.resources import sample_image_path  # noqa: E402


def spin(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(predicate, timeout_s: float = 60) -> bool:
    for _ in range(int(timeout_s * 20)):
        if predicate():
            return True
        spin(50)
    return False


def shoot(widget: QWidget, out: Path) -> None:
    """The widget as it is on the screen (a screen grab, so OpenGL content is exactly as shown)."""
    spin(400)
    top_left = widget.mapToGlobal(widget.rect().topLeft())
    pixmap = widget.screen().grabWindow(0, top_left.x(), top_left.y(), widget.width(), widget.height())
    out.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(out)):
        raise SystemExit(f"error: could not write {out}")
    print(f"wrote {out} ({pixmap.width()}×{pixmap.height()})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--image", default=str(sample_image_path()))
    ap.add_argument("--reduced", action="store_true", help="the cloud in reduced colours")
    ap.add_argument("--only", choices=("cloud", "flat", "curve"), help="write just one picture")
    ap.add_argument("--docs", default=str(ROOT / "docs"))
    args = ap.parse_args()
    docs = Path(args.docs)

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="kmd-shot-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationDisplayName("kmeans-desktop")
    app.setWindowIcon(app_icon())
    window = MainWindow()
    window.setGeometry(20, 20, 1500, 960)
    window.show()
    spin(300)
    window.k_slider.setValue(args.k)
    window.open_image(args.image)
    panels = window.colour_space
    ok = wait_until(lambda: window.current_preview() is not None and window.current_preview().final
                    and panels.cloud.sample is not None and panels.analysis.curve_complete(), 120)
    if not ok:
        print("error: the views were not ready within 120 s", file=sys.stderr)
        return 1
    # A larger colour-space area than the default, for pictures that read well on their own.
    window.resizeDocks([panels.cloud_dock], [470], Qt.Orientation.Vertical)
    window.resizeDocks([panels.cloud_dock, panels.curve_dock], [640, 560], Qt.Orientation.Horizontal)
    cloud = panels.cloud
    q = window.current_preview().quantized
    wait_until(lambda: cloud.assignment is not None and cloud.assignment.key is q, 30)
    cloud.set_reduced(args.reduced)
    if args.only in (None, "cloud") and cloud.is_3d:
        shoot(cloud, docs / ("color-cloud-reduced.png" if args.reduced else "color-cloud.png"))
    if args.only in (None, "curve"):
        shoot(panels.curve, docs / "k-curve.png")
    if args.only in (None, "flat"):
        panels.action_flat.setChecked(True)
        wait_until(lambda: not cloud.view.is_drawing(), 30)
        shoot(cloud, docs / ("color-cloud-2d-reduced.png" if args.reduced else "color-cloud-2d.png"))
        panels.action_flat.setChecked(False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
