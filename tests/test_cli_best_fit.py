"""compress --max-bytes chooses size, colours and dithering (issue 14): --min-size, --no-downscale,
--format auto, the JSON's reason and score, and the errors that say what would fit."""

from __future__ import annotations


import pytest
from PIL import Image

from .images import jpeg_bytes
from .test_cli import json_results as _json
from .test_cli import run


@pytest.fixture
def photo(tmp_path, china):
    p = tmp_path / "photo.jpg"
    p.write_bytes(jpeg_bytes(china[:240, :360]))
    return p


def test_json_has_reason_and_the_fitted_files_score(tmp_path, photo):
    out = tmp_path / "o.png"
    (info,) = _json(run("compress", photo, "-o", out, "--max-bytes", "9KB", "--json"))
    assert out.stat().st_size == info["bytes_out"] <= 9000
    assert info["scale"] < 1.0  # at 360×240 only a handful of colours fit in 9 KB
    assert f"{info['width']}x{info['height']} px with " in info["reason"]
    assert "looks better than 360x240 with" in info["reason"]
    assert f"({info['ssimulacra2']:.1f} vs " in info["reason"]
    from kmeans_desktop.core.quality import file_score
    from kmeans_desktop.core import load_image

    assert info["ssimulacra2"] == pytest.approx(file_score(load_image(photo).pixels, out.read_bytes()), abs=1e-3)


def test_min_size_and_no_downscale(tmp_path, photo):
    out = tmp_path / "o.png"
    (info,) = _json(run("compress", photo, "-o", out, "--max-bytes", "9KB", "--min-size", "300x", "--json"))
    assert info["width"] >= 300 and info["bytes_out"] <= 9000
    (kept,) = _json(run("compress", photo, "-o", out, "--max-bytes", "9KB", "--no-downscale", "--force",
                        "--max-size", "240x", "--json"))
    assert (kept["width"], kept["height"]) == (240, 160)


@pytest.mark.parametrize("args,words", [
    (["--min-size", "400x400", "--max-size", "300x300"], "is larger than the maximum size 300×300"),
    (["--min-size", "500x"], "is larger than the image (360×240)"),
    (["--max-bytes", "300", "--no-downscale"], "or smaller"),
    (["--max-bytes", "500", "--min-size", "300x"], "or smaller"),
])
def test_requirements_that_cant_be_met_exit_2(tmp_path, photo, args, words):
    out = tmp_path / "o.png"
    full = ["--max-bytes", "9KB", *args] if "--max-bytes" not in args else args
    r = run("compress", photo, "-o", out, *full)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], r.stderr
    assert "photo.jpg" in lines[0] and "Traceback" not in r.stderr
    assert not out.exists()


def test_format_auto_writes_the_chosen_formats_extension(tmp_path, photo):
    out = tmp_path / "o.png"
    (info,) = _json(run("compress", photo, "-o", out, "--max-bytes", "12KB", "--format", "auto", "--json"))
    written = tmp_path / info["output"].rsplit("/", 1)[-1]
    assert info["output"] == str(written) and written.exists()
    assert written.suffix == {"png": ".png", "webp": ".webp", "jpeg": ".jpg"}[info["format"]]
    with Image.open(written) as im:
        assert im.format == {"png": "PNG", "webp": "WEBP", "jpeg": "JPEG"}[info["format"]]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("o.")] == [written.name]
    assert info["bytes_out"] <= 12000 and info["reason"]
    assert written.stat().st_size == info["bytes_out"]


def test_format_auto_checks_the_final_name_in_a_batch(tmp_path, china):
    """Two inputs named pic with the same pixels get the same format, so the same final name: the
    second is refused; a file already there under the final name is not replaced without --force."""
    ins = []
    for folder in ("in1", "in2"):
        (tmp_path / folder).mkdir()
        ins.append(tmp_path / folder / "pic.png")
        Image.fromarray(china[:120, :160]).save(ins[-1])
    outdir = tmp_path / "out"
    outdir.mkdir()
    r = run("compress", *ins, "-o", outdir, "--format", "auto", "--max-bytes", "6KB", "--jobs", "1")
    (written,) = list(outdir.iterdir())
    assert "pic.png and pic.png would both be written to" in r.stderr and r.returncode == 1
    before = written.read_bytes()
    other = tmp_path / "in1" / "other.png"
    Image.fromarray(china[200:320, :160]).save(other)
    r = run("compress", ins[0], other, "-o", outdir, "--format", "auto", "--max-bytes", "6KB", "--jobs", "1")
    assert f"{written}: already exists" in r.stderr and r.returncode == 1
    assert written.read_bytes() == before
