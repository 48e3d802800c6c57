"""Nearest centres by plain numpy distances, for `colorbins`' queries of up to `_DENSE_PAIRS`
point × centre pairs (and the k-means++ products of `seeding`), each on the calling thread:
no BLAS call here is large enough to wake OpenBLAS's own threads (see `GEMM_ONE_THREAD`).
"""

from __future__ import annotations

import numpy as np


def squared_distances(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Squared distances, points × centres, one dimension at a time: no BLAS call, whose thread
    pool costs far more than these few-column products on a busy machine (0.1 s a call at load 8)."""
    d = np.subtract.outer(x[:, 0], c[:, 0])
    d *= d
    for j in range(1, x.shape[1]):
        t = np.subtract.outer(x[:, j], c[:, j])
        t *= t
        d += t
    return d


#: Dense queries work through the points in blocks of about this many point × centre pairs, so
#: the distance table stays in the cache (a third to half the time of one table for all points).
_BLOCK_PAIRS = 65_536
#: Matrix products of at most this many multiply-adds (m × n × k) run on the calling thread:
#: OpenBLAS wakes its threads above 65,536 × GEMM_MULTITHREAD_THRESHOLD (4) = 262,144, and they
#: then spin on the other core (measured 2026-12-03: 7×3 by 3×30,000 took 1.0 ms CPU, 7×3 by
#: 3×12,000 0.06 ms). 3-D blocks of `_BLOCK_PAIRS` pairs are 196,608.
GEMM_ONE_THREAD = 196_608


def product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b (BLAS), split by b's columns so that each product stays below `GEMM_ONE_THREAD`."""
    cols = max(1, GEMM_ONE_THREAD // max(1, a.shape[0] * a.shape[1]))
    if b.shape[1] <= cols:
        return a @ b
    return np.concatenate([a @ b[:, s:s + cols] for s in range(0, b.shape[1], cols)], axis=1)


def _block_rows(kc: int, dims: int) -> int:
    return max(1, _BLOCK_PAIRS * 3 // (kc * dims))  # (6-D points: half the rows, one thread)


def _dense_query(c: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of the k (1 or 2) nearest centres, as cKDTree.query gives them.

    Per block, |c|² − 2 x·c (the point's own |x|² is the same for every centre, so it is added to
    the chosen distances only): one product and one add over the table, where the
    subtract-square-add per dimension made eight passes. Measured 2026-12-02 (process time, 96,000
    points): K=32 11 ms against 29, K=256 50 against 142; the labels agree with the per-dimension
    distances on photos and with the k-d tree in the tests (the rounding, about 1e-11 of a squared
    distance of up to 2e5, decides only exact ties).

    The product by BLAS (`@`), not `einsum`: a block is at most `_BLOCK_PAIRS` × 3 = 196,608
    multiply-adds, below OpenBLAS's threshold for threads (65,536 × GEMM_MULTITHREAD_THRESHOLD 4),
    so it runs on the calling thread (CPU = wall time over 3,000 calls, no thread woken); 2048×32
    blocks 111 -> 35 µs, 256×256 62 -> 29 µs. Measured 2026-12-03: the same palettes and indices
    (hashes of 8 photos at K = 8…256), quantize CPU on bench_speed's 4 photos at K=32 402 -> 376 ms."""
    x = np.asarray(x, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    m2 = np.ascontiguousarray(-2.0 * c.T)
    cc = np.einsum("ij,ij->i", c, c)
    n, kc = len(x), len(c)
    rows = _block_rows(kc, x.shape[1])
    # Written into arrays for all points, the chosen entries by flat index (`take`, `put`): fewer,
    # cheaper calls per block than 2-D fancy indexing and a stack per block; the same numbers.
    dist, idx = np.empty((k, n)), np.empty((k, n), dtype=np.intp)
    base = np.arange(min(rows, n)) * kc
    for s in range(0, n, rows):
        d = x[s:s + rows] @ m2  # (a block's product stays below OpenBLAS's threading threshold)
        d += cc
        flat, m = d.reshape(-1), len(d)
        for j in range(k):
            first = np.argmin(d, axis=1)
            at = base[:m] + first
            np.take(flat, at, out=dist[j, s:s + m])
            idx[j, s:s + m] = first
            if j + 1 < k:
                flat[at] = np.inf
    dist += np.einsum("ij,ij->i", x, x)  # the points' own |x|², added to the chosen ones only
    np.sqrt(np.maximum(dist, 0.0, out=dist), out=dist)
    return (dist[0], idx[0]) if k == 1 else (dist.T, idx.T)
