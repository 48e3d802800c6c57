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

Colours are compared in "features": RGB in OKLab (as `quantize` clusters it); RGBA as its composites on black and on white
(premultiplied colour and premultiplied colour minus alpha), so an alpha error counts as much as
it shows on a light page. Pixels only take entries of their own alpha class (transparent,
partly transparent, opaque), the rules `quantize` keeps without dithering.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter, minimum_filter, uniform_filter

from .colourspace import to_working

#: Floyd–Steinberg weights: right, below-left, below, below-right.
_FS = (7 / 16, 3 / 16, 5 / 16, 1 / 16)
#: Largest carried error per channel (0..255 units): larger errors are clipped, so a rare colour
#: far from every entry doesn't smear a streak into its neighbours.
_MAX_ERR = 40.0
#: The clamp on OKLab a and b error, relative to L's.
_CHROMA_CLAMP = 0.4
#: Tiles run side by side; each starts this many rows above and columns before its own.
_TILE_ROWS, _TILE_COLS, _WARMUP = 64, 192, 8
#: Above this many pixels × entries (and over 32 entries), RGB pixels find their entry in a table.
_TABLE_ABOVE = 20_000_000
#: Strength away from contours and texture (see `strength_map`).
_BASE = 0.75
#: Local luminance standard deviation (0..255) counted as full texture.
_TEXTURE_SD = 6.0


def features(pixels: np.ndarray) -> np.ndarray:
    """H×W×3 OKLab working coordinates (the space `quantize` clusters RGB in, see `colourspace`)
    or, for RGBA, H×W×6 (composite on black, composite on white minus 255) float32."""
    if pixels.shape[-1] == 3:
        return to_working(pixels.reshape(-1, 3), np.float32).reshape(pixels.shape)
    c = pixels.astype(np.float32)
    a = c[..., 3:4] / 255.0
    black = c[..., :3] * a
    return np.concatenate([black, black - c[..., 3:4]], axis=-1)


def strength_map(pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Per-pixel dithering strength in 0..1, times `strength`.

    Measured with SSIMULACRA2 on photos and flat graphics (K = 8…64): dithering earns its bytes
    where the exact mapping draws a contour the source doesn't have (banding) and where texture
    hides its noise, so those get full strength; everywhere else a reduced one (`_BASE`: full
    strength everywhere scored 1–7 points lower on photos, none at all 8–10 lower). Where the
    source is flat (one colour over 5×5) and maps to one entry, the only thing dithering could
    add is noise: strength 0, those pixels keep their exact entry."""
    h, w = exact.shape
    if strength <= 0:
        return np.zeros((h, w), np.float32)
    lum = np.add.reduce(pixels[..., :3], axis=-1, dtype=np.uint16).astype(np.float32)
    lum *= np.float32(1 / 3)
    if pixels.shape[-1] == 4:
        lum *= pixels[..., 3].astype(np.float32) * np.float32(1 / 255)
    m = uniform_filter(lum, 3, mode="nearest")
    sd = np.sqrt(np.maximum(uniform_filter(lum * lum, 3, mode="nearest") - m * m, 0.0))
    texture = np.clip(sd / _TEXTURE_SD, 0.0, 1.0)
    change = maximum_filter(exact, 3, mode="nearest") != minimum_filter(exact, 3, mode="nearest")
    near_change = maximum_filter(change, 5, mode="nearest")
    key = _colour_key(pixels)
    spread = maximum_filter(key, 5, mode="nearest") != minimum_filter(key, 5, mode="nearest")
    live = spread | near_change
    s = np.maximum(np.maximum(texture, change.astype(np.float32)), _BASE)
    s[~live] = 0.0
    s = uniform_filter(s, 3, mode="nearest")
    s[~live] = 0.0
    if pixels.shape[-1] == 4:
        s[pixels[..., 3] == 0] = 0.0
    return np.clip(s * float(strength), 0.0, 1.0).astype(np.float32)


def _colour_key(pixels: np.ndarray) -> np.ndarray:
    """Each pixel's colour as one integer (RGBA: its RGB where visible, alpha in the top bits)."""
    key = pixels[..., 0].astype(np.uint32) << 16
    key |= pixels[..., 1].astype(np.uint32) << 8
    key |= pixels[..., 2]
    if pixels.shape[-1] == 4:
        key |= pixels[..., 3].astype(np.uint32) << 24
        key[pixels[..., 3] == 0] = 0
    return key


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


def _spans(n: int, size: int, warm: int) -> list[tuple[int, int, int]]:
    """(first processed, first kept, end) of each tile along one axis; a tile starts `warm`
    pixels before its first kept one, so the error state there is already the settled one."""
    return [(max(0, lo - warm), lo, min(n, lo + size)) for lo in range(0, n, size)]


def _nearest_table(pal: np.ndarray) -> np.ndarray:
    """For RGB: the nearest entry of the centre of every 4-unit cell of the working space (a
    262,144-entry table).
    Only diffused pixels use it (an approximation there is diffused like any other error)."""
    from scipy.spatial import cKDTree

    g = np.arange(64, dtype=np.float32) * 4.0 + 1.5
    centres = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    return cKDTree(pal).query(centres)[1].astype(np.int64)


def diffuse(pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Palette indices with error diffusion scaled per pixel by `strength` (H×W, 0..1).

    Pixels of strength 0 keep their `exact` index (the nearest entry). The image is cut into
    tiles (`_TILE_ROWS` × `_TILE_COLS`, each with warm-up rows above and warm-up columns before
    it) that run side by side, every other tile mirrored; all tiles advance one wavefront per
    step, so the number of numpy steps is set by the tile size, not by the image's."""
    h, w = exact.shape
    feat = features(pixels)
    pal = features(palette[None, :, :])[0].astype(np.float32)
    c = feat.shape[-1]
    rgba = pixels.shape[-1] == 4
    pc, penalty = _allowed(pixels, palette) if rgba else (None, None)
    pal_sq = (pal * pal).sum(axis=1)
    max_err = _error_limit(pal)
    if not rgba:  # OKLab: a and b span about 0.4 of L's range; the same clamp there let pale
        # areas (a hazy sky) carry enough hue error to pick a saturated entry now and then.
        max_err = (max_err * np.array([1.0, _CHROMA_CLAMP, _CHROMA_CLAMP])).astype(np.float32)
    table = _nearest_table(pal) if not rgba and len(pal) > 32 and h * w * len(pal) > _TABLE_ABOVE else None

    tiles = []
    for ti, (r0, rk, r1) in enumerate(_spans(h, _TILE_ROWS, _WARMUP)):
        for tj, (c0, ck, c1) in enumerate(_spans(w, _TILE_COLS, _WARMUP)):
            flip = (ti + tj) % 2 == 1
            k0, k1 = ck, c1  # the columns this tile decides
            if flip:  # runs right to left: its warm-up columns lie to its right
                c0, c1 = ck, min(w, c1 + (ck - c0))
            tiles.append((r0, rk, r1, c0, c1, k0, k1, flip))
    th = max(t[2] - t[0] for t in tiles)
    tw = max(t[4] - t[3] for t in tiles)
    nt = len(tiles)
    # Tile-innermost layout (row, column, tile, channel): one wavefront of every tile is then a
    # few dozen contiguous blocks, which numpy gathers and scatters at memory speed.
    F = np.zeros((th, tw, nt, c), np.float32)
    S = np.zeros((th, tw, nt), np.float32)
    out = np.zeros((th, tw, nt), np.int64)
    cls = np.zeros((th, tw, nt), np.int8)
    for b, (r0, _rk, r1, c0, c1, _k0, _k1, flip) in enumerate(tiles):
        cs = slice(c1 - 1, c0 - 1 if c0 > 0 else None, -1) if flip else slice(c0, c1)
        n, m = r1 - r0, c1 - c0
        F[:n, :m, b] = feat[r0:r1, cs]
        S[:n, :m, b] = strength[r0:r1, cs]
        out[:n, :m, b] = exact[r0:r1, cs]
        if rgba:
            cls[:n, :m, b] = pc[r0:r1, cs]
    E = np.zeros((th + 1, tw + 2, nt, c), np.float32)  # a column of padding each side, a row below
    r7, r3, r5, r1_ = _FS
    for t in range(tw + 2 * (th - 1)):
        y0 = max(0, -((tw - 1 - t) // 2))  # first local row whose x = t - 2y is < tw
        y1 = min(th - 1, t // 2)
        if y0 > y1:
            continue
        ys = np.arange(y0, y1 + 1)
        xs = t - 2 * ys
        s = S[ys, xs]
        on = s > 0
        if not on.any():
            continue
        v = F[ys, xs] + s[..., None] * E[ys, xs + 1]
        if table is not None:
            q = np.clip(v, 0.0, 255.0).astype(np.int32) >> 2
            idx = table[(q[..., 0] << 12) | (q[..., 1] << 6) | q[..., 2]]
        else:
            d = pal_sq - 2.0 * (v @ pal.T)
            if rgba:
                d = d + penalty[cls[ys, xs]]
            idx = np.argmin(d, axis=-1)
        idx = np.where(on, idx, out[ys, xs])
        out[ys, xs] = idx
        err = np.clip(v - pal[idx], -max_err, max_err) * on[..., None]
        E[ys, xs + 2] += err * r7
        E[ys + 1, xs] += err * r3
        E[ys + 1, xs + 1] += err * r5
        E[ys + 1, xs + 2] += err * r1_
    result = np.empty((h, w), np.uint8)
    for b, (r0, rk, r1, c0, c1, k0, k1, flip) in enumerate(tiles):
        block = out[rk - r0 : r1 - r0, : c1 - c0, b]
        if flip:
            block = block[:, ::-1]  # back to source order: columns c0..c1-1
        result[rk:r1, k0:k1] = block[:, k0 - c0 : k1 - c0]
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
