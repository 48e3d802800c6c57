"""Palettes for images with transparency: how K is split between alpha classes, and where a
partly transparent pixel goes.

What a viewer sees of an RGBA colour is its composite on the page, so every distance here is
measured on the composites over black and over white (`composites`): an alpha error counts as
plainly as it shows on a light page, a colour error under low alpha as little as it shows.

- Fully transparent pixels share one entry (its hidden RGB the most common one). Opaque pixels
  keep opaque entries, clustered in the working space like RGB images (`kmeans._cluster`).
- Partly transparent pixels are clustered on their composites, and then take whichever entry
  looks nearest, transparent and opaque ones included (`_refine`), as pngquant's do. Kept inside
  their own class, the faint outer ring of a soft shadow (alpha 1–16 on the icon sheets: half of
  all partly transparent pixels) pulled a shared entry to alpha 30, a grey halo around every icon
  on a light page (icons-2 at K=8: SSIMULACRA2 −47.9, pngquant `--nofs` −18.8).
- The split of K between opaque and partly transparent entries starts from a rule of thumb
  (`visual_share`) and then follows the measured error: neighbouring splits are tried while the
  total squared error on the composites falls (`_split_search`). Measured with bench_perceptual's
  four RGBA images at K = 8…256 (2026-12-02), see `_split_search`.
- Images with no opaque pixels (overlays, glass, vignettes), undithered: the partly transparent
  entries get a last refinement with both composites in OKLab (`_seen_refine`, `seen.py`), where
  the steps between dark colours on a black page count as the eye sees them (the translucent
  gradient: +4 to +16 points at K = 16…256).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .colorbins import Points, assign, nearest
from .colourspace import to_working
from .seen import from_seen, to_seen

#: Lloyd steps of the partly transparent entries against the whole palette (`_refine`), at most;
#: they stop when no colour changes entry. 8 -> 32 (2026-12-02, bench_perceptual's four RGBA
#: images, K = 8…256, both modes): the translucent gradient at K=32 −55.20 -> −54.25 undithered
#: (pngquant `--nofs` −54.12) and 12.69 -> 13.66 dithered, within ±0.2 points everywhere else;
#: the four images' quantize CPU summed 17.9 -> 16.6 s over the 40 cases (noise: most converge
#: in fewer than 8 steps).
_REFINE_ITER = 32
_REFINE_BINS = 40_000
_REFINE_EXACT_PAIRS = 1_000_000
#: The split search runs when the image has at most this many distinct colours (icons, logos,
#: cut-outs up to a few megapixels); above it each try costs a whole clustering, and the rule of
#: thumb stands alone.
_SEARCH_COLOURS = 200_000
_SEARCH_TRIES = 8
#: ... and K is at most this: where one entry more or less for the opaque colours decides whether
#: a colour survives (icons-2 at K=8: −46.0 -> −21.0 points, K=32 +2.2). At K = 64 and 256 the
#: search moved the score by −0.2…+1.3 points for 1.7–1.9× the CPU of the whole quantize.
_SEARCH_MAX_K = 32
#: Partly transparent colours' share of the error that ranks the splits (`_error`). Measured with
#: bench_perceptual's four RGBA images at K = 8…256, both modes, summed SSIMULACRA2 against
#: pngquant's at equal K: weight 1.0 −90.7 before the dithering changes; 0.7 +116.6, 0.5 +136.8,
#: 0.35 +140.6 (SSIMULACRA2 wants more opaque entries than the plain error says: at 1.0 icons-2
#: lost 3.9 points at K=16 and 4.3 at K=32 to the rule of thumb).
_SEMI_ERROR_WEIGHT = 0.35


def composites(colors: np.ndarray) -> np.ndarray:
    """RGBA colours as what a viewer sees: composited on black and on white (6 values, 0..255).
    Squared distances there are the error on a dark page plus the error on a light one, so an
    alpha error counts as plainly as it shows on white (premultiplied RGBA alone only sees black)."""
    p = premultiply(colors)
    return np.concatenate([p[:, :3], p[:, :3] + (255.0 - p[:, 3:4])], axis=1)


def from_composites(x: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA of the colour nearest to black/white composites (least squares)."""
    alpha = 255.0 - (x[:, 3:] - x[:, :3]).mean(axis=1, keepdims=True)
    return np.concatenate([x[:, :3], np.clip(alpha, 0.0, 255.0)], axis=1)


def premultiply(colors: np.ndarray) -> np.ndarray:
    c = colors.astype(np.float64)
    a = c[:, 3:4] / 255.0
    return np.concatenate([c[:, :3] * a, c[:, 3:4]], axis=1)


def unpremultiply(centres: np.ndarray, *, keep_range: bool, unique: bool = True) -> np.ndarray:
    """Premultiplied centres -> uint8 RGBA entries; `keep_range` keeps alpha within 1..254."""
    a = np.clip(np.rint(centres[:, 3]), 1 if keep_range else 0, 254 if keep_range else 255)
    rgb = np.where(a[:, None] > 0, centres[:, :3] * 255.0 / np.maximum(a, 1)[:, None], 0.0)
    pal = np.concatenate([np.clip(np.rint(rgb), 0, 255), a[:, None]], axis=1).astype(np.uint8)
    return np.unique(pal, axis=0) if unique else pal


def visual_share(k: int) -> float:
    """How much of the first split between alpha groups follows visual weight (the rest: pixel
    count). Measured on the two icon sheets (bench_perceptual, worse of black and white composites):
    visual weight alone wins at K = 16 (icons-2 7.9 -> 16.1 undithered, 15.6 -> 30.0 dithered:
    its few opaque entries are worth most there), pixel count alone at K = 256 (icons 92.4 ->
    93.2, icons-2 90.4 -> 90.8); half and half stays best at K = 8, 32 and 64."""
    lk = math.log2(k)
    if lk <= 6.0:
        return 0.5 + 0.5 * max(0.0, 1.0 - abs(lk - 4.0))
    return max(0.0, 0.5 * (8.0 - lk) / 2.0)


def share_slots(slots: int, weights: list[float], caps: list[int]) -> list[int]:
    """Split `slots` palette entries between groups by weight: at least one each, never more
    than a group has distinct colours, spare entries passed on by largest remainder."""
    n = len(weights)
    if n == 0:
        return []
    share = [1] * n
    spare = slots - n
    total = float(sum(weights)) or 1.0
    while spare > 0:
        want = [weights[i] / total * slots - share[i] if share[i] < caps[i] else -math.inf for i in range(n)]
        i = int(np.argmax(want))
        if want[i] == -math.inf:
            break
        share[i] += 1
        spare -= 1
    return share


def visual_weight(colors: np.ndarray, weights: np.ndarray) -> float:
    """How many palette entries an alpha group deserves, up to a common factor: the error
    k-means leaves with n entries is about W·σ²·n^(-2/d) (W pixels, σ² their spread in what the
    viewer sees), so the total is least when n grows as (W·σ²)^(d/(d+2)); d = 3 here."""
    x = composites(colors)
    w = weights / max(float(weights.sum()), 1e-12)
    var = float((w[:, None] * (x - w @ x) ** 2).sum())
    return (float(weights.sum()) * max(var, 1e-6)) ** 0.6


Cluster = Callable[..., np.ndarray]


def rgba_palette(colors: np.ndarray, weights: np.ndarray, k: int, seed: int, lock: np.ndarray,
                 chroma: float, cluster: Cluster, with_locked: Callable,
                 dither: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(palette n×4 uint8, label of each colour) for distinct RGBA `colors` with pixel `weights`.
    `lock`: opaque RGBA entries counted toward k; `cluster(points, k, seed, fixed)` and
    `with_locked(centres, lock, chroma)` are `kmeans`'s (passed in: kmeans imports this module).
    Without `dither` the partly transparent entries get a second refinement in the seen space
    (`_seen_refine`); dithering maps on the plain composites (`dither.features`), and so do they."""
    alpha = colors[:, 3]
    transparent, opaque = alpha == 0, alpha == 255
    semi = ~(transparent | opaque)
    groups = [g for g in (opaque, semi) if g.any()]
    slots = k - int(transparent.any()) - len(lock)
    if slots < len(groups):
        # K too small to keep every alpha class apart: one clustering on the composites.
        x = composites(colors)
        centres = cluster(Points(x, weights), k, seed, composites(lock))
        palette = unpremultiply(from_composites(centres[len(lock):]), keep_range=False)
        palette = np.unique(np.concatenate([lock, palette], axis=0), axis=0)
        return palette, nearest(composites(palette), x)

    head: list[np.ndarray] = []
    if transparent.any():
        hidden = np.flatnonzero(transparent)
        head.append(colors[hidden[np.argmax(weights[hidden])]][None, :].copy())
    if len(lock) and not opaque.any():  # nothing opaque to cluster: the locked entries stand alone
        head.append(lock)
    cache: dict[tuple[int, int], np.ndarray] = {}
    semi_pts = Points(composites(colors[semi]), weights[semi])

    def group_palette(gi: int, n: int) -> np.ndarray:
        if (gi, n) not in cache:
            g = groups[gi]
            if g is opaque:
                x = to_working(colors[g, :3], chroma=chroma)
                fixed = to_working(lock[:, :3], chroma=chroma)
                pal = with_locked(cluster(Points(x, weights[g], integer=False), n + len(lock), seed, fixed),
                                  lock[:, :3], chroma)
                pal = np.concatenate([pal, np.full((len(pal), 1), 255, np.uint8)], axis=1)
            else:
                pal = unpremultiply(from_composites(cluster(semi_pts, n, seed)), keep_range=True)
            cache[gi, n] = pal
        return cache[gi, n]

    def build(shares: list[int], scored: bool = True) -> tuple[np.ndarray, np.ndarray, float]:
        palette = np.concatenate(head + [group_palette(i, n) for i, n in enumerate(shares)], axis=0)
        labels = np.zeros(len(colors), dtype=np.int64)
        base = sum(len(h) for h in head)
        for i, n in enumerate(shares):
            pal = cache[i, n]
            g = groups[i]
            if g is opaque:
                labels[g] = base + nearest(to_working(pal[:, :3], chroma=chroma), to_working(colors[g, :3], chroma=chroma))
            base += len(pal)
        if semi.any():
            palette, labels[semi] = _refine(palette, semi_pts)
        return palette, labels, _error(colors, weights, palette, labels) if scored else 0.0

    pixels = np.array([weights[g].sum() for g in groups])
    visual = np.array([visual_weight(colors[g], weights[g]) for g in groups])
    vis = visual_share(k)
    share_w = (1 - vis) * pixels / pixels.sum() + vis * visual / max(visual.sum(), 1e-12)
    caps = [int(g.sum()) for g in groups]
    shares = share_slots(slots, list(share_w), caps)
    search = len(groups) == 2 and len(colors) <= _SEARCH_COLOURS and k <= _SEARCH_MAX_K
    best = build(shares, search)
    if search:
        best = _split_search(shares, caps, slots, build, best)
    if semi.any() and not opaque.any() and not dither:
        return _seen_refine(colors, weights, semi, best[0], best[1], chroma)
    return best[0], best[1]


def _split_search(shares: list[int], caps: list[int], slots: int, build, best):
    """Move entries between the opaque and the partly transparent group while the total error on
    the composites falls: from the rule of thumb's split, steps of a tenth of it, halved when
    neither neighbour is better, at most `_SEARCH_TRIES` tries. Squared error on the composites
    ranks the splits as SSIMULACRA2 does where it matters: icons-2 at K=8, opaque entries 4/5/6:
    errors 4.7/3.2/1.2 ×10⁸, scores −47.3/−46.0/−21.0; at K = 16 and 64 the error's best split
    lies within one or two tries of the score's best."""
    n = shares[0]
    step = max(1, round(0.1 * n))
    tries = 0
    while step and tries < _SEARCH_TRIES:
        moved = False
        for cand in (n - step, n + step):
            if not (1 <= cand <= caps[0] and 1 <= slots - cand <= caps[1]) or tries >= _SEARCH_TRIES:
                continue
            tries += 1
            got = build([cand, slots - cand])
            if got[2] < best[2]:
                best, n, moved = got, cand, True
                break
        if not moved:
            step //= 2
    return best


def seen(colors: np.ndarray, chroma: float) -> np.ndarray:
    """RGBA colours as `seen.to_seen` places them: composites on black and white in OKLab with
    XYB's biased cube root (`seen.py` has the why)."""
    return to_seen(composites(colors), chroma)


def _seen_refine(colors: np.ndarray, weights: np.ndarray, semi: np.ndarray, palette: np.ndarray,
                 labels: np.ndarray, chroma: float) -> tuple[np.ndarray, np.ndarray]:
    """`_refine` once more, from the palette refined on the plain composites, in the seen space
    (`seen.py`), and of the two results the one whose worse page (black or white) has the smaller
    error there: the image is judged on whichever page it lands on (bench_perceptual scores the
    worse of the two). For images without opaque pixels (`rgba_palette`): the transparent ones
    keep their exact entry either way, so only the partly transparent colours are compared."""
    x = seen(colors[semi], chroma)
    w = weights[semi]
    pal2, lab2 = _refine(palette, Points(x, w, integer=False), lambda p: seen(p, chroma),
                         lambda c: from_composites(from_seen(c, chroma)))
    if _worse_page(x, w, seen(pal2, chroma)[lab2]) >= _worse_page(x, w, seen(palette, chroma)[labels[semi]]):
        return palette, labels
    labels = labels.copy()
    labels[semi] = lab2
    return pal2, labels


def _worse_page(x: np.ndarray, weights: np.ndarray, y: np.ndarray) -> float:
    """The larger of the weighted squared errors on black (first 3 coordinates) and on white."""
    d = (x - y) ** 2 * weights[:, None]
    return max(float(d[:, :3].sum()), float(d[:, 3:].sum()))


def _refine(palette: np.ndarray, pts: Points, fwd: Callable = composites,
            back: Callable = from_composites) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd steps for the partly transparent entries with every entry to choose from: each
    partly transparent colour (`pts`: composites, pixel weights) takes the nearest entry on the
    composites, transparent and opaque ones included, and each such entry moves to the mean of
    its colours (rounded to what the file stores, so the last assignment is against the stored
    colours). An entry left with no colours goes to the colour with the largest error. Returns
    the palette and the entry of each colour.

    Above `_REFINE_EXACT_PAIRS` colours × entries the steps run on 6-bit bin means (5-bit above
    `_REFINE_BINS` of them) and only the last assignment on the colours themselves: a 1.1 MP
    cut-out photo (250,000 partly transparent colours) cost 1.6 s more CPU at K=64 with every step
    exact (+50 %), 0.3 s so. The translucent gradient (90,000 colours) runs on bins from K=12:
    exact steps gained it up to 0.5 points at K = 32…64 for 0.5 s more CPU (1.6× its quantize).
    Exact steps search colour cells at once (`colorbins.assign`: 1.1 -> 0.7 s on the icon sheets
    and the gradient at K=64)."""
    x, w = pts.x, pts.w
    if len(x) * len(palette) > _REFINE_EXACT_PAIRS and pts.levels:
        x, w = pts.levels[6] if len(pts.levels[6][0]) <= _REFINE_BINS else pts.levels[5]
    palette = palette.copy()
    free = np.flatnonzero((palette[:, 3] > 0) & (palette[:, 3] < 255))
    comp = fwd(palette)
    exact = x is pts.x  # then the colour cells settle most colours at once (`colorbins.assign`)
    lab = assign(comp, pts) if exact else nearest(comp, x)
    for _ in range(_REFINE_ITER):
        sw = np.bincount(lab, weights=w, minlength=len(palette))
        sums = np.stack([np.bincount(lab, weights=w * x[:, d], minlength=len(palette)) for d in range(x.shape[1])], 1)
        empty = free[sw[free] == 0]
        if len(empty):
            err = w * ((x - comp[lab]) ** 2).sum(axis=1)
            far = np.argsort(-err, kind="stable")[: len(empty)]
            sums[empty[: len(far)]], sw[empty[: len(far)]] = x[far] * w[far, None], w[far]
        live = free[sw[free] > 0]
        palette[live] = unpremultiply(back(sums[live] / sw[live, None]), keep_range=True, unique=False)
        comp = fwd(palette)
        new = assign(comp, pts) if exact else nearest(comp, x)
        if np.array_equal(new, lab):
            break
        lab = new
    return palette, (lab if exact else assign(comp, pts))


def _error(colors: np.ndarray, weights: np.ndarray, palette: np.ndarray, labels: np.ndarray) -> float:
    """Total squared error on the composites (what a viewer sees on black and on white pages),
    partly transparent colours' at `_SEMI_ERROR_WEIGHT`."""
    d = composites(colors) - composites(palette[labels])
    a = colors[:, 3]
    w = np.where((a > 0) & (a < 255), weights * _SEMI_ERROR_WEIGHT, weights)
    return float(np.einsum("ij,ij,i->", d, d, w))


def rgba_weights(colors: np.ndarray, counts: np.ndarray, importance: np.ndarray) -> np.ndarray:
    """Opaque colours' weights from `texture.importance_counts`, partly transparent ones' pixel
    counts. Measured with bench_perceptual's RGBA images (K = 8…256, both modes, SSIMULACRA2 against
    pngquant's at equal K, summed): +123.8 -> +136.5 points; icons-2 K=32 +3.3 and +3.4, K=64 +1.1
    and +0.9 (now above pngquant's), the gradient and panels unchanged (no opaque pixels). On the
    partly transparent ones too it cost the translucent gradient up to 5 points; importance
    measured on alpha-weighted luma instead of plain luma 0.2–0.4 points less at K=64 on icons-2."""
    out = counts.astype(np.float64)
    opaque = colors[:, 3] == 255
    out[opaque] = importance[opaque]
    return out
