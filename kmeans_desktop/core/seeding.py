"""Weighted k-means on the small coarse set (a few thousand bin means): k-means++ starts and
Lloyd steps in numpy, in place of scikit-learn's `KMeans`.

Why our own: the coarse set is small enough that scikit-learn's fixed costs dominate (input
checks, thread pools, 0.7 s to import `sklearn.cluster` in every CLI run and every batch worker),
and the result is the same algorithm: greedy k-means++ (2 + ln K candidates per centre, the one
that lowers the weighted potential most is kept, as scikit-learn and Arthur & Vassilvitskii do),
then Lloyd iterations until the centres move less than a small tolerance, best of `n_init` starts.
Seeded with numpy's PCG64, so the same points, K and seed give the same centres.
"""

from __future__ import annotations

import numpy as np

_TOL = 1e-4  # stop when the centres' squared shift is under this share of the data's variance


def _sq_dist(x: np.ndarray, c: np.ndarray, x2: np.ndarray | None = None) -> np.ndarray:
    """Squared distances, points × centres, one dimension at a time: no BLAS call, whose thread
    pool costs far more than these few-column products on a busy machine (0.1 s a call at load 8)."""
    d = np.subtract.outer(x[:, 0], c[:, 0])
    d *= d
    for j in range(1, x.shape[1]):
        t = np.subtract.outer(x[:, j], c[:, j])
        t *= t
        d += t
    return d


def kmeans_plusplus(x: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy weighted k-means++ centres (at most k; fewer when the points run out)."""
    n = len(x)
    trials = 2 + int(np.log(k))
    x2 = (x * x).sum(axis=1)
    first = int(rng.choice(n, p=w / w.sum()))
    centres = [x[first]]
    closest = _sq_dist(x, x[first][None, :], x2)[:, 0]
    potential = float(closest @ w)
    for _ in range(1, k):
        if potential <= 0.0:  # every point sits on a centre already
            break
        cum = np.cumsum(closest * w)
        cand = np.minimum(np.searchsorted(cum, rng.random(trials) * cum[-1]), n - 1)
        d = np.minimum(_sq_dist(x, x[cand], x2), closest[:, None])
        pots = w @ d
        best = int(np.argmin(pots))
        centres.append(x[cand[best]])
        closest, potential = d[:, best], float(pots[best])
    return np.array(centres)


def lloyd_dense(x: np.ndarray, w: np.ndarray, centres: np.ndarray, max_iter: int) -> tuple[np.ndarray, float]:
    """Weighted Lloyd iterations with a dense distance matrix (for small point sets); returns the
    centres and their weighted inertia. A centre left empty keeps its place."""
    x2 = (x * x).sum(axis=1)
    mean = (w @ x) / w.sum()
    tol = _TOL * float(w @ ((x - mean) ** 2).sum(axis=1)) / w.sum()
    k = len(centres)
    for _ in range(max_iter):
        lab = np.argmin(_sq_dist(x, centres, x2), axis=1)
        sw = np.bincount(lab, weights=w, minlength=k)
        sums = np.stack([np.bincount(lab, weights=w * x[:, d], minlength=k) for d in range(x.shape[1])], 1)
        new = np.where(sw[:, None] > 0, sums / np.maximum(sw, 1e-300)[:, None], centres)
        shift = float(((new - centres) ** 2).sum())
        centres = new
        if shift <= tol:
            break
    d = _sq_dist(x, centres, x2)
    return centres, float(w @ d.min(axis=1))


def weighted_kmeans(x: np.ndarray, w: np.ndarray, k: int, *, seed: int, n_init: int, max_iter: int) -> np.ndarray:
    """The best (least weighted inertia) of `n_init` k-means++ + Lloyd runs; at most k centres."""
    rng = np.random.default_rng(seed)
    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centres, inertia = lloyd_dense(x, w, kmeans_plusplus(x, w, k, rng), max_iter)
        if inertia < best_inertia:
            best, best_inertia = centres, inertia
    return best
