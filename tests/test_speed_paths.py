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


@pytest.mark.parametrize("seed", range(4))
def test_dense_nearest_matches_the_kdtree(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, (3000, 3))
    c = rng.uniform(0, 255, (40, 3))
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
