"""Small details at low K: the palette's hues are nudged towards the image's worst 16×16 blocks.

Why: k-means by squared error spends a small palette on the large areas, and a small region of
a distinct colour (a spoon among browns, a stained cell) is left to the nearest entry of another
hue. `core.quality.worst_block` (the largest mean OKLab ΔE over 16×16 blocks) then reads worse
than pngquant's, although SSIMULACRA2, an average, barely moves.

How: after the clustering, the blocks whose mean error (working space, nearest entries) is within
DETAIL_TOP of the worst one get extra weight (DETAIL_BOOST per pixel, on top of its importance
weight) and DETAIL_ITER Lloyd steps move the centres from where they are; that repeats
DETAIL_ROUNDS times, the extra weight adding up. **Only the centres' chroma (a, b) moves: each
keeps its lightness.** Of the rounds, the one with the smallest worst block whose total weighted
error is at most DETAIL_MAX_COST above the clustering's is kept, if it lowers the worst block by
at least DETAIL_MIN_GAIN; else the palette stays as it was.

Measured 2026-12-02 on seven photos (china, flower and scikit-image's astronaut, coffee, rocket,
chelsea, immunohistochemistry), undithered, K = 8 and 16, seeds 0 and 1, each candidate scored
through the whole pipeline against `pngquant --nofs` (worst block ours − pngquant's, ΔE × 100):
- With the lightness free to move too, the worst blocks all but vanished (coffee K=8 +0.46 ->
  +0.08, rocket K=8 +0.37 -> −0.30, K=16 −0.28 -> −1.52) but SSIMULACRA2 paid: coffee K=8 −4.2,
  chelsea −1.2…−3.2, flower K=8 −2.4 (mean over the 28 cases −0.4 for the first round alone;
  a detail entry of its own, tried the session before, −1.7). In a side by side of coffee at
  K=8 the cup's inside showed more bands: lightness levels had moved to the spoon. Lightness
  moving 0.35 of the way: coffee K=8 still −3.6, chelsea −1…−2.
- Hue only (this), same seven photos, seeds 0…3, means over the seeds, against pngquant on the
  same PNGs (`--nofs` undithered, its default dithered), before -> after:
  - undithered K=8: SSIMULACRA2 lead +5.08 -> +4.97, bytes 0.770× -> 0.771×, worst block −0.60 ->
    −1.18 (mean), worst photo +0.48 -> +0.04 (rocket); K=16: +3.01 -> +2.99, 0.782× -> 0.781×,
    −1.25 -> −1.83, worst photo +0.48 -> −0.06. Per photo: coffee K=8 +0.48 -> −0.03, K=16 +0.48
    -> −0.06; rocket K=8 +0.45 -> +0.04, K=16 +0.40 -> −0.13; immunohistochemistry K=8 +0.26 ->
    +0.02. SSIMULACRA2 per photo −0.55…+0.54 (chelsea K=8 −0.55, rocket K=16 −0.51, flower K=16
    −0.41; astronaut K=16 +0.44, immunohistochemistry K=16 +0.54); seed to seed a photo's score
    varies by 1–10 points at these K.
  - dithered K=8: +12.16 -> +12.21, 0.902× -> 0.901×, worst photo +0.14 -> −0.38; K=16: +8.43 ->
    +8.58, 0.890× -> 0.891×, worst photo +0.30 -> −0.16.
  - benchmarks/bench_perceptual.py (china and flower, seed 0, K = 8…256; mean ΔS2 against
    pngquant's default and bytes for equal SSIMULACRA2): photos −3.93 / 0.62× -> −3.90 / 0.62×,
    dithered +12.15 / 0.79× -> +12.14 / 0.79×; flat graphics +2.81 -> +2.85 and +12.63 -> +12.65
    (0.58× and 0.82× both); china K=8 worst block 10.95 -> 9.78, K=16 8.03 -> 7.47.
  - Two rounds at most 2 % dearer: SSIMULACRA2 +5.03 / +3.06, worst photo +0.30 / +0.11 (coffee).
  - Sampling: every 2nd pixel of every 2nd row gave coffee (two rounds) +0.20 / +0.15 against
    +0.30 / +0.11, for 0.05 s more CPU a call on these 0.2–0.3 MP photos; every 4th (this) costs
    0.02–0.03 s (coffee K=16: 18 ms with two rounds, the clustering 86).
Not for RGBA (`alpha` has its own refinement), locked colours, or images with at most K colours
(they stay lossless).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .cancel import checkpoint
from .colorbins import BOUND_MARGIN, Points, nearest, two_nearest

#: The pass runs for K up to this: at K ≥ 32 every photo's worst block was already below
#: pngquant's (bench_perceptual, `colourspace`'s note) and a wider palette has entries to spare.
DETAIL_MAX_K = 16
DETAIL_BLOCK = 16  # the block of `core.quality.worst_block`
DETAIL_TOP = 0.8  # blocks whose mean error is at least this share of the worst one get the weight
DETAIL_BOOST = 4.0  # extra weight per pixel of those blocks (a pixel's own weight is about 1)
DETAIL_ROUNDS = 3
DETAIL_ITER = 4  # Lloyd steps a round
DETAIL_MAX_COST = 0.03  # total weighted squared error may rise by this share at most
DETAIL_MIN_GAIN = 0.02  # ... for a worst block lower by at least this share
#: The Lloyd steps and the total error run on the 6-bit bin means (plus the boosted pixels' own
#: colours), the block errors on about this many pixels at most (see `keep_details`).
DETAIL_BINS = 6
DETAIL_SAMPLES = 250_000


def _sample_stride(n_pixels: int) -> int:
    """Every how many pixels (in both directions) the block errors are measured: a divisor of
    DETAIL_BLOCK, so that each block holds whole samples (16 at stride 4, 4 at 8); about DETAIL_SAMPLES at most."""
    stride = 4
    while stride < DETAIL_BLOCK // 2 and n_pixels / (stride * stride) > DETAIL_SAMPLES:
        stride *= 2
    return stride


def _block_means(err: np.ndarray, block: int, counts: np.ndarray | None = None) -> np.ndarray:
    """Mean of an h×w map over block×block tiles (partial edge tiles by their own mean); `counts`:
    `_block_counts(err.shape, block)`, the same for every map of that shape (passed to save it)."""
    h, w = err.shape
    ph, pw = -(-h // block) * block, -(-w // block) * block
    sums = np.zeros((ph, pw), np.float32)
    sums[:h, :w] = err
    if block == 2:  # (9 MP and up: 2×2 samples a block) four strided adds, in the order numpy's
        # reduction over axes (1, 3) adds them (the same float32 sums to the bit, tested): 9 MP
        # china's 308×461 blocks 1.5 -> 0.1 ms a call, seven calls a K
        s = (sums[0::2, 0::2] + sums[0::2, 1::2]) + (sums[1::2, 0::2] + sums[1::2, 1::2])
    else:
        s = sums.reshape(ph // block, block, pw // block, block).sum(axis=(1, 3))
    return s / (_block_counts(err.shape, block) if counts is None else counts)


def _block_counts(shape: tuple[int, int], block: int) -> np.ndarray:
    """How many cells of an h×w map each block×block tile holds (float32, as `_block_means` divides)."""
    h, w = shape
    ph, pw = -(-h // block) * block, -(-w // block) * block
    counts = np.zeros((ph, pw), np.float32)
    counts[:h, :w] = 1.0
    return counts.reshape(ph // block, block, pw // block, block).sum(axis=(1, 3))


def _distances(centres: np.ndarray, x: np.ndarray, lab: np.ndarray | None = None) -> np.ndarray:
    """Each point's distance to its nearest centre (`lab`: those nearest centres, when known)."""
    d = x - np.take(centres, nearest(centres, x) if lab is None else lab, axis=0)  # (2-D fancy indexing: slower)
    return np.sqrt(np.einsum("ij,ij->i", d, d))


class _Sampled:
    """The samples' distances to their nearest centre, round after round: Hamerly's bounds (as
    `kmeans._lloyd`) settle the samples whose nearest centre can't have changed since the centres
    moved, and only the others are searched again; every distance is then measured to the same
    nearest centre as a full search finds (the same numbers as `_distances`, tested). Measured
    2026-12-02, 9 MP china (141,220 samples): the three rounds at K=16 search 19, 14 and 10 % of
    them again; the pass (with `_block_counts` once a call) 134 -> 104 ms CPU at K=16, 117 -> 79 ms at
    K=8, same palette and labels (and the same on 8 web-size photos at K = 8, 16)."""

    def __init__(self, centres: np.ndarray, x: np.ndarray):
        self.x, self.centres = x, centres
        self.lab, _, self.lower = two_nearest(centres, x)
        self.err = _distances(centres, x, self.lab)

    def move(self, centres: np.ndarray) -> np.ndarray:
        step = np.sqrt(((centres - self.centres) ** 2).sum(axis=1))
        self.centres = centres
        upper = self.err + step[self.lab]
        self.lower -= step.max()
        again = np.flatnonzero(upper >= self.lower - BOUND_MARGIN)
        if len(again):
            self.lab[again], _, self.lower[again] = two_nearest(centres, self.x[again])
        self.err = _distances(centres, self.x, self.lab)
        return self.err


def keep_details(centres: np.ndarray, pts: Points, pixel_colours: np.ndarray | None, shape: tuple[int, int],
                 lloyd: Callable) -> np.ndarray | None:
    """Working-space centres with their hues moved towards the worst blocks (see the module note),
    or None when no round is worth it. `pts`: the image's distinct colours (working space) and
    weights; `pixel_colours`: every pixel's colour number (flat), None when the image is too large
    to keep them (then nothing is done); `lloyd`: `kmeans._lloyd` (passed in: kmeans imports this).

    Cheap by sampling: the block errors come from every 4th pixel of every 4th row (every 8th
    above DETAIL_SAMPLES × 16 pixels, `_sample_stride`), and the total error and the Lloyd steps from the 6-bit bin
    means (the error within a bin is the same for every palette that maps the bin to one entry)."""
    if pixel_colours is None or len(centres) < 2:
        return None
    h, w = shape
    stride = _sample_stride(h * w)
    block = DETAIL_BLOCK // stride
    sampled = pixel_colours.reshape(h, w)[::stride, ::stride]
    xs = np.take(pts.x, sampled.reshape(-1), axis=0)
    base_x, base_w = pts.levels.get(DETAIL_BINS, (pts.x, pts.w))  # (few colours: no bins, the colours)
    dist = _distances(centres, base_x)
    total0 = float(np.dot(dist * dist, base_w))
    samples = _Sampled(centres, xs)
    counts = _block_counts(sampled.shape, block)
    err = samples.err.reshape(sampled.shape)
    worst0 = float(_block_means(err, block, counts).max())
    if total0 <= 0.0 or worst0 <= 0.0:
        return None
    extra = np.zeros(sampled.shape, np.float64)
    current, best, best_worst = centres, None, worst0 * (1.0 - DETAIL_MIN_GAIN)
    for _ in range(DETAIL_ROUNDS):
        checkpoint()
        blocks = _block_means(err, block, counts)
        hot = np.repeat(np.repeat(blocks >= DETAIL_TOP * blocks.max(), block, 0), block, 1)
        extra += hot[:sampled.shape[0], :sampled.shape[1]]
        boosted = np.flatnonzero(extra)
        bx = np.concatenate([base_x, xs[boosted]])  # each sample stands for stride² pixels
        bw = np.concatenate([base_w, (DETAIL_BOOST * stride * stride) * extra.reshape(-1)[boosted]])
        moved = lloyd(current, Points(bx, bw, binned=False, integer=False), max_iter=DETAIL_ITER)
        if len(moved) != len(centres):  # a centre emptied: stop here
            break
        moved[:, 0] = centres[:, 0]  # lightness stays (see the module note)
        current = moved
        err = samples.move(current).reshape(sampled.shape)
        worst = float(_block_means(err, block, counts).max())
        dist = _distances(current, base_x)
        if float(np.dot(dist * dist, base_w)) <= total0 * (1.0 + DETAIL_MAX_COST) and worst < best_worst:
            best, best_worst = current, worst
    return best
