"""Issue 13's speed paths give the same answers as the slower ones they stand in for."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.spatial import cKDTree

from kmeans_desktop.core import colorbins
from kmeans_desktop.core.colourspace import from_working, to_working
from kmeans_desktop.core.seeding import weighted_kmeans


@pytest.mark.parametrize("seed,dims", [(0, 3), (1, 3), (2, 3), (3, 3), (4, 6)])  # 6-D: RGBA composites
def test_dense_nearest_matches_the_kdtree(seed, dims):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, (3000, dims))  # several blocks, the last one partly filled
    c = rng.uniform(0, 255, (40, dims))
    d, i = colorbins._dense_query(c, x, 2)
    td, ti = cKDTree(c).query(x, k=2)
    assert np.array_equal(i, ti)
    assert np.allclose(d, td)
    assert np.array_equal(colorbins._dense_query(c, x, 1)[1], ti[:, 0])


def test_assign_is_the_same_with_dense_and_tree_queries(monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 255, (30_000, 3))
    pts = colorbins.Points(x, rng.uniform(1, 5, len(x)), integer=False)
    c = rng.uniform(0, 255, (32, 3))
    dense = colorbins.assign(c, pts)
    monkeypatch.setattr(colorbins, "_DENSE_PAIRS", 0)
    assert np.array_equal(dense, colorbins.assign(c, pts))
    assert np.array_equal(dense, cKDTree(c).query(x)[1])


def test_oklab_without_blas_matches_the_matrix_product():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (500, 3)).astype(np.uint8)
    back = from_working(to_working(rgb))
    assert np.abs(back - rgb).max() < 1e-6


@pytest.mark.parametrize("chroma", [150.0, 160.0, 255.0])
def test_oklab_column_by_column_gives_the_numbers_of_the_n_by_3_form(chroma):
    """uint8 colours go channel by channel (`to_working`); the same numbers, bit for bit, as the
    n×3 products the float path takes, so every clustering stays as it was."""
    from kmeans_desktop.core import colourspace as cs

    rgb = np.random.default_rng(8).integers(0, 256, (50_000, 3)).astype(np.uint8)
    scale = np.array([255.0, chroma, chroma])
    want = cs._mat3(np.cbrt(cs._mat3(cs._LINEAR[rgb], cs._M1)), cs._M2) * scale + cs._OFFSET
    np.testing.assert_array_equal(to_working(rgb, chroma=chroma), want)


def _plain_lloyd(x, w, centres, max_iter):
    """Every point measured against every centre at every step (what the bounds stand in for)."""
    from kmeans_desktop.core import seeding

    mean = (w @ x) / w.sum()
    tol = seeding._TOL * float(w @ ((x - mean) ** 2).sum(axis=1)) / w.sum()
    k = len(centres)
    for _ in range(max_iter):
        lab = colorbins._dense_query(centres, x, 1)[1]
        sw = np.bincount(lab, weights=w, minlength=k)
        sums = np.stack([np.bincount(lab, weights=w * x[:, d], minlength=k) for d in range(3)], 1)
        new = np.where(sw[:, None] > 0, sums / np.maximum(sw, 1e-300)[:, None], centres)
        shift = float(((new - centres) ** 2).sum())
        centres = new
        if shift <= tol:
            break
    return centres


@pytest.mark.parametrize("k", [1, 5, 32])
def test_lloyd_with_bounds_matches_plain_lloyd(k):
    from kmeans_desktop.core.seeding import kmeans_plusplus, lloyd_dense

    rng = np.random.default_rng(k)
    x = np.concatenate([rng.normal(m, 12, (400, 3)) for m in rng.uniform(30, 220, (12, 3))])
    w = rng.uniform(1, 50, len(x))
    start = kmeans_plusplus(x, w, k, np.random.default_rng(1))
    got, inertia = lloyd_dense(x, w, start.copy(), 100)
    want = _plain_lloyd(x, w, start.copy(), 100)
    np.testing.assert_array_equal(got, want)
    d = colorbins._dense_query(want, x, 1)[0]
    assert inertia == pytest.approx(float(w @ (d * d)))


@pytest.mark.parametrize("k,n_fixed", [(2, 0), (24, 0), (24, 3), (200, 0), (200, 5)])  # 200: `Candidates`
def test_polish_with_bounds_matches_full_searches(k, n_fixed):
    import math

    from kmeans_desktop.core import kmeans

    rng = np.random.default_rng(k + n_fixed)
    x = np.concatenate([rng.normal(m, 9, (2500, 3)) for m in rng.uniform(30, 220, (10, 3))])
    pts = colorbins.Points(x, rng.uniform(1, 20, len(x)), integer=False)
    start = x[rng.choice(len(x), k, replace=False)]
    start[-1] = [1000.0, 1000.0, 1000.0]  # far from every point: empty, so it is dropped
    # the same iterations with a full search every step
    centres, prev = start.copy(), math.inf
    for i in range(8):
        lab = colorbins.assign(centres, pts)
        diff = x - centres[lab]
        inertia = float(np.einsum("ij,ij,i->", diff, diff, pts.w))
        sw = np.bincount(lab, weights=pts.w, minlength=len(centres))
        keep = sw > 0
        keep[:n_fixed] = True
        sums = np.stack([np.bincount(lab, weights=pts.w * x[:, d], minlength=len(centres)) for d in range(3)], 1)
        moved = sums / np.maximum(sw, 1e-300)[:, None]
        moved[:n_fixed] = centres[:n_fixed]
        centres = moved[keep]
        if i == 7 or prev - inertia <= kmeans._LLOYD_TOL * inertia:
            break
        prev = inertia
    got = kmeans._lloyd(start.copy(), pts, max_iter=8, n_fixed=n_fixed)
    assert len(got) == k - 1
    # the same labels at every step; the polish keeps its sums from the points that changed centre
    # (`clustersums`), so the centres agree up to float rounding (about 1e-13 here)
    np.testing.assert_allclose(got, centres, rtol=0, atol=1e-9)


def test_seeded_kmeans_is_deterministic_and_finds_separated_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[20.0, 20, 20], [200, 40, 90], [90, 220, 30], [240, 240, 240]])
    x = np.concatenate([c + rng.normal(0, 3, (200, 3)) for c in centres])
    w = np.ones(len(x))
    a = weighted_kmeans(x, w, 4, seed=5, n_init=3, max_iter=100)
    assert np.array_equal(a, weighted_kmeans(x, w, 4, seed=5, n_init=3, max_iter=100))
    found = np.sort(np.round(a[:, 0] / 10))
    assert np.array_equal(found, np.sort(np.round(centres[:, 0] / 10)))


def test_compress_does_not_import_scikit_learn_or_the_ssimulacra2_port(tmp_path, china):
    from PIL import Image

    src = tmp_path / "small.png"
    Image.fromarray(china[:60, :80]).save(src)
    code = ("import sys; from kmeans_desktop.cli import main; "
            f"rc = main(['compress', {str(src)!r}, '-k', '16', '-o', {str(tmp_path / 'o.png')!r}]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')) "
            "+ [m for m in sys.modules if m.endswith('ssimulacra2_port')], rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[] 0"


@pytest.mark.parametrize("from_cells", [False, True])
def test_candidates_give_the_nearest_centre_after_moves(from_cells):
    rng = np.random.default_rng(11)
    x = np.floor(rng.uniform(0, 256, (40_000, 3)))  # whole numbers: the cells' radius bound holds
    centres = rng.uniform(0, 255, (150, 3))
    cells = colorbins.Points(x, np.ones(len(x))).cells if from_cells else None
    assert (cells is not None) == from_cells
    cands = colorbins.Candidates(centres, x, cells=cells)
    assert np.array_equal(cands.labels, cKDTree(centres).query(x)[1])
    for scale in (0.5, 2.0, 8.0):  # small and large moves: some points must be searched again
        moved = centres + rng.normal(0, scale, centres.shape)
        step = np.sqrt(((moved - centres) ** 2).sum(1))
        centres = moved
        assert np.array_equal(cands.move(centres, step), cKDTree(centres).query(x)[1])


def test_points_of_every_chroma_weight_are_kept_within_their_byte_bound(china, monkeypatch):
    """The K slider crosses chroma weights: each weight's points are built once and kept (up to
    _POINTS_BYTES together, the most recently used first), and results don't depend on it."""
    from kmeans_desktop.core import build_histogram, kmeans, quantize
    from kmeans_desktop.core.colourspace import chroma_for_k

    hist = build_histogram(china)
    ks = (8, 16, 26, 100, 256)  # five different weights
    assert len({chroma_for_k(k) for k in ks}) == 5
    first = {k: quantize(china, k, histogram=hist) for k in ks}
    kept = lambda: [c[1] for c in hist.cache if isinstance(c, tuple) and c[0] == "points"]  # noqa: E731
    assert kept() == [chroma_for_k(k) for k in ks]
    points = hist.cache[("points", chroma_for_k(16))]
    again = quantize(china, 16, histogram=hist)
    assert hist.cache[("points", chroma_for_k(16))] is points  # reused, not built again
    assert kept()[-1] == chroma_for_k(16)  # now the most recently used
    np.testing.assert_array_equal(again.indices, first[16].indices)
    hist = build_histogram(china)  # afresh, kept up to three weights' points
    monkeypatch.setattr(kmeans, "_POINTS_BYTES", 3 * hist.n_colors * kmeans._POINT_BYTES)
    for k in ks[:4]:
        quantize(china, k, histogram=hist)
    assert kept() == [chroma_for_k(k) for k in ks[1:4]]  # the oldest dropped
    monkeypatch.setattr(kmeans, "_POINTS_BYTES", 0)  # never fewer than the current and the last
    fresh = quantize(china, 256, histogram=hist)
    assert kept() == [chroma_for_k(100), chroma_for_k(256)]
    np.testing.assert_array_equal(fresh.indices, first[256].indices)


def test_candidates_give_the_nearest_palette_entry_of_rounded_and_merged_centres():
    # The palette's mapping at large K starts from the polish's candidates: centre j becomes entry
    # inv[j] (rounded; centres that round alike merge into one entry), `shift[j]` away.
    rng = np.random.default_rng(12)
    x = np.floor(rng.uniform(0, 256, (40_000, 3)))
    centres = rng.uniform(0, 255, (150, 3))
    cands = colorbins.Candidates(centres, x, cells=colorbins.Points(x, np.ones(len(x))).cells)
    moved = centres + rng.normal(0, 1.0, centres.shape)
    moved[1::10] = moved[::10] + 0.5  # some pairs close enough to merge
    cands.move(moved, np.sqrt(((moved - centres) ** 2).sum(1)))
    palette, inv = np.unique(np.round(moved / 12) * 12, axis=0, return_inverse=True)  # coarse: merges
    inv = inv.reshape(-1)
    assert len(palette) < len(moved)
    shift = np.sqrt(((palette[inv] - moved) ** 2).sum(1))
    lab = cands.nearest_after(palette, inv, shift)
    best = cKDTree(palette).query(x)[0]  # (a grid palette: exact ties, so compare distances)
    np.testing.assert_allclose(np.sqrt(((x - palette[lab]) ** 2).sum(1)), best, rtol=0, atol=1e-9)


def test_a_start_probed_worse_than_the_limit_stops_with_its_inertia_recorded():
    from kmeans_desktop.core.seeding import kmeans_plusplus, lloyd_dense

    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(m, 12, (400, 3)) for m in rng.uniform(30, 220, (12, 3))])
    w = rng.uniform(1, 50, len(x))
    start = kmeans_plusplus(x, w, 8, np.random.default_rng(1))
    after2, inertia2 = lloyd_dense(x, w, start.copy(), 2)
    probe = {"step": 2, "limit": inertia2 * 0.999}
    centres, inertia = lloyd_dense(x, w, start.copy(), 6, probe=probe)
    assert inertia == np.inf and probe["inertia"] == pytest.approx(inertia2, rel=1e-9)
    np.testing.assert_array_equal(centres, after2)
    probe = {"step": 2, "limit": inertia2 * 1.001}  # within the limit: runs on, as without a probe
    np.testing.assert_array_equal(lloyd_dense(x, w, start.copy(), 6, probe=probe)[0],
                                  lloyd_dense(x, w, start.copy(), 6)[0])


def test_starts_that_run_out_of_points_give_the_places_there_are():
    """Fewer distinct places than K: k-means++ stops at the places (every point sits on a centre),
    every start alike, and the answer is those places."""
    x = np.array([[10.0, 10, 10], [200, 30, 30], [40, 200, 90]])
    x = np.concatenate([x, x])  # 6 points, 3 places
    centres = weighted_kmeans(x, np.ones(len(x)), 5, seed=0, n_init=3, max_iter=100)
    assert sorted(map(tuple, centres)) == sorted(map(tuple, x[:3]))


def test_bin_numbers_over_the_occupied_box_are_those_over_every_key():
    """`_bin_means` numbers the bins over the box the points occupy: the same numbers (ascending
    packed key, the last channel slowest) as over all 2^(3 bits) keys."""
    from kmeans_desktop.core.colorbins import _bin_means

    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(60, 200, (3000, 3)), rng.uniform(0, 255, (50, 3)), [[255.0, 0, 3]]])
    w = rng.uniform(0.5, 3, len(x))
    for bits in (5, 6, 7):
        q = np.clip(x, 0, 255).astype(np.int64) >> (8 - bits)
        key = q[:, 0] | (q[:, 1] << bits) | (q[:, 2] << (2 * bits))
        inv = np.unique(key, return_inverse=True)[1].reshape(-1)
        means, bw, got = _bin_means(x, w, bits)
        np.testing.assert_array_equal(got, inv)
        np.testing.assert_allclose(bw, np.bincount(inv, weights=w))


@pytest.mark.parametrize("k,steps", [(16, 8), (17, 6), (32, 6), (95, 6), (96, 8), (256, 8)])
def test_the_exact_polish_takes_fewer_steps_between_the_detail_pass_and_the_candidates(china, monkeypatch, k, steps):
    from kmeans_desktop.core import kmeans

    seen, real = [], kmeans._lloyd
    monkeypatch.setattr(kmeans, "_lloyd", lambda c, p, max_iter, **kw: seen.append((len(p), max_iter)) or real(c, p, max_iter, **kw))
    hist = kmeans.build_histogram(china)
    kmeans.palette_for_histogram(hist, k)
    assert (hist.n_colors, steps) in seen


def test_product_splits_large_products_and_equals_the_plain_one():
    rng = np.random.default_rng(5)
    a, b = rng.uniform(0, 255, (7, 3)), rng.uniform(0, 255, (3, 30_000))  # 630,000 multiply-adds: split
    assert 7 * 3 * 30_000 > colorbins.GEMM_ONE_THREAD
    np.testing.assert_allclose(colorbins.product(a, b), a @ b, rtol=1e-12)
    small = b[:, :100]
    np.testing.assert_array_equal(colorbins.product(a, small), a @ small)
