"""Turning pixel arrays into images ready to paint, on a worker thread.

A 9 MP result converted and scaled on the GUI thread would freeze the window for tens of
milliseconds per frame, so workers hand over an `ImagePyramid`: the picture in Qt's fastest
paint format at full size plus halvings (area-averaged, so zoomed-out views don't alias). The
view paints from the smallest level that still has enough pixels; each paint then costs about
the same however large the image is. QImage is reentrant, so building one off the GUI thread is
safe; no QPixmap (GUI-thread only) is involved.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage

from ..core.cancel import carried
from ..core.lookup import gather

#: Stop halving once a level's longer side is at or below this many pixels.
MIN_LEVEL_SIDE = 512
#: Threads that look up the full-size level's colours (numpy, without the GIL) of a large picture.
LOOKUP_THREADS = min(2, os.cpu_count() or 1)


@dataclass(frozen=True, eq=False)
class ImagePyramid:
    """The same picture at full resolution and successive halvings.

    `size` is the size of the image it stands for, which is larger than `levels[0]` for a quick
    preview computed on a reduced copy; views always map every level onto `size`.
    """

    levels: tuple[QImage, ...]
    size: QSize
    has_alpha: bool

    @property
    def nbytes(self) -> int:
        return sum(level.sizeInBytes() for level in self.levels)

    def level_for(self, scale: float) -> QImage:
        """The smallest level with at least `scale` pixels per image pixel (the largest if none)."""
        width = max(1, self.size.width())
        best = self.levels[0]
        for level in self.levels:
            if level.width() / width >= scale:
                best = level
            else:
                break
        return best


def pyramid_from_pixels(pixels: np.ndarray, size: QSize | None = None) -> ImagePyramid:
    """Build an `ImagePyramid` from H×W×3 or H×W×4 uint8 pixels (copied; the array may go away)."""
    h, w, c = pixels.shape
    arr = np.ascontiguousarray(pixels)
    src_format = QImage.Format.Format_RGB888 if c == 3 else QImage.Format.Format_RGBA8888

    def strip(y0: int, y1: int) -> QImage:
        return QImage(arr[y0:y1].data, w, y1 - y0, arr.strides[0], src_format)

    base = _converted(strip, w, h, _paint_format(c == 4))
    return _with_halvings(base, size or QSize(w, h), c == 4)


def pyramid_from_indexed(indices: np.ndarray, palette: np.ndarray, size: QSize | None = None) -> ImagePyramid:
    """Build an `ImagePyramid` straight from palette indices (H×W uint8) and an n×3|4 palette.

    The same picture as `pyramid_from_pixels(palette[indices])`, without the H×W×C array in
    between: Qt expands the indices through a colour table, several times faster.
    """
    h, w = indices.shape
    has_alpha = palette.shape[1] == 4
    table = palette.astype(np.uint32)
    alpha = table[:, 3] if has_alpha else np.full(len(table), 255, np.uint32)
    argb = [int(v) for v in (alpha << 24) | (table[:, 0] << 16) | (table[:, 1] << 8) | table[:, 2]]
    arr = np.ascontiguousarray(indices)
    if not has_alpha:  # 0xffRRGGBB is RGB32 as it is: numpy looks it up without the GIL (9 MP: 16 ms CPU, Qt 22 ms)
        base = QImage(w, h, QImage.Format.Format_RGB32)
        dst = _pixels_of(base)[:, :w]
        colours = np.array(argb, dtype=np.uint32)
        # the first halving band by band as each band is looked up (see _halve_rows): one thread's
        # look-up (no GIL) runs while the other's halving (Qt, with the GIL) does
        half = _half_of(base) if max(w, h) > MIN_LEVEL_SIDE else None
        views = _row_views(base, half) if half is not None else None  # (once, before the threads)

        def look_up(band: tuple[int, int]) -> None:
            y0, y1 = band
            if dst[y0:y1].flags.c_contiguous:  # (32-bit rows are never padded: always)
                gather(colours, arr[y0:y1], out=dst[y0:y1])  # (no intp copy of the indices: 9 MP 37 -> 18 ms CPU)
            else:
                np.take(colours, arr[y0:y1], out=dst[y0:y1], mode="clip")
            if half is not None:
                _halve_rows(base, half, y0, y1, views)

        bands = _bands(h, w)
        if len(bands) >= 4 and LOOKUP_THREADS > 1:  # on two threads: numpy lets go of the GIL
            with ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="picture") as pool:
                list(pool.map(carried(look_up), bands))  # (`carried`: a cancelled preview stops between bands)
        else:
            for band in bands:
                carried(look_up)(band)
        if half is None:
            return _with_halvings(base, size or QSize(w, h), has_alpha)
        return _with_halvings(half, size or QSize(w, h), has_alpha, first=base)

    def strip(y0: int, y1: int) -> QImage:
        image = QImage(arr[y0:y1].data, w, y1 - y0, arr.strides[0], QImage.Format.Format_Indexed8)
        image.setColorTable(argb)
        return image

    base = _converted(strip, w, h, _paint_format(has_alpha))
    return _with_halvings(base, size or QSize(w, h), has_alpha)


def _paint_format(has_alpha: bool) -> QImage.Format:
    """The formats Qt's raster engine paints fastest."""
    return QImage.Format.Format_ARGB32_Premultiplied if has_alpha else QImage.Format.Format_RGB32


#: Qt's image conversions and scaling keep Python's GIL for the whole call (PySide releases it
#: for neither): a 9 MP picture converted and halved in one go held it for 50–90 ms on a pool
#: thread, and the GUI thread could run no Python meanwhile (a stall while K is scrubbed). Done a
#: band of rows at a time, each call holds it for about a millisecond and the GUI thread gets
#: it between bands; numpy copies the bands into place without it.
STRIP_PIXELS = 400000


def _bands(h: int, w: int) -> list[tuple[int, int]]:
    """Row ranges of about STRIP_PIXELS pixels (an even number of rows, but the last)."""
    rows = max(2, STRIP_PIXELS // max(1, w)) // 2 * 2
    return [(y, min(h, y + rows)) for y in range(0, h, rows)]


def _pixels_of(image: QImage) -> np.ndarray:
    """A writable H×W uint32 view of a 32-bit image's pixels."""
    return np.frombuffer(image.bits(), np.uint32).reshape(image.height(), image.bytesPerLine() // 4)


def _converted(strip, w: int, h: int, fmt: QImage.Format) -> QImage:
    """The picture `strip(y0, y1)` gives band by band, converted to `fmt` (32-bit) in one image."""
    out = QImage(w, h, fmt)
    dst = _pixels_of(out)
    for y0, y1 in _bands(h, w):
        band = strip(y0, y1).convertToFormat(fmt)
        dst[y0:y1, :w] = np.frombuffer(band.constBits(), np.uint32).reshape(y1 - y0, band.bytesPerLine() // 4)[:, :w]
    return out


def _halved(src: QImage) -> QImage:
    """`src` at half its width and height, area-averaged (Qt's smooth scaling), band by band: each
    band of 2n source rows gives n rows (an odd last row is dropped)."""
    w, h = src.width(), src.height()
    if h < 2:
        return src.scaled(max(1, w // 2), max(1, h // 2), Qt.AspectRatioMode.IgnoreAspectRatio,
                          Qt.TransformationMode.SmoothTransformation)
    out = _half_of(src)
    for y0, y1 in _bands(h, w):
        _halve_rows(src, out, y0, y1)
    return out


def _row_views(src: QImage, out: QImage) -> tuple[np.ndarray, np.ndarray]:
    """numpy views of `src`'s pixels (read) and `out`'s (written), for `_halve_rows`."""
    return np.frombuffer(src.constBits(), np.uint32).reshape(src.height(), src.bytesPerLine() // 4), _pixels_of(out)


def _half_of(src: QImage) -> QImage | None:
    """An empty image of half `src`'s width and height, for `_halve_rows` (None below 2 rows)."""
    if src.height() < 2:
        return None
    return QImage(max(1, src.width() // 2), src.height() // 2, src.format())


def _halve_rows(src: QImage, out: QImage, y0: int, y1: int, views: tuple | None = None) -> None:
    """Rows y0..y1-1 of `src` (a band of `_bands`: y0 even) halved into rows y0/2.. of `out`
    (`_half_of(src)`); an odd last row of `src` has no pair and is dropped. Bands are halved
    independently, so they may be halved in any order, on any thread, the same picture. `views`:
    `_row_views(src, out)`, made once by the caller when threads share the two images."""
    w, fmt = src.width(), src.format()
    y1 = min(y1, out.height() * 2)
    if y1 <= y0:
        return
    half_w = out.width()
    pixels, dst = views if views is not None else _row_views(src, out)
    part = pixels[y0:y1]
    band = QImage(part.data, w, y1 - y0, src.bytesPerLine(), fmt).scaled(
        half_w, (y1 - y0) // 2, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
    dst[y0 // 2:y1 // 2, :half_w] = np.frombuffer(band.constBits(), np.uint32).reshape(
        band.height(), band.bytesPerLine() // 4)[:, :half_w]


def _with_halvings(base: QImage, size: QSize, has_alpha: bool, first: QImage | None = None) -> ImagePyramid:
    """`base` and its halvings down to MIN_LEVEL_SIDE; `first`: a larger level before `base` (whose
    halving `base` is)."""
    levels = [base] if first is None else [first, base]
    while max(levels[-1].width(), levels[-1].height()) > MIN_LEVEL_SIDE:
        levels.append(_halved(levels[-1]))
    return ImagePyramid(levels=tuple(levels), size=size, has_alpha=has_alpha)
