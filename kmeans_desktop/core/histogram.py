"""The colour histogram of an image: every distinct colour once, with its pixel count.

Clustering the histogram with the counts as weights is mathematically the same k-means as
clustering every pixel, at a fraction of the cost; it is computed once per image and reused for
every K. RGB colours are packed into 24-bit codes so that counting is one `bincount` and mapping
colours back to pixels is one table look-up; RGBA uses a sort instead (2^32 codes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

_RGB_CODES = 1 << 24
#: Up to this many pixels an RGB histogram keeps each pixel's colour index once it is asked for
#: (`pixel_colours`; 4 bytes a pixel, 36 MB at 9 MP), so every K maps pixels with one gather from a
#: table of its distinct colours' entries: 9 MP china, 30 ms CPU against 39 ms through a 16 MB
#: table by packed code, and `runmap` needs no 64 MB table of colour indices per call (20-50 ms).
PIXEL_INDEX_MAX = 25_000_000

#: One table of 2^24 int32 colour numbers per process, kept between images (64 MB once its pages are
#: touched): only the image's own codes are written before its pixels read them, so it is never
#: cleared. Why: a fresh table faults in and zeroes every page the scattered codes touch, for each
#: image; measured 2026-12-02, china.jpg histogram + pixel indices 18-20 -> 7.8 ms CPU (np.unique
#: with return_inverse: 14-19 ms). A thread that finds it in use writes a table of its own.
_CODE_TABLE: np.ndarray | None = None
_CODE_TABLE_LOCK = threading.Lock()


def colour_numbers(unique_codes: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each of `codes`' position in `unique_codes` (sorted distinct packed colours), int32."""
    global _CODE_TABLE
    numbers = np.arange(len(unique_codes), dtype=np.int32)
    if not _CODE_TABLE_LOCK.acquire(blocking=False):
        lut = np.empty(_RGB_CODES, dtype=np.int32)
        lut[unique_codes] = numbers
        return lut[codes]
    try:
        if _CODE_TABLE is None:
            _CODE_TABLE = np.empty(_RGB_CODES, dtype=np.int32)
        _CODE_TABLE[unique_codes] = numbers
        return _CODE_TABLE[codes]
    finally:
        _CODE_TABLE_LOCK.release()


@dataclass(frozen=True, eq=False)
class ColorHistogram:
    colors: np.ndarray  # U×C uint8, C = 3 (RGB) or 4 (RGBA), sorted by packed code
    counts: np.ndarray  # U int64, pixels of each colour
    shape: tuple[int, int]  # (height, width) of the image
    codes: np.ndarray  # H*W packed colour codes (RGB only; empty for RGBA)
    inverse: np.ndarray | None  # H*W int32 index into `colors` (RGBA only)
    # Derived data that quantize reuses across K (float copies, bin means); filled on first use.
    # Entries are pure functions of the histogram, so a race between threads only repeats work.
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_colors(self) -> int:
        return int(self.colors.shape[0])

    @property
    def channels(self) -> int:
        return int(self.colors.shape[1])

    @property
    def n_pixels(self) -> int:
        return int(self.shape[0] * self.shape[1])

    def pixel_colours(self) -> np.ndarray | None:
        """Every pixel's index into `colors` (flat, int32): RGBA's `inverse`; for RGB made on first
        use and kept, up to PIXEL_INDEX_MAX pixels (None above: callers go through the codes)."""
        if self.inverse is not None:
            return self.inverse
        inv = self.cache.get("pixel_colours")
        if inv is None and self.n_pixels <= PIXEL_INDEX_MAX:
            inv = colour_numbers(self._codes(), self.codes)
            inv.setflags(write=False)
            self.cache["pixel_colours"] = inv
        return inv

    def indices_for(self, labels: np.ndarray) -> np.ndarray:
        """Per-pixel H×W uint8 indices, given one palette index per distinct colour."""
        labels = np.asarray(labels, dtype=np.uint8)
        inv = self.pixel_colours()
        if inv is not None:
            out = labels[inv]
        else:
            lut = np.zeros(_RGB_CODES, dtype=np.uint8)
            lut[self._codes()] = labels
            out = lut[self.codes]
        return out.reshape(self.shape)

    def _codes(self) -> np.ndarray:
        """The packed code of each distinct colour (RGB), kept."""
        if "codes" not in self.cache:
            self.cache["codes"] = self._unique_codes()
        return self.cache["codes"]

    def _unique_codes(self) -> np.ndarray:
        c = self.colors.astype(np.uint32)
        return (c[:, 0] << 16) | (c[:, 1] << 8) | c[:, 2]


def rgb_codes(pixels: np.ndarray) -> np.ndarray:
    """Pack H×W×3 uint8 into a flat uint32 array of r<<16 | g<<8 | b (one copy, no temporaries)."""
    h, w, _ = pixels.shape
    buf = np.zeros((h, w, 4), dtype=np.uint8)
    buf[..., 0] = pixels[..., 2]
    buf[..., 1] = pixels[..., 1]
    buf[..., 2] = pixels[..., 0]
    return buf.view("<u4").reshape(-1)


def build_histogram(pixels: np.ndarray) -> ColorHistogram:
    """Count the distinct colours of an H×W×3 or H×W×4 uint8 image."""
    h, w, c = pixels.shape
    if c == 3:
        codes = rgb_codes(pixels)
        u, cnt = np.unique(codes, return_counts=True)
        cnt = cnt.astype(np.int64)
        colors = np.stack([(u >> 16) & 255, (u >> 8) & 255, u & 255], axis=1).astype(np.uint8)
        return ColorHistogram(colors=colors, counts=cnt, shape=(h, w), codes=codes, inverse=None)
    flat = np.ascontiguousarray(pixels).view("<u4").reshape(-1)
    uniq, inverse, cnt = np.unique(flat, return_inverse=True, return_counts=True)
    colors = uniq.astype("<u4").view(np.uint8).reshape(-1, 4).copy()
    return ColorHistogram(
        colors=colors,
        counts=cnt.astype(np.int64),
        shape=(h, w),
        codes=np.empty(0, dtype=np.uint32),
        inverse=inverse.astype(np.int32).reshape(-1),
    )
