"""The pictures workers build for the views (gui/render.py): band by band, the same picture."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from kmeans_desktop.gui import render


def _array(image) -> np.ndarray:
    """H×W×4 uint8 (B, G, R, A on little-endian) of a 32-bit QImage."""
    raw = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    return raw[:, :image.width()].copy().view(np.uint8).reshape(image.height(), image.width(), 4)


@pytest.mark.parametrize("channels", [3, 4])
def test_pictures_built_band_by_band_are_exact_and_halve_by_area(monkeypatch, channels):
    # Bands of a few rows (the GIL is let go between them): the full-size level is the palette
    # colours exactly, each halving the mean of 2×2 pixels, whatever the band size.
    monkeypatch.setattr(render, "STRIP_PIXELS", 300)  # 2-6 rows a band
    rng = np.random.default_rng(channels)
    palette = rng.integers(0, 256, (9, channels), dtype=np.uint8)
    if channels == 4:
        palette[:, 3] = 255  # opaque: premultiplied equals straight
    indices = rng.integers(0, 9, (1101, 76), dtype=np.uint8)  # odd height: the last row has no pair
    monkeypatch.setattr(render, "MIN_LEVEL_SIDE", 200)
    for pyramid in (render.pyramid_from_indexed(indices, palette), render.pyramid_from_pixels(palette[indices])):
        assert [(lv.width(), lv.height()) for lv in pyramid.levels] == [(76, 1101), (38, 550), (19, 275), (9, 137)]
        full = _array(pyramid.levels[0])
        np.testing.assert_array_equal(full[..., 2::-1], palette[indices][..., :3])
        assert (full[..., 3] == 255).all()
        for big, small in zip(pyramid.levels, pyramid.levels[1:]):
            a = _array(big).astype(float)
            h, w = small.height(), small.width()
            if a.shape[1] % 2:  # an odd width is spread over the half width (Qt's area scaling)
                continue
            mean = (a[0:2 * h:2, 0:2 * w:2] + a[1:2 * h:2, 0:2 * w:2] + a[0:2 * h:2, 1:2 * w:2] + a[1:2 * h:2, 1:2 * w:2]) / 4
            assert np.abs(_array(small) - mean).max() <= 1.0


def test_bands_cover_every_row_once():
    for h, w in [(1, 5), (2, 5), (7, 3), (1000, 999), (4, 10**6)]:
        bands = render._bands(h, w)
        assert bands[0][0] == 0 and bands[-1][1] == h
        assert all(a[1] == b[0] for a, b in zip(bands, bands[1:]))
        assert all((y1 - y0) % 2 == 0 for y0, y1 in bands[:-1])


@pytest.mark.parametrize("height", [1101, 1100, 2])
def test_halvings_made_beside_the_look_up_are_the_plain_halvings(monkeypatch, height):
    # An RGB result's halvings are made band by band as each band is looked up, on two
    # threads in any order: bit for bit the halving of the finished full-size level.
    monkeypatch.setattr(render, "STRIP_PIXELS", 300)  # 2-6 rows a band: many bands
    monkeypatch.setattr(render, "MIN_LEVEL_SIDE", 20)
    monkeypatch.setattr(render, "LOOKUP_THREADS", 2)
    rng = np.random.default_rng(height)
    palette = rng.integers(0, 256, (12, 3), dtype=np.uint8)
    indices = rng.integers(0, 12, (height, 76), dtype=np.uint8)
    pyramid = render.pyramid_from_indexed(indices, palette)
    plain = render._with_halvings(pyramid.levels[0], pyramid.size, False)
    assert len(pyramid.levels) == len(plain.levels) >= 2
    for made, expected in zip(pyramid.levels, plain.levels):
        np.testing.assert_array_equal(_array(made), _array(expected))


def test_a_results_picture_made_beside_its_last_pass_is_the_plain_one(monkeypatch, make_image):
    # An undithered RGB result's picture is built from the despeckle pass's bands of rows as they
    # become final (`pixelmap.final_rows`), on two threads: bit for bit the picture of the finished
    # indices. Dithered (and RGBA) results never hand rows on: their picture is built after.
    from kmeans_desktop.core import despeckle, pixelmap
    from kmeans_desktop.gui import compute

    monkeypatch.setattr(render, "STRIP_PIXELS", 300)  # 2-6 rows a band: many bands
    monkeypatch.setattr(render, "MIN_LEVEL_SIDE", 20)
    monkeypatch.setattr(despeckle, "_THREADED_PIXELS", 0)  # several bands of rows, on two threads
    handed = []  # rows handed on while the despeckle pass runs (from its threads: the call's and its crew's)
    running = threading.Event()
    rows, speckles = render.IndexedPicture.rows, pixelmap.despeckle

    def record(self, indices, y0, y1):
        if running.is_set():
            handed.append((y0, y1))
        rows(self, indices, y0, y1)

    def despeckle_pass(*args, **kwargs):
        running.set()
        try:
            return speckles(*args, **kwargs)
        finally:
            running.clear()

    monkeypatch.setattr(render.IndexedPicture, "rows", record)
    monkeypatch.setattr(pixelmap, "despeckle", despeckle_pass)
    image = compute.load_source(make_image("t.png", 150, 97), None, 1)
    for dither in (False, 1.0):
        handed.clear()
        preview = compute.compute_preview(image, 8, dither, True)
        got = list(handed)
        q = preview.quantized
        plain = render.pyramid_from_indexed(q.indices, q.palette, preview.pyramid.size)
        assert len(preview.pyramid.levels) == len(plain.levels) >= 3
        for made, expected in zip(preview.pyramid.levels, plain.levels):
            np.testing.assert_array_equal(_array(made), _array(expected))
        if dither:
            assert got == []
        else:
            assert len(got) >= 2 and sorted(r for y0, y1 in got for r in range(y0, y1)) == list(range(97))
