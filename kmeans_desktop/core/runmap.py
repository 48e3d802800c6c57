"""Byte-aware mapping of undithered pixels: a pixel takes its left neighbour's entry instead of its
nearest one when that costs it little, so rows hold longer runs and deflate packs them smaller.

Why: at equal K our index map packed 13 % larger than pngquant's (9 MP china, K=64: 74 % of pixels
equal their left neighbour against its 80 %). Along the boundary between two palette entries the
nearest entry flips back and forth with the pixels' noise; any choice there is about as close, and
a run is cheaper to store.

The rule, for each row from left to right: a pixel whose nearest entry differs from the entry its
left neighbour ended with takes that entry when its error there (squared distance in the working
space, `colourspace`) is at most (1 + RUN_SLACK) × its error at the nearest entry. Relative, so
only pixels that lie about as far from both entries move (a boundary shifts by its noise) and a
pixel that is exactly an entry keeps it (an image with at most K colours stays lossless); an
absolute tolerance also moved pixels that sit close to an entry, and cost SSIMULACRA2 more than
it saved bytes.

Measured with RUN_SLACK = 1 against exact nearest mapping (same palettes; 2026-12-02):
- bytes at equal K: china 0.94–0.96×, flower 0.83–0.88× (K = 8…256), 9 MP china K=64 0.918×
  (1,242,938 against 1,353,345; `pngquant --nofs 64`: 1,305,300, so 0.952× its bytes);
- SSIMULACRA2 at equal K drops (china K=64 61.6 -> 58.6, flower 58.5 -> 54.7, 9 MP 47.1 -> 42.6),
  but the bytes needed for equal SSIMULACRA2 (interpolated across K) fall: flower 0.88–0.92×,
  china 0.99–1.03× (1.00× on the whole), 9 MP about 0.97×. benchmarks/bench_perceptual.py,
  against pngquant's default: photos 0.73× -> 0.69× its bytes for its score (mean ΔS2 at equal K
  −0.4 -> −4.3), flat graphics 0.62× -> 0.61× (+2.2 -> +1.9).
- RUN_SLACK = 2 saves more (9 MP 0.917× pngquant's bytes) for about the same bytes per score on
  the photos, 3 reaches 0.90× but then costs more bytes per score than a smaller K would.

Every row is a chain (each pixel depends on its left neighbour's final entry), so the sweep goes
column by column, all rows at once; rows are cut into strips stacked under each other, so each step
handles tens of thousands of pixels and numpy's per-call cost stays small (a run may break at a
strip's edge). Bands of rows bound the memory. Deterministic: same input gives the same indices.
"""

from __future__ import annotations

import numpy as np

from .histogram import ColorHistogram

#: A pixel takes its left neighbour's entry when its error there (squared working-space
#: distance) is at most (1 + RUN_SLACK) × its error at its nearest entry.
RUN_SLACK = 1.0  # 0 turns the pass off (exact nearest entries)
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
            take = open_[e <= limit[c]]
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
