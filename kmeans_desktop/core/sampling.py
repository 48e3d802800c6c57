"""Samples of an image for the colour-space views: colours for the point cloud, tiles and a
strided sample for the K-choice curve, and the curve's "knee".

Why samples: the cloud can't draw every pixel of a photo (9 MP) and needn't; a few tens of
thousands of pixels drawn by weight from the colour histogram show the same distribution. The
curve needs PSNR and PNG size for nine values of K; exact PNG sizes of a 9 MP image take seconds
each, so for large images they are estimated from full-resolution tiles (see `tile_mosaic`).

Everything here is deterministic for a given seed and never imports Qt.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from .histogram import ColorHistogram

#: PNG bytes that don't grow with the pixels: signature, IHDR, IDAT and IEND chunk framing.
_PNG_FIXED_BYTES = 8 + 25 + 12 + 12


def sample_colors(hist: ColorHistogram, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw `n` pixels' colours from the histogram, by weight: (colors n×3 uint8 RGB, index n).

    Systematic sampling: the pixels are laid end to end in histogram order and every
    (total / n)-th one is taken, from a random start. Each colour gets its share of the points to
    within one (a colour covering 10% of the image gets 10% of the points), with less scatter
    than independent draws. `index` says which histogram colour each point is; the order of the
    points is shuffled, so any prefix is a fair sample too. Fully transparent pixels have no
    colour to show and are left out (for RGBA); an image with no visible pixel gives empty arrays.
    """
    if n < 0:
        raise ValueError(f"n must be at least 0, not {n}.")
    counts = hist.counts
    if hist.channels == 4:
        counts = np.where(hist.colors[:, 3] > 0, counts, 0)
    cum = np.cumsum(counts)
    total = int(cum[-1]) if len(cum) else 0
    if n == 0 or total == 0:
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.int64)
    rng = np.random.default_rng(seed)
    targets = (np.arange(n, dtype=np.float64) + rng.random()) * (total / n)
    index = np.searchsorted(cum, targets, side="right").astype(np.int64)
    np.minimum(index, len(cum) - 1, out=index)  # guards the float rounding at the very end
    index = index[rng.permutation(n)]
    return np.ascontiguousarray(hist.colors[index, :3]), index


def nearest_palette(colors: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """For each RGB colour (n×3), the index of its nearest palette entry: the k-means assignment
    step. Only visible entries are candidates when the palette has alpha; -1 if there is none."""
    colors = np.asarray(colors)
    palette = np.asarray(palette)
    candidates = np.arange(len(palette))
    if palette.ndim == 2 and palette.shape[1] == 4:
        candidates = candidates[palette[:, 3] > 0]
    if len(candidates) == 0 or len(colors) == 0:
        return np.full(len(colors), -1, dtype=np.int64)
    if len(candidates) == 1:
        return np.full(len(colors), candidates[0], dtype=np.int64)
    tree = cKDTree(palette[candidates, :3].astype(np.float64))
    _, nearest = tree.query(colors[:, :3].astype(np.float64))
    return candidates[nearest].astype(np.int64)


def strided_sample(pixels: np.ndarray, max_pixels: int) -> np.ndarray:
    """Every s-th pixel in both directions, with s the smallest step that keeps at most
    `max_pixels`: a sample of the whole image (its colours, not its texture)."""
    h, w = pixels.shape[:2]
    step = max(1, math.ceil(math.sqrt(h * w / max(1, max_pixels))))
    return np.ascontiguousarray(pixels[::step, ::step])


def tile_mosaic(pixels: np.ndarray, max_pixels: int, tile: int = 64) -> np.ndarray:
    """Full-resolution `tile`×`tile` crops on an even grid over the image, packed into one image
    of at most about `max_pixels`.

    PNG size depends on texture (neighbouring pixels), which a strided sample destroys; whole
    tiles keep it. Many small tiles represent an image better than a few large ones: on a 9 MP
    photo, 0.5 MP of 64-pixel tiles gave PNG sizes within -2..+10% of the real ones at K from 4
    to 256, 0.5 MP of 256-pixel tiles -13..-37%. An image that is small enough comes back whole.
    """
    h, w = pixels.shape[:2]
    if h * w <= max_pixels or h < tile or w < tile:
        return pixels
    n = max(1, max_pixels // (tile * tile))
    # A grid with about the image's aspect ratio: rows × cols ≈ n.
    rows = max(1, min(h // tile, round(math.sqrt(n * h / w))))
    cols = max(1, min(w // tile, n // rows))
    ys = np.linspace(0, h - tile, rows).astype(int)
    xs = np.linspace(0, w - tile, cols).astype(int)
    return np.ascontiguousarray(
        np.concatenate([np.concatenate([pixels[y:y + tile, x:x + tile] for x in xs], axis=1) for y in ys], axis=0)
    )


def estimate_png_bytes(sample_bytes: int, sample_pixels: int, image_pixels: int, n_colors: int,
                       has_alpha: bool = False) -> int:
    """Scale the PNG size of a sample (e.g. a `tile_mosaic`) to the whole image: the part that
    grows with the pixels (the compressed data) is scaled, the palette and chunk framing not."""
    fixed = _PNG_FIXED_BYTES + 12 + 3 * n_colors + (12 + n_colors if has_alpha else 0)
    data = max(0, sample_bytes - fixed)
    return int(round(fixed + data * image_pixels / max(1, sample_pixels)))


#: Knee rule, tuned (see `knee_k`).
KNEE_GAIN_DB = 2.5
KNEE_ENOUGH_DB = 40.0


def knee_k(ks, psnrs, gain_db: float = KNEE_GAIN_DB, enough_db: float = KNEE_ENOUGH_DB) -> int | None:
    """The smallest K of a doubling series (2, 4, 8, …) past which no doubling pays: each one
    gains less than `gain_db`, or starts at `enough_db` or more. None if even the last pays.

    How the rule was tuned. The first idea, "each doubling gains less than about 1 dB", never
    fires on a photo: exact PSNR at K = 2…256 on china.jpg, flower.jpg and two other photos gains
    1.9–2.3 dB per doubling all the way to 256. That is the high-rate limit of quantization,
    ~6 dB per bit shared by three channels = 2 dB per doubling of K: once the colours are
    refined evenly, every doubling gives it. So the rule looks for doublings that gain clearly
    *more* than that floor, allowing 0.5 dB for k-means noise: 2.5 dB. With it the knee is 16
    (flower), 32 (china and the other two photos) and 64 for a UI screenshot. Graphics with few
    colours keep gaining 5–7 dB per doubling (anti-aliased edges) far past the point where the
    difference can be seen, so doublings that start at 40 dB or more don't count either (knee 8
    and 16 on two diagrams; a 37-colour poster gets 32, lossless from 37).
    """
    pairs = sorted((int(k), float(p)) for k, p in zip(ks, psnrs))
    if len(pairs) < 2:
        return None
    knee = None
    for (k0, p0), (_, p1) in reversed(list(zip(pairs, pairs[1:]))):
        pays = p0 < enough_db and p1 - p0 >= gain_db  # inf - p0 (lossless next) pays too
        if pays:
            break
        knee = k0
    return knee


#: The K curve's knee in SSIMULACRA2, tuned (see `knee_k_ssimulacra2`).
KNEE_GAIN_S2 = 12.0
KNEE_ENOUGH_S2 = 90.0


def knee_k_ssimulacra2(ks, scores, gain: float = KNEE_GAIN_S2, enough: float = KNEE_ENOUGH_S2) -> int | None:
    """The knee of the K curve in SSIMULACRA2: the smallest K of a doubling series past which no
    doubling pays, i.e. each gains less than `gain` points or starts at `enough` (visually
    lossless) or more. None if even the last doubling pays.

    How it was tuned (ours, whole-image scores at K = 2…256; gains per doubling in points):
    - Busy photos gain far more than PSNR suggests and for longer: china.jpg 28, 31, 22, 16, 17,
      12, 10; flower.jpg 6, 13, 32, 18, 29, 21, 11. At K = 32 they still score only 0–35 ("low"),
      at 256 about 60–75. A smooth photo (rust-av's "tank" test image at half size) gains 79, 39,
      21, 11, 3, 4, 1 and is at 74 ("high") by K = 16. There is no common floor to lean on, as
      the PSNR rule does ("more than the 2 dB every photo gains").
    - So the rule asks when a doubling stops buying a visible step: the quality words are 20
      points apart, and a doubling that gains under 12 needs two doublings (each about 1.3–1.6×
      the bytes) to move one word. With 12 (plain / dithered): china.jpg 64 / 64, flower.jpg
      128 / none, the tank photo 16 / 16, the two flat graphics of
      benchmarks/perceptual_images.py 128 / 64 and 128 / 32, the icon sheets 64 / 32 and 64 / 64,
      the translucent panels 64 (87 points there); the translucent gradient none (it never gets
      above 26: our engine's alpha banding, issue 12). 10 leaves most photos and graphics with no
      knee (china's last doubling gains 10.1); 15 moves china dithered to 32.
    - Doublings that start at 90 or more don't count: past visually lossless nothing is seen.
    """
    pairs = sorted((int(k), float(v)) for k, v in zip(ks, scores))
    if len(pairs) < 2 or any(math.isnan(v) for _, v in pairs):
        return None
    knee = None
    for (k0, v0), (_, v1) in reversed(list(zip(pairs, pairs[1:]))):
        if v0 < enough and v1 - v0 >= gain:
            break
        knee = k0
    return knee
