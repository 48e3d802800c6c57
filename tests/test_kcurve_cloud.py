"""The colour cloud's and the K curve's numerics in the core (no Qt)."""

from __future__ import annotations

import math

import numpy as np

from kmeans_desktop.core import build_histogram, psnr
from kmeans_desktop.core.cloud import assign_cloud, sample_cloud_colors
from kmeans_desktop.core.kcurve import curve_bytes, curve_quality, prepare_curve_input
from kmeans_desktop.core.sampling import nearest_palette


def photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([128 + 100 * np.sin(x / 40), 128 + 100 * np.cos(y / 30), 128 + 90 * np.sin((x + y) / 60)], 2)
    return np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8)


def test_cloud_sample_is_seeded_and_assignment_is_the_nearest_entry():
    hist = build_histogram(photo(60, 80))
    a, b = sample_cloud_colors(hist, 1, n=500, flat=100), sample_cloud_colors(hist, 1, n=500, flat=100)
    assert np.array_equal(a.colors, b.colors) and a.positions.shape == (500, 3)
    assert np.all(np.abs(a.positions) <= 0.5) and all(len(o) == 100 for o in a.flat_orders)
    palette = np.array([[0, 0, 0], [255, 255, 255], [200, 30, 30]], np.uint8)
    got = assign_cloud(a, palette, "key")
    assert np.array_equal(got.labels, nearest_palette(a.colors, palette))
    assert np.allclose(got.rgba[:, :3] * 255, palette[got.labels]) and got.key == "key"


def test_estimated_curve_point_has_a_real_psnr_and_bytes():
    pixels = photo(400, 500)
    inp = prepare_curve_input(7, pixels, build_histogram(pixels), None, exact_max=50_000)
    assert inp.estimated
    for dither in (False, True):
        point, q = curve_quality(inp, 16, dither)
        assert point.image_id == 7 and point.estimated and math.isfinite(point.ssimulacra2)
        # the tiles' result used to read PSNR ∞ (its error was never measured)
        assert math.isfinite(q.psnr) and abs(q.psnr - psnr(inp.mosaic, q.palette[q.indices])) < 1e-9
    seen = []
    full = curve_bytes(inp, point, q, lambda qq, icc: seen.append(icc) or b"x" * 1000)
    assert full.complete and full.nbytes >= 1000 and seen == [None]  # the tiles, scaled to the image


def test_exact_curve_on_small_images():
    pixels = photo(40, 50)
    inp = prepare_curve_input(1, pixels, build_histogram(pixels), b"icc")
    point, q = curve_quality(inp, 8, False)
    assert not point.estimated and q.width == 50 and point.psnr == q.psnr
    assert curve_bytes(inp, point, q, lambda qq, icc: icc * 10).nbytes == 30
