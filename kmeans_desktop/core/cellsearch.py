"""The exact nearest centre of the colours that `colorbins.assign`'s cells leave open, from a few
candidates per 7-bit cell instead of a search per colour.

Why: on a 9 MP photo (1.2 M distinct colours) the 6- and 7-bit cells settle only part of the
colours at once; the others (china at 3674×2449: 361 k at K=16, 504 k at K=32, 754 k at K=64) were
each searched in a k-d tree (about 240 ns a colour at K=64), the largest part of the palette stage
of a final preview (issue 15). Every member of a 7-bit cell lies within the cell's radius r of
its mean, so a centre beyond the mean's `CELL_CANDIDATES` nearest is at least (the next one's
distance − r) from each member: a member whose nearest candidate is nearer than that has found
its nearest centre of all, and only the few others are searched one by one.

Measured 2026-12-03, 9 MP china, the palette's assignment (`assign`), one thread, CPU: K=16 36 ->
19 ms, K=32 140 -> 26 ms, K=64 200 -> 40 ms (the k-d tree's two threads had made it 115 ms wall);
the same labels (every colour, against the full search). 3 candidates: 0.1-2.4 % of the open
colours then searched one by one; 4: 22-41 ms; 6: twice the time.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .cancel import checkpoint
from .halves import in_two

#: Candidates per open 7-bit cell (see the module note).
CELL_CANDIDATES = 3
#: Open colours are worked through in chunks of this many (the candidates' distances stay in the cache).
_CHUNK = 1 << 15


def nearest_in_cells(query: Callable, centres: np.ndarray, x: np.ndarray, rest: np.ndarray, row: np.ndarray,
                     means: np.ndarray, radius: np.ndarray, margin: float, two: bool = False) -> np.ndarray:
    """The exact nearest centre (index into `centres`) of the points `x[rest]`. `row`: each of them's
    cell, a row of `means` (the cells' means) and `radius` (how far a member can lie from its
    mean); `query(points, k)`: (distances, indices) of the k nearest centres, as `cKDTree.query`;
    `margin`: how close a bound may come before it counts as crossed (rounding); `two`: the colours
    in two halves on two threads (`halves`)."""
    m = min(CELL_CANDIDATES, len(centres) - 1)
    d, i = query(means, m + 1)
    cand = [np.ascontiguousarray(i[:, j]) for j in range(m)]
    far = d[:, m] - radius  # no member is nearer than this to a centre outside its cell's candidates
    far -= margin * (1.0 + np.abs(far))
    cols = [np.ascontiguousarray(centres[:, j]) for j in range(centres.shape[1])]
    labels = np.empty(len(rest), dtype=np.int64)
    sure = np.empty(len(rest), dtype=np.bool_)

    def work(start: int, stop: int) -> None:
        for s in range(start, stop, _CHUNK):
            checkpoint()
            e = min(stop, s + _CHUNK)
            r, c = rest[s:e], row[s:e]
            xr = np.take(x, r, axis=0).T  # (np.take of a column view would copy the whole column first)
            best = lab = None
            for cj in cand:  # by candidate column: every array n-long, no n×m tables
                at = np.take(cj, c)
                dist = None
                for col, xc in zip(cols, xr):  # (x − c)² summed over the dimensions in order, as the tree does
                    t = np.take(col, at)
                    t -= xc
                    t *= t
                    dist = t if dist is None else np.add(dist, t, out=dist)
                if best is None:
                    best, lab = dist, at
                else:
                    nearer = dist < best  # (the first of equals, as an argmin)
                    np.copyto(best, dist, where=nearer)
                    np.copyto(lab, at, where=nearer)
            labels[s:e] = lab
            np.less(np.sqrt(best, out=best), np.take(far, c), out=sure[s:e])

    if two and len(rest) >= 2 * _CHUNK:  # every colour's answer is its own: the halves change nothing
        in_two(work, len(rest), _CHUNK)
    else:
        work(0, len(rest))
    left = np.flatnonzero(~sure)
    for s in range(0, len(left), _CHUNK):  # (in chunks, each point on its own: at K=256 ~90 ms in one)
        checkpoint()
        part = left[s:s + _CHUNK]
        labels[part] = query(x[rest[part]], 1)[1]
    return labels
