"""Issue 15: the palette stage's nearest-centre searches on two threads (`halves`) and from a few
candidates per open colour cell (`cellsearch`) give the answers of the one-thread full searches,
bit for bit."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.spatial import cKDTree

from kmeans_desktop.core import cellsearch, colorbins, halves, quantize


def _clustered(seed: int, n: int = 60_000) -> np.ndarray:
    """Whole-number colours in blobs, dense enough that 7-bit cells hold several colours each."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(40, 215, (12, 3))
    x = np.concatenate([rng.normal(m, 14, (n // 12, 3)) for m in means])
    return np.unique(np.clip(np.rint(x), 0, 255), axis=0)


@pytest.mark.parametrize("seed,k", [(0, 16), (1, 40), (2, 64)])
def test_assign_from_cell_candidates_is_the_full_search(monkeypatch, seed, k):
    x = _clustered(seed)
    pts = colorbins.Points(x, np.ones(len(x)))
    rng = np.random.default_rng(seed)
    # (off the colours' lattice: with whole-number offsets exact ties appear, which the tree and the
    # candidates may settle either way, as the tree and the dense query do)
    centres = x[rng.choice(len(x), k, replace=False)] + rng.uniform(0.05, 0.45, (k, 3))
    calls = []
    real = cellsearch.nearest_in_cells

    def counted(*args, **kwargs):
        calls.append(len(args[3]))  # the open colours it was given
        return real(*args, **kwargs)

    monkeypatch.setattr(colorbins, "nearest_in_cells", counted)
    monkeypatch.setattr(colorbins, "_SURE_SHARE", 0.0)  # the cells' path, whatever settles
    monkeypatch.setattr(colorbins, "_DENSE_PAIRS", 0)  # leftovers and cells searched in the k-d tree
    labels = colorbins.assign(centres, pts)
    assert calls and calls[0] > 1000  # the candidates' path ran, on many colours
    assert np.array_equal(labels, cKDTree(centres).query(x)[1])
    # in two halves on two threads (small chunks, so that a few thousand colours split): the same
    monkeypatch.setattr(cellsearch, "_CHUNK", 256)
    monkeypatch.setattr(colorbins, "_DENSE_SPLIT", 512)
    monkeypatch.setattr(colorbins, "lanes", lambda: 2)
    split = []
    monkeypatch.setattr(cellsearch, "in_two", lambda *a: split.append(1) or halves.in_two(*a))
    assert np.array_equal(colorbins.assign(centres, pts), labels)
    assert split


def test_cell_candidates_fall_back_to_a_search_where_they_cannot_decide(monkeypatch):
    x = _clustered(3)
    pts = colorbins.Points(x, np.ones(len(x)))
    rng = np.random.default_rng(3)
    centres = x[rng.choice(len(x), 64, replace=False)] + rng.uniform(0.05, 0.45, (64, 3))
    searched = []
    real = colorbins._Nearest.query

    def query(self, q, k=1):
        searched.append((len(q), k))
        return real(self, q, k)

    monkeypatch.setattr(colorbins._Nearest, "query", query)
    monkeypatch.setattr(colorbins, "_SURE_SHARE", 0.0)
    monkeypatch.setattr(cellsearch, "CELL_CANDIDATES", 1)  # one candidate: many colours left open
    labels = colorbins.assign(centres, pts)
    assert searched[-1][1] == 1 and searched[-1][0] > 0  # the undecided colours, searched one by one
    assert np.array_equal(labels, cKDTree(centres).query(x)[1])


@pytest.mark.parametrize("k,dims", [(2, 3), (1, 3), (2, 6)])
def test_dense_query_in_two_halves_is_one_pass_bit_for_bit(monkeypatch, k, dims):
    rng = np.random.default_rng(k + dims)
    x = rng.uniform(0, 255, (20_011, dims))  # an odd count: the halves end inside no block
    c = rng.uniform(0, 255, (23, dims))
    one = colorbins._dense_query(c, x, k)
    names = []
    real = halves.in_two

    def watched(work, n, step=1):
        def named(s, e):
            names.append(threading.current_thread().name)
            return work(s, e)
        return real(named, n, step)

    monkeypatch.setattr(colorbins, "in_two", watched)
    monkeypatch.setattr(colorbins, "_DENSE_SPLIT", 1000)
    monkeypatch.setattr(colorbins, "lanes", lambda: 2)
    two = colorbins._Nearest(c).query(x, k)
    assert sorted(names) == sorted(["kmeans-half", threading.current_thread().name])
    assert all(np.array_equal(a, b) for a, b in zip(one, two))  # distances too, to the bit


def test_in_two_splits_on_whole_steps_and_raises_the_helpers_error():
    seen = []
    assert halves.in_two(lambda s, e: seen.append((s, e)) or (s, e), 10_000, 3000) == ((0, 3000), (3000, 10_000))

    def fails(s, e):
        if s > 0:
            raise ValueError("second half")
        return s

    with pytest.raises(ValueError, match="second half"):
        halves.in_two(fails, 100, 10)


def test_lanes_is_one_in_a_pool_worker(monkeypatch):
    from kmeans_desktop.core import runmap

    monkeypatch.setattr(colorbins.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(colorbins, "_workers", -1)
    assert colorbins.lanes() == 2 and runmap.band_threads(4) == 2
    monkeypatch.setattr(colorbins, "_workers", 1)
    assert colorbins.lanes() == 1 and runmap.band_threads(4) == 1


@pytest.mark.parametrize("k,dither", [(12, False), (48, False), (48, True)])
def test_quantize_forced_through_the_threaded_paths_equals_one_thread(monkeypatch, k, dither):
    rng = np.random.default_rng(k)
    # a smooth gradient with noise: many distinct colours, many of them in open cells
    yy, xx = np.mgrid[0:300, 0:400]
    base = np.stack([xx * 0.6, yy * 0.8, (xx + yy) * 0.35], axis=2)
    pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    monkeypatch.setattr(colorbins, "_DENSE_SPLIT", 2000)  # every sizeable dense query in two halves
    runs = []
    real = halves.in_two
    monkeypatch.setattr(colorbins, "in_two", lambda *a, **kw: runs.append(1) or real(*a, **kw))
    threaded = quantize(pixels, k, dither=dither, seed=3)
    assert runs  # the two-thread path ran
    monkeypatch.setattr(colorbins, "_workers", 1)  # one thread everywhere
    runs.clear()
    single = quantize(pixels, k, dither=dither, seed=3)
    assert not runs
    assert np.array_equal(threaded.palette, single.palette)
    assert np.array_equal(threaded.indices, single.indices)
