"""Colours and palettes as people write them: `#c8102e`, GIMP `.gpl` files, palette images, and
the palette exported as `.gpl`, CSS custom properties or JSON.

Qt-free. Every mistake is a `PaletteError` with one sentence naming the file (or the text) and
what is wrong.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from .fixed_colours import PaletteError

#: Palette file formats we export, by extension.
EXPORT_FORMATS = {".gpl": "gpl", ".css": "css", ".json": "json"}
MAX_COLOURS = 256

_HEX_RE = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_colour(text: str) -> tuple[int, int, int]:
    """'#c8102e', 'c8102e' or '#fff' -> (r, g, b)."""
    m = _HEX_RE.match(text.strip())
    if not m:
        raise PaletteError(f"{text.strip()!r} is not a colour; write it as six hex digits, like #c8102e.")
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def parse_colour_list(text: str) -> list[tuple[int, int, int]]:
    """'#c8102e,#ffffff' (commas or spaces) -> [(200, 16, 46), (255, 255, 255)]."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not parts:
        raise PaletteError("no colours given; write them like '#c8102e,#ffffff'.")
    return [parse_colour(p) for p in parts]


def hex_colour(entry) -> str:
    """(r, g, b) or (r, g, b, a) -> '#rrggbb', or '#rrggbbaa' when not opaque."""
    r, g, b = (int(v) for v in entry[:3])
    a = int(entry[3]) if len(entry) > 3 else 255
    return f"#{r:02x}{g:02x}{b:02x}" + (f"{a:02x}" if a != 255 else "")


def parse_hex_palette(hexes: list[str]) -> np.ndarray:
    """['#rrggbb' or '#rrggbbaa', ...] (as `hex_colour` writes them) -> n×3 or n×4 uint8."""
    rows = [[int(h[i:i + 2], 16) for i in range(1, len(h), 2)] for h in hexes]
    if any(len(r) == 4 for r in rows):
        rows = [r + [255] * (4 - len(r)) for r in rows]
    return np.array(rows, dtype=np.uint8)


def read_palette(path: str | os.PathLike) -> np.ndarray:
    """The colours of a GIMP `.gpl` file or of an image (every distinct colour, in the order they
    first appear): m×3 uint8, or m×4 when the image has transparency; 1 ≤ m ≤ 256."""
    p = Path(path)
    if p.suffix.lower() == ".gpl":
        try:
            text = p.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise PaletteError(f"{p}: can't read this palette file ({exc.strerror or exc}).") from None
        colours = _parse_gpl(text, p)
    else:
        colours = _image_colours(p)
    if len(colours) == 0:
        raise PaletteError(f"{p}: this palette file holds no colours.")
    if len(colours) > MAX_COLOURS:
        raise PaletteError(f"{p}: this palette has {len(colours)} colours; a palette holds at most {MAX_COLOURS}.")
    return colours


def _parse_gpl(text: str, p: Path) -> np.ndarray:
    lines = text.splitlines()
    if not text.strip():
        raise PaletteError(f"{p}: this palette file is empty.")
    if not lines or lines[0].strip() != "GIMP Palette":
        raise PaletteError(f"{p}: this is not a GIMP palette (its first line should be 'GIMP Palette').")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        s = line.strip()
        if not s or s.startswith("#") or re.match(r"^(Name|Columns)\s*:", s):
            continue
        fields = s.split()
        try:
            rgb = [int(v) for v in fields[:3]]
        except ValueError:
            rgb = []
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise PaletteError(f"{p}: line {n} is not a colour (three numbers from 0 to 255, then a name).")
        rows.append(rgb)
    arr = np.array(rows, dtype=np.uint8).reshape(-1, 3)
    _, first = np.unique(arr, axis=0, return_index=True)
    return arr[np.sort(first)]


def _image_colours(p: Path) -> np.ndarray:
    from .errors import ImageLoadError
    from .imageio import load_image

    try:
        src = load_image(p)
    except ImageLoadError as exc:
        raise PaletteError(f"can't use it as a palette: {exc}") from None
    flat = src.pixels.reshape(-1, src.pixels.shape[2])
    if flat.shape[1] == 4 and (flat[:, 3] == 255).all():
        flat = flat[:, :3]
    # Count distinct colours without sorting millions of rows when there are far too many.
    sample = np.unique(flat[: 1 << 16], axis=0)
    if len(sample) > MAX_COLOURS:
        raise PaletteError(f"{p}: this image has more than {MAX_COLOURS} colours, so it can't be a palette; "
                           "use an image of swatches or a .gpl file.")
    uniq, first = np.unique(flat, axis=0, return_index=True)
    if len(uniq) > MAX_COLOURS:
        raise PaletteError(f"{p}: this image has {len(uniq)} colours, so it can't be a palette (at most "
                           f"{MAX_COLOURS}); use an image of swatches or a .gpl file.")
    return np.ascontiguousarray(uniq[np.argsort(first)])


def export_format(path: str | os.PathLike) -> str:
    p = Path(path)
    fmt = EXPORT_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise PaletteError(f"{p}: can't export a palette as {p.suffix or 'a file without extension'}; "
                           "use .gpl, .css or .json.")
    return fmt


def palette_text(palette: np.ndarray, fmt: str, *, name: str = "kmeans-desktop",
                 counts: np.ndarray | None = None) -> str:
    """The palette (n×3 or n×4 uint8) as a GIMP palette, CSS custom properties or JSON."""
    entries = [tuple(int(v) for v in row) for row in np.asarray(palette)]
    if fmt == "gpl":
        lines = ["GIMP Palette", f"Name: {name}", "Columns: 16", "#"]
        lines += [f"{e[0]:3d} {e[1]:3d} {e[2]:3d}\t{hex_colour(e)}" for e in entries]
        return "\n".join(lines) + "\n"
    if fmt == "css":
        body = "".join(f"  --color-{i + 1}: {hex_colour(e)};\n" for i, e in enumerate(entries))
        return f"/* {name}: {len(entries)} colours */\n:root {{\n{body}}}\n"
    if fmt == "json":
        colours = []
        for i, e in enumerate(entries):
            item = {"hex": hex_colour(e), "rgb": list(e[:3]), "alpha": e[3] if len(e) > 3 else 255}
            if counts is not None:
                item["pixels"] = int(counts[i])
            colours.append(item)
        rows = ",\n".join(f"    {json.dumps(c)}" for c in colours)  # one colour a line
        return f'{{\n  "name": {json.dumps(name)},\n  "colors": [\n{rows}\n  ]\n}}\n'

    raise ValueError(f"unknown palette format {fmt!r}")


def export_palette(palette: np.ndarray, path: str | os.PathLike, *, name: str | None = None,
                   counts: np.ndarray | None = None) -> Path:
    """Write the palette atomically in the format the extension names; returns the path."""
    from .imageio import write_atomic

    p = Path(path)
    text = palette_text(palette, export_format(p), name=name or p.stem, counts=counts)
    write_atomic(p, text.encode("utf-8"))
    return p
