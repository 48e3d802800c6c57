"""--lock, --palette and --export-palette on the command line, and their bad-input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from .test_cli import json_results, run


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(2)
    y, x = np.mgrid[0:60, 0:80]
    arr = np.clip(np.stack([x * 3, y * 4, (x + y) * 2], axis=2) + rng.integers(-9, 10, (60, 80, 3)), 0, 255)
    p = tmp_path / "photo.png"
    Image.fromarray(arr.astype(np.uint8)).save(p)
    return p


def _palette_of(path):
    with Image.open(path) as im:
        im.load()
        pal = np.array(im.getpalette()[: 3 * len(im.getcolors())]).reshape(-1, 3)
        return {tuple(int(v) for v in row) for row in pal}


def test_lock_keeps_the_colours_and_exports_the_palette(tmp_path, photo):
    out, gpl = tmp_path / "out.png", tmp_path / "out.gpl"
    r = run("compress", photo, "-o", out, "-k", "8", "--lock", "#c8102e,#ffffff", "--export-palette", gpl, "--json")
    [res] = json_results(r)
    assert {"#c8102e", "#ffffff"} <= set(res["palette"]) and res["colors"] <= 8
    assert {(200, 16, 46), (255, 255, 255)} <= _palette_of(out)
    assert "200  16  46\t#c8102e" in gpl.read_text()


def test_palette_maps_to_exactly_that_palette(tmp_path, photo):
    gpl = tmp_path / "brand.gpl"
    gpl.write_text("GIMP Palette\nName: b\n0 0 0 Black\n255 255 255 White\n200 16 46 Red\n60 120 200 Blue\n")
    out, css = tmp_path / "out.png", tmp_path / "out.css"
    [res] = json_results(run("compress", photo, "-o", out, "--palette", gpl, "--export-palette", css, "--json"))
    assert res["k"] == 4
    assert _palette_of(out) <= {(0, 0, 0), (255, 255, 255), (200, 16, 46), (60, 120, 200)}
    assert "--color-3: #c8102e;" in css.read_text()


def test_palette_with_max_bytes_only_shrinks(tmp_path, photo):
    gpl = tmp_path / "p.gpl"
    gpl.write_text("GIMP Palette\n0 0 0\n255 255 255\n200 16 46\n60 120 200\n")
    out = tmp_path / "out.png"
    [res] = json_results(run("compress", photo, "-o", out, "--palette", gpl, "--max-bytes", "250", "--json"))
    assert res["k"] == 4 and res["bytes_out"] <= 250
    assert res["width"] < 80


@pytest.mark.parametrize("args,words", [
    (["--lock", "#12"], "'#12' is not a colour"),
    (["-k", "2", "--lock", "#000,#fff,#c8102e"], "3 locked colours don't fit in K=2"),
    (["--palette", "PAL", "-k", "8"], "leave out -k"),
    (["--palette", "PAL", "--lock", "#fff"], "leave out --lock"),
    (["--palette", "MISSING"], "can't read this palette file"),
    (["--palette", "EMPTY"], "is empty"),
    (["--palette", "PHOTO"], "can't be a palette"),
    (["--export-palette", "out.txt"], "use .gpl, .css or .json"),
])
def test_bad_colour_input_is_one_line_and_exit_2(tmp_path, photo, args, words):
    (tmp_path / "pal.gpl").write_text("GIMP Palette\n0 0 0\n")
    (tmp_path / "empty.gpl").write_text("")
    subst = {"PAL": tmp_path / "pal.gpl", "MISSING": tmp_path / "missing.gpl", "EMPTY": tmp_path / "empty.gpl",
             "PHOTO": photo, "out.txt": tmp_path / "out.txt"}
    out = tmp_path / "out.png"
    r = run("compress", photo, "-o", out, *[subst.get(a, a) for a in args])
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], r.stderr
    assert not out.exists() and not (tmp_path / "out.txt").exists()


def test_export_palette_takes_one_input(tmp_path, photo):
    r = run("compress", photo, photo, "-o", tmp_path, "--export-palette", tmp_path / "p.json")
    assert r.returncode == 2 and "one input" in r.stderr
    assert not list(tmp_path.glob("*.json"))


def test_json_export_reads_back(tmp_path, photo):
    out, js = tmp_path / "o.png", tmp_path / "o.json"
    json_results(run("compress", photo, "-o", out, "-k", "4", "--export-palette", js, "--json"))
    data = json.loads(js.read_text())
    assert len(data["colors"]) == 4 and all(c["hex"].startswith("#") for c in data["colors"])
