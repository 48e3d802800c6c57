"""The space opaque colours are clustered, mapped and dithered in: OKLab.

Why: k-means in sRGB spends its entries by sRGB distance, which is not how far apart people (or
SSIMULACRA2) see two colours: saturated hues and shadows got too few entries (sklearn's flower at
K=32 scored −7.9 undithered, pngquant --nofs 5.2). In OKLab (Björn Ottosson's perceptual space)
the same k-means scores 23; dithered in OKLab too, flower at K=16 went from −16 to 19
(pngquant's default: 3).

Chroma (a, b) was first weighted 150 per OKLab unit against lightness's 255 at every K: lightness
errors count more, as they do for SSIMULACRA2. Measured with benchmarks/bench_perceptual.py against
plain OKLab (255), mean SSIMULACRA2 difference to pngquant's default at equal K and bytes for equal
SSIMULACRA2: photos undithered −7.7 → −0.3 and 0.76× → 0.74×, dithered +8.1 → +10.8 (0.86× →
0.85×); icons undithered −6.0 → −3.9; flat graphics dithered +11.4 → +10.9 (0.88× → 0.92×), icons
dithered −1.4 → −2.0; translucent images unchanged. Plain OKLab also stopped gaining past K=128 on
photos (flower: 68.5 at K=128, 65.9 at 192, 68.5 at 256; with 150: 71.7, 78.3 at 256). 120 and 180
were within a point or two of 150 on photos. PSNR is 0.7–1 dB lower than with 255: the palette
spends less on chroma differences that squared sRGB error counts and the eye barely sees.

**The weight depends on K** (`CHROMA_BY_K`: 200 at K ≤ 8, 255 at 16, 200 at 64, 150 at 256,
interpolated in log2 K and snapped to one of five levels). With 150 at every K, the palettes of K ≤ 16 lost a photo's saturated
colours, which people see at once and SSIMULACRA2 barely scores: china.jpg at K=16 had no entry
with OKLab chroma above 0.045 (the orange roofs and red pillars turned grey-brown; pngquant kept
them), coffee's orange crema went pinkish grey, the astronaut's blue flag grey. Measured on seven
photos (china, flower and five of scikit-image's sample photos), K = 8…256, against pngquant
(`--nofs` for undithered, its default for dithered), 150 everywhere → this schedule:
- the worst 16×16 block (mean OKLab ΔE, `core.quality.worst_block`), ours − pngquant's, mean over
  the photos per K: −0.08…−0.86 → −0.47…−1.97 (K=16 undithered: −0.27 → −1.97); the worst single
  photo at any K: +5.0 → +0.26;
- chroma lost (mean drop of OKLab chroma × 100), ours − pngquant's: +0.07…+0.33 → +0.04…+0.21;
- bytes for equal SSIMULACRA2: undithered 0.838× → 0.845× pngquant `--nofs`'s, dithered 0.811× →
  0.811× pngquant default's; SSIMULACRA2 at equal K falls most at K=16 (undithered +17.4 → +8.1
  points above `--nofs`, dithered +7.6 → +5.0 above pngquant's default), above pngquant's at
  every K on average; K=256 is unchanged.
Tried: 255 at every K was best at K=16 but 3 points lower at K=8 with a worse worst block, and at
K=256 1.8 points below `--nofs`; 200 at every K lost colour at K=16 (worst photo +0.8); 320 at
K ≤ 16 scored lower with worse worst blocks; 175 at K=256 cost china 4.5 points.
(Measured before the snapping, which moves only K=32's weight, 227.5 → 225.)

Coordinates are scaled to 0..255 (L × 255, a and b × 255 + 128) so the colour-bin code that works
on 0..255 points works on them unchanged; they are not integers (see `Points(integer=False)`).
"""

from __future__ import annotations

import numpy as np

from .cancel import checkpoint

#: Chroma (a, b) weight relative to lightness, in 0..255 units per OKLab unit: the default of
#: `to_working` (fixed palettes, the colour views, playback).
CHROMA_SCALE = 150.0
#: (K, chroma weight) the palette of K entries is clustered, mapped and dithered with
#: (`chroma_for_k`; see the module note for the measurements).
CHROMA_BY_K = ((8, 200.0), (16, 255.0), (64, 200.0), (256, 150.0))
#: The weights used: the working coordinates of an image's colours (and their bins) are built once
#: per weight, so K's in between share a few levels instead of each building its own.
CHROMA_LEVELS = (150.0, 175.0, 200.0, 225.0, 255.0)

def chroma_for_k(k: int) -> float:
    """The chroma weight for a palette of `k` entries: `CHROMA_BY_K`, interpolated in log2 K,
    held flat beyond its ends and snapped to the nearest of `CHROMA_LEVELS`."""
    ks, weights = zip(*CHROMA_BY_K)
    w = float(np.interp(np.log2(max(int(k), 1)), np.log2(ks), weights))
    return min(CHROMA_LEVELS, key=lambda level: abs(level - w))


_M1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                [0.2119034982, 0.6806995451, 0.1073969566],
                [0.0883024619, 0.2817188376, 0.6299787005]])
_M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                [1.9779984951, -2.4285922050, 0.4505937099],
                [0.0259040371, 0.7827717662, -0.8086757660]])
_M1_INV, _M2_INV = np.linalg.inv(_M1), np.linalg.inv(_M2)
_SCALE = np.array([255.0, CHROMA_SCALE, CHROMA_SCALE])
_OFFSET = np.array([0.0, 128.0, 128.0])
#: `to_working` converts more rows than this in chunks of this many, with a cancellation checkpoint
#: between them (`cancel`): a 9 MP photo's 1.2 M colours took 50-90 ms in one piece; a chunk
#: takes a sixth of that, and no longer in all.
_CHUNK_ROWS = 1 << 18
_LINEAR = np.where(np.arange(256) / 255.0 <= 0.04045, np.arange(256) / 255.0 / 12.92,
                   ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4)


def to_working(rgb: np.ndarray, dtype=np.float64, chroma: float = CHROMA_SCALE) -> np.ndarray:
    """n×3 sRGB (uint8, or float 0..255) -> n×3 working coordinates (float64; float32 on request
    for per-pixel use, about twice as fast), chroma weighted by `chroma` (see `chroma_for_k`)."""
    rgb = np.asarray(rgb)
    if len(rgb) > _CHUNK_ROWS:  # in chunks, each row on its own: the same numbers, a checkpoint between
        out = np.empty(rgb.shape, np.float32 if rgb.dtype == np.uint8 and dtype == np.float32 else np.float64)
        for start in range(0, len(rgb), _CHUNK_ROWS):
            checkpoint()
            out[start:start + _CHUNK_ROWS] = to_working(rgb[start:start + _CHUNK_ROWS], dtype, chroma)
        return out
    scale = _SCALE if chroma == CHROMA_SCALE else np.array([255.0, chroma, chroma])
    if rgb.dtype == np.uint8 and dtype == np.float32:
        lin = _LINEAR.astype(np.float32)
        chans = [lin[np.ascontiguousarray(rgb[:, i])] for i in range(3)]  # contiguous: 1.7× faster
        lms = [np.cbrt(_combine(_M1[i], chans)) for i in range(3)]
        m2 = _M2 * scale[:, None]  # scale folded into the second matrix
        return np.stack([_combine(m2[i], lms) + np.float32(_OFFSET[i]) for i in range(3)], axis=1)
    if rgb.dtype == np.uint8:
        # Channel by channel, each a contiguous column, and one stack at the end: the same
        # arithmetic as below, element for element (so the same numbers), where the n×3 arrays'
        # strided columns, a stack per product and the broadcast scale cost more than the cube
        # roots. China's 96,615 colours: 10.0-10.6 -> 7.7 ms CPU
        # (best of 20, alternating; equal to the n×3 form's numbers on 2 M colours at four chroma weights).
        lin = [_LINEAR[np.ascontiguousarray(rgb[:, i])] for i in range(3)]
        lms = [np.cbrt(lin[0] * _M1[i, 0] + lin[1] * _M1[i, 1] + lin[2] * _M1[i, 2]) for i in range(3)]
        return np.stack([(lms[0] * _M2[i, 0] + lms[1] * _M2[i, 1] + lms[2] * _M2[i, 2]) * scale[i] + _OFFSET[i]
                         for i in range(3)], axis=1)
    else:
        c = np.clip(rgb / 255.0, 0.0, 1.0)
        lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lab = _mat3(np.cbrt(_mat3(lin, _M1)), _M2)
    return lab * scale + _OFFSET


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


def from_working(x: np.ndarray, chroma: float = CHROMA_SCALE) -> np.ndarray:
    """n×3 working coordinates (chroma weighted by `chroma`) -> n×3 float sRGB 0..255
    (out-of-gamut values clipped)."""
    lab = (np.asarray(x, dtype=np.float64) - _OFFSET) / np.array([255.0, chroma, chroma])
    lin = np.clip(_mat3(_mat3(lab, _M2_INV) ** 3, _M1_INV), 0.0, 1.0)
    srgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)
    return srgb * 255.0
