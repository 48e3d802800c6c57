"""The pictures of Help ▸ What is k-means?, drawn at run time from a photo (the app's sample).

Drawn here rather than shipped: they show the real algorithm on a real photo, and they can't go
stale when the engine changes. Pillow draws them; each is small (a few hundred pixels wide) and
the lot takes well under a second. Nothing here imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import playback as pb
from .encoding import encode_png
from .kmeans import quantize

BACKGROUND = (38, 40, 44)
INK = (225, 228, 232)
MUTED = (150, 154, 162)
PAPER = (236, 236, 232)  # the scatter plots: dark and light colours both show on it


@dataclass(frozen=True)
class HelpPictures:
    """uint8 H×W×3 arrays, one per section of the page, and the figures the text quotes."""

    assignment: np.ndarray
    update: np.ndarray
    k_strip: np.ndarray
    bytes_chart: np.ndarray
    dithering: np.ndarray
    ks: tuple[int, ...]
    png_bytes: tuple[int, ...]


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _small(pixels: np.ndarray, width: int) -> np.ndarray:
    im = Image.fromarray(np.ascontiguousarray(pixels[..., :3]))
    height = max(1, round(im.height * width / im.width))
    return np.asarray(im.resize((width, height), Image.Resampling.LANCZOS))


def _fit(points: np.ndarray, size: int):
    """The plane through the points' two widest directions in the engine's space (their first
    two principal axes), zoomed to them (the narrower one stretched at most 2.5×): sRGB colours -> pixel coordinates on a size×size canvas."""
    x = pb.to_cluster_space(points)
    mean = x.mean(axis=0)
    axes = np.linalg.svd(x - mean, full_matrices=False)[2][:2]
    p = (x - mean) @ axes.T
    lo, hi = p.min(axis=0), p.max(axis=0)
    mid = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2, 1.0) * 1.12
    half[1] = max(half[1], half[0] / 2.5)  # stretch the narrow direction, but not beyond recognition

    def to_px(colours: np.ndarray) -> np.ndarray:
        q = (pb.to_cluster_space(colours) - mean) @ axes.T
        return np.column_stack([(0.5 + (q[:, 0] - mid[0]) / half[0] / 2) * size,
                                (0.5 - (q[:, 1] - mid[1]) / half[1] / 2) * size])
    return to_px


def _scatter(points: np.ndarray, point_rgb: np.ndarray, centres_rgb: np.ndarray, size: int,
             arrows_from: np.ndarray | None = None, title: str = "") -> Image.Image:
    im = Image.new("RGB", (size, size + 18), PAPER)
    draw = ImageDraw.Draw(im)
    to_px = _fit(points, size)
    for (x, y), c in zip(to_px(points), point_rgb):
        draw.rectangle([x - 1, y - 1 + 18, x + 1, y + 1 + 18], fill=tuple(int(v) for v in c))
    cxy = to_px(centres_rgb)
    if arrows_from is not None:
        for (x0, y0), (x1, y1) in zip(to_px(arrows_from), cxy):
            draw.line([x0, y0 + 18, x1, y1 + 18], fill=(20, 20, 22), width=2)
            draw.ellipse([x0 - 4, y0 + 14, x0 + 4, y0 + 22], outline=(20, 20, 22), width=1)
    for (x, y), c in zip(cxy, centres_rgb):
        draw.ellipse([x - 9, y + 9, x + 9, y + 27], fill=(20, 20, 22))
        draw.ellipse([x - 7, y + 11, x + 7, y + 25], fill=(255, 255, 255))
        draw.ellipse([x - 5, y + 13, x + 5, y + 23], fill=tuple(int(v) for v in np.rint(c)))
    draw.text((6, 2), title, fill=(20, 20, 22), font=_font(13))
    return im


def _label(im: Image.Image, text: str) -> Image.Image:
    out = Image.new("RGB", (im.width, im.height + 18), BACKGROUND)
    out.paste(im, (0, 18))
    ImageDraw.Draw(out).text((4, 2), text, fill=INK, font=_font(13))
    return out


def _row(images: list[Image.Image], gap: int = 6) -> np.ndarray:
    w = sum(i.width for i in images) + gap * (len(images) - 1)
    out = Image.new("RGB", (w, max(i.height for i in images)), BACKGROUND)
    x = 0
    for i in images:
        out.paste(i, (x, 0))
        x += i.width + gap
    return np.asarray(out)


def _bars(ks: tuple[int, ...], nbytes: tuple[int, ...], width: int = 420, height: int = 170) -> np.ndarray:
    im = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(im)
    font = _font(12)
    top = max(nbytes)
    slot = (width - 20) / len(ks)
    for i, (k, n) in enumerate(zip(ks, nbytes)):
        x0 = 10 + i * slot + 6
        h = (height - 50) * n / top
        draw.rectangle([x0, height - 22 - h, x0 + slot - 12, height - 22], fill=(110, 160, 230))
        draw.text((x0, height - 18), f"K={k}", fill=MUTED, font=font)
        draw.text((x0, height - 38 - h), f"{n / 1024:.0f} KB", fill=INK, font=font)
    return np.asarray(im)


def make_help_pictures(photo: np.ndarray, seed: int = 0) -> HelpPictures:
    """All the pictures from one photo (H×W×3|4 uint8)."""
    photo = np.ascontiguousarray(photo[..., :3])
    small = _small(photo, 240)
    # Assignment and update: 1,500 pixels in the OKLab a–b plane, K = 5 from random pixels.
    rng = np.random.default_rng(seed)
    flat = small.reshape(-1, 3)
    colours = flat[rng.choice(len(flat), min(1500, len(flat)), replace=False)]
    x = pb.to_cluster_space(colours, "engine")
    k = min(5, pb.distinct_count(colours))
    frames = pb.lloyd_frames(x, pb.start_centres(x, k, "random", seed + 3))
    first = next(frames)
    second = next(frames, first)
    c0 = pb.from_cluster_space(first.centres)
    c1 = pb.from_cluster_space(second.centres)
    assignment = np.asarray(_scatter(colours, np.rint(c0[first.labels]), c0, 240,
                                     title="Each pixel joins the nearest centre"))
    update = np.asarray(_scatter(colours, np.rint(c1[second.labels]), c1, 240, arrows_from=c0,
                                 title="Each centre moves to its pixels' mean"))
    # K: the photo at 2, 4, 16 and 64 colours, and what each (and 256) costs as a PNG.
    ks = (2, 4, 16, 64, 256)
    tiles, sizes = [], []
    tile_size = (128, round(128 * small.shape[0] / small.shape[1]))
    for kk in ks:
        q = quantize(small, kk, seed=seed)
        sizes.append(len(encode_png(q)))
        if kk <= 64:
            tiles.append(_label(Image.fromarray(q.to_array()).resize(tile_size), f"K = {kk}"))
    tiles.append(_label(Image.fromarray(small).resize(tile_size), "original"))
    # Dithering: a smooth gradient at 6 colours, without and with error diffusion.
    ramp = np.linspace(0, 1, 300)[None, :, None]
    gradient = np.clip(np.rint(255 * ((1 - ramp) * np.array([30, 60, 140]) / 255 + ramp * np.array([250, 190, 120]) / 255)),
                       0, 255).astype(np.uint8).repeat(60, axis=0)
    plain = quantize(gradient, 6, seed=seed).to_array()
    dithered = quantize(gradient, 6, dither=True, seed=seed).to_array()
    dithering = _row([_label(Image.fromarray(plain), "6 colours: bands"),
                      _label(Image.fromarray(dithered), "6 colours, dithered: smooth from afar")])
    return HelpPictures(assignment, update, _row(tiles), _bars(ks, tuple(sizes)), dithering, ks,
                        tuple(sizes))
