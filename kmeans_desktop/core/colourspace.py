"""The space opaque colours are clustered, mapped and dithered in: OKLab.

Why: k-means in sRGB spends its entries by sRGB distance, which is not how far apart people (or
SSIMULACRA2) see two colours: saturated hues and shadows got too few entries (sklearn's flower at
K=32 scored −7.9 undithered, pngquant --nofs 5.2). In OKLab (Björn Ottosson's perceptual space)
the same k-means scores 23; dithered in OKLab too, flower at K=16 went from −16 to 19
(pngquant's default: 3).

Chroma (a, b) is weighted 150 per OKLab unit against lightness's 255: lightness errors count more,
as they do for the eye and for SSIMULACRA2. Measured with benchmarks/bench_perceptual.py against
plain OKLab (255), mean SSIMULACRA2 difference to pngquant's default at equal K and bytes for equal
SSIMULACRA2: photos undithered −7.7 → −0.3 and 0.76× → 0.74×, dithered +8.1 → +10.8 (0.86× →
0.85×); icons undithered −6.0 → −3.9; flat graphics dithered +11.4 → +10.9 (0.88× → 0.92×), icons
dithered −1.4 → −2.0; translucent images unchanged. Plain OKLab also stopped gaining past K=128 on
photos (flower: 68.5 at K=128, 65.9 at 192, 68.5 at 256; with 150: 71.7, 78.3 at 256). 120 and 180
were within a point or two of 150 on photos. PSNR is 0.7–1 dB lower than with 255: the palette
spends less on chroma differences that squared sRGB error counts and the eye barely sees.

Coordinates are scaled to 0..255 (L × 255, a and b × 255 + 128) so the colour-bin code that works
on 0..255 points works on them unchanged; they are not integers (see `Points(integer=False)`).
"""

from __future__ import annotations

import numpy as np

#: Chroma (a, b) weight relative to lightness, in 0..255 units per OKLab unit.
CHROMA_SCALE = 150.0

_M1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                [0.2119034982, 0.6806995451, 0.1073969566],
                [0.0883024619, 0.2817188376, 0.6299787005]])
_M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                [1.9779984951, -2.4285922050, 0.4505937099],
                [0.0259040371, 0.7827717662, -0.8086757660]])
_M1_INV, _M2_INV = np.linalg.inv(_M1), np.linalg.inv(_M2)
_SCALE = np.array([255.0, CHROMA_SCALE, CHROMA_SCALE])
_OFFSET = np.array([0.0, 128.0, 128.0])
_LINEAR = np.where(np.arange(256) / 255.0 <= 0.04045, np.arange(256) / 255.0 / 12.92,
                   ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4)


def to_working(rgb: np.ndarray, dtype=np.float64) -> np.ndarray:
    """n×3 sRGB (uint8, or float 0..255) -> n×3 working coordinates (float64; float32 on request
    for per-pixel use, about twice as fast)."""
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8 and dtype == np.float32:
        lin = _LINEAR.astype(np.float32)
        chans = [lin[np.ascontiguousarray(rgb[:, i])] for i in range(3)]  # contiguous: 1.7× faster
        lms = [np.cbrt(_combine(_M1[i], chans)) for i in range(3)]
        m2 = _M2 * _SCALE[:, None]  # scale folded into the second matrix
        return np.stack([_combine(m2[i], lms) + np.float32(_OFFSET[i]) for i in range(3)], axis=1)
    if rgb.dtype == np.uint8:
        lin = _LINEAR[rgb]
    else:
        c = np.clip(rgb / 255.0, 0.0, 1.0)
        lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lab = _mat3(np.cbrt(_mat3(lin, _M1)), _M2)
    return lab * _SCALE + _OFFSET


def _mat3(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """x @ m.T for n×3 x, column by column: a BLAS product this thin starts OpenBLAS's threads,
    which on a busy machine cost 5–10× the arithmetic (issue 13)."""
    cols = [x[:, 0] * m[i, 0] + x[:, 1] * m[i, 1] + x[:, 2] * m[i, 2] for i in range(3)]
    return np.stack(cols, axis=1)


def _combine(row: np.ndarray, chans: list[np.ndarray]) -> np.ndarray:
    """row · (c0, c1, c2) per element, in float32 (faster than an n×3 @ 3×3 product)."""
    out = chans[0] * np.float32(row[0])
    out += chans[1] * np.float32(row[1])
    out += chans[2] * np.float32(row[2])
    return out


def from_working(x: np.ndarray) -> np.ndarray:
    """n×3 working coordinates -> n×3 float sRGB 0..255 (out-of-gamut values clipped)."""
    lab = (np.asarray(x, dtype=np.float64) - _OFFSET) / _SCALE
    lin = np.clip(_mat3(_mat3(lab, _M2_INV) ** 3, _M1_INV), 0.0, 1.0)
    srgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)
    return srgb * 255.0
