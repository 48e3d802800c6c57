#!/usr/bin/env python
"""Write docs/screenshot.png: the window with the sample photo at K=16.

Run under a real X server, e.g.:
    xvfb-run -a -s "-screen 0 1600x1000x24 +extension GLX +render" .venv/bin/python scripts/screenshot.py

Options: --k K, --size WxH, --out PATH, --empty (the drop zone instead of a photo), --image PATH,
--target SIZE (e.g. 150KB: the Requirements panel with a target size), --format png|gif|webp|jpeg,
--diff-map (the compare view's difference map on; e.g. --out docs/difference-map.png),
--batch (the Files list with a few photos and a damaged file, measured at --k; the dock only, e.g.
--k 64 --out docs/batch.png).
Settings are kept in a temporary folder, so your own K and window size are neither used nor changed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from kmeans_desktop.gui import MainWindow  # noqa: E402
from kmeans_desktop.gui.icons import app_icon  # noqa: E402
from kmeans_desktop.resources import sample_image_path  # noqa: E402


def wait_for(signal, timeout_s: float, predicate=lambda *a: True) -> bool:
    loop = QEventLoop()
    hit = []

    def on_signal(*args):
        if predicate(*args):
            hit.append(args)
            loop.quit()

    signal.connect(on_signal)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(on_signal)
    return bool(hit)


def settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def batch_shot(window, args) -> int:
    """The Files dock measuring a few photos (scikit-learn's two, the app's sample, a crop) and a
    damaged file, at K = args.k; grabbed once every row has its result."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_sample_image

    folder = Path(tempfile.mkdtemp(prefix="kmeans-desktop-batch-"))
    china, flower = load_sample_image("china.jpg"), load_sample_image("flower.jpg")
    Image.fromarray(china).save(folder / "roofs.jpg", quality=92)
    Image.fromarray(flower).save(folder / "dahlia.jpg", quality=92)
    Image.fromarray(np.ascontiguousarray(china[60:380, 120:560])).save(folder / "harbour.png")
    Image.open(args.image).convert("RGB").save(folder / "sample.png")
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    window.k_slider.setValue(args.k)
    many = window.files_colours.many
    many.open_images([folder])
    total = len(list(folder.iterdir()))
    for _ in range(480):  # every row measured (at most 120 s)
        if many.progress.value() >= many.progress.maximum() > 0 and not many.controller.running():
            break
        settle(250)
    settle(500)
    dock = many.dock
    dock.resize(dock.width(), max(dock.height(), 60 * total))
    settle(300)
    return save_picture(window, dock.grab(), args.out)


def save_picture(window, picture, out: str) -> int:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not picture.save(str(out)):
        print(f"error: could not write {out}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({picture.width()}×{picture.height()})")
    window.close()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--size", default="1360x860")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    ap.add_argument("--image", default=str(sample_image_path()))
    ap.add_argument("--empty", action="store_true")
    ap.add_argument("--target", help="a target file size, e.g. 150KB (KB = 1000 bytes)")
    ap.add_argument("--format", choices=("png", "gif", "webp", "jpeg"))
    ap.add_argument("--diff-map", action="store_true", help="turn the difference map on")
    ap.add_argument("--batch", action="store_true", help="the Files list with a few photos (the dock only)")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    settings_dir = tempfile.mkdtemp(prefix="kmeans-desktop-shot-")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationDisplayName("kmeans-desktop")
    app.setWindowIcon(app_icon())
    window = MainWindow()
    window.resize(width, height)
    window.show()
    settle(200)
    if args.batch:
        return batch_shot(window, args)
    if not args.empty:
        window.k_slider.setValue(args.k)
        window.open_image(args.image)
        if not wait_for(window.previewReady, 60, lambda k: k == args.k):
            print("error: no preview within 60 s", file=sys.stderr)
            return 1
        wait_for(window.sizeReady, 60)
        if args.target or args.format:
            from kmeans_desktop.compress import parse_bytes

            panel = window.requirements_panel
            if args.format:
                panel.set_format(args.format)
            if args.target:
                nbytes = parse_bytes(args.target)
                panel.set_target(nbytes, "MB" if nbytes >= 1_000_000 else "KB")
            if not wait_for(window.requirements.fitShown, 600):
                print(f"error: no fitted result within 600 s ({panel.status_text()})", file=sys.stderr)
                return 1
        if args.diff_map:
            window.compare_view.diff_toggle.setChecked(True)
            for _ in range(240):
                if window.compare_view.showing_diff_map():
                    break
                settle(250)
        for _ in range(240):  # the SSIMULACRA2 score measured
            if "·" in window.stats.value_text("ssimulacra2"):
                break
            settle(250)
        curve_done = getattr(getattr(window, "colour_space", None), "analysis", None)
        for _ in range(240):  # the K curve, when there is one, complete (at most 60 s)
            if curve_done is None or curve_done.curve_complete():
                break
            settle(250)
    settle(300)
    # From the screen, as shown: QWidget.grab() re-renders OpenGL views and loses their text
    # (the colour cloud's R/G/B labels).
    origin = window.mapToGlobal(window.rect().topLeft())
    picture = window.screen().grabWindow(0, origin.x(), origin.y(), window.width(), window.height())
    if picture.isNull():
        picture = window.grab()
    return save_picture(window, picture, args.out)


if __name__ == "__main__":
    sys.exit(main())
