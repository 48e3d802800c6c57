"""load_image: every Pillow mode to RGB/RGBA, orientation, metadata, and a plain error per bad input."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.core import MAX_PIXELS, ImageLoadError, ImageSaveError, load_image, write_atomic

from .images import corrupt_png, exif_with_orientation, jpeg_bytes, png_bytes, png_header_only, srgb_icc


def _write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_rgb_png_loads_exactly(tmp_path, gradient):
    src = load_image(_write(tmp_path, "g.png", png_bytes(gradient)))
    np.testing.assert_array_equal(src.pixels, gradient)
    assert src.width == 64 and src.height == 48 and not src.has_alpha
    assert src.file_size == (tmp_path / "g.png").stat().st_size
    assert src.name == "g.png" and src.format == "PNG"
    assert not src.pixels.flags.writeable


def test_bytes_input(gradient):
    src = load_image(png_bytes(gradient))
    np.testing.assert_array_equal(src.pixels, gradient)
    assert src.name == "pasted image" and src.path is None


@pytest.mark.parametrize(
    "mode,expect_channels",
    [("L", 3), ("1", 3), ("CMYK", 3), ("LA", 4), ("RGBA", 4), ("P", 3), ("I;16", 3), ("I", 3), ("F", 3)],
)
def test_every_mode_becomes_rgb_or_rgba(tmp_path, gradient, mode, expect_channels):
    base = Image.fromarray(gradient)
    if mode == "RGBA":
        im = base.convert("RGBA")
        a = np.asarray(im).copy()
        a[:5, :, 3] = 0
        im = Image.fromarray(a)
    elif mode == "LA":
        la = np.zeros((48, 64, 2), np.uint8)
        la[..., 0] = gradient[..., 0]
        la[..., 1] = 255
        la[0, 0, 1] = 10
        im = Image.fromarray(la, "LA")
    elif mode == "I;16":
        im = Image.fromarray(gradient[..., 0].astype(np.uint16) * 257)
        assert im.mode == "I;16"
    elif mode == "I":
        im = Image.fromarray(gradient[..., 1].astype(np.int32) * 257)
    elif mode == "F":
        im = Image.fromarray(gradient[..., 2].astype(np.float32) / 255.0)
    else:
        im = base.convert(mode)
    ext = "tiff" if mode in ("CMYK", "F", "I") else "png"
    path = tmp_path / f"m.{ext}"
    im.save(path)
    src = load_image(path)
    assert src.pixels.dtype == np.uint8
    assert src.pixels.shape == (48, 64, expect_channels)
    if mode == "I;16":
        np.testing.assert_array_equal(src.pixels[..., 0], gradient[..., 0])  # scaled, not clipped
    if mode == "I":
        np.testing.assert_array_equal(src.pixels[..., 1], gradient[..., 1])
    if mode == "F":
        np.testing.assert_allclose(src.pixels[..., 0], gradient[..., 2], atol=1)
    if mode == "L":
        assert (src.pixels[..., 0] == src.pixels[..., 1]).all()


def test_palette_image_with_transparency_becomes_rgba(tmp_path):
    im = Image.new("P", (8, 8), 0)
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    im.paste(1, (0, 0, 4, 8))
    im.save(tmp_path / "t.png", transparency=0)
    src = load_image(tmp_path / "t.png")
    assert src.pixels.shape == (8, 8, 4)
    assert (src.pixels[:, 4:, 3] == 0).all() and (src.pixels[:, :4, 3] == 255).all()


def test_opaque_alpha_channel_is_dropped(tmp_path, gradient):
    rgba = np.concatenate([gradient, np.full((48, 64, 1), 255, np.uint8)], axis=2)
    src = load_image(_write(tmp_path, "o.png", png_bytes(rgba)))
    assert src.pixels.shape == (48, 64, 3)


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((20, 30, 3), np.uint8)
    arr[:, :5] = 255  # a white stripe on the left edge
    p = _write(tmp_path, "o.jpg", jpeg_bytes(arr, exif=exif_with_orientation(6)))  # 6 = rotate 90° CW
    src = load_image(p)
    assert src.pixels.shape == (30, 20, 3)
    assert src.pixels[:5].mean() > 200  # the left edge is now the top
    assert src.exif is not None  # kept for a saver that asks for it


def test_icc_profile_is_kept(tmp_path, gradient):
    icc = srgb_icc()
    src = load_image(_write(tmp_path, "c.png", png_bytes(gradient, icc_profile=icc)))
    assert src.icc_profile == icc


def test_animation_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (6, 6), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=50, loop=0)
    src = load_image(tmp_path / "a.gif")
    assert src.frames == 2
    assert tuple(src.pixels[0, 0, :3]) == (255, 0, 0)


# --- every bad input gets one plain sentence naming the file ---------------------------------


def _expect_error(path_or_bytes, *words):
    with pytest.raises(ImageLoadError) as info:
        load_image(path_or_bytes)
    msg = str(info.value)
    assert "\n" not in msg and "Traceback" not in msg
    for w in words:
        assert w in msg, msg
    return msg


def test_missing_file(tmp_path):
    _expect_error(tmp_path / "nope.png", "nope.png", "no such file")


def test_empty_file(tmp_path):
    _expect_error(_write(tmp_path, "empty.png", b""), "empty.png", "empty")


def test_not_an_image(tmp_path):
    _expect_error(_write(tmp_path, "notes.png", b"hello, this is text\n" * 20), "notes.png", "not an image")


def test_folder_instead_of_file(tmp_path):
    (tmp_path / "dir.png").mkdir()
    _expect_error(tmp_path / "dir.png", "dir.png", "folder")


def test_truncated_file(tmp_path, china):
    data = jpeg_bytes(china)
    _expect_error(_write(tmp_path, "cut.jpg", data[: len(data) // 2]), "cut.jpg", "truncated")


def test_truncated_png(tmp_path, gradient):
    data = png_bytes(gradient)
    _expect_error(_write(tmp_path, "cut.png", data[: len(data) - 30]), "cut.png")


def test_corrupt_file(tmp_path, gradient):
    _expect_error(_write(tmp_path, "bad.png", corrupt_png(gradient)), "bad.png", "corrupt")


@pytest.mark.parametrize("size", [(40000, 40000), (15000, 10001)])
def test_too_large_is_refused_before_decoding(tmp_path, size):
    assert size[0] * size[1] > MAX_PIXELS
    msg = _expect_error(_write(tmp_path, "bomb.png", png_header_only(*size)), "bomb.png", "too large")
    assert "megapixels" in msg


def test_unreadable_file(tmp_path, gradient, monkeypatch):
    p = _write(tmp_path, "secret.png", png_bytes(gradient))
    if os.geteuid() != 0:
        p.chmod(0)
    else:  # root reads everything; simulate the permission check failing
        monkeypatch.setattr(os, "access", lambda *a, **k: False)
    _expect_error(p, "secret.png", "permission denied")


def test_empty_bytes():
    _expect_error(b"", "empty")


# --- atomic writes -----------------------------------------------------------------------


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path):
    p = tmp_path / "out.png"
    p.write_bytes(b"old")
    write_atomic(p, b"new content")
    assert p.read_bytes() == b"new content"
    assert [x.name for x in tmp_path.iterdir()] == ["out.png"]


def test_failed_write_keeps_existing_file_and_leaves_nothing(tmp_path, monkeypatch):
    p = tmp_path / "out.png"
    p.write_bytes(b"precious")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(ImageSaveError, match="out.png"):
        write_atomic(p, b"x" * 1000)
    assert p.read_bytes() == b"precious"
    assert [x.name for x in tmp_path.iterdir()] == ["out.png"]


def test_write_into_missing_folder_is_a_plain_error(tmp_path):
    with pytest.raises(ImageSaveError, match="does not exist"):
        write_atomic(tmp_path / "no" / "out.png", b"x")
