"""Importance weights of the palette (core/texture.py): smooth areas count more than texture."""

import numpy as np
import pytest

from kmeans_desktop.core import quantize, texture
from kmeans_desktop.core.histogram import build_histogram


@pytest.fixture
def sky_and_gravel() -> np.ndarray:
    """96×128 RGB: a smooth blue sky above grey-brown noise (gravel)."""
    rng = np.random.default_rng(4)
    img = np.zeros((96, 128, 3), np.uint8)
    y = np.arange(48)[:, None]
    img[:48, :, 0] = 90 + y
    img[:48, :, 1] = 140 + y
    img[:48, :, 2] = 230
    img[48:] = np.clip(rng.normal(120, 40, (48, 128, 1)) + rng.normal(0, 12, (48, 128, 3)), 0, 255).astype(np.uint8)
    return img


def test_weights_keep_the_pixel_total_and_favour_smooth_colours(sky_and_gravel):
    hist = build_histogram(sky_and_gravel)
    w = texture.importance_counts(sky_and_gravel, hist)
    assert w.shape == (hist.n_colors,) and w.sum() == pytest.approx(hist.n_pixels)
    blue = hist.colors[:, 2] == 230
    per_pixel = w / hist.counts
    assert per_pixel[blue].mean() > 2 * per_pixel[~blue].mean()


def test_bands_give_the_same_weights(sky_and_gravel, monkeypatch):
    hist = build_histogram(sky_and_gravel)
    whole = texture.importance_counts(sky_and_gravel, hist)
    monkeypatch.setattr(texture, "_BAND_PIXELS", 128 * 7)  # bands of 7 rows
    np.testing.assert_allclose(texture.importance_counts(sky_and_gravel, hist), whole, rtol=1e-6)


def test_the_smooth_sky_gets_more_entries_than_by_pixel_count(sky_and_gravel, monkeypatch):
    def sky_entries():
        q = quantize(sky_and_gravel, 8)
        return int((q.palette[:, 2].astype(int) - q.palette[:, 0] > 60).sum())

    weighted = sky_entries()
    monkeypatch.setattr(texture, "IMPORTANCE_FLOOR", 1.0)  # every pixel weighs 1: plain counts
    assert weighted > sky_entries()


def test_rgba_weights_match_the_opaque_picture_and_bands_agree(sky_and_gravel, monkeypatch):
    # An RGBA histogram has no colour codes (it maps pixels through `inverse`): the same weights
    # per colour as the RGB picture, computed band by band as well.
    rgba = np.dstack([sky_and_gravel, np.full(sky_and_gravel.shape[:2], 255, np.uint8)])
    rgb_hist, hist = build_histogram(sky_and_gravel), build_histogram(rgba)
    order = lambda c: np.lexsort(c[:, :3].T)  # noqa: E731 (the two histograms sort differently)
    a, b = order(hist.colors), order(rgb_hist.colors)
    np.testing.assert_array_equal(hist.colors[a, :3], rgb_hist.colors[b])
    w = texture.importance_counts(rgba, hist)
    np.testing.assert_allclose(w[a], texture.importance_counts(sky_and_gravel, rgb_hist)[b], rtol=1e-6)
    monkeypatch.setattr(texture, "_BAND_PIXELS", 128 * 7)
    np.testing.assert_allclose(texture.importance_counts(rgba, hist), w, rtol=1e-6)
