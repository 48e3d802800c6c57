"""RGBA palettes (core/alpha.py): partly transparent pixels take the entry that looks nearest on
black and white pages, and K is split between opaque and partly transparent entries by error."""

from __future__ import annotations

import numpy as np
import pytest

from kmeans_desktop.core import quantize

COLOURS = [(240, 85, 74), (172, 102, 221), (62, 160, 236), (80, 199, 109), (252, 210, 60), (254, 254, 254)]


def _icon_sheet() -> np.ndarray:
    """Six flat opaque squares, each with a drop shadow (alpha 60..100) and a wide faint glow
    (alpha 16 at the square down to 2) around it, on full transparency: the faint glow is most of
    the partly transparent pixels, as in a soft shadow's outer ring."""
    img = np.zeros((48, 288, 4), np.uint8)
    y, x = np.mgrid[0:48, 0:288]
    for i, c in enumerate(COLOURS):
        cx, cy = 24 + 48 * i, 24
        d = np.maximum(abs(x - cx), abs(y - cy))
        glow = d <= 22
        img[glow] = (10, 8, 9, 0)
        img[glow, 3] = (16 - (d[glow] - 8).clip(0) * 14 // 14).astype(np.uint8)
        s = np.maximum(abs(x - cx - 2), abs(y - cy - 2))
        shadow = s <= 9
        img[shadow] = (20, 18, 20, 0)
        img[shadow, 3] = (100 - s[shadow] * 4).astype(np.uint8)
        img[(d <= 8)] = (*c, 255)
    return img


def _on_white(px: np.ndarray) -> np.ndarray:
    c = px.astype(np.float64)
    return c[..., :3] * c[..., 3:] / 255.0 + 255.0 - c[..., 3:]


@pytest.mark.parametrize("k", [8, 16])
@pytest.mark.parametrize("dither", [False, True])
def test_a_faint_glow_fades_rather_than_turning_into_a_grey_halo(dither, k):
    img = _icon_sheet()
    out = quantize(img, k, dither=dither).to_array()
    glow = (img[..., 3] > 0) & (img[..., 3] <= 16)
    # On a white page the glow is 239..253. Sharing an entry with the drop shadow would pull it
    # into a grey ring darker than the glow; at K=8 (six colours, transparency and the shadow
    # take every entry) the glow takes the transparent entry and fades a little; at K=16 it has
    # an entry of its own.
    darker = (_on_white(img)[glow] - _on_white(out)[glow]).mean()
    assert darker < 3, f"the glow is {darker:.1f} levels darker on white"
    if k == 16:
        assert abs(darker) < 3, f"the glow is {-darker:.1f} levels lighter on white"


def test_every_flat_colour_keeps_its_entry_at_low_k():
    # 1 transparent + 6 opaque + 1 shadow entry fit K=8 exactly; splitting by pixel count gave
    # the partly transparent pixels two entries and merged white with yellow.
    img = _icon_sheet()
    q = quantize(img, 8)
    opaque = {tuple(int(v) for v in e[:3]) for e in q.palette if e[3] == 255}
    assert opaque == set(COLOURS)


def test_partly_transparent_pixels_may_become_transparent_but_never_the_reverse():
    img = _icon_sheet()
    q = quantize(img, 8)
    out = q.to_array()
    assert (out[img[..., 3] == 0][:, 3] == 0).all()
    assert (out[img[..., 3] == 255][:, 3] == 255).all()
    faint = (img[..., 3] > 0) & (img[..., 3] <= 4)
    assert (out[faint][:, 3] == 0).any(), "the faintest glow looks nearest to transparent"
