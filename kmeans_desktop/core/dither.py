"""Masked error diffusion onto a fixed palette.

Plain Floyd–Steinberg sprinkles noise everywhere, and noise on a flat area or on skin is what the
eye (and SSIMULACRA2) notices first. Here every pixel has a *strength* in 0..1 (`strength_map`):
the error carried to it from its neighbours is scaled by it, so flat areas map exactly, texture
and false contours dither fully. The carried error is clamped, so a bright spot cannot bleed a
streak of wrong colour into its surroundings.

How it runs: error diffusion is sequential (a pixel needs the error of its left and upper
neighbours), so a per-pixel Python loop is far too slow. But with Floyd–Steinberg's kernel the
pixel (x, y) depends only on pixels with a smaller x + 2y, so all pixels on one "wavefront"
x + 2y = t are independent: the loop runs over the W + 2H wavefronts, each a handful of numpy
operations on all its pixels at once. Serpentine order can't be vectorised that way (a right-to-left
row would wait for the whole row above), so instead the image is cut into horizontal bands that run
side by side, every other band mirrored (right to left), each band starting a few rows early on the
rows above it so the error state at its top is already the settled one (no seam).

Measured alternatives: numba would run a serpentine loop directly but adds ~210 MB (llvmlite's
LLVM is 179 MB) to a 248 MiB frozen app whose limit is 300 MB, plus 0.3 s import and a JIT compile
per start; Pillow's C Floyd–Steinberg has no strength, no mask, no clamping and no alpha.

Colours are compared in "features": RGB as is; RGBA as its composites on black and on white
(premultiplied colour and premultiplied colour minus alpha), so an alpha error counts as much as
it shows on a light page. Pixels only take entries of their own alpha class (transparent,
partly transparent, opaque), the rules `quantize` keeps without dithering.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter

#: Floyd–Steinberg weights: right, below-left, below, below-right.
_FS = (7 / 16, 3 / 16, 5 / 16, 1 / 16)
#: Largest carried error per channel (0..255 units): larger errors are clipped, so a rare colour
#: far from every entry doesn't smear a streak into its neighbours.
_MAX_ERR = 40.0
#: Bands run side by side; each starts this many rows above its own first row.
_BAND_ROWS = 64
_WARMUP_ROWS = 8
#: Strength away from contours and texture (see `strength_map`).
_BASE = 0.75
#: Local luminance standard deviation (0..255) counted as full texture.
_TEXTURE_SD = 6.0


def features(pixels: np.ndarray) -> np.ndarray:
    """H×W×3 RGB or H×W×6 (composite on black, composite on white minus 255) float32."""
    c = pixels.astype(np.float32)
    if pixels.shape[-1] == 3:
        return c
    a = c[..., 3:4] / 255.0
    black = c[..., :3] * a
    return np.concatenate([black, black - c[..., 3:4]], axis=-1)


def strength_map(pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Per-pixel dithering strength in 0..1, times `strength`.

    Measured with SSIMULACRA2 on photos and flat graphics (K = 8…64): dithering earns its bytes
    where the exact mapping draws a contour the source doesn't have (banding) and where texture
    hides its noise, so those get full strength; everywhere else a reduced one (`_BASE`: full
    strength everywhere scored 1–7 points lower on photos, none at all 8–10 lower). Where the
    source is flat (no variation over 5×5) and maps to one entry, the only thing dithering could
    add is noise: strength 0, those pixels keep their exact entry."""
    h, w = exact.shape
    if strength <= 0:
        return np.zeros((h, w), np.float32)
    f = features(pixels)
    lum = f[..., :3].mean(axis=-1)
    m = uniform_filter(lum, 3, mode="nearest")
    sd = np.sqrt(np.maximum(uniform_filter(lum * lum, 3, mode="nearest") - m * m, 0.0))
    texture = np.clip(sd / _TEXTURE_SD, 0.0, 1.0)
    e = exact.astype(np.int16)
    change = maximum_filter(e, 3, mode="nearest") != -maximum_filter(-e, 3, mode="nearest")
    near_change = maximum_filter(change, 5, mode="nearest")
    spread = np.zeros((h, w), bool)
    for ch in range(f.shape[-1]):
        c = f[..., ch]
        spread |= (maximum_filter(c, 5, mode="nearest") - -maximum_filter(-c, 5, mode="nearest")) > 0.5
    s = np.maximum(np.maximum(texture, change.astype(np.float32)), _BASE)
    s[~(spread | near_change)] = 0.0
    s = uniform_filter(s, 3, mode="nearest")
    s[~(spread | near_change)] = 0.0
    if pixels.shape[-1] == 4:
        s[pixels[..., 3] == 0] = 0.0
    return np.clip(s * float(strength), 0.0, 1.0).astype(np.float32)


def _allowed(pixels: np.ndarray, palette: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alpha class of every pixel (0 transparent, 1 partial, 2 opaque) and a penalty per
    (class, entry): 0 where the entry belongs to the class, else infinite."""
    def cls(a):
        return np.where(a == 0, 0, np.where(a == 255, 2, 1)).astype(np.int8)

    pc, ec = cls(pixels[..., 3]), cls(palette[:, 3])
    penalty = np.where(np.arange(3)[:, None] == ec[None, :], 0.0, np.inf).astype(np.float32)
    return pc, penalty


def _error_limit(pal: np.ndarray) -> float:
    """The clamp on carried error: `_MAX_ERR`, or the median distance from an entry to its
    nearest other entry when the palette is that sparse (a few colours need larger errors to
    keep the average colour right)."""
    if len(pal) < 2:
        return _MAX_ERR
    d = ((pal[:, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    return float(max(_MAX_ERR, np.median(np.sqrt(d.min(axis=1)))))


def _bands(h: int) -> list[tuple[int, int, int]]:
    """(first row processed, first row kept, end row) of each band."""
    out = []
    for top in range(0, h, _BAND_ROWS):
        out.append((max(0, top - _WARMUP_ROWS), top, min(h, top + _BAND_ROWS)))
    return out


def diffuse(pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Palette indices with error diffusion scaled per pixel by `strength` (H×W, 0..1).

    Pixels of strength 0 keep their `exact` index (the nearest entry)."""
    h, w = exact.shape
    feat = features(pixels)
    pal = features(palette[None, :, :])[0].astype(np.float32)
    c = feat.shape[-1]
    rgba = pixels.shape[-1] == 4
    pc, penalty = _allowed(pixels, palette) if rgba else (None, None)
    pal_sq = (pal * pal).sum(axis=1)
    max_err = _error_limit(pal)

    # Stack the bands (with their warm-up rows) into one tall image of independent blocks; odd
    # bands are mirrored so that they run right to left.
    bands = _bands(h)
    rows_src, flip = [], []
    for i, (start, keep, end) in enumerate(bands):
        rows_src.append(np.arange(start, end))
        flip.append(i % 2 == 1)
    bh = max(len(r) for r in rows_src)
    nb = len(bands)
    # block b, local row r, column x -> source (row, col); padded rows repeat nothing (masked out)
    src_row = np.full((nb, bh), -1, np.int64)
    for b, r in enumerate(rows_src):
        src_row[b, : len(r)] = r
    cols = np.arange(w)
    F = np.zeros((nb, bh, w, c), np.float32)
    S = np.zeros((nb, bh, w), np.float32)
    X = np.zeros((nb, bh, w), np.int64)
    cls = np.zeros((nb, bh, w), np.int8)
    for b in range(nb):
        n = len(rows_src[b])
        cc = cols[::-1] if flip[b] else cols
        F[b, :n] = feat[rows_src[b]][:, cc]
        S[b, :n] = strength[rows_src[b]][:, cc]
        X[b, :n] = exact[rows_src[b]][:, cc]
        if rgba:
            cls[b, :n] = pc[rows_src[b]][:, cc]
    out = X.copy()
    # error buffer with a column of padding each side and a row below each block
    E = np.zeros((nb, bh + 1, w + 2, c), np.float32)
    Ef = E.reshape(-1, c)
    stride_r, stride_b = w + 2, (bh + 1) * (w + 2)
    Ff, Sf, Xf, Of, Cf = F.reshape(-1, c), S.reshape(-1), X.reshape(-1), out.reshape(-1), cls.reshape(-1)
    bidx = np.arange(nb)[:, None]
    r7, r3, r5, r1 = _FS
    for t in range(w + 2 * (bh - 1)):
        y0 = max(0, -((w - 1 - t) // 2))  # first local row whose x = t - 2y is < w
        y1 = min(bh - 1, t // 2)
        if y0 > y1:
            continue
        ys = np.arange(y0, y1 + 1)
        xs = t - 2 * ys
        li = (bidx * (bh * w) + ys * w + xs).reshape(-1)
        s = Sf[li]
        on = s > 0
        if not on.any():
            continue
        li = li[on]
        s = s[on]
        pi = (bidx * stride_b + ys * stride_r + xs + 1).reshape(-1)[on]
        v = Ff[li] + s[:, None] * Ef[pi]
        d = pal_sq[None, :] - 2.0 * (v @ pal.T)
        if rgba:
            d = d + penalty[Cf[li]]
        idx = np.argmin(d, axis=1)
        err = np.clip(v - pal[idx], -max_err, max_err)
        Of[li] = idx
        Ef[pi + 1] += err * r7
        below = pi + stride_r
        Ef[below - 1] += err * r3
        Ef[below] += err * r5
        Ef[below + 1] += err * r1
    result = np.empty((h, w), np.uint8)
    for b, (start, keep, end) in enumerate(bands):
        block = out[b, keep - start : end - start]
        result[keep:end] = block[:, ::-1] if flip[b] else block
    return result


def dither_indices(
    pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray, strength: float = 1.0
) -> np.ndarray:
    """Per-pixel palette indices with masked error diffusion at `strength` (0..1); strength 0
    gives `exact` (the nearest-entry indices) unchanged."""
    if strength <= 0 or len(palette) < 2:
        return exact
    s = strength_map(pixels, palette, exact, strength)
    return diffuse(pixels, palette, exact, s)
