"""compress with requirements and several inputs: budgets, sizes, formats, batches, exit codes."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from .images import jpeg_bytes, png_bytes
from .test_cli import json_results as _json
from .test_cli import run


@pytest.fixture
def photo(tmp_path, china):
    p = tmp_path / "photo.jpg"
    p.write_bytes(jpeg_bytes(china[:240, :320]))
    return p


@pytest.mark.parametrize("size,limit", [("20000", 20000), ("20KB", 20000), ("20kB", 20000), ("0.02MB", 20000), ("19KiB", 19456)])
def test_max_bytes_forms(tmp_path, photo, size, limit):
    out = tmp_path / "o.png"
    (info,) = _json(run("compress", photo, "-o", out, "--max-bytes", size, "--json"))
    assert out.stat().st_size == info["bytes_out"] <= limit
    assert info["k"] <= 256 and 0 < info["scale"] <= 1.0 and info["quality"] is None  # size chosen too (issue 14)
    assert info["colors"] <= info["k"]


@pytest.mark.parametrize("size", ["20 parsecs", "-1KB", "KB", "0", "1e5"])
def test_bad_max_bytes_exit_2(tmp_path, photo, size):
    r = run("compress", photo, "-o", tmp_path / "o.png", "--max-bytes", size)
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and "--max-bytes" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.png").exists()


def test_max_size_and_jpeg_target(tmp_path, photo):
    out = tmp_path / "o.jpg"
    (info,) = _json(run("compress", photo, "-o", out, "--max-size", "200x200", "--max-bytes", "8KB", "--json"))
    with Image.open(out) as im:  # at most 200×150; smaller when that looks better under 8 KB (issue 14)
        assert im.format == "JPEG" and im.size[0] <= 200 and im.size[1] <= 150
        assert im.size[0] / im.size[1] == pytest.approx(200 / 150, rel=0.03)
    assert info["bytes_out"] <= 8000 and info["quality"] and info["scale"] <= 200 / 320 + 1e-3


def test_format_must_agree_with_extension(tmp_path, photo):
    r = run("compress", photo, "-o", tmp_path / "o.png", "--format", "jpeg")
    assert r.returncode == 2 and "--format" in r.stderr


def test_webp_and_gif_by_format_into_a_folder(tmp_path, photo):
    outdir = tmp_path / "out"
    outdir.mkdir()
    for fmt, ext in (("webp", ".webp"), ("gif", ".gif")):
        (info,) = _json(run("compress", photo, "-o", outdir, "--format", fmt, "-k", "16", "--json"))
        assert info["output"].endswith("photo" + ext)
        with Image.open(outdir / f"photo{ext}") as im:
            assert im.format == fmt.upper()


def test_batch_mixed_folder(tmp_path, china, gradient):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jpg").write_bytes(jpeg_bytes(china[:100, :100]))
    (src / "b.png").write_bytes(png_bytes(gradient))
    (src / "broken.png").write_bytes(b"not really a png")
    (src / "empty.jpg").write_bytes(b"")
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.png").write_bytes(b"keep me")  # an existing output is not overwritten without --force
    inputs = sorted(src.iterdir())
    r = run("compress", *inputs, "-o", out, "-k", "8", "--json", "--jobs", "2")
    assert r.returncode == 1
    results = [json.loads(line) for line in r.stdout.strip().splitlines()]
    assert [p["output"] for p in results] == [str(out / "a.png")]
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3
    assert any("broken.png" in e for e in errors) and any("empty.jpg" in e for e in errors)
    assert any("b.png" in e and "--force" in e for e in errors)
    assert "4 files: 1 written, 3 failed" in r.stderr
    assert (out / "b.png").read_bytes() == b"keep me"
    with Image.open(out / "a.png") as im:
        assert im.mode == "P"
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    # With --force the existing output is replaced; the bad inputs still fail.
    r = run("compress", *inputs, "-o", out, "-k", "8", "--force", "--jobs", "1")
    assert r.returncode == 1
    with Image.open(out / "b.png") as im:
        assert im.mode == "P"


def test_several_inputs_need_a_folder(tmp_path, photo):
    r = run("compress", photo, photo, "-o", tmp_path / "x.png")
    assert r.returncode == 2 and "folder" in r.stderr


def test_keep_metadata(tmp_path, china):
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    src = tmp_path / "e.jpg"
    src.write_bytes(jpeg_bytes(china[:60, :60], exif=exif.tobytes()))
    assert run("compress", src, "-k", "8", "-o", tmp_path / "e.png", "--keep-metadata").returncode == 0
    with Image.open(tmp_path / "e.png") as im:
        assert im.getexif().get(0x010F) == "TestCam"
