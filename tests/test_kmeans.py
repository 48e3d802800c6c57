"""The quantize contract: palette and index invariants, determinism, losslessness, alpha rules."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmeans_desktop.core.colourspace import chroma_for_k, to_working
from kmeans_desktop.core import Quantized, build_histogram, mse, quantize
from kmeans_desktop.core.kmeans import palette_for_histogram

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _images(channels):
    shapes = st.tuples(st.integers(1, 12), st.integers(1, 12), st.just(channels))
    return shapes.flatmap(lambda s: arrays(np.uint8, s))


def _few_color_images(channels):
    """Images drawn from a small set of colours, so that 'lossless' cases come up often."""

    @st.composite
    def build(draw):
        n = draw(st.integers(1, 12))
        colors = draw(arrays(np.uint8, (n, channels)))
        h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
        pick = draw(arrays(np.int64, (h, w), elements=st.integers(0, n - 1)))
        return colors[pick]

    return build()


def _check_invariants(img: np.ndarray, q: Quantized, k: int) -> None:
    n = q.palette.shape[0]
    assert q.palette.dtype == np.uint8 and q.indices.dtype == np.uint8
    assert q.palette.shape == (n, img.shape[2])
    assert 1 <= n <= k
    assert q.indices.shape == img.shape[:2]
    assert int(q.indices.max()) < n
    np.testing.assert_array_equal(q.counts, np.bincount(q.indices.reshape(-1), minlength=n))  # (derived, not counted)
    assert q.mse == pytest.approx(mse(img, q.to_array()), abs=1e-9)


@SETTINGS
@given(img=st.one_of(_images(3), _images(4)), k=st.integers(1, 256), dither=st.booleans())
def test_palette_and_indices_are_within_bounds(img, k, dither):
    q = quantize(img, k, dither=dither)
    _check_invariants(img, q, k)


@SETTINGS
@given(img=st.one_of(_few_color_images(3), _few_color_images(4)), k=st.integers(1, 256))
def test_images_with_at_most_k_colours_come_back_lossless(img, k):
    if img.shape[2] == 4 and len(np.unique(img[img[..., 3] == 0], axis=0)) > 1:
        # Colours hidden under alpha 0 are invisible and share one entry by design.
        img = img.copy()
        img[img[..., 3] == 0] = 0
    distinct = np.unique(img.reshape(-1, img.shape[2]), axis=0)
    q = quantize(img, k)
    if len(distinct) <= k:
        assert q.mse == 0.0
        np.testing.assert_array_equal(q.to_array(), img)
        assert {tuple(c) for c in q.palette} == {tuple(c) for c in distinct}
    else:
        assert q.n_colors <= k


@SETTINGS
@given(img=st.one_of(_images(3), _images(4)), k=st.integers(1, 256), seed=st.integers(0, 2**32 - 1))
def test_same_input_gives_identical_result(img, k, seed):
    a, b = quantize(img, k, seed=seed), quantize(img.copy(), k, seed=seed)
    np.testing.assert_array_equal(a.palette, b.palette)
    np.testing.assert_array_equal(a.indices, b.indices)


@SETTINGS
@given(img=_images(4), k=st.integers(3, 256))
def test_alpha_rules(img, k):
    # Make every alpha class likely: push random alphas to 0 / 255 / keep partial.
    alpha = img[..., 3]
    img = img.copy()
    img[..., 3] = np.where(alpha < 80, 0, np.where(alpha > 170, 255, alpha))
    from unittest import mock

    from kmeans_desktop.core import despeckle

    with mock.patch.object(despeckle, "SPECKLE_SLACK", 0.0):  # its rule: tests/test_despeckle.py
        q = quantize(img, k)
    out = q.to_array()
    transparent, opaque = img[..., 3] == 0, img[..., 3] == 255
    semi = ~(transparent | opaque)
    assert (out[transparent][:, 3] == 0).all(), "fully transparent pixels must stay fully transparent"
    assert (out[opaque][:, 3] == 255).all(), "opaque pixels must stay opaque"
    # Partly transparent pixels take the entry that looks nearest on black and on white pages,
    # whichever its alpha class (a faint shadow pixel may become transparent, as pngquant's do).
    seen, pal = _seen(img[semi]), _seen(q.palette)
    d = ((seen[:, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
    chosen = d[np.arange(len(seen)), q.indices[semi]]
    np.testing.assert_allclose(chosen, d.min(axis=1), atol=1e-6)
    if transparent.any():
        assert len(np.unique(q.indices[transparent])) == 1, "transparent pixels share one entry"
        assert (q.palette[:, 3] == 0).sum() == 1


def _seen(rgba: np.ndarray) -> np.ndarray:
    """RGBA colours composited on black and on white (what a viewer sees), 6 values each."""
    c = rgba.reshape(-1, 4).astype(np.float64)
    on_black = c[:, :3] * c[:, 3:] / 255.0
    return np.concatenate([on_black, on_black + 255.0 - c[:, 3:]], axis=1)


def test_alpha_rules_hold_with_dithering(rgba_mixed):
    q = quantize(rgba_mixed, 6, dither=True)
    out = q.to_array()
    assert (out[:10, :, 3] == 0).all()
    assert (out[20:, :, 3] == 255).all()
    # The semi-transparent ramp (alpha 20..215) is dithered between entries of any class (a faint
    # pixel may become transparent); its local coverage is kept: 10×8 blocks' mean alpha within 16.
    blocks = lambda a: a.astype(float).reshape(10, 5, 8).mean(axis=(0, 2))  # noqa: E731
    assert np.abs(blocks(out[10:20, :, 3]) - blocks(rgba_mixed[10:20, :, 3])).max() < 16


def _assert_nearest_in_working_space(pixels, q, share_exact=0.8, above=None):
    # Colours are clustered and mapped in OKLab (core/colourspace.py): each pixel's entry is its
    # exact nearest there, or (undithered RGB, core/runmap.py) the entry of a run from the left,
    # which is the nearest of one of the next pixels, when that is nearly as close, or
    # (core/vruns.py) the entry of the pixel above when that is. The chroma weight is the one the
    # palette of K entries was made with. `above`: the entries of the row above each row
    # (default: the rows are the image's, consecutive).
    from kmeans_desktop.core.runmap import RUN_LOOKAHEAD, RUN_SLACK
    from kmeans_desktop.core.vruns import VRUN_CAP, VRUN_SLACK

    chroma = chroma_for_k(q.k)
    px = to_working(pixels.reshape(-1, 3), chroma=chroma).reshape(pixels.shape)
    pal = to_working(q.palette, chroma=chroma)
    chosen = ((px - pal[q.indices]) ** 2).sum(2)
    dist = ((px[:, :, None, :] - pal[None, None, :, :]) ** 2).sum(3)
    best, nearest = dist.min(2), dist.argmin(2)
    exact = np.isclose(chosen, best, rtol=0, atol=1e-9)
    if above is None:
        above = np.vstack([np.full((1, q.indices.shape[1]), -1), q.indices[:-1]])
    left = np.zeros_like(exact)  # a run's entry: the nearest of one of the next pixels
    for a in range(1, RUN_LOOKAHEAD + 1):
        left[:, :-a] |= q.indices[:, :-a] == nearest[:, a:]
    up_limit = np.minimum(best * (1 + VRUN_SLACK), best + (np.inf if VRUN_CAP is None else VRUN_CAP))
    assert (exact | left & (chosen <= best * (1 + RUN_SLACK) + 1e-4)
            | (q.indices == above) & (chosen <= up_limit + 1e-3)).all()
    assert exact.mean() > share_exact


def test_mapping_is_nearest_colour_or_the_left_neighbours(china, monkeypatch):
    from kmeans_desktop.core import despeckle

    monkeypatch.setattr(despeckle, "SPECKLE_SLACK", 0.0)  # its own rule: tests/test_despeckle.py
    q = quantize(china, 32)
    part = (slice(1, None, 7), slice(None))  # whole rows: every left neighbour included
    above = q.indices[0::7][:len(q.indices[part])]
    _assert_nearest_in_working_space(china[part], _Sub(q, part), above=above)


class _Sub:
    """A Quantized's palette with a strided part of its indices."""

    def __init__(self, q, rows_cols):
        self.palette, self.indices, self.k = q.palette, q.indices[rows_cols], q.k


@pytest.mark.parametrize("k,psnr_floor,s2_floor,s2_runs_floor", [(16, 25.0, 19.0, 15.0), (64, 30.0, 60.0, 57.0),
                                                                    (256, 33.8, 74.0, 72.5)])
def test_quality_on_a_real_photo(china, k, psnr_floor, s2_floor, s2_runs_floor, monkeypatch):
    # The palette minimises the perceived error (OKLab, chroma weighted per K against lightness's
    # 255, colourspace.CHROMA_BY_K), not the squared sRGB error: PSNR is below an sRGB k-means
    # (27.55 / 32.34 / 36.49 dB; with exact nearest mapping 26.9 / 31.0 / 34.2), SSIMULACRA2 is
    # what counts (an sRGB k-means: 17.4 / 50.7 / 72.7; with exact nearest mapping 20.2 / 61.1 /
    # 76.4; pngquant --nofs 16.2 / 56.6 / 75.8). The byte-aware mapping (core/runmap.py, the
    # default) scores less at equal K in fewer bytes (15.9 / 58.8 / 75.0; at K=16 0.88× the PNG,
    # where a lower K costs far more score per byte); the floors with exact nearest mapping hold
    # the palette's quality, the others the mapping's.
    from kmeans_desktop.core import runmap
    from kmeans_desktop.core.metrics import ssimulacra2

    q = quantize(china, k)
    assert q.n_colors == k
    assert q.psnr > psnr_floor
    assert ssimulacra2(china, q.to_array()) > s2_runs_floor
    monkeypatch.setattr(runmap, "RUN_SLACK", 0.0)
    nearest = quantize(china, k)
    np.testing.assert_array_equal(nearest.palette, q.palette)
    assert ssimulacra2(china, nearest.to_array()) > s2_floor


@pytest.mark.parametrize("dither", [False, True])
def test_low_k_keeps_the_photos_saturated_colours(china, dither):
    # Issue 12: with chroma weighted 150 at every K, china at K=16 had no entry with OKLab chroma
    # above 0.045, so the orange roofs and red pillars turned grey-brown (pngquant --nofs keeps
    # three); its worst 16×16 block was 9.9 ΔE against pngquant --nofs's 8.07. With the weight per
    # K (colourspace.CHROMA_BY_K): four entries above 0.07 (0.076 to 0.102) and a worst block of 6.7.
    from kmeans_desktop.core.quality import delta_e_map, oklab, worst_block

    q = quantize(china, 16, dither=dither)
    lab = oklab(q.palette[None, :, :])[0]
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    assert (chroma > 0.07).sum() >= 2
    assert worst_block(delta_e_map(china, q.to_array())) < 8.07


def test_histogram_can_be_reused_and_must_match(gradient, china):
    h = build_histogram(gradient)
    a = quantize(gradient, 7, histogram=h)
    b = quantize(gradient, 7)
    np.testing.assert_array_equal(a.indices, b.indices)
    with pytest.raises(ValueError):
        quantize(china, 7, histogram=h)


def test_dithering_changes_indices_and_keeps_palette(gradient):
    plain, dith = quantize(gradient, 4), quantize(gradient, 4, dither=True)
    np.testing.assert_array_equal(plain.palette, dith.palette)
    assert (plain.indices != dith.indices).any()
    # Error diffusion keeps local averages (what the eye sees from afar) closer to the source,
    # in the space it diffuses in (OKLab, see core/colourspace.py).
    def blocks(a):
        return to_working(a.reshape(-1, 3)).reshape(a.shape).reshape(12, 4, 16, 4, 3).mean(axis=(1, 3))

    err_plain = np.abs(blocks(plain.to_array()) - blocks(gradient)).mean()
    err_dith = np.abs(blocks(dith.to_array()) - blocks(gradient)).mean()
    # (0.76 here: the masked diffusion runs at 0.75 strength away from contours and texture,
    # trading some of plain Floyd–Steinberg's local fidelity for less noise; plain FS gave < 0.7.)
    assert err_dith < 0.8 * err_plain


def test_result_is_immutable(gradient):
    q = quantize(gradient, 8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.k = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        q.indices[0, 0] = 1
    with pytest.raises(ValueError):
        q.palette[0, 0] = 1


@pytest.mark.parametrize("k", [0, 257, -1, 1.5, "8", True, None])
def test_out_of_range_k_is_a_plain_value_error(gradient, k):
    with pytest.raises(ValueError, match="K must be"):
        quantize(gradient, k)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 2), np.uint8), np.zeros((4, 4, 3), np.float32), np.zeros((0, 4, 3), np.uint8)],
)
def test_bad_pixel_arrays_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        quantize(bad, 4)


def test_mse_of_opposite_images_does_not_overflow():
    from kmeans_desktop.core import psnr

    black, white = np.zeros((300, 300, 3), np.uint8), np.full((300, 300, 3), 255, np.uint8)
    assert mse(black, white) == 65025.0
    assert psnr(black, white) == 0.0


@pytest.mark.parametrize("k", [2, 17, 64, 256])
def test_cell_shortcut_gives_exact_nearest_on_many_colours(k, monkeypatch):
    # > 20,000 distinct colours, so the binned search (cells decided by the triangle inequality)
    # is used; every pixel must still get a nearest palette entry.
    rng = np.random.default_rng(k)
    img = rng.integers(0, 256, (160, 200, 3), dtype=np.uint8)
    img[:80] //= 3  # uneven density, so that cells of every kind occur
    hist = build_histogram(img)
    palette, labels = palette_for_histogram(hist, k)
    chroma = chroma_for_k(k)
    x, pal = to_working(hist.colors, chroma=chroma), to_working(palette, chroma=chroma)
    chosen = ((x - pal[labels]) ** 2).sum(1)
    best = ((x[:, None, :] - pal[None, :, :]) ** 2).sum(2).min(1)
    np.testing.assert_allclose(chosen, best, rtol=0, atol=1e-9)
    # and the pixels follow their colour's entry, or their left neighbour's (core/runmap.py; the
    # speckle pass has its own tests)
    from kmeans_desktop.core import despeckle

    monkeypatch.setattr(despeckle, "SPECKLE_SLACK", 0.0)
    _assert_nearest_in_working_space(img, quantize(img, k), share_exact=0.5)
