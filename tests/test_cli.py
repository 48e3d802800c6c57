"""The compress command through a subprocess: exit codes, stderr, JSON, and no file left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .images import corrupt_png, jpeg_bytes, png_bytes, png_header_only

ROOT = Path(__file__).resolve().parent.parent


def opened(path):
    """Decode a file fully and close it (no ResourceWarning)."""
    with Image.open(path) as im:
        im.load()
        return im.copy() if im.format != "GIF" else im.convert("RGB"), im.format, im.getexif()


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "kmeans_desktop", *map(str, args)],
        capture_output=True, text=True, cwd=cwd or ROOT, timeout=300,
    )


def json_results(r):
    """The JSON objects a successful --json run printed, one per input."""
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.strip().splitlines()]


@pytest.fixture
def photo(tmp_path, china):
    p = tmp_path / "photo.jpg"
    p.write_bytes(jpeg_bytes(china[:200, :300]))
    return p


def test_compress_writes_png_and_json(tmp_path, photo):
    out = tmp_path / "out.png"
    r = run("compress", photo, "-k", "16", "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    info = json.loads(lines[0])
    for key in ("input", "output", "k", "colors", "width", "height", "bytes_in", "bytes_out", "psnr", "seconds"):
        assert key in info
    assert info["k"] == 16 and info["colors"] <= 16
    assert (info["width"], info["height"]) == (300, 200)
    assert info["bytes_out"] == out.stat().st_size
    assert info["bytes_in"] == photo.stat().st_size
    im, _, _ = opened(out)
    assert im.mode == "P" and im.size == (300, 200)
    assert info["psnr"] > 20


def test_gif_output_and_human_summary(tmp_path, photo):
    out = tmp_path / "out.gif"
    r = run("compress", photo, "-k", "8", "-o", out, "--dither")
    assert r.returncode == 0, r.stderr
    assert opened(out)[1] == "GIF"
    assert "8 colours" in r.stdout and "PSNR" in r.stdout


def test_same_seed_gives_identical_files(tmp_path, photo):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert run("compress", photo, "-k", "12", "--seed", "5", "-o", a).returncode == 0
    assert run("compress", photo, "-k", "12", "--seed", "5", "-o", b).returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_exif_is_dropped(tmp_path, china):
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    src = tmp_path / "e.jpg"
    src.write_bytes(jpeg_bytes(china[:50, :50], exif=exif.tobytes()))
    out = tmp_path / "e.png"
    assert run("compress", src, "-k", "8", "-o", out).returncode == 0
    assert not opened(out)[2]


def _bad(tmp_path, *args, out=None):
    out = out or tmp_path / "out.png"
    before = set(tmp_path.rglob("*"))
    r = run("compress", *args, "-o", out)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    assert set(tmp_path.rglob("*")) == before, "nothing may be written"
    return lines[0]


@pytest.mark.parametrize(
    "name,data,words",
    [
        ("empty.png", b"", "empty"),
        ("text.png", b"just some words\n" * 10, "not an image"),
        ("corrupt.png", None, "corrupt"),
        ("bomb.png", png_header_only(40000, 40000), "too large"),
        ("cut.jpg", "truncated", "truncated"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(tmp_path, china, gradient, name, data, words):
    if data is None:
        data = corrupt_png(gradient)
    elif data == "truncated":
        full = jpeg_bytes(china)
        data = full[: len(full) // 2]
    p = tmp_path / name
    p.write_bytes(data)
    line = _bad(tmp_path, p, "-k", "8")
    assert name in line and words in line


def test_missing_input(tmp_path):
    assert "no such file" in _bad(tmp_path, tmp_path / "ghost.png", "-k", "8")


@pytest.mark.parametrize("k", ["0", "257", "abc", "-3", "2.5"])
def test_bad_k(tmp_path, photo, k):
    assert "-k" in _bad(tmp_path, photo, "-k", k)


def test_unwritable_output_folder(tmp_path, photo):
    line = _bad(tmp_path, photo, "-k", "8", out=tmp_path / "missing" / "o.png")
    assert "missing" in line
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _bad(tmp_path, photo, "-k", "8", out=blocker / "o.png")


def test_unwritable_folder_for_non_root(tmp_path, photo):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; covered by test_unwritable_output_folder")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    _bad(tmp_path, photo, "-k", "8", out=ro / "o.png")


def test_unknown_output_extension(tmp_path, photo):
    assert ".bmp" in _bad(tmp_path, photo, "-k", "8", out=tmp_path / "o.bmp")


def test_output_same_as_input_needs_force(tmp_path, gradient):
    p = tmp_path / "same.png"
    p.write_bytes(png_bytes(gradient))
    original = p.read_bytes()
    assert "--force" in _bad(tmp_path, p, "-k", "4", out=p)
    assert p.read_bytes() == original
    r = run("compress", p, "-k", "4", "-o", p, "--force")
    assert r.returncode == 0, r.stderr
    im = opened(p)[0]
    assert im.mode == "P"
    assert len(np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)) <= 4


def test_version():
    from kmeans_desktop import __version__

    r = run("--version")
    assert r.returncode == 0 and __version__ in r.stdout


def test_failed_encode_leaves_no_file(tmp_path, photo, monkeypatch):
    # In-process: an unexpected failure after quantizing must not leave a partial output.
    from kmeans_desktop import cli

    def broken(*a, **k):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("kmeans_desktop.core.imageio.os.fsync", broken)
    code = cli.main(["compress", str(photo), "-k", "4", "-o", str(tmp_path / "o.png")])
    assert code == 2
    assert not (tmp_path / "o.png").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["photo.jpg"]
