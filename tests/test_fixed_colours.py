"""Locked colours and fixed palettes in the engine: kept exactly, counted toward K, opaque on
RGBA, honest fixed centres (not pasted afterwards), deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmeans_desktop.core import build_histogram, quantize
from kmeans_desktop.core import kmeans
from kmeans_desktop.core.colorbins import Points
from kmeans_desktop.core.fixed_colours import PaletteError, seed_centres

RED, WHITE = (200, 16, 46), (255, 255, 255)


def _photo(h=96, w=128, seed=3):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], axis=2)
    return np.clip(base + rng.integers(-12, 13, (h, w, 3)), 0, 255).astype(np.uint8)


def _rows(palette):
    return {tuple(int(v) for v in row) for row in palette}


@pytest.mark.parametrize("k", [2, 3, 8, 64, 256])
def test_locked_colours_are_in_the_palette_for_every_k(k):
    q = quantize(_photo(), k, locked=[RED, WHITE])
    assert {RED, WHITE} <= _rows(q.palette)
    assert q.n_colors <= k


def test_locked_colours_count_toward_k_and_too_many_is_one_sentence():
    q = quantize(_photo(), 4, locked=[RED, WHITE, (0, 0, 0), (1, 2, 3)])
    assert _rows(q.palette) == {RED, WHITE, (0, 0, 0), (1, 2, 3)}
    with pytest.raises(PaletteError, match=r"3 locked colours don't fit in K=2"):
        quantize(_photo(), 2, locked=[RED, WHITE, (0, 0, 0)])


def test_locked_colours_on_rgba_are_opaque_entries():
    img = _photo()
    alpha = np.tile(np.linspace(0, 255, img.shape[1]).astype(np.uint8), (img.shape[0], 1))
    rgba = np.dstack([img, alpha])
    for k in (3, 4, 16, 64):
        q = quantize(rgba, k, locked=[RED, WHITE])
        rows = _rows(q.palette)
        assert {RED + (255,), WHITE + (255,)} <= rows, k
        assert q.n_colors <= k


def test_an_unused_locked_colour_stays_and_takes_no_pixels():
    img = np.zeros((8, 8, 3), np.uint8)
    img[:, 4:] = 250
    q = quantize(img, 4, locked=[RED])
    assert RED in _rows(q.palette)
    i = [tuple(r) for r in q.palette.tolist()].index(RED)
    assert q.counts[i] == 0
    assert q.mse == 0.0  # the two real colours still got their own entries


def test_pixels_of_a_locked_colour_map_to_it_exactly():
    img = _photo()
    img[10:30, 10:40] = RED
    q = quantize(img, 8, locked=[RED])
    i = [tuple(r) for r in q.palette.tolist()].index(RED)
    assert (q.indices[10:30, 10:40] == i).all()


def test_locked_centres_are_fixed_in_lloyd_steps_not_pasted():
    """A fixed centre in the middle of the data pulls its neighbours: the free centres settle
    around it. Pasting the colour after clustering would leave them where they were."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(50, 4, (400, 3)), rng.normal(200, 4, (400, 3))])
    pts = Points(x, np.ones(len(x)), binned=False, integer=False)
    fixed = np.array([[50.0, 50.0, 50.0]])
    centres = kmeans._cluster(pts, 2, seed=0, fixed=fixed)
    assert np.array_equal(centres[0], fixed[0])  # never moved
    assert np.allclose(centres[1], x[400:].mean(axis=0), atol=1.0)  # the free one took the other group
    # Lloyd alone: the fixed row stays put even with no points near it.
    far = np.array([[0.0, 255.0, 0.0], [60.0, 60.0, 60.0]])
    out = kmeans._lloyd(far, pts, max_iter=5, n_fixed=1)
    assert np.array_equal(out[0], far[0])


def test_seed_centres_start_with_the_fixed_ones_and_avoid_them():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(20, 1, (300, 3)), rng.normal(230, 1, (300, 3))])
    fixed = np.array([[20.0, 20.0, 20.0]])
    s = seed_centres(x, np.ones(len(x)), fixed, 1, seed=0)
    assert np.array_equal(s[0], fixed[0])
    assert s[1].mean() > 200  # the new seed goes where the fixed one doesn't reach


def test_locked_results_are_deterministic():
    a = quantize(_photo(), 16, locked=[RED], seed=5)
    b = quantize(_photo(), 16, locked=[RED], seed=5)
    assert np.array_equal(a.palette, b.palette) and np.array_equal(a.indices, b.indices)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(img=st.tuples(st.integers(1, 10), st.integers(1, 10), st.sampled_from([3, 4])).flatmap(
           lambda s: arrays(np.uint8, s)),
       lock=st.lists(st.tuples(*[st.integers(0, 255)] * 3), min_size=1, max_size=4, unique=True),
       extra=st.integers(0, 40), dither=st.booleans())
def test_locked_invariants(img, lock, extra, dither):
    k = len(lock) + extra
    if k == 0:
        return
    q = quantize(img, k, locked=lock, dither=dither)
    rows = _rows(q.palette)
    want = {c + (255,) for c in lock} if img.shape[2] == 4 else set(lock)
    assert want <= rows
    assert q.n_colors <= k
    assert int(q.indices.max()) < q.n_colors
    assert q.counts.sum() == img.shape[0] * img.shape[1]


def test_fixed_palette_is_used_exactly():
    pal = [(0, 0, 0), WHITE, RED]
    q = quantize(_photo(), 99, palette=pal)
    assert q.palette.tolist() == [list(c) for c in pal]
    assert q.k == 3
    # every pixel takes its nearest entry: a dark pixel goes black, a light one white
    img = np.array([[[5, 5, 5], [250, 250, 250], [190, 20, 50]]], np.uint8)
    assert quantize(img, 3, palette=pal).indices.tolist() == [[0, 1, 2]]


def test_fixed_palette_on_rgba_keeps_transparency():
    img = np.zeros((4, 4, 4), np.uint8)
    img[:2] = (250, 250, 250, 255)  # top opaque white, bottom fully transparent
    q = quantize(img, 2, palette=[(0, 0, 0), WHITE])
    assert q.palette.shape == (3, 4) and (q.palette[:, 3] == 0).sum() == 1
    assert (q.to_array()[2:, :, 3] == 0).all() and (q.to_array()[:2] == (255, 255, 255, 255)).all()
    with pytest.raises(PaletteError, match="transparent"):
        quantize(img, 2, palette=[(i, i, i) for i in range(256)])


def test_histogram_reuse_with_locked_colours():
    img = _photo()
    hist = build_histogram(img)
    a = quantize(img, 32, locked=[RED], histogram=hist)
    b = quantize(img, 32, locked=[RED])
    assert np.array_equal(a.palette, b.palette)
