"""Indexed PNG and GIF output: smallest bit depth, tRNS, ICC kept, EXIF only on request, exact pixels."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.core import ImageSaveError, encode, format_for_path, quantize, save

from .images import srgb_icc


def _chunks(png: bytes) -> dict[bytes, bytes]:
    out, pos = {}, 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        out.setdefault(kind, png[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return out


@pytest.mark.parametrize("k,depth", [(2, 1), (4, 2), (16, 4), (200, 8)])
def test_png_is_indexed_with_the_smallest_bit_depth(gradient, k, depth):
    q = quantize(gradient, k)
    assert q.n_colors == k
    png = encode(q, "png")
    ihdr = _chunks(png)[b"IHDR"]
    assert ihdr[9] == 3, "colour type 3 = indexed"
    assert ihdr[8] == depth
    im = Image.open(io.BytesIO(png))
    assert im.mode == "P"
    np.testing.assert_array_equal(np.asarray(im.convert("RGB")), q.to_array())


def test_png_alpha_is_written_as_trns(rgba_mixed):
    q = quantize(rgba_mixed, 12)
    png = encode(q, "png")
    assert b"tRNS" in _chunks(png)
    back = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    out = q.to_array()
    np.testing.assert_array_equal(back[..., 3], out[..., 3])
    visible = out[..., 3] > 0
    np.testing.assert_array_equal(back[visible], out[visible])


def test_icc_is_kept_and_exif_only_on_request(gradient):
    q = quantize(gradient, 8)
    icc = srgb_icc()
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    plain = Image.open(io.BytesIO(encode(q, "png", icc_profile=icc)))
    assert plain.info.get("icc_profile") == icc
    assert "exif" not in plain.info
    with_exif = Image.open(io.BytesIO(encode(q, "png", exif=exif.tobytes())))
    assert with_exif.getexif().get(0x010F) == "TestCam"


def test_same_result_encodes_to_identical_bytes(china):
    a = encode(quantize(china, 24, seed=3), "png")
    b = encode(quantize(china.copy(), 24, seed=3), "png")
    assert a == b


def test_png_is_much_smaller_than_the_truecolour_png(china):
    buf = io.BytesIO()
    Image.fromarray(china).save(buf, format="PNG", optimize=True)
    assert len(encode(quantize(china, 64), "png")) < 0.5 * len(buf.getvalue())


def test_gif_round_trips_rgb_and_transparency(gradient, rgba_mixed):
    q = quantize(gradient, 32)
    back = Image.open(io.BytesIO(encode(q, "gif")))
    assert back.format == "GIF"
    np.testing.assert_array_equal(np.asarray(back.convert("RGB")), q.to_array())
    qa = quantize(rgba_mixed, 8)
    back = np.asarray(Image.open(io.BytesIO(encode(qa, "gif"))).convert("RGBA"))
    assert (back[:10, :, 3] == 0).all() and (back[20:, :, 3] == 255).all()


def test_format_follows_the_extension(tmp_path):
    assert format_for_path(tmp_path / "a.PNG") == "png"
    assert format_for_path(tmp_path / "a.gif") == "gif"
    with pytest.raises(ImageSaveError, match="a.bmp"):
        format_for_path(tmp_path / "a.bmp")


def test_save_writes_exactly_the_encoded_bytes(tmp_path, gradient):
    q = quantize(gradient, 16)
    n = save(q, tmp_path / "o.png")
    assert (tmp_path / "o.png").read_bytes() == encode(q, "png")
    assert n == len(encode(q, "png"))
