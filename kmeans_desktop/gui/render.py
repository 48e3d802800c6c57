"""Turning pixel arrays into images ready to paint, on a worker thread.

A 9 MP result converted and scaled on the GUI thread would freeze the window for tens of
milliseconds per frame, so workers hand over an `ImagePyramid`: the picture in Qt's fastest
paint format at full size plus halvings (area-averaged, so zoomed-out views don't alias). The
view paints from the smallest level that still has enough pixels; each paint then costs about
the same however large the image is. QImage is reentrant, so building one off the GUI thread is
safe; no QPixmap (GUI-thread only) is involved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage

#: Stop halving once a level's longer side is at or below this many pixels.
MIN_LEVEL_SIDE = 512


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
    base = QImage(arr.data, w, h, arr.strides[0], src_format).convertToFormat(_paint_format(c == 4))
    del arr  # `base` owns its pixels now
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
    argb = (alpha << 24) | (table[:, 0] << 16) | (table[:, 1] << 8) | table[:, 2]
    arr = np.ascontiguousarray(indices)
    image = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_Indexed8)
    image.setColorTable([int(v) for v in argb])
    base = image.convertToFormat(_paint_format(has_alpha))
    del image, arr
    return _with_halvings(base, size or QSize(w, h), has_alpha)


def _paint_format(has_alpha: bool) -> QImage.Format:
    """The formats Qt's raster engine paints fastest."""
    return QImage.Format.Format_ARGB32_Premultiplied if has_alpha else QImage.Format.Format_RGB32


def _with_halvings(base: QImage, size: QSize, has_alpha: bool) -> ImagePyramid:
    levels = [base]
    while max(levels[-1].width(), levels[-1].height()) > MIN_LEVEL_SIDE:
        last = levels[-1]
        half_w, half_h = max(1, last.width() // 2), max(1, last.height() // 2)
        levels.append(last.scaled(half_w, half_h, Qt.AspectRatioMode.IgnoreAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation))
    return ImagePyramid(levels=tuple(levels), size=size, has_alpha=has_alpha)
