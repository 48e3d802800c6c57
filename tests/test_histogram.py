"""The colour histogram (core/histogram.py)."""

from __future__ import annotations

import numpy as np

from kmeans_desktop.core import build_histogram, histogram


def test_pixel_colours_index_every_pixel_and_are_kept(china, monkeypatch):
    px = china[:60, :90]
    hist = build_histogram(px)
    inv = hist.pixel_colours()
    assert inv.dtype == np.int32 and inv.shape == (60 * 90,)
    np.testing.assert_array_equal(hist.colors[inv].reshape(px.shape), px)
    assert hist.pixel_colours() is inv  # kept: every K after the first reuses them
    labels = np.arange(hist.n_colors) % 7
    with_index = hist.indices_for(labels)
    monkeypatch.setattr(histogram, "PIXEL_INDEX_MAX", 0)  # too large to keep: through the codes
    plain = build_histogram(px)
    assert plain.pixel_colours() is None
    np.testing.assert_array_equal(plain.indices_for(labels), with_index)
    np.testing.assert_array_equal(with_index, labels[inv].reshape(60, 90))


def test_rgba_pixel_colours_are_the_inverse(china):
    px = np.concatenate([china[:20, :30], np.full((20, 30, 1), 200, np.uint8)], axis=2)
    hist = build_histogram(px)
    np.testing.assert_array_equal(hist.colors[hist.pixel_colours()].reshape(px.shape), px)
