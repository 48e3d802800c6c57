"""Colour bins and exact nearest-centre search for the k-means in `kmeans.py`.

A set of weighted points (the distinct colours of an image, with pixel counts) is binned at 7, 6
and 5 bits per channel once; the bin means feed the coarse k-means search and the polish steps,
and the bins double as cells that let the exact nearest-centre search settle whole groups of
colours at once. Qt-free, numpy + scipy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .bounds import Wear
from .cancel import checkpoint
from .cellsearch import nearest_in_cells
from .dense import GEMM_ONE_THREAD, _block_rows, _dense_query, product, squared_distances  # noqa: F401 (here too)
from .halves import in_two

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

#: Fewer points than this are used as they are: binning them isn't worth it.
BIN_MIN_POINTS = 20_000

_workers = -1  # threads for k-d tree queries; -1 = all cores
#: Queries with fewer points than this run on one thread: starting threads costs more than they
#: bring there (a web-size photo's queries are a few thousand to 100,000 points, dozens of them per K; on a
#: busy machine the threads wait for each other longer than one thread takes).
_THREADED_ABOVE = 250_000


#: Queries of at most this many point × centre pairs are answered by plain numpy distances (no
#: scipy.spatial import, 0.3–0.5 s with scipy.sparse, for small images); above it a k-d tree is faster.
#: 8 M (was 1 M) keeps web-size photos at K ≤ 64 off the tree (china.jpg, 96k colours × 64 = 6.1 M):
#: measured 2026-12-02 in one process, china K=64, CPU: quantize 0.64–0.73 s dense against
#: 0.94–1.33 s with the tree and its import; with scipy already imported the tree is 0.13 s faster
#: (0.54 against 0.67), and at K=256 (24.6 M pairs) 3.5× faster, so larger queries keep it. The
#: 24-photo folder (K=64, two workers) used the same CPU either way (30.1/31.0 s against 28.9/32.1 s,
#: load 5–6). Dense and tree agree except at exact ties; which one runs depends only on the sizes.
_DENSE_PAIRS = 8_000_000
#: The bound for 6-D points (RGBA's composites), as it was for all before: the translucent gradient
#: (90,000 colours) took 1.6 / 1.7 s to quantize at K = 64 / 256 with 8 M pairs (4 M: 1.4 / 1.6 s)
#: against 0.8 s with 1 M, the tree answering the rest.
_DENSE_PAIRS_6D = 1_000_000
#: Dense queries of this many points or more run in two halves on two threads (`lanes`, `halves`):
#: a 9 MP photo's (the detail pass's 141,220 samples; `cellsearch`'s 210,906 open colours of 9 MP
#: china at K=32), not a web-size photo's (china.jpg: 96,615 colours), whose CPU time is measured
#: on one thread against libimagequant (bench_speed).
_DENSE_SPLIT = 131_072


class _Nearest:
    """Exact nearest centres: numpy distances for small queries, a k-d tree (built once, on the
    first large query) for the rest. Same answers either way, up to exact ties."""

    def __init__(self, centres: np.ndarray):
        self.centres = np.asarray(centres, dtype=np.float64)
        self._tree: cKDTree | None = None

    def query(self, x: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        if len(x) * len(self.centres) <= (_DENSE_PAIRS if self.centres.shape[1] <= 3 else _DENSE_PAIRS_6D):
            if len(x) < _DENSE_SPLIT or lanes() < 2:
                return _dense_query(self.centres, x, k)
            x = np.asarray(x, dtype=np.float64)  # two halves of whole blocks (`halves`): the same rows' answers
            a, b = in_two(lambda s, e: _dense_query(self.centres, x[s:e], k), len(x), _block_rows(*self.centres.shape))
            return np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])
        if self._tree is None:
            from scipy.spatial import cKDTree  # imported on first use (see _DENSE_PAIRS)

            self._tree = cKDTree(self.centres)
        return self._tree.query(x, k=k, workers=_workers if len(x) > _THREADED_ABOVE else 1)


#: Hamerly's bounds (seeding.lloyd_dense, kmeans._lloyd) this close count as crossed, so rounding
#: never keeps a point at a centre that is not its nearest.
BOUND_MARGIN = 1e-6


def two_nearest(centres: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest centre of each point (as `nearest` and `assign` find it), its distance, and the
    distance to the second nearest (inf with one centre): the bounds of Hamerly's k-means."""
    if len(centres) == 1:
        d, i = _Nearest(centres).query(x)
        return np.asarray(i, dtype=np.int64), np.asarray(d, dtype=np.float64), np.full(len(x), np.inf)
    d, i = _Nearest(centres).query(x, k=2)
    return i[:, 0].astype(np.int64), d[:, 0].copy(), d[:, 1].copy()


#: Polish steps from this many centres on keep each point's `CANDIDATES` nearest centres (see
#: `Candidates`); fewer centres keep Hamerly's bounds (`kmeans._lloyd`), cheap there.
CANDIDATE_MIN_K = 96
CANDIDATES = 4


class Candidates:
    """Each point's m nearest centres and a lower bound on its distance to every other centre.
    After the centres move (each by at most `step`), the bound falls by the longest path any
    centre has travelled since it was measured (`bounds.Wear`); the nearest of a point's m candidates (m distances) is its nearest centre of all while nearer than
    the bound, and only the other points are searched again (a k-d tree, m + 1 nearest).

    Why: at K=256 some centre always moves far enough that Hamerly's one lower bound (the second
    nearest) lets 20-60 % of a web-size photo's colours cross at every step, each a tree search;
    the m = 4 nearest hold for most of them over all the polish steps. Same labels as full
    searches (tested), up to exact ties."""

    def __init__(self, centres: np.ndarray, x: np.ndarray, m: int = CANDIDATES, cells: _Cells | None = None):
        self.x = x
        self.cols = [np.ascontiguousarray(x[:, j]) for j in range(x.shape[1])]
        self.m = max(1, min(m, len(centres) - 1))
        self._row_start: np.ndarray | None = None
        wide = 2 * self.m
        if cells is None or wide + 1 > len(centres):
            d, i = self._query(centres, x)
            self.cand, self.far = np.ascontiguousarray(i[:, :self.m]), d[:, self.m].copy()
            self.labels = i[:, 0].astype(np.int64)
            self._wear = Wear(len(centres), len(x))
            return
        # From the 7-bit cells: every member of a cell is within its radius of the cell's mean, so a
        # centre beyond the mean's `wide` nearest is at least (the next one's distance − radius)
        # from each member. A member's m candidates are the nearest m of those `wide`, and its bound
        # the smaller of that and the (m+1)th of them. One tree search per cell (china: 10,000
        # cells, not 96,615 colours); `move` with no move then settles the points as usual.
        from scipy.spatial import cKDTree

        d, i = cKDTree(centres).query(cells.means7, k=wide + 1)
        far = (d[:, wide] - cells.radius7)[cells.point7]
        wider = i[:, :wide][cells.point7]
        dc = self._distances(centres, wider)
        # The nearest m + 1 of the `wide` by a sort of each row, picked by flat index: china K=256
        # 19.5 -> 10.2 ms against argpartition and take_along_axis (same sets; ties aside).
        at = np.argsort(dc, axis=1)[:, :self.m + 1]
        at += (np.arange(len(x)) * wide)[:, None]
        self.cand = wider.reshape(-1)[at[:, :self.m]]
        self.far = np.minimum(far, np.sqrt(dc.reshape(-1)[at[:, self.m]]))
        self._wear = Wear(len(centres), len(x))
        # then as `move` with no move, from the candidates' distances already measured
        self._settle(centres, dc.reshape(-1)[at[:, :self.m]], self.far)

    def _query(self, centres: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy.spatial import cKDTree

        return cKDTree(centres).query(x, k=self.m + 1, workers=_workers if len(x) > _THREADED_ABOVE else 1)

    def _distances(self, centres: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Squared distances of every point to its candidates (points × candidates)."""
        dc = None
        for j, col in enumerate(self.cols):
            t = np.take(np.ascontiguousarray(centres[:, j]), cand)  # (`take`: 96k×4, 363 -> 247 µs)
            t -= col[:, None]
            t *= t
            dc = t if dc is None else np.add(dc, t, out=dc)
        return dc

    def move(self, centres: np.ndarray, step: np.ndarray) -> np.ndarray:
        """The exact nearest of `centres` for every point, after each moved by `step` (same
        indexing as before: no centre dropped).

        A point's bound on every other centre falls by the most any one centre has travelled
        since the bound was measured (its path length), not by the sum of each step's largest
        move (`bounds.Wear`)."""
        self._wear.moved(step)
        return self._settle(centres, self._distances(centres, self.cand), self.far - self._wear.worn())

    def _settle(self, centres: np.ndarray, dc: np.ndarray, far: np.ndarray) -> np.ndarray:
        """Labels from the candidates' squared distances `dc` where nearer than the bound `far`;
        the other points are searched again."""
        at = dc.argmin(axis=1)
        at += self._rows()  # flat indices of each point's nearest candidate (1-D gathers, no 2-D ones)
        lab = self.cand.reshape(-1)[at].astype(np.int64, copy=False)
        again = np.flatnonzero(np.sqrt(dc.reshape(-1)[at]) >= far - BOUND_MARGIN)
        if len(again):
            d, i = self._query(centres, np.take(self.x, again, axis=0))  # (`take`: x[again] 3-4× slower)
            self.cand[again], self.far[again], lab[again] = i[:, :self.m], d[:, self.m], i[:, 0]
            self._wear.measured(again)
        self.labels = lab
        return lab

    def _rows(self) -> np.ndarray:
        """The flat index of each point's first candidate (row × m), made once."""
        if self._row_start is None:
            self._row_start = np.arange(len(self.x)) * self.m
        return self._row_start

    def nearest_after(self, centres: np.ndarray, inv: np.ndarray, shift: np.ndarray) -> np.ndarray:
        """The exact nearest of `centres` for every point, where centre j of the last `move` became
        `centres[inv[j]]`, `shift[j]` away (the palette: the centres rounded, some merged)."""
        far = self.far - self._wear.worn(shift)
        cand = inv[self.cand]
        dc = self._distances(centres, cand)
        at = dc.argmin(axis=1)
        at += self._rows()
        lab = cand.reshape(-1)[at].astype(np.int64)
        again = np.flatnonzero(np.sqrt(dc.reshape(-1)[at]) >= far - BOUND_MARGIN)
        if len(again):
            lab[again] = nearest(centres, np.take(self.x, again, axis=0))
        return lab


def set_workers(n: int) -> None:
    """Limit the k-d tree queries to n threads (-1 for all cores); a process pool that already
    runs one process per core sets 1."""
    global _workers
    _workers = int(n)


def lanes() -> int:
    """Threads a large row-wise job may take: two on two cores or more, one in a process of a pool
    that runs one per core (`set_workers(1)`). `runmap.band_threads` and `halves` users ask it."""
    return 1 if _workers == 1 else min(2, os.cpu_count() or 1)


class Points:
    """Weighted points to cluster, with their bin-mean pyramid and cell index built on first use.
    For RGB the histogram keeps one of these, so every K after the first reuses them."""

    def __init__(self, x: np.ndarray, w: np.ndarray, *, binned: bool = True, integer: bool = True):
        self.x, self.w = x, w
        self.integer = integer  # whole-number coordinates (sRGB), or any value (OKLab)
        self.binned = binned and len(x) > BIN_MIN_POINTS  # bins are worth it for many points
        self._levels: dict[int, tuple[np.ndarray, np.ndarray]] | None = None
        self._members: dict[int, np.ndarray] = {}
        self._cells: _Cells | None = None

    def __len__(self) -> int:
        return len(self.x)

    @property
    def levels(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        if self._levels is None:
            self._levels, self._members = bin_levels(self.x, self.w) if self.binned else ({}, {})
        return self._levels

    @property
    def cells(self) -> _Cells | None:
        """The 6- and 7-bit bins as cells for exact nearest-centre search (None for few points)."""
        if self._cells is None and self.levels:
            m7, m6 = self._members[7], self._members[6]  # point -> 7-bit bin, 7-bit bin -> 6-bit bin
            means7, means6 = self.levels[7][0], self.levels[6][0]
            point6 = m6[m7]
            self._cells = _Cells(
                means6=means6, radius6=_radius(means6, 6, self.integer), point6=point6,
                means7=means7, radius7=_radius(means7, 7, self.integer), point7=m7, cell7_in6=m6,
            )
        return self._cells


def _radius(means: np.ndarray, bits: int, integer: bool = True) -> np.ndarray:
    """Per cell, a bound on how far a member can lie from the cell's mean: the distance to the
    farthest corner of the cell's box (for integer colours the last integer inside it). Free to
    compute, and barely looser than the true farthest member."""
    width = float(1 << (8 - bits))
    lo = np.floor(means / width) * width
    reach = np.maximum(means - lo, lo + width - (1.0 if integer else 0.0) - means)
    return np.sqrt((reach * reach).sum(axis=1))


@dataclass(frozen=True, eq=False)
class _Cells:
    means6: np.ndarray  # 6-bit cells: mean, radius, and the cell of every point
    radius6: np.ndarray
    point6: np.ndarray
    means7: np.ndarray  # 7-bit cells likewise, plus the 6-bit cell each lies in
    radius7: np.ndarray
    point7: np.ndarray
    cell7_in6: np.ndarray


def _settled(tree: _Nearest, means: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each cell: its nearest centre, and whether that holds for every member point (the mean
    is nearer to it than to the second centre by more than twice the radius)."""
    d, i = tree.query(means, k=2)
    return i[:, 0], (d[:, 1] - d[:, 0]) > 2.0 * radius + 1e-9


#: `assign` searches every point at once (no 7-bit cells) when fewer than this share of the points
#: lie in settled 6-bit cells and the 7-bit cells hold fewer than `_CELL_POINTS` colours each.
#: Measured 2026-12-02 (exact labels either way): web-size photos (china, flower, astronaut; 7-bit
#: cells of 6–10 colours) at K ≥ 64, where 0–8 % settle, 10–35 % faster searched at once; at K ≤ 32
#: (18–75 % settle) the cells are faster, and on a 9 MP photo (about 60 colours a cell) they are at
#: every K up to 256.
_SURE_SHARE = 0.1
_CELL_POINTS = 20


def assign(centres: np.ndarray, pts: Points) -> np.ndarray:
    """Exact nearest centre of every point, mostly decided per cell: by the triangle inequality a
    cell whose mean is clearly nearer one centre than any other has all its members nearest that
    centre too. 6-bit cells first, then the 7-bit cells inside the undecided ones; the members of
    the 7-bit cells left open take the nearest of their cell's few candidates (`cellsearch`). Same
    answer as searching every point (up to exact ties).

    Each 7-bit cell's label (its 6-bit cell's, its own, or none yet) is made first and the points
    take theirs in one gather: 9 MP china at K=64, 1.2 M colours, where three gathers over them and
    the masks between took about 15 ms of `assign`'s 41. (Until 2026-12-03 it could also return
    bounds for Hamerly's k-means; `kmeans._lloyd` measures its own since, with `two_nearest`.)"""
    tree = _Nearest(centres)
    cells = pts.cells if len(centres) >= 2 else None
    if cells is None:
        return tree.query(pts.x)[1].astype(np.int64)
    near6, sure6 = _settled(tree, cells.means6, cells.radius6)
    if len(pts.x) < _CELL_POINTS * len(cells.means7) and np.count_nonzero(sure6[cells.point6]) < _SURE_SHARE * len(pts.x):
        # Few cells settle (large K) and the fine cells hold few colours each: one search is cheaper.
        return tree.query(pts.x)[1].astype(np.int64)
    checkpoint()
    label7 = near6[cells.cell7_in6].astype(np.int64)  # per 7-bit cell: its 6-bit cell's nearest ...
    open7 = np.flatnonzero(~sure6[cells.cell7_in6])
    if len(open7):
        near7, sure7 = _settled(tree, cells.means7[open7], cells.radius7[open7])
        label7[open7] = np.where(sure7, near7, -1)  # ... its own where that is unsure, or none yet
    checkpoint()
    labels = label7[cells.point7]
    rest = np.flatnonzero(labels < 0)
    if len(rest):  # from a few candidates per open 7-bit cell (`cellsearch`)
        still = open7[~sure7]  # the 7-bit cells left open
        row7 = np.full(len(cells.means7), -1, dtype=np.int64)
        row7[still] = np.arange(len(still))
        labels[rest] = nearest_in_cells(tree.query, tree.centres, pts.x, rest, row7[cells.point7[rest]],
                                        cells.means7[still], cells.radius7[still], BOUND_MARGIN,
                                        two=len(rest) >= _DENSE_SPLIT and lanes() > 1)
    return labels


def _bin_means(x: np.ndarray, w: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean colour and total weight of each occupied bin of `bits` bits per channel, and
    the bin of every point."""
    q = np.clip(x, 0, 255).astype(np.int64) >> (8 - bits)
    if bits * x.shape[1] <= 21:  # a table of all keys is small: number the occupied ones directly
        # (a bool table and an int32 count: china.jpg's 96,615 colours at 7 bits 15 -> 3.4 ms CPU,
        # where a bincount of 2^21 int64 counts and their int64 cumsum touched 32 MB). The table
        # spans only the occupied box of bins, in the same order (last channel slowest), so the
        # numbers are the same as over all 2^21 keys: the cumsum over all took 3.6 of china's
        # 10.5 ms at 7 bits (its box: about 1/20 of the keys).
        key = np.zeros(len(x), dtype=np.int64)
        size = 1
        for d in range(x.shape[1]):
            col = q[:, d]
            lo = int(col.min())  # (per column: `q.min(axis=0)` took 2 ms of an n×3 int64 array)
            key += (col - lo) * size
            size *= int(col.max()) - lo + 1
        occupied = np.zeros(size, dtype=np.bool_)
        occupied[key] = True
        number = np.cumsum(occupied, dtype=np.int32)
        number -= 1
        checkpoint()  # (9 MP: 1.2 M colours, each step here ~10 ms)
        inv = number[key].astype(np.int64)
    else:
        key = np.zeros(len(x), dtype=np.int64)
        for d in range(x.shape[1]):
            key |= q[:, d] << (bits * d)
        inv = np.unique(key, return_inverse=True)[1]
    bw = np.bincount(inv, weights=w)
    checkpoint()
    means = np.stack([np.bincount(inv, weights=w * x[:, d]) for d in range(x.shape[1])], axis=1) / bw[:, None]
    return means, bw, inv.reshape(-1)


def bin_levels(x: np.ndarray, w: np.ndarray) -> tuple[dict, dict]:
    """Bin means at 7, 6 and 5 bits per channel, each from the finer level (a weighted mean of
    weighted means is exact, and a bin mean lies inside its bin, so binning the means at fewer
    bits is binning the colours), so only the first pass touches every distinct colour. Also
    returns, per level, which bin of that level each point of the finer level falls in."""
    levels, members = {}, {}
    src = (x, w)
    for bits in (7, 6, 5):
        checkpoint()  # (a cancelled build leaves `Points` without levels: built again next time)
        means, bw, inv = _bin_means(*src, bits)
        levels[bits], members[bits] = (means, bw), inv
        src = (means, bw)
    return levels, members


def nearest(palette: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Exact nearest palette entry (squared Euclidean) for every row of x."""
    if len(palette) == 1:
        return np.zeros(len(x), dtype=np.int64)
    _, lab = _Nearest(palette).query(x)
    return lab.astype(np.int64)
