"""SSIMULACRA2, vectorised with numpy/scipy: a faithful port of libjxl's tools/ssimulacra2.cc as the
Rust port rust-av/ssimulacra2 0.5 implements it (BSD-2; its test pair scores 17.3985, ours 17.415,
see tests/test_metrics_ssimulacra2.py for how that was checked). Use core.metrics.ssimulacra2, which
checks its input and handles alpha and tiny images.

Why our own code and not the `ssimulacra2` package (BSD-3, 0.3.0): the package blurs with
scipy's `gaussian_filter` (a sampled Gaussian, mirror edges horizontally), not with libjxl's
recursive Gaussian, so it scores the reference pair 21.16, not 17.40; it runs in float64 (4 s for
the 1.6 MP pair here, ours 1.3 s; 1 MP 0.5–1.0 s by machine load) and takes file paths.
Here the recursive Gaussian (Charalampidis 2016, sigma 1.5, zero outside the image) is used as what
it is, a 9-tap FIR filter: its taps are the recursion's impulse response, computed once below.

The metric in brief: sRGB -> linear -> XYB made positive; 6 scales (2×2 box downscale in linear
light); per scale and channel, an SSIM map and two edge maps (ringing, blurring), each pooled by its
1-norm and 4-norm; a weighted sum of the 108 numbers, mapped to a score (100 = identical, 90 visually
lossless, 70 high, 50 medium, 30 low, below 0 broken).

Everything here works on sums (not averages) per scale, so tiles of a large image pool exactly as
one image would (apart from the blur's zero border at each tile's edge).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import ndimage

from .cancel import checkpoint

NUM_SCALES = 6
MIN_SIDE = 8  # a scale smaller than this in either direction isn't measured
_C2 = 0.0009

_WEIGHTS = np.array([
    0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0, 0.0, 0.0004371155730107379,
    0.0, 1.1041726426657346, 0.00066284834129271, 0.00015231632783718752, 0.0,
    0.0016406437456599754, 0.0, 1.8422455520539298, 11.441172603757666, 0.0, 0.0007989109436015163,
    0.000176816438078653, 0.0, 1.8787594979546387, 10.94906990605142, 0.0, 0.0007289346991508072,
    0.9677937080626833, 0.0, 0.00014003424285435884, 0.9981766977854967, 0.00031949755934435053,
    0.0004550992113792063, 0.0, 0.0, 0.0013648766163243398, 0.0, 0.0, 0.0, 0.0, 0.0,
    7.466890328078848, 0.0, 17.445833984131262, 0.0006235601634041466, 0.0, 0.0, 6.683678146179332,
    0.00037724407979611296, 1.027889937768264, 225.20515300849274, 0.0, 0.0, 19.213238186143016,
    0.0011401524586618361, 0.001237755635509985, 176.39317598450694, 0.0, 0.0, 24.43300999870476,
    0.28520802612117757, 0.0004485436923833408, 0.0, 0.0, 0.0, 34.77906344483772,
    44.835625328877896, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0008680556573291698, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0005313191874358747, 0.0, 0.00016533814161379112, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0004179171803251336, 0.0017290828234722833, 0.0, 0.0020827005846636437, 0.0, 0.0,
    8.826982764996862, 23.19243343998926, 0.0, 95.1080498811086, 0.9863978034400682,
    0.9834382792465353, 0.0012286405048278493, 171.2667255897307, 0.9807858872435379, 0.0, 0.0,
    0.0, 0.0005130064588990679, 0.0, 0.00010854057858411537,
])

# libjxl opsin absorbance (opsin_params.h): rows mix linear R, G, B into L, M, S.
_OPSIN = np.array([
    [0.30, 0.622, 0.078],
    [0.23, 0.692, 0.078],
    [0.24342268924547819, 0.20476744424496821, 0.55180986650955360],
], dtype=np.float32)
_OPSIN_BIAS = np.float32(0.0037930732552754493)
_CBRT_BIAS = np.float32(np.cbrt(0.0037930732552754493))


def _srgb_lut() -> np.ndarray:
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


SRGB_TO_LINEAR = _srgb_lut()


@lru_cache(maxsize=1)
def gaussian_taps() -> np.ndarray:
    """The impulse response of libjxl's recursive Gaussian (sigma 1.5, N = 5): 9 symmetric taps
    summing to 1. Derived from the paper's equations exactly as libjxl/rust-av do, then the
    recursion run on an impulse."""
    sigma = 1.5
    radius = round(3.2795 * sigma + 0.2546)  # (57)
    omega = [k * math.pi / (2 * radius) for k in (1, 3, 5)]
    p = [1 / math.tan(0.5 * omega[0]), -1 / math.tan(0.5 * omega[1]), 1 / math.tan(0.5 * omega[2])]
    r = [p[0] ** 2 / math.sin(omega[0]), -(p[1] ** 2) / math.sin(omega[1]), p[2] ** 2 / math.sin(omega[2])]
    rho = [math.exp(-0.5 * sigma * sigma * o * o) / radius for o in omega]
    d13 = p[0] * r[1] - r[0] * p[1]
    zeta15 = (p[1] * r[2] - r[1] * p[2]) / d13
    zeta35 = (p[2] * r[0] - r[2] * p[0]) / d13
    a = np.linalg.inv(np.array([p, r, [zeta15, zeta35, 1.0]]))
    beta = a @ np.array([1.0, radius * radius - sigma * sigma, zeta15 * rho[0] + zeta35 * rho[1] + rho[2]])
    n2 = [-beta[i] * math.cos(omega[i] * (radius + 1)) for i in range(3)]
    d1 = [-2 * math.cos(o) for o in omega]
    size, centre = 4 * radius + 3, 2 * radius + 1
    x = np.zeros(size)
    x[centre] = 1.0
    out = np.zeros(size)
    prev, prev2 = [0.0] * 3, [0.0] * 3
    for n in range(-radius + 1, size):
        top, bottom = n - radius - 1, n + radius - 1
        s = (x[top] if top >= 0 else 0.0) + (x[bottom] if bottom < size else 0.0)
        o = [s * n2[i] - (prev[i] * d1[i] + prev2[i]) for i in range(3)]
        prev2, prev = prev, o
        if n >= 0:
            out[n] = sum(o)
    taps = out[centre - radius + 1 : centre + radius]
    return taps.astype(np.float32)


_BLOCK = 16  # rows per matrix product in the vertical pass (fastest here, measured 8…64)


@lru_cache(maxsize=1)
def _band() -> np.ndarray:
    """_BLOCK×(_BLOCK+8) matrix: row i holds the 9 taps at columns i…i+8."""
    taps = gaussian_taps()
    band = np.zeros((_BLOCK, _BLOCK + len(taps) - 1), dtype=np.float32)
    for i in range(_BLOCK):
        band[i, i : i + len(taps)] = taps
    return band


def _blur_rows(planes: np.ndarray) -> np.ndarray:
    """The 9-tap filter down axis 1 of n×H×W float32 planes, zero outside, as small matrix
    products over blocks of rows (BLAS does this 7× faster than ndimage's strided pass)."""
    n, h, w = planes.shape
    blocks = -(-h // _BLOCK)
    padded = np.zeros((n, blocks * _BLOCK + 8, w), dtype=np.float32)
    padded[:, 4 : 4 + h] = planes
    out = np.empty((n, blocks * _BLOCK, w), dtype=np.float32)
    band = _band()
    for i in range(0, blocks * _BLOCK, _BLOCK):
        np.matmul(band, padded[:, i : i + _BLOCK + 8], out=out[:, i : i + _BLOCK])
    return out[:, :h]


def transpose(planes: np.ndarray) -> np.ndarray:
    """n×H×W -> contiguous n×W×H."""
    out = np.empty((planes.shape[0], planes.shape[2], planes.shape[1]), dtype=planes.dtype)
    for i, p in enumerate(planes):
        out[i] = p.T
    return out


def blur_transposed(planes: np.ndarray) -> np.ndarray:
    """The recursive Gaussian of n×H×W float32 planes, zero outside, returned TRANSPOSED (n×W×H):
    the second pass runs down the transposed rows, and the caller transposes its few other planes
    rather than all the blurred ones back."""
    return _blur_rows(transpose(_blur_rows(planes)))


def blur(planes: np.ndarray) -> np.ndarray:
    """The recursive Gaussian of n×H×W float32 planes, zero outside (reference for tests)."""
    taps = gaussian_taps()
    tmp = ndimage.correlate1d(planes, taps, axis=-1, mode="constant", cval=0.0)
    return ndimage.correlate1d(tmp, taps, axis=-2, mode="constant", cval=0.0)


def to_linear(pixels: np.ndarray) -> np.ndarray:
    """H×W×3 sRGB uint8 -> H×W×3 linear float32."""
    return SRGB_TO_LINEAR[pixels]


def positive_xyb(linear: np.ndarray) -> np.ndarray:
    """H×W×3 linear RGB -> 3×H×W XYB, shifted and scaled into about 0..1 as SSIMULACRA2 uses it.
    Plain per-channel arithmetic: a BLAS product of (H·W)×3 by 3×3 is ten times slower here."""
    h, w, _ = linear.shape
    r, g, b = linear[..., 0], linear[..., 1], linear[..., 2]
    lms = np.empty((3, h, w), dtype=np.float32)
    for i in range(3):
        m = lms[i]
        np.multiply(r, _OPSIN[i, 0], out=m)
        m += g * _OPSIN[i, 1]
        m += b * _OPSIN[i, 2]
        m += _OPSIN_BIAS
    np.maximum(lms, 0.0, out=lms)
    np.cbrt(lms, out=lms)
    lms -= _CBRT_BIAS
    y = lms[0] + lms[1]
    y *= 0.5
    out = np.empty((3, h, w), dtype=np.float32)
    np.subtract(lms[0], lms[1], out=out[0])
    out[0] *= 0.5 * 14.0
    out[0] += 0.42
    np.add(y, 0.01, out=out[1])
    np.subtract(lms[2], y, out=out[2])
    out[2] += 0.55
    return out


def downscale_by_2(linear: np.ndarray) -> np.ndarray:
    """2×2 box average in linear light; an odd last row/column repeats its edge pixel (as libjxl)."""
    h, w, _ = linear.shape
    if h % 2 or w % 2:
        linear = np.pad(linear, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    out = linear[0::2, 0::2] + linear[1::2, 0::2]
    out += linear[0::2, 1::2]
    out += linear[1::2, 1::2]
    out *= 0.25
    return out


def _norm_sums(m: np.ndarray, out: np.ndarray) -> None:
    """out[:, 0] = per-channel sum of m, out[:, 1] = sum of m⁴ (m: 3×…, non-negative)."""
    out[:, 0] = m.sum(axis=(1, 2), dtype=np.float64)
    m = m * m
    np.multiply(m, m, out=m)
    out[:, 1] = m.sum(axis=(1, 2), dtype=np.float64)


def _scale_sums(img1: np.ndarray, img2: np.ndarray, crop=None) -> np.ndarray:
    """Per channel: sums of the SSIM map d and d⁴, of ringing a and a⁴, of blurring b and b⁴ (3×6),
    over the (rows, columns) slices crop if given, else over every pixel. (A checkpoint first: a
    score in the window stops here when its result is no longer wanted, `core.cancel`.)"""
    checkpoint()
    blurred = blur_transposed(np.concatenate([img1 * img1, img2 * img2, img1 * img2, img1, img2]))
    img1, img2 = transpose(img1), transpose(img2)
    if crop is not None:  # everything is transposed from here on
        cut = (slice(None), crop[1], crop[0])
        blurred, img1, img2 = blurred[cut], img1[cut], img2[cut]
    s11, s22, s12, mu1, mu2 = blurred[0:3], blurred[3:6], blurred[6:9], blurred[9:12], blurred[12:15]
    sums = np.empty((3, 6), dtype=np.float64)
    # SSIM without the gamma term: d = max(1 - (1 - (mu1-mu2)²)(2(s12 - mu1 mu2) + C2) /
    #                                        ((s11 - mu1²) + (s22 - mu2²) + C2), 0)
    num_s = s12 - mu1 * mu2
    num_s *= 2.0
    num_s += _C2
    denom = s11 - mu1 * mu1
    denom += s22 - mu2 * mu2  # this order: identical images give num_s == denom exactly
    denom += _C2
    diff = mu1 - mu2
    np.multiply(diff, diff, out=diff)
    np.subtract(1.0, diff, out=diff)
    num_s *= diff
    num_s /= denom
    np.subtract(1.0, num_s, out=num_s)
    np.maximum(num_s, 0.0, out=num_s)
    _norm_sums(num_s, sums[:, 0:2])
    # edge ratio: (1 + |img2 - mu2|) / (1 + |img1 - mu1|) - 1; > 0 ringing, < 0 blurring
    e2 = np.subtract(img2, mu2, out=img2)
    np.abs(e2, out=e2)
    e2 += 1.0
    e1 = np.subtract(img1, mu1, out=img1)
    np.abs(e1, out=e1)
    e1 += 1.0
    e2 /= e1
    e2 -= 1.0
    ring = np.maximum(e2, 0.0, out=e1)
    _norm_sums(ring, sums[:, 2:4])
    np.negative(e2, out=e2)
    lost = np.maximum(e2, 0.0, out=e2)
    _norm_sums(lost, sums[:, 4:6])
    return sums


def scale_sums(linear1: np.ndarray, linear2: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """(sums, pixel count) per measured scale for two H×W×3 linear images of the same size."""
    out = []
    for scale in range(NUM_SCALES):
        h, w = linear1.shape[:2]
        if h < MIN_SIDE or w < MIN_SIDE:
            break
        if scale:
            linear1, linear2 = downscale_by_2(linear1), downscale_by_2(linear2)
            h, w = linear1.shape[:2]
        out.append((_strip_sums(linear1, linear2), h * w))
    return out


#: An exact scale is measured in strips of this many rows (each with the blur's margin, so the sums
#: are the whole scale's, added in another order: float32 rounding apart). Why: whole, a 2.25 MP
#: scale made about 1 GB of temporaries (15 blurred planes, their padded and transposed copies), each
#: a fresh mapping the kernel had to fault in and zero; strips of a few MB are reused from the heap
#: and stay in cache. Measured 2026-12-03, 9 MP china against its K=16 result (scale 1 is 2.25 MP,
#: exact), 4 calls in one process, wall: whole 2.66-2.90 s for the first call (1.74-1.85 s of it in
#: the kernel), 0.95-1.48 s after; in strips (scales 1 and 2) 1.14 s first, 0.82-1.18 s after (kernel
#: 0.02-0.03 s). Strips of 32, 64, 128 or 256 rows at every scale: 0.79-0.90, 0.88-1.06, 0.89-1.11,
#: 0.95-1.21 s. The score −3.97112 -> −3.97086 (rounding).
STRIP_ROWS = 64
#: ... when it has more pixels than this (15 float32 planes of 500 k pixels: 30 MB, about where
#: glibc starts to map each block afresh). Each strip blurs its transposed rows in as many small
#: matrix products as the whole scale does, so small scales in strips took longer (china.jpg,
#: 0.27 MP: 50-56 -> 75-128 ms a score). With this bound (china scaled, best of 5 after a first
#: call, 3 alternated processes each): 0.27 MP 50-63 -> 62-63 ms (the same code), 1 MP 218-302 ->
#: 182-214 ms, 2.25 MP 548-618 -> 442-530 ms.
STRIP_MIN_PIXELS = 500_000


def _strip_sums(lin1: np.ndarray, lin2: np.ndarray) -> np.ndarray:
    """_scale_sums over the whole of two H×W×3 linear images, strip by strip (`STRIP_ROWS`)."""
    h, w = lin1.shape[:2]
    if h * w <= STRIP_MIN_PIXELS or h <= 2 * STRIP_ROWS:
        return _scale_sums(positive_xyb(lin1), positive_xyb(lin2))
    total = np.zeros((3, 6))
    for y0 in range(0, h, STRIP_ROWS):
        total += _tile_sums(lin1, lin2, y0, min(h, y0 + STRIP_ROWS), 0, w)
    return total


def score_from_sums(per_scale: list[tuple[np.ndarray, int]]) -> float:
    """The SSIMULACRA2 score from pooled per-scale sums (see scale_sums)."""
    # averages[scale] = [ssim 1-norm, ssim 4-norm, ring 1, ring 4, blur 1, blur 4] per channel
    avgs = []
    for sums, count in per_scale:
        a = sums / count
        a[:, 1::2] = a[:, 1::2] ** 0.25
        avgs.append(a)
    total = 0.0
    i = 0
    # libjxl's order: channel, scale, norm, (ssim, ringing, blurring); with fewer than 6 scales the
    # weight index simply runs on, as in the reference.
    for c in range(3):
        for a in avgs:
            for n in range(2):
                for j in range(3):
                    total += _WEIGHTS[i] * abs(a[c, 2 * j + n])
                    i += 1
    total *= 0.9562382616834844
    total = (2.326765642916932 * total - 0.020884521182843837 * total * total
             + 6.248496625763138e-05 * total * total * total)
    if total > 0:
        return 100.0 - 10.0 * total**0.6276336467831387
    return 100.0


def score_linear(linear1: np.ndarray, linear2: np.ndarray) -> float:
    return score_from_sums(scale_sums(linear1, linear2))


def pool(parts: list[list[tuple[np.ndarray, int]]]) -> list[tuple[np.ndarray, int]]:
    """Sums of several tiles' scale_sums, scale by scale (only the scales every tile has)."""
    n = min(len(p) for p in parts)
    return [(sum(p[s][0] for p in parts), sum(p[s][1] for p in parts)) for s in range(n)]


# --- large images: exact coarse scales, sampled fine ones -------------------------------------

EXACT_PIXELS = 4_000_000  # a scale with more pixels than this is measured on sampled tiles
SAMPLE_PIXELS = 2_000_000  # about this many pixels of tiles per sampled scale
TILE = 64  # small tiles spread the sample: 6 MP test pair within 0.02 of exact (256: 0.33)
_MARGIN = 4  # the blur's radius: a tile's interior sees exactly what the whole image would
_STRIP_ROWS = 512  # rows of uint8 turned into linear light at a time (even)


def is_sampled(height: int, width: int) -> bool:
    """True when an image this size is scored on sampled tiles at its finest scale(s)."""
    return height * width > EXACT_PIXELS


def _tile_sums(lin1: np.ndarray, lin2: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    """_scale_sums over the region [y0:y1, x0:x1] only, computed on the region plus a margin."""
    h, w = lin1.shape[:2]
    ty0, ty1 = max(0, y0 - _MARGIN), min(h, y1 + _MARGIN)
    tx0, tx1 = max(0, x0 - _MARGIN), min(w, x1 + _MARGIN)
    crop = (slice(y0 - ty0, y0 - ty0 + y1 - y0), slice(x0 - tx0, x0 - tx0 + x1 - x0))
    return _scale_sums(positive_xyb(lin1[ty0:ty1, tx0:tx1]), positive_xyb(lin2[ty0:ty1, tx0:tx1]),
                       crop)


def _sampled_sums(lin1: np.ndarray, lin2: np.ndarray) -> tuple[np.ndarray, int]:
    h, w = lin1.shape[:2]
    ny, nx = -(-h // TILE), -(-w // TILE)
    wanted = max(1, min(ny * nx, round(SAMPLE_PIXELS / (TILE * TILE))))
    chosen = np.sort(np.random.default_rng(0).choice(ny * nx, wanted, replace=False))
    total, count = np.zeros((3, 6)), 0
    for t in chosen:
        y0, x0 = (t // nx) * TILE, (t % nx) * TILE
        y1, x1 = min(h, y0 + TILE), min(w, x0 + TILE)
        total += _tile_sums(lin1, lin2, y0, y1, x0, x1)
        count += (y1 - y0) * (x1 - x0)
    return total, count


def _linear_halved(pixels: np.ndarray) -> np.ndarray:
    """downscale_by_2(to_linear(pixels)) in strips, so the full-size float image never exists."""
    parts = []
    for y in range(0, pixels.shape[0], _STRIP_ROWS):
        checkpoint()
        parts.append(downscale_by_2(to_linear(pixels[y : y + _STRIP_ROWS])))
    return np.concatenate(parts)


def score_srgb(ref: np.ndarray, dist: np.ndarray) -> float:
    """SSIMULACRA2 of two H×W×3 sRGB uint8 images of one size, at least 8×8. Up to EXACT_PIXELS
    the reference computation; above, the scales with more pixels are averaged over sampled tiles
    (each computed with its margin, so only the sampling differs from the whole image)."""
    h, w = ref.shape[:2]
    if not is_sampled(h, w):
        return score_linear(to_linear(ref), to_linear(dist))
    per_scale = []
    lin1 = lin2 = None
    for scale in range(NUM_SCALES):
        if scale == 0:
            # the finest scale straight from uint8, tile by tile
            per_scale.append(_sampled_sums_u8(ref, dist))
            lin1, lin2 = _linear_halved(ref), _linear_halved(dist)
            continue
        if scale > 1:
            lin1, lin2 = downscale_by_2(lin1), downscale_by_2(lin2)
        sh, sw = lin1.shape[:2]
        if sh < MIN_SIDE or sw < MIN_SIDE:
            break
        if sh * sw > EXACT_PIXELS:
            per_scale.append(_sampled_sums(lin1, lin2))
        else:
            per_scale.append((_strip_sums(lin1, lin2), sh * sw))
    return score_from_sums(per_scale)


class _LinearView:
    """Lazily linearised uint8 image: slicing returns linear float32 (for _tile_sums)."""

    def __init__(self, pixels: np.ndarray):
        self.pixels = pixels
        self.shape = pixels.shape

    def __getitem__(self, key):
        return to_linear(self.pixels[key])


def _sampled_sums_u8(ref: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, int]:
    return _sampled_sums(_LinearView(ref), _LinearView(dist))
