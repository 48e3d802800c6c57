"""The coarse set of the k-means++ search and the coarser set its starts are screened on
(`core/coarse.py`, `seeding.weighted_kmeans(screen_on=...)`)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_sample_image

from kmeans_desktop.core import coarse, seeding
from kmeans_desktop.core.colorbins import Points
from kmeans_desktop.core.colourspace import chroma_for_k, to_working
from kmeans_desktop.core.histogram import build_histogram


def _points(k: int) -> Points:
    hist = build_histogram(load_sample_image("flower.jpg"))
    return Points(to_working(hist.colors, chroma=chroma_for_k(k)), hist.counts.astype(np.float64), integer=False)


def test_a_coarse_set_far_above_the_wanted_size_is_screened_on_the_next_coarser_level():
    """flower.jpg at K=32: the 6-bit bin means fall just short of the coarse share, so the coarse
    set is the 7-bit ones, 3x the wanted size; its starts are screened on the 6-bit ones."""
    pts = _points(32)
    x, _ = coarse.coarse_level(pts, 32)
    want = coarse._COARSE_WORK // 32
    assert len(x) > coarse._SCREEN_BIG * want and x is pts.levels[7][0]
    screen = coarse.screen_level(pts, 32, len(x))
    assert screen is not None and screen[0] is pts.levels[6][0]
    assert coarse._SCREEN_MIN * want <= len(screen[0]) < len(x)


def test_no_screening_set_at_small_k_or_near_the_wanted_size():
    pts = _points(16)
    x, _ = coarse.coarse_level(pts, 16)
    assert coarse.screen_level(pts, 16, len(x)) is None  # K <= 16: the starts decide more there
    pts = _points(64)
    x, _ = coarse.coarse_level(pts, 64)
    want = coarse._COARSE_WORK // 64
    assert coarse.screen_level(pts, 64, int(coarse._SCREEN_BIG * want)) is None


@pytest.mark.parametrize("n_init", [1, 3])
def test_screened_starts_converge_on_the_full_set(n_init):
    """With `screen_on`, the best start's centres run on to a fixed point of the full set's Lloyd
    step (with one start there is nothing to screen and the full set is used throughout)."""
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(m, 9, (400, 3)) for m in rng.uniform(30, 220, (12, 3))])
    w = rng.uniform(1, 20, len(x))
    small = (x[::5] + 0.5, w[::5] * 5)  # another set: its own optimum differs from the full set's
    c = seeding.weighted_kmeans(x, w, 8, seed=1, n_init=n_init, max_iter=300, screen_on=small)
    lab = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
    means = np.stack([np.average(x[lab == j], axis=0, weights=w[lab == j]) for j in range(len(c))])
    np.testing.assert_allclose(means, c, atol=0.05)
    again = seeding.weighted_kmeans(x, w, 8, seed=1, n_init=n_init, max_iter=300, screen_on=small)
    np.testing.assert_array_equal(c, again)
    if n_init > 1:  # the screening set changed which starts ran (the seeds come from its points)
        plain = seeding.weighted_kmeans(x, w, 8, seed=1, n_init=n_init, max_iter=300)
        assert not np.array_equal(plain, c)
