"""Colours as people write them, palette files read (.gpl, image) and written (.gpl/.css/.json)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.core.fixed_colours import PaletteError
from kmeans_desktop.core.palette_io import (
    export_palette, hex_colour, palette_text, parse_colour, parse_colour_list, parse_hex_palette, read_palette,
)


def test_parse_colour():
    assert parse_colour("#c8102e") == (200, 16, 46)
    assert parse_colour("C8102E") == (200, 16, 46)
    assert parse_colour("#fff") == (255, 255, 255)
    assert parse_colour_list("#c8102e,#ffffff") == [(200, 16, 46), (255, 255, 255)]
    assert parse_colour_list(" #000  #fff ") == [(0, 0, 0), (255, 255, 255)]


@pytest.mark.parametrize("bad", ["#12", "red", "#gggggg", "#1234567", ""])
def test_a_malformed_colour_is_one_sentence(bad):
    with pytest.raises(PaletteError) as exc:
        parse_colour_list(bad) if bad == "" else parse_colour(bad)
    assert "\n" not in str(exc.value) and str(exc.value).endswith(".")


def test_hex_round_trip():
    pal = np.array([[200, 16, 46, 255], [0, 0, 0, 0], [1, 2, 3, 128]], np.uint8)
    assert [hex_colour(e) for e in pal] == ["#c8102e", "#00000000", "#01020380"]
    assert np.array_equal(parse_hex_palette([hex_colour(e) for e in pal]), pal)
    assert parse_hex_palette(["#c8102e"]).tolist() == [[200, 16, 46]]


def test_read_gpl(tmp_path):
    p = tmp_path / "brand.gpl"
    p.write_text("GIMP Palette\nName: Brand\nColumns: 4\n# a comment\n200  16  46\tRed\n255 255 255 White\n"
                 "200 16 46 Red again\n")
    assert read_palette(p).tolist() == [[200, 16, 46], [255, 255, 255]]


@pytest.mark.parametrize("text,words", [
    ("", "is empty"),
    ("GIMP Palette\nName: x\n", "holds no colours"),
    ("JASC-PAL\n", "not a GIMP palette"),
    ("GIMP Palette\n1 2\n", "line 2 is not a colour"),
    ("GIMP Palette\n1 2 300 big\n", "line 2 is not a colour"),
    ("GIMP Palette\n" + "".join(f"{i % 256} {i // 256} 0\n" for i in range(257)), "at most 256"),
])
def test_bad_gpl_files_are_one_sentence_naming_the_file(tmp_path, text, words):
    p = tmp_path / "bad.gpl"
    p.write_text(text)
    with pytest.raises(PaletteError, match=words) as exc:
        read_palette(p)
    assert str(p) in str(exc.value)


def test_missing_palette_file(tmp_path):
    with pytest.raises(PaletteError, match="can't read"):
        read_palette(tmp_path / "none.gpl")


def test_read_image_palette_in_order_of_appearance(tmp_path):
    arr = np.zeros((2, 3, 3), np.uint8)
    arr[0, 0], arr[0, 1], arr[0, 2] = (9, 9, 9), (200, 16, 46), (9, 9, 9)
    arr[1] = (255, 255, 255)
    Image.fromarray(arr).save(tmp_path / "sw.png")
    assert read_palette(tmp_path / "sw.png").tolist() == [[9, 9, 9], [200, 16, 46], [255, 255, 255]]
    rgba = np.zeros((1, 2, 4), np.uint8)
    rgba[0, 1] = (1, 2, 3, 255)
    Image.fromarray(rgba).save(tmp_path / "a.png")
    assert read_palette(tmp_path / "a.png").shape == (2, 4)


def test_an_image_with_too_many_colours_is_not_a_palette(tmp_path):
    arr = np.arange(300 * 3, dtype=np.uint32).reshape(1, 300, 3).astype(np.uint8)
    arr[0, :, 0] = np.arange(300) % 256
    arr[0, :, 1] = np.arange(300) // 256
    Image.fromarray(arr).save(tmp_path / "many.png")
    with pytest.raises(PaletteError, match="more than 256|300 colours"):
        read_palette(tmp_path / "many.png")


def test_not_an_image(tmp_path):
    (tmp_path / "x.png").write_bytes(b"hello")
    with pytest.raises(PaletteError, match="x.png"):
        read_palette(tmp_path / "x.png")


def test_export_formats(tmp_path):
    pal = np.array([[200, 16, 46], [255, 255, 255]], np.uint8)
    gpl = export_palette(pal, tmp_path / "p.gpl")
    assert read_palette(gpl).tolist() == pal.tolist()  # our own .gpl reads back
    css = export_palette(pal, tmp_path / "p.css").read_text()
    assert "--color-1: #c8102e;" in css and "--color-2: #ffffff;" in css and ":root {" in css
    data = json.loads(export_palette(pal, tmp_path / "p.json", counts=np.array([5, 7])).read_text())
    assert data["colors"][0] == {"hex": "#c8102e", "rgb": [200, 16, 46], "alpha": 255, "pixels": 5}
    assert data["name"] == "p"
    with pytest.raises(PaletteError, match=r"\.txt"):
        export_palette(pal, tmp_path / "p.txt")
    assert not (tmp_path / "p.txt").exists()


def test_export_rgba_keeps_alpha_in_css_and_json():
    pal = np.array([[0, 0, 0, 0], [200, 16, 46, 255]], np.uint8)
    assert "#00000000" in palette_text(pal, "css")
    assert json.loads(palette_text(pal, "json"))["colors"][0]["alpha"] == 0
