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
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage

from ..core.cancel import carried
from ..core.lookup import gather_pairs, pair_table

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


def pyramid_from_indexed(indices: np.ndarray, palette: np.ndarray, size: QSize | None = None,
                         made: IndexedPicture | None = None) -> ImagePyramid:
    """Build an `ImagePyramid` straight from palette indices (H×W uint8) and an n×3|4 palette.

    The same picture as `pyramid_from_pixels(palette[indices])`, without the H×W×C array in
    between: Qt expands the indices through a colour table, several times faster. `made`: the
    picture built from these very indices' rows while they were made, finished here when it has
    every row (`IndexedPicture`; else it is ignored).
    """
    h, w = indices.shape
    if made is not None and made.indices is indices and made.covered == h:
        return made.pyramid(size)
    has_alpha = palette.shape[1] == 4
    arr = np.ascontiguousarray(indices)
    if not has_alpha:
        picture = IndexedPicture(palette, (h, w))
        bands = picture.bands()
        if len(bands) >= 4 and LOOKUP_THREADS > 1:  # on two threads: numpy lets go of the GIL
            with ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="picture") as pool:
                list(pool.map(carried(lambda band: picture.rows(arr, *band)), bands))  # (`carried`: a cancelled preview stops between bands)
        else:
            picture.rows(arr, 0, h)
        return picture.pyramid(size)
    argb = _argb(palette)

    def strip(y0: int, y1: int) -> QImage:
        image = QImage(arr[y0:y1].data, w, y1 - y0, arr.strides[0], QImage.Format.Format_Indexed8)
        image.setColorTable(argb)
        return image

    base = _converted(strip, w, h, _paint_format(has_alpha))
    return _with_halvings(base, size or QSize(w, h), has_alpha)


def _argb(palette: np.ndarray) -> list[int]:
    """The palette as Qt's 0xAARRGGBB colour table."""
    table = palette.astype(np.uint32)
    alpha = table[:, 3] if palette.shape[1] == 4 else np.full(len(table), 255, np.uint32)
    return [int(v) for v in (alpha << 24) | (table[:, 0] << 16) | (table[:, 1] << 8) | table[:, 2]]


class IndexedPicture:
    """An RGB result's picture (`pyramid_from_indexed`), built from bands of rows of its indices as
    they become final, on any threads, in any order (`rows`), and then finished (`pyramid`).

    The `pixelmap.final_rows` sink of `compute.compute_preview`: `start` and `rows` are called by
    the last mapping pass while it runs. Each band's colours are looked up by numpy (without the
    GIL: 0xffRRGGBB is RGB32 as it is; two pixels a look-up, `lookup.gather_pairs`: 9 MP 9 -> 5 ms
    CPU; Qt took 22 ms), and its rows of every halving made at once (Qt, with the GIL: one
    thread's look-up runs while the other's halving does).
    Qt's smooth halving averages each 2×2 block on its own, so bands that start at a multiple of
    2^n rows give level n's rows exactly (bit for bit the halving of the whole level, tested);
    until issue 15's fourteenth helper the halvings after the first were made at the end, on one
    thread (9 MP: 4 ms)."""

    def __init__(self, palette: np.ndarray | None = None, shape: tuple[int, int] | None = None) -> None:
        self.levels: list[QImage] = []
        self.indices = None
        self.covered = 0  # rows made
        if palette is not None:
            self.start(palette, shape)

    def start(self, palette: np.ndarray, shape: tuple[int, int]) -> int:
        """Make the empty picture; returns the row multiple that bands of `rows` must start at."""
        h, w = shape
        self.shape = shape
        base = QImage(w, h, QImage.Format.Format_RGB32)
        self._dst = _pixels_of(base)[:, :w]
        self._colours = np.array(_argb(palette), dtype=np.uint32)
        self._pairs = pair_table(self._colours)
        self.levels = [base]
        while max(self.levels[-1].width(), self.levels[-1].height()) > MIN_LEVEL_SIDE:
            half = _half_of(self.levels[-1])
            if half is None:
                break
            self.levels.append(half)
        # each level's views once, before the threads
        self._views = [_row_views(a, b) for a, b in zip(self.levels, self.levels[1:])]
        step = 1 << (len(self.levels) - 1)
        self._band_rows = max(step, _bands(h, w)[0][1] // step * step)
        return self._band_rows

    def bands(self) -> list[tuple[int, int]]:
        """The picture's bands of rows (each made by one call of `rows` at most)."""
        h = self.shape[0]
        return [(y, min(h, y + self._band_rows)) for y in range(0, h, self._band_rows)]

    def rows(self, indices: np.ndarray, y0: int, y1: int) -> None:
        """Rows y0..y1-1 of `indices` (H×W uint8, final there) into the picture; y0 is a multiple of
        the row multiple `start` gave, or y1 is the last row."""
        if self.indices is None:
            self.indices = indices
        dst = self._dst
        for b0 in range(y0, y1, self._band_rows):
            b1 = min(y1, b0 + self._band_rows)
            if dst[b0:b1].flags.c_contiguous:  # (32-bit rows are never padded: always)
                gather_pairs(self._pairs, indices[b0:b1], dst[b0:b1])  # (two pixels a look-up)
            else:
                np.take(self._colours, indices[b0:b1], out=dst[b0:b1], mode="clip")
            for n, (src, out) in enumerate(zip(self.levels, self.levels[1:])):
                _halve_rows(src, out, b0 >> n, b1 >> n, self._views[n])
        with _COVERED:
            self.covered += y1 - y0

    def pyramid(self, size: QSize | None = None) -> ImagePyramid:
        """The finished picture (every row given to `rows`, once)."""
        h, w = self.shape
        return _with_halvings(self.levels[-1], size or QSize(w, h), False, first=tuple(self.levels[:-1]))


_COVERED = threading.Lock()


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


def _with_halvings(base: QImage, size: QSize, has_alpha: bool, first: tuple[QImage, ...] = ()) -> ImagePyramid:
    """`base` and its halvings down to MIN_LEVEL_SIDE; `first`: larger levels before `base` (each
    the halving of the one before, `base` the last one's)."""
    levels = [*first, base]
    while max(levels[-1].width(), levels[-1].height()) > MIN_LEVEL_SIDE:
        levels.append(_halved(levels[-1]))
    return ImagePyramid(levels=tuple(levels), size=size, has_alpha=has_alpha)
