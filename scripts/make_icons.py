#!/usr/bin/env python
"""Render resources/icons/kmeans-desktop.svg to the PNG sizes the app and the bundle use.

    .venv/bin/python scripts/make_icons.py [--check]

Writes resources/icons/kmeans-desktop-{16,32,48,64,128,256}.png with Qt's QSvgRenderer (no
display needed: it runs on the offscreen platform), and kmeans-desktop.ico (Windows, for
build.spec's icon=) from the same images with Pillow. Run it after editing the SVG and commit
the results. --check renders in memory and exits with 1 if a committed PNG is missing or differs
by more than antialiasing noise, without writing anything.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "kmeans-desktop.svg"
SIZES = (16, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 32, 48, 64, 128, 256)


def png_path(size: int) -> Path:
    return ICONS / f"kmeans-desktop-{size}.png"


def render(renderer: QSvgRenderer, size: int) -> bytes:
    """The SVG drawn on a transparent size×size canvas, as PNG bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    # Re-encode with Pillow (max compression, no Qt text chunks) so the files are small and stable.
    out = io.BytesIO()
    Image.open(io.BytesIO(bytes(data))).convert("RGBA").save(out, "PNG", optimize=True)
    return out.getvalue()


def differs(a: bytes, b: bytes) -> bool:
    """More than antialiasing noise apart (another Qt version may round edges differently)."""
    ia, ib = Image.open(io.BytesIO(a)).convert("RGBA"), Image.open(io.BytesIO(b)).convert("RGBA")
    if ia.size != ib.size:
        return True
    diffs = [abs(x - y) for x, y in zip(ia.tobytes(), ib.tobytes())]
    return sum(diffs) / len(diffs) > 1.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed PNGs, write nothing")
    args = ap.parse_args()

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"error: {SVG} is not a valid SVG", file=sys.stderr)
        return 1
    rendered = {size: render(renderer, size) for size in SIZES}
    if args.check:
        stale = [png_path(s).name for s, data in rendered.items()
                 if not png_path(s).exists() or differs(png_path(s).read_bytes(), data)]
        if stale:
            print(f"out of date: {', '.join(stale)} (run scripts/make_icons.py)", file=sys.stderr)
            return 1
        print("icons up to date")
        return 0
    for size, data in rendered.items():
        png_path(size).write_bytes(data)
        print(f"wrote {png_path(size).relative_to(ICONS.parent.parent)} ({len(data)} bytes)")
    images = [Image.open(io.BytesIO(rendered[s])) for s in ICO_SIZES]
    ico = ICONS / "kmeans-desktop.ico"
    images[-1].save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=images[:-1])
    print(f"wrote {ico.relative_to(ICONS.parent.parent)} ({ico.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
