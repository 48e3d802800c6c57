"""Colour quantization by weighted k-means on the colour histogram.

Why this shape: k-means on every pixel is the quality reference but takes seconds; the same
objective is reached far faster in three steps on the histogram (each distinct colour once, its
pixel count as weight):

1. weighted k-means (k-means++, several starts for small K; `seeding.py`) on a coarse set: the weighted
   means of 5- to 7-bit colour bins (a few thousand points, `coarse.py`; the starts are screened on
   coarser bins when that set is far above its wanted size), so the expensive global search is cheap;
2. Lloyd iterations on finer data, which polish the centres towards the optimum for this image:
   the exact distinct colours when there are up to 150,000 of them, else 6-bit bin means and a
   last step on 7-bit bin means (within 0.005 dB of exact steps at half the cost);
3. the palette is rounded to uint8 and every distinct colour is mapped to its *exact* nearest
   palette entry (whole colour cells settled at once where the triangle inequality allows, the
   open cells' colours from a few candidates each, `cellsearch.py`; on a 9 MP photo the large searches
   run in two halves on two threads, `halves.py`, the second one a call's helper, `crew.py`); pixels then
   take their colour's entry through a look-up table (undithered RGB: or a neighbour's, left or above,
   when nearly as close, `runmap.py`, `vruns.py`, or the one its neighbours agree on, `despeckle.py`).

RGB colours weigh by `texture.importance_counts` (smooth areas count more: pngquant's importance map).
At K ≤ 16 the centres' hues are then nudged towards the worst 16×16 blocks (`detail.py`).

Alpha (`alpha.py`): fully transparent pixels share one entry and opaque pixels keep opaque
entries, clustered like RGB; partly transparent pixels are clustered on their composites over black
and white and take whichever entry looks nearest there (transparent and opaque ones included). K is
split between the groups by a rule of thumb, then by the measured error.

Locked colours (`locked=`) are fixed centres of the opaque clustering and count toward K; a fixed
`palette=` maps to exactly that palette without clustering (see `fixed_colours`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import partial

import numpy as np

from . import pixelmap, runmap
from .alpha import composites, rgba_palette, rgba_weights
from .bounds import Wear
from .clustersums import ClusterSums
from .coarse import coarse_level as _coarse_level, screen_level as _screen_level
from .despeckle import despeckle
from .detail import DETAIL_MAX_K, keep_details
from .checks import K_MAX, K_MIN, check_k, check_pixels, check_strength  # noqa: F401 (public here too)
from .colorbins import BOUND_MARGIN, CANDIDATE_MIN_K, Candidates, Points, assign, lanes, nearest, set_workers, two_nearest  # noqa: F401 (set_workers: public)
from .colourspace import CHROMA_SCALE, chroma_for_k, from_working, to_working
from .crew import crewed, spawn
from .histogram import ColorHistogram, build_histogram
from .labels import assigned, mapped_from_polish, opaque_palette
from .metrics import mse as pixel_mse, psnr_from_mse
from .texture import importance_counts

_EXACT_LLOYD_LIMIT = 150_000  # above this many colours, polish on 6- and 7-bit bin means instead
_POLISH_ITER = 8  # Lloyd iterations at most on the finer data (stops earlier when converged)
_POLISH_ITER_MID = 6  # ... on the exact colours at DETAIL_MAX_K < K < CANDIDATE_MIN_K (`_lloyd`'s note)
_FINE_ITER_LARGE = 1  # Lloyd iterations on 7-bit bin means for images above _EXACT_LLOYD_LIMIT
_LLOYD_TOL = 5e-4  # stop when an iteration improves the weighted error by less than this share
_KMEANS_MAX_ITER = 100  # Lloyd iterations on the coarse set at most
_REMEASURE_SHARE = 0.7  # share of the points whose bounds may cross in a polish step before all are measured
#: The points of a histogram, with their bins and cells once built, take about this many bytes per
#: distinct colour (9 MP china: 465,421 colours, 28.2 MB) ...
_POINT_BYTES = 61
#: ... and of all chroma weights together at most this many (9 MP china: all five, 141 MB; 2 M colours: two).
_POINTS_BYTES = 160_000_000
_N_INIT_SMALL_K = 5  # k-means++ restarts for K <= 64, where local minima cost the most (cheap on the coarse set)


@dataclass(frozen=True, eq=False)
class Quantized:
    """The result of `quantize`: an immutable palette image, safe to hand across threads."""

    palette: np.ndarray  # n×3 or n×4 uint8, n ≤ k
    indices: np.ndarray  # H×W uint8, values < n
    k: int  # the K that was asked for
    dither: bool
    seed: int
    counts: np.ndarray  # pixels per palette entry (int64, length n)
    mse: float  # mean squared error per channel against the source pixels
    seconds: float  # wall time of the quantize call
    dither_strength: float = 1.0  # with dither: how strongly (0..1)

    @property
    def n_colors(self) -> int:
        return int(self.palette.shape[0])

    @property
    def psnr(self) -> float:
        return psnr_from_mse(self.mse)

    @property
    def width(self) -> int:
        return int(self.indices.shape[1])

    @property
    def height(self) -> int:
        return int(self.indices.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.palette.shape[1] == 4

    def to_array(self) -> np.ndarray:
        """The quantized image as H×W×C uint8 pixels."""
        return self.palette[self.indices]


def _rgb_points(hist: ColorHistogram, chroma: float) -> Points:
    """The distinct colours in the working space (see `colourspace`) with chroma weight `chroma`,
    weighted by pixel count; built once per histogram and weight, so every K after the first
    reuses them and their bins."""
    key = ("points", chroma)
    cached = hist.cache.get(key)
    if cached is not None:
        hist.cache[key] = hist.cache.pop(key, cached)  # the most recently used last
        return cached
    # Keep other weights' points too (the K slider crosses a weight every few steps: 9 MP china
    # built them again in 70-95 ms CPU each time), the most recently used first, up to
    # _POINTS_BYTES together. list() of a dict runs in C under the GIL, so another thread's
    # quantize can't change it mid-way.
    kept = [c for c in list(hist.cache) if isinstance(c, tuple) and c[0] == "points"]
    for old in kept[:max(0, len(kept) - _points_kept(hist.n_colors) + 1)]:
        hist.cache.pop(old, None)
    x = to_working(hist.colors[:, :3], chroma=chroma)
    w = hist.cache.get("importance")  # `texture.importance_counts`, when quantize has made them
    cached = hist.cache[key] = Points(x, hist.counts.astype(np.float64) if w is None else w, integer=False)
    return cached


def _points_kept(n_colors: int) -> int:
    """How many weights' points a histogram keeps: as many as fit in _POINTS_BYTES, two at least
    (the current one and the last one, as until issue 15's seventh helper)."""
    return max(2, _POINTS_BYTES // max(1, n_colors * _POINT_BYTES))


@crewed(lambda: lanes() - 1)  # the parallel parts' threads, started once a call (`crew`)
def quantize(
    pixels: np.ndarray,
    k: int,
    *,
    dither: bool = False,
    seed: int = 0,
    histogram: ColorHistogram | None = None,
    dither_strength: float = 1.0,
    locked=None,
    palette=None,
) -> Quantized:
    """Reduce `pixels` to at most `k` colours.

    With `dither`, error diffusion masked to where the eye doesn't see its noise, scaled by
    `dither_strength` (0..1; 0 gives the undithered result).

    `histogram` may be passed to reuse `build_histogram(pixels)` across calls (the GUI does, for
    every K of one image). Same pixels, k and seed give an identical result.

    `locked`: (r, g, b) colours kept exactly in the palette, opaque, counted toward `k` (a
    `PaletteError` when there are more than `k`). `palette`: m×3 or m×4 uint8 colours to map to
    exactly, without clustering; `k` is then the palette's size.
    """
    t0 = time.perf_counter()
    pixels = check_pixels(pixels)
    k = check_k(k)
    hist = histogram if histogram is not None else build_histogram(pixels)
    if hist.shape != pixels.shape[:2] or hist.channels != pixels.shape[2]:
        raise ValueError("the histogram was built from another image.")
    fixed = palette is not None
    runs = not fixed and hist.channels == 3  # byte-aware mapping (`runmap`): clustered RGB
    if fixed:
        from .fixed_colours import fixed_palette, map_to_palette

        has_transparent = hist.channels == 4 and bool((hist.colors[:, 3] == 0).any())
        palette = fixed_palette(palette, hist.channels, has_transparent)
        k = len(palette)
        labels = map_to_palette(hist.colors, palette if palette.shape[1] == 4 else np.concatenate(
            [palette, np.full((k, 1), 255, np.uint8)], axis=1), composites, to_working, nearest)
    else:
        if "importance" not in hist.cache:  # smooth areas weigh more
            hist.cache["importance"] = importance_counts(pixels, hist)
        palette, labels = palette_for_histogram(hist, k, seed=seed, locked=locked,
                                                dither=dither and check_strength(dither_strength) > 0)
    strength = check_strength(dither_strength)
    chroma = CHROMA_SCALE if fixed else chroma_for_k(k)  # the weight the palette was mapped with
    if dither and strength > 0 and palette.shape[0] < hist.n_colors:
        from .dither import dither_indices

        exact = hist.indices_for(labels)
        indices = dither_indices(pixels, palette, exact, strength, chroma=chroma)
        counts = np.bincount(indices.reshape(-1), minlength=palette.shape[0]).astype(np.int64)
        err = pixel_mse(pixels, palette[indices])
    else:
        if runs and palette.shape[0] > 1 and runmap.RUN_SLACK > 0:  # the byte-aware passes
            indices, sse, counts = pixelmap.map_rgb(hist, _rgb_points(hist, chroma).x,
                                                    to_working(palette, chroma=chroma), labels, palette)
        elif hist.channels == 4 and not fixed and palette.shape[0] > 1:  # composites, as `alpha` maps
            sse = pixelmap.colour_sse(hist, palette, labels)
            counts = np.bincount(labels, weights=hist.counts, minlength=palette.shape[0]).astype(np.int64)
            indices, extra = despeckle(hist.indices_for(labels), hist, composites(hist.colors), composites(palette),
                                       labels, palette, counts)  # (counts follow the moved pixels)
            sse += extra
        else:
            sse = pixelmap.colour_sse(hist, palette, labels)
            indices = hist.indices_for(labels)
            counts = np.bincount(labels, weights=hist.counts, minlength=palette.shape[0]).astype(np.int64)
        err = max(sse, 0.0) / (hist.n_pixels * hist.channels)
    palette.setflags(write=False)
    indices.setflags(write=False)
    counts.setflags(write=False)
    return Quantized(
        palette=palette,
        indices=indices,
        k=k,
        dither=bool(dither),
        seed=int(seed),
        counts=counts,
        mse=float(err),
        seconds=time.perf_counter() - t0,
        dither_strength=strength,
    )


def palette_for_histogram(hist: ColorHistogram, k: int, *, seed: int = 0, locked=None,
                          dither: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return (palette n×C uint8 without unused entries, label of each distinct colour).
    `locked` colours (m×3 uint8) are always in the palette, used or not. `dither`: the pixels
    will be dithered (RGBA: `alpha.rgba_palette`)."""
    from .fixed_colours import as_colours, check_locked

    colors, weights = hist.colors, hist.counts.astype(np.float64)
    lock = as_colours(locked)
    check_locked(lock, k)
    chroma = chroma_for_k(k)
    if hist.channels == 3:
        pts = _rgb_points(hist, chroma)
        state = {} if not len(lock) else None
        centres = _cluster(pts, k, seed, to_working(lock, chroma=chroma), state=state)
        labels = None
        if not len(lock) and len(centres) == k <= DETAIL_MAX_K and hist.n_colors > k:  # small details' hues
            # (no polish bounds: the labels of the palette as it is are searched meanwhile, `labels`)
            early = spawn(partial(assigned, centres, chroma, pts), stoppable=True) if state == {} and lanes() > 1 else None
            try:
                moved = keep_details(centres, pts, hist.pixel_colours(), hist.shape, _lloyd)
                if moved is None and early is not None:
                    palette, pal_w, labels = early.join()
            finally:
                if early is not None:
                    early.stop()  # (moved, or cancelled: not wanted; once joined, nothing to stop)
            if moved is not None:
                centres, state = moved, None
        if labels is None:
            palette = _with_locked(centres, lock, chroma)
            pal_w = to_working(palette, chroma=chroma)
            labels = mapped_from_polish(state, centres, palette, pal_w, pts, chroma) if state else None
        if labels is None:
            labels = assign(pal_w, pts)
        return _tidy(palette, labels, weights, keep=lock)
    lock4 = np.concatenate([lock, np.full((len(lock), 1), 255, np.uint8)], axis=1)
    imp = hist.cache.get("importance")
    if imp is not None:  # opaque colours weigh by importance, as RGB images' (see `alpha.rgba_weights`)
        weights = rgba_weights(colors, weights, imp)
    return _tidy(*rgba_palette(colors, weights, k, seed, lock4, chroma, _cluster, _with_locked, dither), hist.counts, keep=lock4)


def _with_locked(centres: np.ndarray, lock: np.ndarray, chroma: float) -> np.ndarray:
    """Opaque working-space centres (the locked ones first) -> uint8 palette holding the locked
    colours exactly (not their rounded round trip through the working space)."""
    free = opaque_palette(centres[len(lock):], chroma) if len(centres) > len(lock) else np.zeros((0, 3), np.uint8)
    return np.unique(np.concatenate([lock, free], axis=0), axis=0)


def _tidy(palette: np.ndarray, labels: np.ndarray, weights: np.ndarray,
          keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Drop unused entries (but those in `keep`) and order the palette: transparent entries first
    (short tRNS), then by luminance, so that equal inputs always give equal, readable palettes."""
    used = np.bincount(labels, weights=weights, minlength=len(palette)) > 0
    if keep is not None and len(keep):
        used |= (palette[:, None, :] == keep[None, :, :]).all(axis=2).any(axis=1)
    luma = palette[:, :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    alpha = palette[:, 3].astype(np.float64) if palette.shape[1] == 4 else np.zeros(len(palette))
    order = np.lexsort((palette[:, 0], palette[:, 1], palette[:, 2], luma, alpha))
    order = order[used[order]]
    remap = np.full(len(palette), -1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    return np.ascontiguousarray(palette[order]), remap[labels]


def _lloyd(centres: np.ndarray, pts: Points, max_iter: int, n_fixed: int = 0, state: dict | None = None) -> np.ndarray:
    """Weighted Lloyd iterations with exact assignment; empty clusters are dropped. The first
    `n_fixed` centres (locked colours) never move and are never dropped.

    Hamerly's bounds (as `seeding.lloyd_dense`) re-measure only points whose bounds cross, same
    labels as full searches (tested). The first bounds come from one search of every point; when
    more than `_REMEASURE_SHARE` of the points cross in a step (large moves), every point is
    measured again, so that later steps start from exact bounds. Of the crossed points, those still nearer their own centre than the lower
    bound (Hamerly's second test) need no search. China K=32, 8 steps: 13-19 % measured a step,
    the polish 242 -> 108 ms CPU; K=256: 20-60 % a step.

    (Tried and not taken, 2026-12-02: polishing on 7-bit bin means with one exact step at the
    end, 4 web-size photos: SSIMULACRA2 −0.31 at K=32 and −1.37 at K=256; two exact steps −0.14
    and −0.57. Fewer steps: 6 cost −0.13 at K=256, 4 −0.28; 12 gained +0.44 at K=256.)
    Taken (`_POLISH_ITER_MID`), 6 steps in place of 8 from K=17 to 95, measured 2026-12-02 on 8
    photos (bench_speed's 4 and astronaut, coffee, rocket, chelsea), mean SSIMULACRA2 / PSNR: K=24
    −0.14 / −0.003 dB, K=32 −0.01 / −0.005, K=48 +0.02 / −0.002, K=64 −0.01 / −0.011, K=80 −0.11 /
    −0.009 (bench_speed's 4 at K=32: ±0.00 / −0.002); quantize CPU on those 4 at K=32 748 -> 667
    ms (min of 6, alternating), K=64 981 -> 947. Not below: K=16 −0.31 (chelsea −1.8), nor at
    K ≥ 96: K=256 −0.26 with 6, −0.18 with 7; 5 steps at K=64 −0.07 / −0.017 dB, 4 at K=32 −0.16.
    The per-centre sums follow the points that change centre (`clustersums`; with positive weights):
    2026-12-03, 11 images at K = 8…256 the same bytes; bench_speed's 4 at K=32 quantize CPU 379 ->
    364 ms (min of 4 runs of 5 rounds, alternating; K=256 550 -> 546)."""
    x, w = pts.x, pts.w
    prev = math.inf
    wx = [w * x[:, d] for d in range(x.shape[1])]  # the weighted coordinates, once
    # The weighted error from the clusters' sums: Σ w|x − c|² = Σ w|x|² − Σ_c (2 c·S_c − W_c |c|²),
    # no pass over the points (rounding about 1e-6 of the error's 1e7: the same stops).
    x2 = float(np.einsum("ij,ij,i->", x, x, w))
    cands = Candidates(centres, x, cells=pts.cells) if len(centres) >= CANDIDATE_MIN_K and len(x) > 4 * len(centres) else None
    upper = lower = wear = None
    if cands is not None:
        lab = cands.labels
    else:
        # Exact bounds from one search of every point, not the cells' (which `assign` gave until 2026-12-03): as
        # fast, and the cells' looser bounds let more points cross in the steps after. Measured
        # 2026-12-02, 4 web photos, polish CPU (same centres): K=16 108 -> 94 ms, K=32 166 -> 140 ms,
        # K=64 the same (there `assign` searches every point too).
        lab, upper, lower = two_nearest(centres, x)
        wear = Wear(len(centres), len(x))  # the lower bounds fall by the centres' path lengths
    acc = ClusterSums(lab, w, wx, len(centres)) if len(w) and w.min() > 0 else None  # (`clustersums`)
    for i in range(max_iter):
        last = i == max_iter - 1
        if acc is None:
            sw = np.bincount(lab, weights=w, minlength=len(centres))
            sums = np.stack([np.bincount(lab, weights=c, minlength=len(centres)) for c in wx], 1)
        else:
            sw, sums = acc.sw, acc.sums
        keep = sw > 0
        keep[:n_fixed] = True
        if not last:  # the error only serves to stop early
            inertia = x2 - float(np.einsum("ij,ij->", centres, 2.0 * sums - sw[:, None] * centres))
        moved = sums / np.maximum(sw, 1e-300)[:, None]
        moved[:n_fixed] = centres[:n_fixed]
        if last or prev - inertia <= _LLOYD_TOL * inertia:
            if state is not None and keep.all():  # what the palette's mapping can start from
                state.update(centres=centres, cands=cands, lab=lab, upper=upper, lower=lower, wear=wear)
            return moved[keep]
        step = np.sqrt(((moved - centres) ** 2).sum(axis=1))[keep]
        centres = moved[keep]
        prev = inertia
        if acc is not None and not keep.all():
            acc.drop(keep)
        if cands is not None:  # large K: each point's nearest few centres (`colorbins.Candidates`)
            old = lab if keep.all() else (np.cumsum(keep) - 1)[lab]
            if keep.all():
                lab = cands.move(centres, step)
            else:  # a centre was dropped: search again
                cands = Candidates(centres, x)
                lab = cands.labels
            if acc is not None:
                acc.changed(old, lab)
            continue
        if not keep.all():
            lab = (np.cumsum(keep) - 1)[lab]  # points never sit at a dropped (empty) centre
        upper += step[lab]
        wear.moved(step, keep)  # a dropped centre only moves the second nearest farther
        low = lower - wear.worn()
        again = np.flatnonzero(upper >= low - BOUND_MARGIN)
        if len(again) > _REMEASURE_SHARE * len(x):
            # Too many crossed (the first step's bounds are the cells' and loose): measure every
            # point once, so that later steps start from exact bounds.
            old = lab
            lab, upper, lower = two_nearest(centres, x)
            wear.measured(slice(None))
            if acc is not None:
                acc.changed(old, lab)
            continue
        if len(again):  # Hamerly's second test: the exact distance to its own centre may do
            xa = np.take(x, again, axis=0)  # (`take`, row gathers: x[again] took 4-5× as long)
            d = xa - np.take(centres, lab[again], axis=0)
            upper[again] = own = np.sqrt(np.einsum("ij,ij->i", d, d))
            cross = np.flatnonzero(own >= low[again] - BOUND_MARGIN)
            again, old = again[cross], lab[again[cross]]
            lab[again], upper[again], lower[again] = two_nearest(centres, np.take(xa, cross, axis=0))
            wear.measured(again)
            if acc is not None:
                acc.changed(old, lab[again], again)
    return centres


def _cluster(pts: Points, k: int, seed: int, fixed: np.ndarray | None = None, state: dict | None = None) -> np.ndarray:
    """Weighted k-means centres (at most k) for points (U×d, 0..255) with weights. `fixed`
    centres (m×d, m ≤ k) come first in the answer, unmoved; they count toward k."""
    from .seeding import weighted_kmeans

    x, n = pts.x, len(pts)
    m = 0 if fixed is None else len(fixed)
    if m:
        if m >= k:
            return np.asarray(fixed, dtype=np.float64)[:k].copy()
        if n <= k - m:
            return np.concatenate([fixed, x], axis=0)
    elif n <= k:
        return x.copy()
    levels = pts.levels
    coarse, cw = _coarse_level(pts, k)
    if m:  # the locked colours seed the coarse stage, the other seeds are chosen around them
        from .fixed_colours import coarse_with_fixed

        centres = coarse_with_fixed(coarse, cw, fixed, k, seed, _N_INIT_SMALL_K if k <= 64 else 1,
                                    lloyd=_lloyd, max_iter=_KMEANS_MAX_ITER)
    else:
        # (Small K: the 7-bit bin means at most. All distinct colours cost 2–10× as much for the
        # start and the polish below on the exact colours reaches the same optimum.)
        centres = weighted_kmeans(coarse, cw, min(k, len(coarse)), seed=seed,
                                  n_init=_N_INIT_SMALL_K if k <= 64 else 1, max_iter=_KMEANS_MAX_ITER,
                                  screen_on=_screen_level(pts, k, len(coarse)))
    if n > _EXACT_LLOYD_LIMIT:
        centres = _lloyd(centres, Points(*levels[6], binned=False), max_iter=_POLISH_ITER, n_fixed=m)
        # The last step on 7-bit bin means (4× fewer points than the colours themselves) lands
        # within 0.005 dB of an exact step, at half the cost (9 MP: 36.491 vs 36.495 dB at K=256).
        return _lloyd(centres, Points(*levels[7], binned=False), max_iter=_FINE_ITER_LARGE, n_fixed=m)
    steps = _POLISH_ITER_MID if DETAIL_MAX_K < k < CANDIDATE_MIN_K else _POLISH_ITER
    return _lloyd(centres, pts, max_iter=steps, n_fixed=m, state=state)
