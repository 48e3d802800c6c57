"""Byte-aware mapping of undithered pixels: a pixel takes its left neighbour's entry instead of its
nearest one when that costs it little, so rows hold longer runs and deflate packs them smaller.

Why: at equal K our index map packed 13 % larger than pngquant's (9 MP china, K=64: 74 % of pixels
equal their left neighbour against its 80 %). Along the boundary between two palette entries the
nearest entry flips back and forth with the pixels' noise; any choice there is about as close, and
a run is cheaper to store.

The rule, for each row from left to right: a pixel whose nearest entry differs from the entry its
left neighbour ended with takes that entry when its error there (squared distance in the working
space, `colourspace`) is at most (1 + RUN_SLACK) × its error at the nearest entry, and one of the
next RUN_LOOKAHEAD pixels has that entry as its nearest. Relative, so only pixels that lie about
as far from both entries move and a pixel that is exactly an entry keeps it (an image with at most
K colours stays lossless); an absolute tolerance also moved pixels that sit close to an entry,
and cost SSIMULACRA2 more than it saved bytes. The look-ahead lets a run bridge the speckle of a
noisy boundary but not push on into the other side: without it, runs dragged every boundary in a
smooth gradient to the right as horizontal streaks (visible at 4× zoom on china's sky), and
SSIMULACRA2 at equal K fell further for the same bytes.

Measured (china.jpg, flower.jpg at K = 16…256; bytes to reach the same SSIMULACRA2 as exact
nearest mapping, interpolated across K; 2026-12-02), slack / look-ahead:
- 1 / none: china 1.00×, flower 0.90×; 2 / 2 (the default): china 0.99×, flower 0.89×, with
  about the same bytes at equal K (china K=64 94,099 against 98,864 nearest, flower 51,006
  against 60,021) and a higher score than 1 / none (china K=64 59.2 against 58.6; nearest 61.6);
  3 / 4: china 0.99×, flower 0.86×, more saved at equal K (china 92,399, flower 48,765) for a
  lower score (58.3, 55.2). An absolute tolerance: china 1.02–1.18×.
- SSIMULACRA2 at equal K is lower than with nearest mapping; the same score costs fewer bytes.
  benchmarks/bench_perceptual.py against pngquant's default: photos 0.73× -> 0.68× its bytes for
  its score (mean ΔS2 at equal K −0.4 -> −2.7); flat graphics 0.62× -> 0.62× (+2.2 -> +2.1).
- 9 MP china (upscaled), K=64: nearest 1,353,345 bytes, SSIMULACRA2 47.05; 2 / 2 1,276,987
  (0.944×), 46.50; 3 / 4 1,232,440 (0.911×), 44.70; 1 / none 1,242,938, 42.60. `pngquant --nofs
  64`: 1,305,300 bytes, 33.26. Its 0.90× at K=64 would take a slack that costs more score than a
  smaller K does (3 / none: 0.902×, 32.95, where our K=40 gives 0.88× at 35.8).
Every row is a chain (each pixel depends on its left neighbour's final entry), so the sweep goes
column by column, all rows at once; rows are cut into strips stacked under each other, so each step
handles tens of thousands of pixels and numpy's per-call cost stays small (a run may break at a
strip's edge). Bands of rows bound the memory. Deterministic: same input gives the same indices.
"""

from __future__ import annotations

import numpy as np

from .histogram import ColorHistogram

#: A pixel takes its left neighbour's entry when its error there (squared working-space
#: distance) is at most (1 + RUN_SLACK) × its error at its nearest entry ...
RUN_SLACK = 2.0  # 0 turns the pass off (exact nearest entries)
#: ... and one of the next RUN_LOOKAHEAD pixels in the row has that entry as its nearest.
RUN_LOOKAHEAD = 2
_BAND_PIXELS = 4_000_000  # pixels per band of rows (bounds the temporary arrays)
_STEP_PIXELS = 32_768  # pixels handled per column step (rows × strips)
_MIN_STRIP = 64  # columns per strip at least
_LUT_PIXELS = 2_000_000  # from this many pixels a look-up table finds colours faster than a search


def _pixel_colours(hist: ColorHistogram, rows: slice, lut: np.ndarray | None) -> np.ndarray:
    """Index into `hist.colors` of every pixel in a band of rows (H'×W int32). RGB colours are
    sorted by packed code: a binary search for small images, a 64 MB table (built per call,
    not kept) for large ones, where the search would cost more."""
    h, w = hist.shape
    if hist.inverse is not None:
        return hist.inverse.reshape(h, w)[rows]
    codes = hist.codes.reshape(h, w)[rows]
    if lut is not None:
        return lut[codes]
    return np.searchsorted(_unique_codes(hist), codes).astype(np.int32)


def _unique_codes(hist: ColorHistogram) -> np.ndarray:
    if "codes" not in hist.cache:
        hist.cache["codes"] = hist._unique_codes()
    return hist.cache["codes"]


def _colour_lut(hist: ColorHistogram) -> np.ndarray | None:
    if hist.inverse is not None or hist.n_pixels < _LUT_PIXELS:
        return None
    lut = np.zeros(1 << 24, dtype=np.int32)
    lut[_unique_codes(hist)] = np.arange(hist.n_colors, dtype=np.int32)
    return lut


def run_indices(hist: ColorHistogram, x: np.ndarray, centres: np.ndarray, labels: np.ndarray,
                palette: np.ndarray) -> tuple[np.ndarray, float]:
    """H×W uint8 indices by the rule above, and the change in the summed squared sRGB error
    against the nearest mapping (so the caller's MSE describes these indices).

    `x`: working-space coordinates of the distinct colours; `centres`: of the palette entries;
    `labels`: each distinct colour's nearest entry; `palette`: the entries in sRGB (uint8)."""
    h, w = hist.shape
    cf = np.asarray(centres, dtype=np.float32)
    x_cols = [x[:, i].astype(np.float32) for i in range(3)]  # float32 columns: half the traffic
    c_cols = [np.ascontiguousarray(cf[:, i]) for i in range(3)]
    limit = np.zeros(len(x), dtype=np.float32)
    for xc, cc in zip(x_cols, c_cols):
        t = xc - cc[labels]
        t *= t
        limit += t
    limit *= np.float32(1.0 + RUN_SLACK)
    lab8 = labels.astype(np.uint8)
    out = np.empty((h, w), dtype=np.uint8)
    band = max(1, min(h, _BAND_PIXELS // w))
    changed_sse = 0.0
    pal_f = palette.astype(np.float64)
    lut = _colour_lut(hist)
    for top in range(0, h, band):
        rows = slice(top, min(h, top + band))
        idx = _pixel_colours(hist, rows, lut)
        bh = idx.shape[0]
        strips = max(1, min(w // _MIN_STRIP, _STEP_PIXELS // bh))
        sw = -(-w // strips)
        pad = sw * strips - w
        if pad:
            idx = np.pad(idx, ((0, 0), (0, pad)), mode="edge")
        # column j of strip s of row r -> cols[j, s * bh + r]
        cols = np.ascontiguousarray(idx.reshape(bh, strips, sw).transpose(2, 1, 0).reshape(sw, strips * bh))
        best = lab8[cols]
        res = best.copy()
        for j in range(1, sw):
            prev, cur = res[j - 1], res[j]
            open_ = np.flatnonzero(prev != cur)
            if not len(open_):
                continue
            c = cols[j][open_]
            cand = prev[open_]
            e = x_cols[0][c] - c_cols[0][cand]
            e *= e
            for i in (1, 2):
                t = x_cols[i][c] - c_cols[i][cand]
                t *= t
                e += t
            ok = e <= limit[c]
            near, cand = open_[ok], cand[ok]
            ahead = np.zeros(len(near), dtype=bool)
            for a in range(j + 1, min(j + 1 + RUN_LOOKAHEAD, sw)):
                ahead |= best[a][near] == cand
            take = near[ahead]
            cur[take] = prev[take]
        moved = np.flatnonzero(res != best)
        if len(moved):
            src = hist.colors[cols.reshape(-1)[moved]].astype(np.float64)
            new = src - pal_f[res.reshape(-1)[moved]]
            old = src - pal_f[best.reshape(-1)[moved]]
            changed_sse += float((new * new).sum() - (old * old).sum())
        back = res.reshape(sw, strips, bh).transpose(2, 1, 0).reshape(bh, strips * sw)
        out[rows] = back[:, :w]
    return out, changed_sse
