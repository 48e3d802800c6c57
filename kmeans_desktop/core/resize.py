"""Downscaling before quantizing: Lanczos, aspect ratio kept, never upscaling."""

from __future__ import annotations

import numpy as np
from PIL import Image


def fit_size(width: int, height: int, max_width: int | None, max_height: int | None) -> tuple[int, int]:
    """The largest size with the same aspect ratio that fits in max_width×max_height (either may be
    None for no limit), never larger than the image itself."""
    scale = 1.0
    if max_width:
        scale = min(scale, max_width / width)
    if max_height:
        scale = min(scale, max_height / height)
    if scale >= 1.0:
        return width, height
    return scaled_size(width, height, scale)


def scaled_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """width×height times scale (≤ 1), rounded to the nearest pixel, at least 1×1. Rounding never
    breaks a limit: the limiting side is an exact integer, the other is below its own."""
    scale = min(scale, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Lanczos resize of H×W×3|4 uint8 pixels to size (w, h). RGBA is resized premultiplied, so
    colours hidden under transparent pixels don't bleed into the visible edge."""
    w, h = size
    if (w, h) == (pixels.shape[1], pixels.shape[0]):
        return pixels
    if pixels.shape[2] == 4:
        im = Image.fromarray(np.ascontiguousarray(pixels), "RGBA").convert("RGBa")
        return np.asarray(im.resize((w, h), Image.Resampling.LANCZOS).convert("RGBA"))
    im = Image.fromarray(np.ascontiguousarray(pixels), "RGB")
    return np.asarray(im.resize((w, h), Image.Resampling.LANCZOS))


def fit_within(pixels: np.ndarray, max_width: int | None, max_height: int | None) -> np.ndarray:
    """Downscale to fit within max_width×max_height; an image that already fits is returned as is."""
    h, w = pixels.shape[:2]
    return resize(pixels, fit_size(w, h, max_width, max_height))
