"""Masked error diffusion (core/dither.py) and the dithering strength through quantize and the CLI."""

import numpy as np
import pytest

from kmeans_desktop.core import quantize
from kmeans_desktop.core.dither import strength_map


@pytest.fixture
def flat_and_gradient() -> np.ndarray:
    """64×64 RGB: the left half one flat colour, the right half a smooth gradient."""
    y, x = np.mgrid[0:64, 0:64]
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :32] = (97, 141, 60)
    img[:, 32:, 0] = x[:, 32:] * 4 - 1
    img[:, 32:, 1] = y[:, 32:] * 3
    img[:, 32:, 2] = 200
    return img


def test_strength_zero_is_undithered(china):
    plain = quantize(china, 16)
    zero = quantize(china, 16, dither=True, dither_strength=0)
    np.testing.assert_array_equal(plain.palette, zero.palette)
    np.testing.assert_array_equal(plain.indices, zero.indices)


def test_dithering_is_deterministic_and_keeps_the_palette(china):
    a = quantize(china, 8, dither=True, dither_strength=0.6)
    b = quantize(china, 8, dither=True, dither_strength=0.6)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert a.n_colors <= 8 and a.indices.max() < a.n_colors
    np.testing.assert_array_equal(a.palette, quantize(china, 8).palette)
    assert a.dither_strength == 0.6


def test_strength_scales_how_much_changes(china):
    exact = quantize(china, 16).indices
    changed = [(quantize(china, 16, dither=True, dither_strength=s).indices != exact).mean() for s in (0.2, 0.5, 1.0)]
    assert 0 < changed[0] < changed[1] < changed[2]


def test_flat_areas_stay_undithered(flat_and_gradient):
    img = flat_and_gradient
    plain = quantize(img, 4)
    dith = quantize(img, 4, dither=True)
    flat = plain.indices[:, :26]  # the flat half, away from the edge where the gradient starts
    np.testing.assert_array_equal(dith.indices[:, :26], flat)
    assert (dith.indices[:, 34:] != plain.indices[:, 34:]).any(), "the gradient is dithered"
    s = strength_map(img, plain.palette, plain.indices)
    assert (s[:, :26] == 0).all() and (s[:, 36:] > 0).all()


def test_dithering_keeps_local_means_in_semi_transparent_pixels(rgba_mixed):
    plain = quantize(rgba_mixed, 6)
    dith = quantize(rgba_mixed, 6, dither=True)
    out = dith.to_array()
    assert (out[:10, :, 3] == 0).all() and (out[20:, :, 3] == 255).all()
    assert (dith.indices[10:20] != plain.indices[10:20]).any(), "partly transparent pixels are dithered too"


@pytest.mark.parametrize("bad", [-0.1, 1.5, "1", True, float("nan")])
def test_bad_strength_is_refused(gradient, bad):
    with pytest.raises(ValueError):
        quantize(gradient, 4, dither=True, dither_strength=bad)


def test_rgba_entries_standing_close_together_are_not_dithered_between():
    """A semi-transparent ramp over a fine palette (neighbouring entries 4 apart in the composites,
    a step the eye barely sees) maps exactly; over a coarse one (entries 24 apart) it is dithered."""
    from kmeans_desktop.core.dither import dither_indices

    ramp = np.zeros((32, 96, 4), np.uint8)
    ramp[..., :3] = (40, 90, 200)
    ramp[..., 3] = np.linspace(60, 210, 96).astype(np.uint8)[None, :]

    def run(step):
        alphas = np.arange(56, 216, step, dtype=np.uint8)
        palette = np.zeros((len(alphas), 4), np.uint8)
        palette[:, :3] = (40, 90, 200)
        palette[:, 3] = alphas
        exact = np.abs(ramp[..., 3:4].astype(int) - alphas.astype(int)).argmin(axis=2).astype(np.uint8)
        return exact, dither_indices(ramp, palette, exact, 1.0)

    exact, fine = run(4)  # composites differ by about 4 per step: under the gate's lower end
    np.testing.assert_array_equal(fine, exact)
    exact, coarse = run(24)
    assert (coarse != exact).mean() > 0.05


def test_rgba_carried_error_is_capped_for_sparse_palettes(monkeypatch):
    """A few far-apart entries (an icon sheet at K=8) may not carry errors above the RGBA cap:
    larger ones sprinkled white specks over coloured highlights. The cap reaches `diffuse`."""
    from kmeans_desktop.core import dither

    sparse = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]], np.float32) * 2
    assert dither._error_limit(sparse, dither._MAX_ERR) > dither._MAX_ERR_CAP
    assert dither._error_limit(sparse, dither._MAX_ERR, dither._MAX_ERR_CAP) == dither._MAX_ERR_CAP
    dense = np.arange(0, 60, 3, dtype=np.float32)[:, None].repeat(6, axis=1)
    assert dither._error_limit(dense, dither._MAX_ERR, dither._MAX_ERR_CAP) == dither._MAX_ERR

    seen = []
    real = dither._error_limit
    monkeypatch.setattr(dither, "_error_limit", lambda *a: seen.append(real(*a)) or seen[-1])
    px = np.zeros((16, 16, 4), np.uint8)
    px[..., 3] = 255
    px[:, :8, :3] = (230, 30, 30)
    px[:, 8:, :3] = np.linspace(0, 255, 8, dtype=np.uint8)[None, :, None]
    px[:4, :4, 3] = 0
    palette = np.array([[0, 0, 0, 0], [255, 255, 255, 255], [230, 30, 30, 255], [0, 0, 0, 255]], np.uint8)
    exact = np.zeros((16, 16), np.uint8)
    dither.diffuse(px, palette, exact, np.ones((16, 16), np.float32))
    assert seen and seen[-1] <= dither._MAX_ERR_CAP


def test_alpha_ramps_get_fuller_dithering_than_constant_alpha():
    """Partly transparent pixels where alpha changes nearby (a fade) dither at least at
    `_ALPHA_RAMP`: their steps show as bands on a light page. The same colours at one constant
    alpha keep the base strength."""
    from kmeans_desktop.core import dither

    h, w = 32, 64
    px = np.zeros((h, w, 4), np.uint8)
    px[..., 0] = np.linspace(20, 230, w, dtype=np.uint8)[None, :]
    px[..., 1], px[..., 2] = 120, 90
    px[:, :32, 3] = np.linspace(90, 220, h, dtype=np.uint8)[:, None]  # left: alpha fades by row
    px[:, 32:, 3] = 160  # right: one alpha
    palette = np.array([[20, 120, 90, 255], [230, 120, 90, 255], [20, 120, 90, 120], [230, 120, 90, 120]], np.uint8)
    exact = np.zeros((h, w), np.uint8)
    s = strength_map(px, palette, exact)
    gate = dither._spacing_gate(palette, exact)
    assert (gate == 1).all()  # far-apart entries: the spacing gate passes everything
    ramp, flat = s[4:-4, 4:28], s[4:-4, 40:-4]
    assert ramp.min() >= dither._ALPHA_RAMP - 1e-6
    assert flat.max() < dither._ALPHA_RAMP


def test_antialiased_contours_next_to_flat_areas_are_not_dithered():
    """RGB: a flat graphic's anti-aliased outline (steep, next to flat fills) maps exactly, while a
    smooth gradient next to the same flat background still dithers (`_edge_gate`)."""
    y, x = np.mgrid[0:64, 0:96]
    cover = np.clip(20.5 - np.hypot(y - 32, x - 32), 0, 1)[..., None]  # a disc, a 1-pixel soft rim
    img = np.rint(cover * (212, 50, 47) + (1 - cover) * (248, 246, 240)).astype(np.uint8)
    img[:, 72:, 0] = 40 + (x[:, 72:] - 72) * 3
    img[:, 72:, 1] = 60 + y[:, 72:] * 2
    img[:, 72:, 2] = 120
    plain = quantize(img, 4)
    s = strength_map(img, plain.palette, plain.indices)
    rim = (cover[..., 0] > 0) & (cover[..., 0] < 1)
    assert rim.sum() > 100 and (s[rim] == 0).all()
    assert (s[:, 75:] > 0).all(), "the gradient keeps its dithering"
    dith = quantize(img, 4, dither=True)
    np.testing.assert_array_equal(dith.indices[:, :64], plain.indices[:, :64])
    assert (dith.indices[:, 75:] != plain.indices[:, 75:]).any()


def test_rgba_error_does_not_cross_from_opaque_to_partly_transparent_pixels():
    """An opaque area dithered between black and white (a sheen) passes no error to the partly
    transparent pixels beside it (its shadow): they dither exactly as they would alone. Across the
    alpha-class wall the error means something else and made shadows take wrong entries."""
    from kmeans_desktop.core import dither

    px = np.zeros((24, 24, 4), np.uint8)
    px[:, :12] = (128, 128, 128, 255)  # opaque mid grey: dithered between black and white
    px[:, 12:] = (124, 124, 124, 128)  # partly transparent, between entries 2 and 3
    palette = np.array([[0, 0, 0, 255], [255, 255, 255, 255], [100, 100, 100, 128], [156, 156, 156, 128]], np.uint8)
    exact = np.where(np.arange(24)[None, :] < 12, 0, 2).repeat(24, axis=0).astype(np.uint8)
    out = dither.diffuse(px, palette, exact, np.ones((24, 24), np.float32))
    assert set(np.unique(out[:, :12])) == {0, 1}, "the opaque half is dithered"
    alone = dither.diffuse(px[:, 12:], palette, exact[:, 12:], np.ones((24, 12), np.float32))
    assert set(np.unique(alone)) == {2, 3}
    np.testing.assert_array_equal(out[:, 12:], alone)


def test_rgba_opaque_error_is_cut_so_a_far_entry_is_not_sprinkled_in():
    """A dark opaque grey between black and white (the only entries, as an icon sheet's sheen at
    K=8 has one entry per hue and white): its carried error is cut to `_OPAQUE_ERR`, too little to
    reach white, so no white specks; a grey near the middle still dithers."""
    from kmeans_desktop.core import dither

    palette = np.array([[0, 0, 0, 255], [255, 255, 255, 255]], np.uint8)
    exact = np.zeros((32, 32), np.uint8)
    ones = np.ones((32, 32), np.float32)
    dark = np.full((32, 32, 4), (40, 40, 40, 255), np.uint8)
    assert (dither.diffuse(dark, palette, exact, ones) == 0).all()
    mid = np.full((32, 32, 4), (110, 110, 110, 255), np.uint8)
    assert 0.2 < (dither.diffuse(mid, palette, exact, ones) == 1).mean() < 0.6


def test_class_walls_stand_only_between_opaque_and_partly_transparent_pixels():
    """Transparent pixels use and pass no error, so they need no wall: an image of partly
    transparent and transparent pixels only runs the plain diffusion (None)."""
    from kmeans_desktop.core import dither

    cls = np.array([[0, 1, 1], [1, 0, 1]], np.int8)[:, :, None]  # (rows, columns, tile)
    assert dither._class_walls(cls) is None
    cls[0, 2, 0] = 2  # opaque, right of a partly transparent pixel and above another
    walls = dither._class_walls(cls)[..., 0]
    assert walls[0, 1] == 0b1110  # its right neighbour (bit 0) is across the wall
    assert walls[0, 2] == 0b1011  # its lower neighbour (bit 2) is across, the others outside or transparent
    assert walls[1, 0] == 15
