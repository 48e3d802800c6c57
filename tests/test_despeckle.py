"""Speckle removal (core/despeckle.py): a pixel takes the entry three of its four neighbours share
when that costs it little; exact colours and distinct details stay."""

from __future__ import annotations

import numpy as np

from kmeans_desktop.core import build_histogram, quantize
from kmeans_desktop.core import despeckle as ds
from kmeans_desktop.core.colourspace import CHROMA_SCALE, to_working


def _run(pixels, palette, indices):
    hist = build_histogram(pixels)
    x, centres = to_working(hist.colors, chroma=CHROMA_SCALE), to_working(palette, chroma=CHROMA_SCALE)
    nearest = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    return ds.despeckle(indices, hist, x, centres, nearest, palette)


def test_a_pixel_between_two_entries_joins_its_neighbours_and_the_error_is_accounted():
    palette = np.array([[100, 100, 100], [140, 140, 140]], np.uint8)
    px = np.full((5, 5, 3), 104, np.uint8)  # near entry 0
    px[2, 2] = 121  # a hair nearer entry 1 than entry 0
    idx = np.zeros((5, 5), np.uint8)
    idx[2, 2] = 1
    out, delta = _run(px, palette, idx)
    assert out[2, 2] == 0 and (out == 0).all()
    before = ((px.astype(float) - palette[idx]) ** 2).sum()
    after = ((px.astype(float) - palette[out]) ** 2).sum()
    assert delta == np.float64(after - before)


def test_a_pixel_far_from_every_entry_keeps_its_nearest():
    # Grey 40 between entries 0 and 100: 1.5× dearer at entry 0 (within the relative slack) but
    # 1650 more in squared working-space units, beyond SPECKLE_CAP (issue 12's worst blocks).
    palette = np.array([[0, 0, 0], [100, 100, 100]], np.uint8)
    px = np.zeros((5, 5, 3), np.uint8)
    px[2, 2] = 40
    idx = np.zeros((5, 5), np.uint8)
    idx[2, 2] = 1
    out, delta = _run(px, palette, idx)
    assert out[2, 2] == 1 and delta == 0.0
    px[2, 2] = 60  # 5.9× dearer at entry 0, 6843 more: the relative slack alone would let it go
    out, _ = _run(px, palette, idx)
    assert out[2, 2] == 1


def test_exact_colours_and_distinct_details_stay():
    palette = np.array([[100, 100, 100], [140, 140, 140], [250, 20, 20]], np.uint8)
    px = np.full((5, 5, 3), 100, np.uint8)
    px[1, 1] = (140, 140, 140)  # exactly an entry: zero error there, kept
    px[3, 3] = (245, 25, 25)  # a red dot: far nearer its own entry
    idx = np.zeros((5, 5), np.uint8)
    idx[1, 1], idx[3, 3] = 1, 2
    out, delta = _run(px, palette, idx)
    np.testing.assert_array_equal(out, idx)
    assert delta == 0.0


def test_quantize_uses_it_and_its_mse_describes_the_saved_indices(monkeypatch):
    rng = np.random.default_rng(3)
    ramp = np.linspace(60, 200, 96)[None, :, None] + rng.normal(0, 6, (64, 96, 1))
    px = np.clip(np.repeat(ramp, 3, axis=2), 0, 255).astype(np.uint8)
    q = quantize(px, 4)
    mse = ((px.astype(float) - q.to_array()) ** 2).mean()
    assert abs(q.mse - mse) < 1e-9 * max(1.0, mse)
    monkeypatch.setattr(ds, "SPECKLE_SLACK", 0.0)
    plain = quantize(px, 4)
    speck = lambda i: int((i[1:-1, 1:-1] != i[:-2, 1:-1]).sum() + (i[1:-1, 1:-1] != i[1:-1, :-2]).sum())  # noqa: E731
    assert speck(q.indices) < speck(plain.indices)


def test_rgba_opaque_pixels_keep_opaque_entries_and_transparent_ones_stay():
    palette = np.array([[0, 0, 0, 0], [90, 90, 90, 120], [100, 100, 100, 255]], np.uint8)
    px = np.zeros((5, 5, 4), np.uint8)
    px[...] = (90, 90, 90, 120)  # partly transparent all round
    px[2, 2] = (97, 97, 97, 195)  # a hair nearer the opaque entry than the partly transparent one
    px[1, 1] = (100, 100, 100, 255)  # opaque: must keep the opaque entry
    px[3, 3] = (5, 5, 5, 0)  # transparent
    idx = np.ones((5, 5), np.uint8)
    idx[2, 2], idx[1, 1], idx[3, 3] = 2, 2, 0
    hist = build_histogram(px)
    from kmeans_desktop.core.alpha import composites

    x, centres = composites(hist.colors), composites(palette)
    nearest = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    nearest[hist.colors[:, 3] == 255] = 2
    out, _ = ds.despeckle(idx, hist, x, centres, nearest, palette)
    assert out[2, 2] == 1, "a partly transparent speckle joins its neighbours"
    assert out[1, 1] == 2 and out[3, 3] == 0


def test_an_opaque_pixel_never_takes_a_partly_transparent_entry():
    palette = np.array([[0, 0, 0, 0], [0, 0, 0, 200], [100, 100, 100, 255]], np.uint8)
    px = np.zeros((3, 3, 4), np.uint8)
    px[...] = (0, 0, 0, 200)
    px[1, 1] = (28, 28, 28, 255)  # looks nearer the dark shadow entry, but it is opaque
    idx = np.ones((3, 3), np.uint8)
    idx[1, 1] = 2
    hist = build_histogram(px)
    from kmeans_desktop.core.alpha import composites

    labels = np.where(hist.colors[:, 3] == 255, 2, 1)
    out, delta = ds.despeckle(idx, hist, composites(hist.colors), composites(palette), labels, palette)
    assert out[1, 1] == 2 and delta == 0.0


def test_large_images_find_their_colours_through_the_codes(monkeypatch):
    # Above histogram.PIXEL_INDEX_MAX there is no kept pixel index: the same answer by the codes.
    from kmeans_desktop.core import histogram

    rng = np.random.default_rng(5)
    px = np.clip(np.linspace(40, 220, 80)[None, :, None] + rng.normal(0, 8, (60, 80, 3)), 0, 255).astype(np.uint8)
    kept = quantize(px, 6)
    monkeypatch.setattr(histogram, "PIXEL_INDEX_MAX", 0)
    coded = quantize(px, 6)
    np.testing.assert_array_equal(kept.indices, coded.indices)
    assert kept.mse == coded.mse


def test_bands_of_rows_on_threads_give_the_same_map_counts_and_error(monkeypatch):
    # Large maps look for candidates in bands of rows on two threads: bands meet anywhere, even
    # one row high, and the edges repeat only at the image's own edges.
    rng = np.random.default_rng(3)
    palette = np.array([[100, 100, 100], [120, 120, 120], [140, 140, 140]], np.uint8)
    px = rng.integers(100, 141, (23, 17, 1)).repeat(3, axis=2).astype(np.uint8)
    idx = rng.integers(0, 3, (23, 17)).astype(np.uint8)
    idx[rng.random((23, 17)) < 0.6] = 1  # mostly one entry: speckle to remove
    want, want_delta = _run(px, palette, idx)
    assert (want != idx).any()
    for parts in (2, 5, 23, 40):
        monkeypatch.setattr(ds, "_THREADED_PIXELS", 0)
        monkeypatch.setattr(ds, "_PARTS", parts)
        hist = build_histogram(px)
        x, centres = to_working(hist.colors, chroma=CHROMA_SCALE), to_working(palette, chroma=CHROMA_SCALE)
        nearest = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        counts = np.bincount(idx.reshape(-1), minlength=3).astype(np.int64)
        got, delta = ds.despeckle(idx, hist, x, centres, nearest, palette, counts)
        np.testing.assert_array_equal(got, want)
        assert delta == want_delta
        np.testing.assert_array_equal(counts, np.bincount(got.reshape(-1), minlength=3))


def test_rows_handed_on_as_they_are_final_make_the_same_map(monkeypatch):
    # With `rows_done` (the window's picture is built from them meanwhile) every band of rows is
    # handed on once, starting at a multiple of `align`, already as it ends up; the map, counts
    # and error are those made without it.
    rng = np.random.default_rng(5)
    palette = np.array([[100, 100, 100], [120, 120, 120], [140, 140, 140]], np.uint8)
    px = rng.integers(100, 141, (41, 17, 1)).repeat(3, axis=2).astype(np.uint8)
    idx = rng.integers(0, 3, (41, 17)).astype(np.uint8)
    idx[rng.random((41, 17)) < 0.6] = 1
    want, want_delta = _run(px, palette, idx)
    hist = build_histogram(px)
    x, centres = to_working(hist.colors, chroma=CHROMA_SCALE), to_working(palette, chroma=CHROMA_SCALE)
    nearest = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    for threaded, parts, align in ((False, 4, 6), (True, 4, 6), (True, 3, 4), (True, 40, 2), (True, 2, 64)):
        monkeypatch.setattr(ds, "_THREADED_PIXELS", 0 if threaded else 10**9)
        monkeypatch.setattr(ds, "_PARTS", parts)
        seen = []
        counts = np.bincount(idx.reshape(-1), minlength=3).astype(np.int64)
        got, delta = ds.despeckle(idx, hist, x, centres, nearest, palette, counts,
                                  rows_done=lambda out, y0, y1: seen.append((y0, y1, out[y0:y1].copy(), out)), align=align)
        np.testing.assert_array_equal(got, want)
        assert delta == want_delta
        np.testing.assert_array_equal(counts, np.bincount(got.reshape(-1), minlength=3))
        assert sorted(r for s in seen for r in range(s[0], s[1])) == list(range(41))  # every row once
        assert all(y0 % align == 0 for y0, *_ in seen)
        for y0, y1, rows, out in seen:
            assert out is got
            np.testing.assert_array_equal(rows, want[y0:y1])  # final when handed on
