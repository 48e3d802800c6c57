"""Samples for the colour-space views: weighted colour samples, palette assignment, tiles, knee."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmeans_desktop.core import build_histogram, encode, quantize
from kmeans_desktop.core.sampling import (
    estimate_png_bytes,
    knee_k,
    nearest_palette,
    sample_colors,
    strided_sample,
    tile_mosaic,
)


def _two_colour_image(share_red: float, n: int = 10_000) -> np.ndarray:
    red = int(n * share_red)
    px = np.zeros((1, n, 3), np.uint8)
    px[0, :red] = (255, 0, 0)
    px[0, red:] = (0, 0, 255)
    return px


def test_sample_follows_the_pixel_weights():
    hist = build_histogram(_two_colour_image(0.9))
    colors, index = sample_colors(hist, 1000, seed=3)
    assert colors.shape == (1000, 3) and colors.dtype == np.uint8
    red = int(np.all(colors == (255, 0, 0), axis=1).sum())
    assert red in (899, 900, 901)  # systematic sampling: the share to within one point
    assert np.array_equal(hist.colors[index], colors)


def test_rare_colours_are_not_lost_and_every_colour_gets_its_share(china):
    hist = build_histogram(china)
    n = 50_000
    colors, index = sample_colors(hist, n, seed=0)
    expected = hist.counts / hist.counts.sum() * n
    got = np.bincount(index, minlength=hist.n_colors)
    assert np.all(np.abs(got - expected) < 1.0 + 1e-9)


def test_sample_is_deterministic_and_shuffled():
    hist = build_histogram(np.arange(256 * 3, dtype=np.uint8).reshape(16, 16, 3))
    a = sample_colors(hist, 500, seed=1)
    b = sample_colors(hist, 500, seed=1)
    c = sample_colors(hist, 500, seed=2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    assert not np.all(np.diff(a[1]) >= 0)  # not in histogram order: any prefix is a fair sample


@settings(max_examples=40, deadline=None)
@given(img=arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from([3, 4]))),
       n=st.integers(0, 300), seed=st.integers(0, 2**32 - 1))
def test_sample_only_holds_visible_colours_of_the_image(img, n, seed):
    hist = build_histogram(img)
    colors, index = sample_colors(hist, n, seed)
    visible = img[..., 3] > 0 if img.shape[2] == 4 else np.ones(img.shape[:2], bool)
    expected_n = n if visible.any() else 0
    assert colors.shape == (expected_n, 3) and index.shape == (expected_n,)
    present = {tuple(c) for c in img[visible][:, :3]}
    assert {tuple(c) for c in colors} <= present


def test_transparent_pixels_are_left_out():
    img = np.zeros((10, 10, 4), np.uint8)
    img[:5] = (10, 20, 30, 255)
    img[5:] = (200, 0, 0, 0)  # invisible
    colors, _ = sample_colors(build_histogram(img), 100)
    assert np.all(colors == (10, 20, 30))
    assert sample_colors(build_histogram(np.zeros((3, 3, 4), np.uint8)), 50)[0].shape == (0, 3)


def test_sample_rejects_negative_n():
    with pytest.raises(ValueError):
        sample_colors(build_histogram(np.zeros((2, 2, 3), np.uint8)), -1)


def test_nearest_palette_is_the_kmeans_assignment(china):
    q = quantize(china, 16)
    hist = build_histogram(china)
    colors, _ = sample_colors(hist, 5000)
    labels = nearest_palette(colors, q.palette)
    brute = np.argmin(((colors[:, None, :].astype(int) - q.palette[None, :, :].astype(int)) ** 2).sum(axis=2), axis=1)
    d_labels = ((colors.astype(int) - q.palette[labels].astype(int)) ** 2).sum(axis=1)
    d_brute = ((colors.astype(int) - q.palette[brute].astype(int)) ** 2).sum(axis=1)
    assert np.array_equal(d_labels, d_brute)  # same distance (ties may pick either entry)


def test_nearest_palette_skips_invisible_entries():
    palette = np.array([[0, 0, 0, 0], [250, 0, 0, 255], [0, 0, 250, 255]], np.uint8)
    colors = np.array([[1, 1, 1], [240, 10, 0], [0, 0, 200]], np.uint8)
    assert nearest_palette(colors, palette).tolist() == [1, 1, 2]
    assert nearest_palette(colors, palette[:1]).tolist() == [-1, -1, -1]
    assert nearest_palette(colors, palette[:2]).tolist() == [1, 1, 1]


def test_strided_sample_keeps_at_most_the_pixels_asked():
    px = np.zeros((1000, 1500, 3), np.uint8)
    s = strided_sample(px, 100_000)
    assert s.shape[0] * s.shape[1] <= 100_000 and s.shape[0] * s.shape[1] > 50_000
    assert strided_sample(px[:10, :10], 100_000).shape == (10, 10, 3)


def test_tile_mosaic_is_made_of_full_resolution_tiles():
    y, x = np.mgrid[0:900, 0:1600]
    px = np.stack([x % 256, y % 256, (x // 256) * 16 + y // 256], axis=2).astype(np.uint8)
    m = tile_mosaic(px, 100_000, tile=64)
    assert m.shape[0] % 64 == 0 and m.shape[1] % 64 == 0
    assert 50_000 < m.shape[0] * m.shape[1] <= 100_000
    tile = m[:64, :64]
    assert np.array_equal(tile, px[:64, :64])  # the first tile is the top-left corner, unscaled
    assert np.array_equal(m[-64:, -64:], px[-64:, -64:])  # the last one the bottom-right corner
    assert tile_mosaic(px[:100, :100], 100_000) is not None and tile_mosaic(px[:100, :100], 100_000).shape == (100, 100, 3)


@pytest.mark.parametrize("k", [8, 64])
def test_png_estimate_from_tiles_is_close_on_a_photo(china, k):
    from kmeans_desktop.core import Quantized

    q = quantize(china, k)
    exact = len(encode(q, "png"))
    mosaic = tile_mosaic(china, 100_000)  # 0.1 of 0.27 MP, as the curve does with 0.5 of 9 MP
    labels = nearest_palette(mosaic.reshape(-1, 3), q.palette).reshape(mosaic.shape[:2]).astype(np.uint8)
    qm = Quantized(q.palette, labels, k, False, 0, np.bincount(labels.ravel()), 0.0, 0.0)
    est = estimate_png_bytes(len(encode(qm, "png")), labels.size, china.shape[0] * china.shape[1], q.n_colors)
    assert abs(est / exact - 1) < 0.15


def test_png_estimate_keeps_fixed_bytes_and_scales_the_rest():
    fixed = 8 + 25 + 12 + 12 + 12 + 3 * 4
    assert estimate_png_bytes(fixed + 100, 1000, 10_000, 4) == fixed + 1000
    assert estimate_png_bytes(10, 1000, 10_000, 4) == fixed  # never less than the framing


KS = [2, 4, 8, 16, 32, 64, 128, 256]


def _curve(gains, start=18.0):
    return [start + sum(gains[:i]) for i in range(len(gains) + 1)]


def test_knee_on_photo_like_curves():
    assert knee_k(KS, _curve([3.9, 3.1, 3.1, 2.3, 2.3, 2.2, 2.2])) == 16  # flower.jpg
    assert knee_k(KS, _curve([4.5, 3.4, 2.7, 2.6, 2.2, 2.1, 2.0])) == 32  # china.jpg
    assert knee_k(KS, _curve([4.0, 3.5, 3.2, 3.0, 2.9, 2.8, 2.6])) is None  # still paying at 256


def test_knee_stops_at_visually_lossless_quality_and_at_lossless():
    assert knee_k(KS, _curve([8.0, 6.7, 6.6, 5.9, 6.8, 6.4, 7.4], start=22.3)) == 16  # a diagram: 43 dB at 16
    assert knee_k(KS, [17.7, 22.5, 26.9, 32.5, 58.6, math.inf, math.inf, math.inf]) == 32  # 37 colours
    assert knee_k(KS, [20.0, 30.0, math.inf, math.inf, math.inf, math.inf, math.inf, math.inf]) == 8


def test_knee_needs_two_points_and_ignores_order():
    assert knee_k([16], [30.0]) is None
    ks, ps = KS[::-1], _curve([4.5, 3.4, 2.7, 2.6, 2.2, 2.1, 2.0])[::-1]
    assert knee_k(ks, ps) == 32
