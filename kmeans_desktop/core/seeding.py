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

from .bounds import Wear
from .cancel import checkpoint
from .colorbins import BOUND_MARGIN, nearest, product, squared_distances, two_nearest

_TOL = 1e-4  # stop when the centres' squared shift is under this share of the data's variance
#: With several starts, each runs this many Lloyd steps and only the one with the least inertia
#: then runs to convergence (12–50 steps on web-size photos). Measured 2026-12-02 on 7 photos at
#: K = 8…64 against running every start to convergence: 6 steps picked the same start in all but
#: one case (K=16: mean SSIMULACRA2 +0.3, bytes +1.5 %), K = 8 and 32 identical files; the
#: quantize at K=32 took 19 % less CPU (bench_speed's web photos). 3 steps picked worse starts
#: more often (K=8: −0.6 points).
_SCREEN_ITER = 6
#: A start whose inertia after `_PROBE_ITER` Lloyd steps is above `_PROBE_SLACK` times the least of
#: the earlier starts' at that step is dropped there, without its other screening steps. Measured
#: 2026-12-02 on the 4 web photos at K=32 (5 starts): after 2 steps the starts lay 4-10 % above the
#: best converged one, and every start 3 % or more behind the best at step 2 ended behind it. The
#: same bytes on those 4 and 6 of scikit-image's photos (astronaut, chelsea, coffee, rocket,
#: immunohistochemistry, colorwheel) at K = 8…64 (and 4 photos at 128, 256); 2-8 of 20 starts
#: dropped per K; coarse stage at K=32 on the 4 web photos 260 -> 225 ms CPU (flower -22 %).
_PROBE_ITER = 2
_PROBE_SLACK = 1.03


#: OpenBLAS's dot product stays on the calling thread up to this length (its `ddot` threads above
#: 10,000; measured 2026-12-03: 7 rows of 9,000, 13 µs CPU; of 12,000, 60 µs).
_DOT_ONE_THREAD = 10_000


def _row_dots(d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """d @ w, row by row: `np.vecdot` (numpy ≥ 2: a BLAS dot per row, 7 × 1,896 in 2.9 µs where
    einsum took 9.2) while a row stays below `_DOT_ONE_THREAD`, else einsum (see the note above)."""
    vecdot = getattr(np, "vecdot", None)
    if vecdot is not None and d.shape[1] <= _DOT_ONE_THREAD:
        return vecdot(d, w)
    return np.einsum("ij,j->i", d, w)


def kmeans_plusplus(x: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator,
                    prep: Prepared | None = None) -> np.ndarray:
    """Greedy weighted k-means++ centres (at most k; fewer when the points run out). `prep`:
    `Prepared(x, w)`, when several starts share the points.

    The candidates' distances are laid out candidates × points, so every numpy loop runs along
    the points (a points × 5 table runs 5-long inner loops): flower.jpg's 9,303 coarse points at
    K=32, 29 -> 10 ms CPU a start, the same arithmetic per distance as `squared_distances`."""
    n = len(x)
    trials = 2 + int(np.log(k))
    prep = Prepared(x, w) if prep is None else prep
    aug, m = prep.aug, prep.m
    first = int(rng.choice(n, p=prep.p))
    centres = [x[first]]
    closest = squared_distances(x, x[first][None, :])[:, 0]
    potential = float(np.einsum("i,i->", closest, w))
    for _ in range(1, k):
        checkpoint()
        if potential <= 0.0:  # every point sits on a centre already
            break
        cum = np.cumsum(closest * w)
        cand = np.minimum(np.searchsorted(cum, rng.random(trials) * cum[-1]), n - 1)
        # The product by BLAS on this thread (`colorbins.product`); the kept row is clipped at 0
        # below (rounding leaves about −1e-13 at the candidate itself, nothing in the potentials).
        d = product(aug[cand], m)
        np.minimum(d, closest, out=d)
        # (Not `d @ w` nor the vector dots `a @ b`: BLAS products this size wake OpenBLAS's threads,
        # which then spin on the other core; measured with perf, 8.6-9.3 % of the process's CPU over
        # the 4 web photos' quantize at K=32, gone with einsum, same bytes.)
        pots = _row_dots(d, w)
        best = int(np.argmin(pots))
        centres.append(x[cand[best]])
        closest, potential = np.maximum(d[best], 0.0), float(pots[best])
    return np.array(centres)


class Prepared:
    """What every k-means++ start and Lloyd run measures of the same points, made once for all
    starts (`weighted_kmeans`). Measured 2026-12-03, bench_speed's 4 photos at K=32 (5 starts
    each), the same bytes (11 images, K = 8…256); quantize CPU on one thread 291 -> 286 ms (min
    of 6 runs of 5 rounds, alternating)."""

    def __init__(self, x: np.ndarray, w: np.ndarray, seeding: bool = True):
        n = len(x)
        mean = np.einsum("i,ij->j", w, x) / w.sum()  # (no BLAS: see kmeans_plusplus)
        self.tol = _TOL * float(np.einsum("i,i->", w, ((x - mean) ** 2).sum(axis=1))) / w.sum()
        self.wx = [w * x[:, d] for d in range(x.shape[1])]
        self.x2 = float(np.einsum("ij,ij,i->", x, x, w))
        if not seeding:
            return
        xx = np.einsum("ij,ij->i", x, x)
        # [c, |c|², 1] · [−2x; 1; |x|²] = |c|² + |x|² − 2 c·x in one product per centre, where the
        # product and two additions over the table were three passes (and |c|² a gather); measured
        # 2026-12-03, one start on china's coarse set (min of 15, alternating): K=32 3.55 -> 2.94 ms
        # CPU, K=256 21.4 -> 17.7 ms (with the clip in `kmeans_plusplus`); the same bytes on 8 photos at K = 8…256.
        self.aug = np.concatenate([x, xx[:, None], np.ones((n, 1))], axis=1)
        self.m = np.ascontiguousarray(np.concatenate([-2.0 * x.T, np.ones((1, n)), xx[None, :]], axis=0))
        self.p = w / w.sum()


def lloyd_dense(x: np.ndarray, w: np.ndarray, centres: np.ndarray, max_iter: int,
                probe: dict | None = None, prep: Prepared | None = None) -> tuple[np.ndarray, float]:
    """Weighted Lloyd iterations with exact assignment; returns the centres and their weighted
    inertia. A centre left empty keeps its place.

    Hamerly's bounds skip most distance computations after the first steps: each point keeps an
    upper bound on the distance to its centre and a lower bound on the distance to any other;
    when centres move, the bounds move by as much, and only points whose bounds cross are
    measured again (a margin keeps near-ties measured). Same assignments as measuring every point
    every step (checked against it in the tests), at a third of the cost on a web-size photo's
    coarse set (about 10,000 bin means, 12–27 steps at K=32).

    `probe` ({"step": s, "limit": v}): the inertia after s steps goes to probe["inertia"], and
    when it is above v the run stops there with an infinite inertia. `prep`: `Prepared(x, w)`, when
    several starts share the points."""
    prep = Prepared(x, w, seeding=False) if prep is None else prep
    tol, wx = prep.tol, prep.wx
    k = len(centres)
    lab, upper, lower = two_nearest(centres, x)
    wear = Wear(k, len(x))  # the lower bounds fall by the centres' path lengths since measured
    converged = False
    for it in range(max_iter):
        checkpoint()
        sw = np.bincount(lab, weights=w, minlength=k)
        sums = np.stack([np.bincount(lab, weights=c, minlength=k) for c in wx], 1)
        if probe is not None and it == probe["step"]:  # the inertia from the clusters' sums
            probe["inertia"] = prep.x2 - float(np.einsum("ij,ij->", centres, 2.0 * sums - sw[:, None] * centres))
            if probe["inertia"] > probe["limit"]:
                return centres, np.inf
        new = np.where(sw[:, None] > 0, sums / np.maximum(sw, 1e-300)[:, None], centres)
        moves = ((new - centres) ** 2).sum(axis=1)
        centres = new
        if float(moves.sum()) <= tol:
            converged = True
            break
        step = np.sqrt(moves)
        upper += step[lab]
        wear.moved(step)
        low = lower - wear.worn()
        again = np.flatnonzero(upper >= low - BOUND_MARGIN)
        if len(again):  # Hamerly's second test: the exact distance to its own centre may do
            # (row gathers by `take`: x[again] took 4-5× as long for n×3 float64; same numbers)
            xa = np.take(x, again, axis=0)
            d = xa - np.take(centres, lab[again], axis=0)
            upper[again] = own = np.sqrt(np.einsum("ij,ij->i", d, d))
            cross = np.flatnonzero(own >= low[again] - BOUND_MARGIN)
            again = again[cross]
            lab[again], upper[again], lower[again] = two_nearest(centres, np.take(xa, cross, axis=0))
            wear.measured(again)
    # The inertia of the last centres: after a last move, one more step's bounds settle most points'
    # nearest centre (a full search of all of them took 10-20 % of a screened start)
    if converged:
        step = np.sqrt(moves)
        upper += step[lab]
        wear.moved(step)
        again = np.flatnonzero(upper >= lower - wear.worn() - BOUND_MARGIN)
        if len(again):
            lab[again] = nearest(centres, np.take(x, again, axis=0))
    d = x - np.take(centres, lab, axis=0)
    return centres, float(np.einsum("ij,ij,i->", d, d, w))


def weighted_kmeans(x: np.ndarray, w: np.ndarray, k: int, *, seed: int, n_init: int, max_iter: int,
                    screen_on: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The best (least weighted inertia) of `n_init` k-means++ + Lloyd runs (screened after
    `_SCREEN_ITER` steps, clearly worse ones dropped after `_PROBE_ITER`); at most k centres.
    `screen_on`: a smaller set (coarser bin means of the same colours, more than k of them) the
    starts are seeded and screened on; the best then runs to convergence on (x, w).

    The starts run in turn on the calling thread, drawing from one generator. Until 2026-12-03
    they ran on two threads for images of more than 150,000 colours: a start's steps are small
    array operations, so the threads mostly handed the GIL to each other. Measured 2026-12-03, 9 MP
    china's coarse set (3,801 points), median of 21 in a quantize's crew, two alternated rounds:
    K=64 two threads 28.4/33.1 ms wall, 38.9/45.0 ms CPU; one thread 28.8/30.5 ms wall and CPU; K=16
    17.3/18.0 wall, 23.2/23.7 CPU against 16.9/16.6 both. On a busier host earlier that day (the
    stage's median wall over 15 quantizes, three rounds) two threads 49/52/39 ms, one 40/42/35.
    (Making the five starts' seeds together, starts × candidates × points in one array per step,
    was tried too: at 3,801 points within a millisecond of the starts in turn, but on china.jpg's
    21,861 7-bit means at K=16 23.6 ms against 16.4, at K=64 162 against 80: the tables outgrow the
    cache.)"""
    rng = np.random.default_rng(seed)
    screen = _SCREEN_ITER if n_init > 1 and max_iter > _SCREEN_ITER else max_iter
    full = (x, w)
    if screen_on is not None and screen < max_iter and len(screen_on[0]) > k:
        x, w = screen_on
    prep = Prepared(x, w)  # what every start measures of the points, once
    runs, probed = [], np.inf
    for _ in range(n_init):
        probe = {"step": _PROBE_ITER, "limit": probed * _PROBE_SLACK} if screen > _PROBE_ITER else None
        runs.append(lloyd_dense(x, w, kmeans_plusplus(x, w, k, rng, prep), screen, probe=probe, prep=prep))
        if probe is not None and "inertia" in probe:
            probed = min(probed, probe["inertia"])
    best, best_inertia = None, np.inf
    for centres, inertia in runs:  # the first of the least inertia
        if inertia < best_inertia:
            best, best_inertia = centres, inertia
    if screen < max_iter:  # only the most promising start runs on to convergence
        best = lloyd_dense(*full, best, max_iter - screen, prep=prep if full[0] is x else None)[0]
    return best
