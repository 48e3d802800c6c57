"""Which bin means the k-means++ search of `kmeans._cluster` runs on (the coarse set), and which
coarser ones its starts are screened on (`seeding.weighted_kmeans`'s `screen_on`)."""

from __future__ import annotations

import math

import numpy as np

from .colorbins import Points
from .detail import DETAIL_MAX_K

_COARSE_WORK = 100_000  # coarse points × K for the k-means++ search; finer bins until reached
#: When the coarse set has more than _SCREEN_BIG times the wanted points (flower.jpg at K=32: its
#: 6-bit bin means are 2,190, just under 0.8 × 3,125, so its coarse set is the 9,303 7-bit ones),
#: the starts are seeded and screened on the next coarser level with at least _SCREEN_MIN of them,
#: and only the best start runs on the coarse set. Measured 2026-12-03 on 8 photos (china, flower,
#: their crops, scaled to 0.6, 0.8, 1.5): K=32 mean SSIMULACRA2 +0.04 / PSNR −0.009 dB (2 photos
#: changed, flower −0.69), K=64 +0.12 / −0.015 dB (2 changed), other K the same bytes; quantize
#: CPU K=32 701 -> 632 ms, K=64 916 -> 837. Not at K ≤ 16 (K=16: −0.54, china crop −4.3).
#: _SCREEN_MIN 0.4 (flower crop screened too): 8 photos K=32 +0.16 / +0.005 dB, 591 ms, but
#: bench_speed's 4 at K=32 −0.50 / +0.073 dB (flower crop −1.30 / +0.42 dB); 0.3: K=64 −3.15.
_SCREEN_BIG = 1.5
_SCREEN_MIN = 0.5


def coarse_level(pts: Points, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The bin means the k-means++ search runs on: of the levels with at least 0.8 of the wanted
    `_COARSE_WORK // k` points (and 2 K), the one nearest that number in ratio (else the finest). A higher
    chroma weight spreads the colours over more bins, and "the first level with enough points"
    then jumped to 7-bit bins, 6× the points: 9 MP china at K=16 (weight 255) ran on 36,303 bin
    means, now 5,748 (1.57 s → 0.41 s CPU, SSIMULACRA2 −0.35); 7 web-size photos at K = 8…64: mean
    SSIMULACRA2 per K within ±0.6, 12 % less CPU. (At least half the points: −1.0 at K=16.)"""
    want = _COARSE_WORK // k
    levels = [pts.levels[b] for b in sorted(pts.levels)] or [(pts.x, pts.w)]
    fit = [lv for lv in levels if len(lv[0]) >= max(want * 0.8, 2 * k)]  # K=256: 5-bit china had 379
    return min(fit, key=lambda lv: abs(math.log(len(lv[0]) / want))) if fit else levels[-1]


def screen_level(pts: Points, k: int, n_coarse: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The coarser bin means the k-means++ starts are screened on (`seeding.weighted_kmeans`'s
    `screen_on`) when the coarse set is over `_SCREEN_BIG` × `_COARSE_WORK // k` points: the
    largest level below it with at least `_SCREEN_MIN` of that number (and 4 K), from K = 17 on."""
    want = _COARSE_WORK // k
    if k <= DETAIL_MAX_K or n_coarse <= _SCREEN_BIG * want:
        return None
    fit = [pts.levels[b] for b in sorted(pts.levels)
           if max(_SCREEN_MIN * want, 4 * k) <= len(pts.levels[b][0]) < n_coarse]
    return fit[-1] if fit else None
