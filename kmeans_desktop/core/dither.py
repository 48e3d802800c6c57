"""Floyd–Steinberg error diffusion onto a fixed palette.

Pillow's C implementation does the diffusion; it only dithers when it is handed a palette image,
which is what we give it: the k-means palette, padded to 256 entries with copies of entry 0 (so a
padded index can only ever stand for entry 0's colour). Its nearest-colour search is approximate,
but the error it makes is diffused like any other, so the average colour stays right.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def _diffuse_rgb(rgb: np.ndarray, palette_rgb: np.ndarray) -> np.ndarray:
    n = len(palette_rgb)
    padded = np.concatenate([palette_rgb, np.repeat(palette_rgb[:1], 256 - n, axis=0)], axis=0)
    pal_image = Image.new("P", (1, 1))
    pal_image.putpalette(padded.astype(np.uint8).tobytes(), rawmode="RGB")
    src = Image.fromarray(np.ascontiguousarray(rgb))
    out = src.quantize(palette=pal_image, dither=Image.Dither.FLOYDSTEINBERG)
    idx = np.asarray(out, dtype=np.uint8).copy()
    idx[idx >= n] = 0
    return idx


def dither_indices(pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Per-pixel palette indices with error diffusion.

    `exact` holds the nearest-colour indices; for RGBA they are kept wherever a pixel is not
    opaque, and only opaque pixels are diffused, among the opaque entries, so the alpha rules of
    `quantize` still hold.
    """
    if palette.shape[1] == 3:
        return _diffuse_rgb(pixels, palette)
    opaque_entries = np.flatnonzero(palette[:, 3] == 255)
    opaque_px = pixels[..., 3] == 255
    if len(opaque_entries) == 0 or not opaque_px.any():
        return exact
    diffused = opaque_entries[_diffuse_rgb(pixels[..., :3], palette[opaque_entries, :3])].astype(np.uint8)
    return np.where(opaque_px, diffused, exact).astype(np.uint8)
