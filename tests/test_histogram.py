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


def test_the_kept_code_table_serves_one_image_after_another_and_busy_threads(china):
    # The process keeps one table of colour numbers: each image writes only its own codes, so a
    # second image must still read its own numbers (never the first image's), and a thread that
    # finds the table in use gets a table of its own with the same answer.
    first, second = china[:50, :70], china[200:260, 300:380]
    for px in (first, second, first):
        hist = build_histogram(px)
        np.testing.assert_array_equal(hist.colors[hist.pixel_colours()].reshape(px.shape), px)
    hist = build_histogram(second)
    with histogram._CODE_TABLE_LOCK:  # in use by "another thread"
        busy = histogram.colour_numbers(hist._codes(), hist.codes)
    np.testing.assert_array_equal(hist.colors[busy].reshape(second.shape), second)
