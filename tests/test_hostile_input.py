"""Hostile and odd input: formats we never open, headers that lie, names at the limit, file modes
kept on replace, one error line on failure, and the small cases (FIFOs, big ICC profiles).

Every input is generated here, small and seeded.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.core import ImageLoadError, ImageSaveError, load_image, write_atomic
from kmeans_desktop.core.encoding import check_dimensions
from kmeans_desktop.core.errors import FormatLimitError
from kmeans_desktop.core.formats import PILLOW_FORMATS, min_plausible_bytes
from kmeans_desktop.core.tempfiles import PREFIX

from .images import jpeg_bytes, png_bytes

ROOT = Path(__file__).resolve().parent.parent
EPS = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
       b"newpath 0 0 moveto 10 10 lineto stroke showpage\n%%EOF\n")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kmeans_desktop", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=300)


def noise(h, w, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def one_error_line(r) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "unexpected" not in lines[0] and "Traceback" not in r.stderr
    return lines[0]


# --- 3. formats we never open ------------------------------------------------------------------

def test_eps_named_png_is_refused_without_running_ghostscript(tmp_path, monkeypatch):
    from PIL import EpsImagePlugin

    def no_ghostscript(*args, **kwargs):
        raise AssertionError("Ghostscript was run on untrusted input")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_ghostscript)
    p = tmp_path / "photo.png"
    p.write_bytes(EPS)
    with pytest.raises(ImageLoadError, match=r"photo\.png: this file is in PostScript \(EPS\) format.*it reads PNG, JPEG"):
        load_image(p)
    with pytest.raises(ImageLoadError, match="PostScript"):
        load_image(EPS)  # pasted bytes go through the same list


def test_eps_on_the_command_line_writes_nothing(tmp_path):
    p = tmp_path / "photo.png"
    p.write_bytes(EPS)
    r = run("compress", p, "-o", tmp_path / "out.png")
    assert r.returncode == 2
    assert "PostScript (EPS)" in one_error_line(r)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("fmt, name", [("QOI", "QOI"), ("PCX", "PCX"), ("JPEG2000", "JPEG 2000")])
def test_other_formats_pillow_knows_are_refused_by_name(tmp_path, fmt, name):
    buf = io.BytesIO()
    try:
        Image.fromarray(noise(8, 8)).save(buf, format=fmt)
    except (KeyError, OSError, ValueError):
        pytest.skip(f"this Pillow can't write {fmt}")
    with pytest.raises(ImageLoadError, match=f"this file is in {name} format, which kmeans-desktop does not open"):
        load_image(buf.getvalue(), name="x.png")


def test_every_listed_format_still_opens():
    saves = {"PNG": {}, "JPEG": {}, "GIF": {}, "WEBP": {"lossless": True}, "TIFF": {}, "BMP": {}, "PPM": {},
             "ICO": {"sizes": [(16, 16)]}}
    assert set(saves) == set(PILLOW_FORMATS)
    for fmt, params in saves.items():
        buf = io.BytesIO()
        Image.fromarray(noise(16, 16)).save(buf, format=fmt, **params)
        assert load_image(buf.getvalue()).pixels.shape[:2] == (16, 16), fmt


# --- 6. headers that lie -------------------------------------------------------------------------

def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(jpeg_bytes(noise(16, 16)))
    i = data.index(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_claiming(width: int, height: int) -> bytes:
    idat = zlib.compress(b"\x00" * 200)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


def _gif_claiming(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(noise(16, 16)).convert("P").save(buf, format="GIF")
    data = bytearray(buf.getvalue())
    data[6:10] = struct.pack("<HH", width, height)  # logical screen
    i = data.index(b"\x2c")  # image descriptor
    data[i + 5:i + 9] = struct.pack("<HH", width, height)
    return bytes(data)


@pytest.mark.parametrize("make", [_jpeg_claiming, _png_claiming, _gif_claiming])
def test_tiny_file_claiming_a_huge_image_is_refused_as_truncated(tmp_path, make):
    p = tmp_path / "liar.img"
    p.write_bytes(make(12000, 12000))
    with pytest.raises(ImageLoadError, match=r"truncated or damaged; its header claims 12000×12000 pixels"):
        load_image(p)


def test_lying_header_is_refused_before_the_canvas_is_allocated(tmp_path):
    # A 12000×12000 RGB canvas is 432 MB; the refusal must come before it exists.
    p = tmp_path / "liar.jpg"
    p.write_bytes(_jpeg_claiming(12000, 12000))
    code = ("import resource, sys\nfrom kmeans_desktop.core import load_image, ImageLoadError\n"
            f"try:\n    load_image({str(p)!r})\nexcept ImageLoadError:\n    pass\n"
            # VmHWM: this process's own peak. ru_maxrss would also count the pytest process it was
            # forked from (Linux keeps it across exec), which earlier tests may have made large.
            "import re\ntry:\n    print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
            "except OSError:\n    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.strip()) < 300_000  # KiB


def test_smallest_honest_files_pass_the_size_floor():
    """The floors are below what the best encoders manage on flat images, so no real file trips them."""
    flat = np.full((2000, 2000, 3), 128, np.uint8)
    buf = io.BytesIO()
    Image.fromarray(flat).save(buf, format="JPEG", quality=1, subsampling=2, optimize=True, progressive=True)
    tiny_jpeg = buf.getvalue()
    assert len(tiny_jpeg) >= min_plausible_bytes("JPEG", 2000, 2000)
    one_bit = io.BytesIO()
    Image.new("1", (4000, 4000), 1).save(one_bit, format="PNG", optimize=True, compress_level=9)
    assert len(one_bit.getvalue()) >= min_plausible_bytes("PNG", 4000, 4000)
    gif = io.BytesIO()
    Image.new("P", (2000, 2000), 0).save(gif, format="GIF")
    assert len(gif.getvalue()) >= min_plausible_bytes("GIF", 2000, 2000)
    assert load_image(tiny_jpeg).width == 2000


def test_arithmetic_coded_jpeg_has_no_floor():
    sof9 = b"\xff\xd8" + b"\xff\xe0\x00\x04ab" + b"\xff\xc9\x00\x0b\x08\x2e\xe0\x2e\xe0\x01\x01\x11\x00"
    assert min_plausible_bytes("JPEG", 12000, 12000, head=sof9) == 0
    assert min_plausible_bytes("JPEG", 12000, 12000, head=sof9.replace(b"\xff\xc9", b"\xff\xc0")) > 100_000


# --- 4 and 5. replacing files: modes kept, long names -------------------------------------------

def test_replacing_keeps_a_private_files_mode(tmp_path):
    p = tmp_path / "private.png"
    p.write_bytes(b"old")
    os.chmod(p, 0o600)
    write_atomic(p, b"new")
    assert p.read_bytes() == b"new"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_new_file_gets_the_usual_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.png", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.png").stat().st_mode) == 0o644


def test_force_keeps_mode_on_the_command_line(tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(png_bytes(noise(20, 20)))
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    os.chmod(out, 0o600)
    r = run("compress", src, "-o", out, "-k", "4", "--force")
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with Image.open(out) as im:
        assert im.size == (20, 20)


def test_names_up_to_the_limit_are_written(tmp_path):
    name = "n" * 251 + ".png"  # 255 bytes: legal; the temporary name must not be longer
    write_atomic(tmp_path / name, b"data")
    assert (tmp_path / name).read_bytes() == b"data"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(PREFIX)]
    src = tmp_path / "in.png"
    src.write_bytes(png_bytes(noise(20, 20)))
    r = run("compress", src, "-o", tmp_path / ("m" * 251 + ".png"), "-k", "4")
    assert r.returncode == 0, r.stderr


def test_name_over_the_limit_is_one_plain_error(tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(png_bytes(noise(20, 20)))
    r = run("compress", src, "-o", tmp_path / ("x" * 300 + ".png"), "-k", "4")
    assert r.returncode == 2
    assert "the file name is 304 bytes long; this folder allows at most 255" in one_error_line(r)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]
    with pytest.raises(ImageSaveError, match="file name is too long"):
        write_atomic(tmp_path / ("y" * 300), b"data")


# --- 7. one line on failure ----------------------------------------------------------------------

def test_truncated_animated_gif_is_one_plain_line(tmp_path):
    frames = [Image.fromarray(np.roll(noise(40, 40, 3), 7 * i, 0)).convert("P") for i in range(4)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    for cut in (0.3, 0.5, 0.8, 0.97):
        p = tmp_path / f"cut{cut}.gif"
        p.write_bytes(buf.getvalue()[:int(len(buf.getvalue()) * cut)])
        r = run("compress", p, "-o", tmp_path / "out.png", "-k", "4")
        if r.returncode != 0:  # a cut past the first frame may still give a readable first frame
            assert r.returncode == 2
            one_error_line(r)
    assert not (tmp_path / "out.png").exists() or Image.open(tmp_path / "out.png").close() is None


@pytest.mark.parametrize("fmt, side, limit", [("webp", 16384, "16,383"), ("jpeg", 65501, "65,500")])
def test_format_size_limits_are_explained(tmp_path, fmt, side, limit):
    with pytest.raises(FormatLimitError, match=f"can't store an image over {limit} pixels wide or high.*save it as PNG"):
        check_dimensions(fmt, side, 2)
    src = tmp_path / "wide.png"
    src.write_bytes(png_bytes(np.zeros((1, side, 3), np.uint8)))
    out = tmp_path / f"wide.{'jpg' if fmt == 'jpeg' else fmt}"
    r = run("compress", src, "-o", out, "-k", "2")
    assert r.returncode == 2
    line = one_error_line(r)
    assert line.startswith(f"error: {out.name}: ") and f"over {limit} pixels" in line
    assert not out.exists()


def test_c_library_chatter_and_warnings_go_to_the_log(tmp_path):
    """fd 2 points at the log during a command-line run; our own lines still reach the terminal."""
    code = (
        "import os, sys, warnings\n"
        "from kmeans_desktop.logs import native_stderr_to_log, setup_logging\n"
        "setup_logging()\n"
        "with native_stderr_to_log():\n"
        "    os.write(2, b'libtiff: chatter from C\\n')\n"
        "    warnings.warn('a Python warning')\n"
        "    print('error: our own line', file=sys.stderr)\n"
        "os.write(2, b'after: fd 2 is back\\n')\n"
    )
    env = {**os.environ, "KMEANS_DESKTOP_LOG_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == ["error: our own line", "after: fd 2 is back"]
    log = (tmp_path / "kmeans-desktop.log").read_text()
    assert "libtiff: chatter from C" in log and "a Python warning" in log


def test_python_warnings_while_loading_go_to_the_log(tmp_path, monkeypatch, caplog):
    import logging

    from kmeans_desktop.core import imageio

    real = imageio._to_array

    def warn_then_convert(im):
        import warnings

        warnings.warn("Corrupt EXIF data", UserWarning)
        return real(im)

    monkeypatch.setattr(imageio, "_to_array", warn_then_convert)
    p = tmp_path / "w.png"
    p.write_bytes(png_bytes(noise(8, 8)))
    logger = logging.getLogger("kmeans_desktop.core.imageio")
    logger.addHandler(caplog.handler)
    try:
        assert load_image(p).width == 8  # the suite turns warnings into errors: none escaped
    finally:
        logger.removeHandler(caplog.handler)
    assert "w.png: UserWarning: Corrupt EXIF data" in caplog.text


# --- 8. smaller ones -----------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_fifo_and_devices_are_not_regular_files(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageLoadError, match=r"pipe\.png: this is not a regular file"):
        load_image(fifo)  # must not block reading the pipe
    with pytest.raises(ImageLoadError, match="not a regular file"):
        load_image("/dev/null")


def test_max_bytes_zero_names_the_option_once(tmp_path):
    src = tmp_path / "in.png"
    src.write_bytes(png_bytes(noise(8, 8)))
    r = run("compress", src, "-o", tmp_path / "o.png", "--max-bytes", "0")
    line = one_error_line(r)
    assert r.returncode == 2 and line.count("--max-bytes") == 1


def test_png_with_a_3_mb_icc_profile_is_read_and_kept(tmp_path):
    profile = bytes(3_000_000)  # compresses to a few KB; Pillow's own limit is 1 MB
    p = tmp_path / "icc.png"
    p.write_bytes(png_bytes(noise(12, 12), icc_profile=profile))
    src = load_image(p)
    assert src.icc_profile == profile
    r = run("compress", p, "-o", tmp_path / "out.png", "-k", "4")
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "out.png") as im:
        assert im.info["icc_profile"] == profile


# --- generated damage: every outcome is an image or one plain ImageLoadError ------------------------

def _damaged_files():
    rng = np.random.default_rng(715)
    saves = {"PNG": {}, "JPEG": {"quality": 80}, "GIF": {}, "WEBP": {"lossless": True}, "TIFF": {"compression": "tiff_lzw"},
             "BMP": {}, "PPM": {}, "ICO": {"sizes": [(16, 16)]}}
    for fmt, params in saves.items():
        buf = io.BytesIO()
        Image.fromarray(noise(24, 24, seed=len(fmt))).save(buf, format=fmt, **params)
        good = buf.getvalue()
        for i in range(12):
            data = bytearray(good)
            if i % 3 == 0:
                data = data[: int(rng.integers(1, len(data)))]  # truncated anywhere
            else:
                for pos in rng.integers(0, len(data), size=int(rng.integers(1, 8))):
                    data[pos] = int(rng.integers(0, 256))  # a few bytes flipped, header included
            yield f"{fmt}-{i}", bytes(data)


def test_damaged_files_give_an_image_or_one_plain_error():
    for label, data in _damaged_files():
        try:
            src = load_image(data, name=f"{label}.img")
        except ImageLoadError as exc:
            msg = str(exc)
            assert msg.startswith(f"{label}.img: ") and "\n" not in msg, msg
            assert "does not open" not in msg, msg  # a damaged file of ours is called damaged
        else:
            assert src.pixels.dtype == np.uint8 and src.pixels.ndim == 3, label


def test_damaged_files_on_the_command_line_print_one_line_each(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    chosen = [item for n, item in enumerate(_damaged_files()) if n % 8 == 1][:10]
    for label, data in chosen:
        (folder / f"{label}.img").write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    r = run("compress", *sorted(folder.iterdir()), "-o", out, "-k", "4", "--jobs", "2")
    lines = r.stderr.strip().splitlines()
    failed = [line for line in lines if line.startswith("error: ")]
    assert lines[-1].startswith(f"{len(chosen)} files: ") and f"{len(failed)} failed" in lines[-1]
    assert len(lines) == len(failed) + 1, r.stderr  # nothing else: no warnings, no tracebacks
    assert not any("unexpected" in line for line in failed), r.stderr
    assert r.returncode == (1 if failed else 0)
