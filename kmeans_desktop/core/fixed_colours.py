"""Colours the user fixes: locked entries inside k-means, and mapping onto a given palette.

Locked colours are fixed centres, not colours pasted over the result: they seed the coarse
stage (the other seeds are chosen by weighted k-means++ *around* them, so no free centre is
wasted next to a locked one), and our Lloyd steps, coarse and fine, never move them
(kmeans._lloyd's `n_fixed`). Pixels
then go to whichever entry is nearest, locked or not, so a locked colour takes exactly the
pixels it is best for, and the free entries spend themselves on the rest of the image.

A given palette (`--palette`, pngquant's `--map`) is the case where every entry is fixed: no
clustering at all, only the exact nearest-entry mapping, in the same space the engine clusters in
(OKLab for opaque colours, black/white composites for translucent ones).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import KMeansDesktopError


class PaletteError(KMeansDesktopError):
    """Locked colours or a fixed palette that can't be used (too many for K, malformed)."""


def as_colours(colours, *, what: str = "locked colours") -> np.ndarray:
    """A sequence of (r, g, b) -> m×3 uint8, duplicates removed, order kept."""
    arr = np.asarray([] if colours is None else list(colours), dtype=np.int64).reshape(-1, 3)
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise PaletteError(f"the {what} must have channels from 0 to 255.")
    _, first = np.unique(arr, axis=0, return_index=True)
    return np.ascontiguousarray(arr[np.sort(first)].astype(np.uint8))


def check_locked(locked: np.ndarray, k: int) -> None:
    if len(locked) > k:
        raise PaletteError(f"{len(locked)} locked colours don't fit in K={k}; lock at most {k} "
                           f"or raise K to at least {len(locked)}.")


def seed_centres(x: np.ndarray, w: np.ndarray, fixed: np.ndarray, n_new: int, seed: int) -> np.ndarray:
    """`fixed` followed by `n_new` centres chosen from x by greedy weighted k-means++ (as
    scikit-learn does it: a few candidates per step, the one that lowers the error most)."""
    rng = np.random.default_rng(seed)
    centres = [c for c in fixed]
    if not centres:  # no fixed centre: the first one by weight alone
        centres.append(x[rng.choice(len(x), p=w / w.sum())])
        n_new -= 1
    d2 = ((x[:, None, :] - np.asarray(centres)[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    trials = 2 + int(math.log(max(len(centres) + n_new, 2)))
    for _ in range(max(n_new, 0)):
        p = w * d2
        total = p.sum()
        if total <= 0:  # every point already sits on a centre
            break
        cand = rng.choice(len(x), size=trials, p=p / total)
        cd = ((x[None, :, :] - x[cand][:, None, :]) ** 2).sum(axis=2)
        cd = np.minimum(cd, d2[None, :])
        best = int(np.argmin(cd @ w))
        centres.append(x[cand[best]])
        d2 = cd[best]
    return np.asarray(centres, dtype=np.float64)


def coarse_with_fixed(coarse: np.ndarray, cw: np.ndarray, fixed: np.ndarray, k: int, seed: int,
                      n_init: int, *, lloyd, max_iter: int) -> np.ndarray:
    """The coarse stage with m fixed centres: weighted k-means++ seeds chosen around them, then
    Lloyd steps that never move them (`lloyd` is kmeans._lloyd, passed in: this module doesn't
    import kmeans); the best of `n_init` starts by weighted error, as without fixed centres."""
    from .colorbins import Points

    m = len(fixed)
    pts = Points(coarse, cw, binned=False, integer=False)
    best, best_err = None, np.inf
    for r in range(n_init):
        centres = seed_centres(coarse, cw, fixed, min(k - m, len(coarse)), seed + 7919 * r)
        centres = lloyd(centres, pts, max_iter=max_iter, n_fixed=m)
        d2 = ((coarse[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        err = float(d2 @ cw)
        if err < best_err:
            best, best_err = centres, err
    return best


def map_to_palette(colors: np.ndarray, palette: np.ndarray, composites, to_working, nearest) -> np.ndarray:
    """The nearest entry of a fixed RGBA `palette` (m×4) for each distinct colour (n×3 or n×4):
    opaque colours among the opaque entries in the working space (OKLab), the rest by what a
    viewer sees over black and white (a transparent colour finds a transparent entry exactly)."""
    c4 = colors if colors.shape[1] == 4 else np.concatenate(
        [colors, np.full((len(colors), 1), 255, np.uint8)], axis=1)
    labels = nearest(composites(palette), composites(c4))
    solid_px, solid_pal = c4[:, 3] == 255, np.flatnonzero(palette[:, 3] == 255)
    if solid_px.any() and len(solid_pal):
        labels[solid_px] = solid_pal[nearest(to_working(palette[solid_pal, :3]), to_working(c4[solid_px, :3]))]
    return labels


def fixed_palette(palette, channels: int, has_transparent: bool) -> np.ndarray:
    """The palette as the image will use it: m×3 for an RGB image and an opaque palette, else
    m×4; an image with transparent pixels gets one transparent entry when the palette has none."""
    pal = np.asarray(palette, dtype=np.uint8)
    if pal.ndim != 2 or pal.shape[1] not in (3, 4) or not 1 <= len(pal) <= 256:
        raise PaletteError("a palette must have 1 to 256 colours.")
    if pal.shape[1] == 3:
        pal = np.concatenate([pal, np.full((len(pal), 1), 255, np.uint8)], axis=1)
    if has_transparent and not (pal[:, 3] == 0).any():
        if len(pal) == 256:
            raise PaletteError("the palette has 256 colours and the image has transparent pixels, "
                               "which need an entry of their own; use a palette of at most 255.")
        pal = np.concatenate([np.zeros((1, 4), np.uint8), pal], axis=0)
    if channels == 3 and (pal[:, 3] == 255).all():
        pal = pal[:, :3]
    return np.ascontiguousarray(pal)
