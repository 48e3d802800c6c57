"""Benchmark images you can have offline, made in code (seeded, deterministic), for
bench_perceptual.py: two photos, flat graphics, icons with anti-aliased transparent edges and
semi-transparent gradients. Shapes are drawn at 4× and reduced with a box filter, which gives the
anti-aliased edges real artwork has; alpha edges are reduced premultiplied, so no hidden colour
bleeds in.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

SS = 4  # supersampling factor for anti-aliasing


def photos() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_sample_image

    return {"china.jpg": load_sample_image("china.jpg"), "flower.jpg": load_sample_image("flower.jpg")}


def _reduce(im: Image.Image) -> np.ndarray:
    w, h = im.size
    if im.mode == "RGBA":
        return np.asarray(im.convert("RGBa").reduce(SS).convert("RGBA"))
    return np.asarray(im.reduce(SS))
    # (Image.reduce is a box filter: exact area coverage, like a rasteriser's AA.)


def flat_graphics(seed: int = 1, size=(480, 360)) -> np.ndarray:
    """A slide or diagram: flat fills, outlined shapes, text-like strokes, a linear gradient band."""
    rng = np.random.default_rng(seed)
    w, h = size[0] * SS, size[1] * SS
    im = Image.new("RGB", (w, h), (248, 246, 240))
    d = ImageDraw.Draw(im)
    palette = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
               (140, 86, 75), (227, 119, 194), (23, 190, 207), (40, 40, 48)]
    # gradient band at the top
    y = np.linspace(0, 1, 60 * SS)[:, None]
    x = np.linspace(0, 1, w)[None, :]
    band = np.stack([40 + 180 * x + 0 * y, 90 + 100 * y + 0 * x, 200 - 120 * x + 0 * y], axis=2)
    im.paste(Image.fromarray(band.astype(np.uint8)), (0, 0))
    for i in range(14):
        c = palette[i % len(palette)]
        x0, y0 = rng.integers(0, w - 120 * SS), rng.integers(70 * SS, h - 100 * SS)
        x1, y1 = x0 + rng.integers(40, 140) * SS, y0 + rng.integers(30, 100) * SS
        kind = i % 3
        if kind == 0:
            d.rounded_rectangle((x0, y0, x1, y1), radius=8 * SS, fill=c, outline=(30, 30, 30), width=2 * SS)
        elif kind == 1:
            d.ellipse((x0, y0, x1, y1), fill=c)
        else:
            d.polygon([(x0, y1), ((x0 + x1) // 2, y0), (x1, y1)], fill=c, outline=(255, 255, 255))
    # "text": rows of short strokes of varying length, as glyphs at small size
    for row in range(6):
        yy = (250 + row * 16) * SS
        xx = 20 * SS
        while xx < w - 40 * SS:
            n = int(rng.integers(2, 9))
            for _ in range(n):
                glyph_h = int(rng.choice([7, 10])) * SS
                d.line((xx, yy, xx + int(rng.integers(0, 4)) * SS, yy - glyph_h), fill=(35, 35, 45), width=SS + SS // 2)
                xx += int(rng.integers(4, 7)) * SS
            xx += 6 * SS
    return _reduce(im)


def _icon(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, colour, kind: int) -> None:
    if kind == 0:
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        d.ellipse((cx - r // 2, cy - r // 2, cx + r // 2, cy + r // 2), fill=(255, 255, 255, 255))
    elif kind == 1:
        d.rounded_rectangle((cx - r, cy - r, cx + r, cy + r), radius=r // 3, fill=colour)
        d.line((cx - r // 2, cy, cx - r // 8, cy + r // 2, cx + r // 2, cy - r // 2), fill=(255, 255, 255, 255), width=r // 5)
    else:
        pts = [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in np.linspace(-np.pi / 2, 1.5 * np.pi, 6)[:-1]]
        d.polygon(pts, fill=colour)


def icons(seed: int = 2, n: int = 4, cell: int = 96) -> np.ndarray:
    """A sheet of icons on transparency: AA edges, a soft drop shadow (semi-transparent), a
    radial-gradient fill on some."""
    rng = np.random.default_rng(seed)
    w, h = n * cell * SS, 2 * cell * SS
    shadow = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    art = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ds, da = ImageDraw.Draw(shadow), ImageDraw.Draw(art)
    colours = [(220, 60, 50), (40, 140, 220), (250, 190, 30), (60, 180, 90), (150, 80, 200), (30, 30, 30)]
    for j in range(2):
        for i in range(n):
            cx, cy, r = (i * cell + cell // 2) * SS, (j * cell + cell // 2) * SS, int(cell * 0.36) * SS
            kind = int(rng.integers(0, 3))
            colour = colours[int(rng.integers(0, len(colours)))] + (255,)
            _icon(ds, cx + 3 * SS, cy + 4 * SS, r, (0, 0, 0, 110), kind)
            _icon(da, cx, cy, r, colour, kind)
    from PIL import ImageFilter

    shadow = shadow.filter(ImageFilter.GaussianBlur(4 * SS))
    # a light radial sheen over the art's own alpha
    yy, xx = np.mgrid[0:h, 0:w]
    fx = (xx % (cell * SS)) / (cell * SS) - 0.35
    fy = (yy % (cell * SS)) / (cell * SS) - 0.3
    sheen = np.clip(1.0 - 2.2 * np.sqrt(fx * fx + fy * fy), 0, 1) * 70
    a = np.asarray(art).astype(np.float64)
    a[..., :3] = np.clip(a[..., :3] + sheen[..., None], 0, 255)
    art = Image.fromarray(a.astype(np.uint8), "RGBA")
    out = Image.alpha_composite(shadow, art)
    return _reduce(out)


def translucent_gradients(size=(400, 300)) -> np.ndarray:
    """Semi-transparent overlays: colour varies left to right, alpha top to bottom and in a soft
    round vignette; a fully transparent border (hidden colour under it is random on purpose)."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    x, y = xx / (w - 1), yy / (h - 1)
    rgb = np.stack([255 * (1 - x), 120 + 100 * np.sin(3 * x + y), 255 * x * (1 - 0.5 * y)], axis=2)
    r = np.sqrt((x - 0.5) ** 2 + (y - 0.5) ** 2)
    alpha = np.clip(255 * (0.3 + 0.7 * y) * np.clip(1.6 - 2.2 * r, 0, 1), 0, 255)
    img = np.dstack([np.clip(rgb, 0, 255), alpha]).astype(np.uint8)
    hidden = alpha < 1
    img[hidden, :3] = np.random.default_rng(3).integers(0, 256, (int(hidden.sum()), 3))
    return img


def translucent_panels(seed: int = 4, size=(360, 270)) -> np.ndarray:
    """Glass-like UI panels: rounded rectangles at partial opacity with vertical gradients and
    overlaps, anti-aliased edges, on full transparency."""
    rng = np.random.default_rng(seed)
    w, h = size[0] * SS, size[1] * SS
    out = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    for i in range(5):
        x0, y0 = int(rng.integers(0, w // 2)), int(rng.integers(0, h // 2))
        x1, y1 = x0 + int(rng.integers(w // 4, w // 2)), y0 + int(rng.integers(h // 4, h // 2))
        layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        mask = Image.new("L", (w, h), 0)
        ImageDraw.Draw(mask).rounded_rectangle((x0, y0, x1, y1), radius=12 * SS, fill=255)
        top, bottom = rng.integers(40, 255, 3), rng.integers(0, 200, 3)
        t = np.linspace(0, 1, h)[:, None, None]
        grad = (top * (1 - t) + bottom * t) * np.ones((1, w, 1))
        a = int(rng.integers(90, 210))
        layer = Image.fromarray(np.dstack([grad, np.full((h, w), a)]).astype(np.uint8), "RGBA")
        clear = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        out = Image.alpha_composite(out, Image.composite(layer, clear, mask))
    return _reduce(out)


def all_images() -> list[tuple[str, str, np.ndarray]]:
    """(kind, name, pixels) for every benchmark image."""
    out = [("photo", name, px) for name, px in photos().items()]
    out.append(("flat", "flat-graphics", flat_graphics()))
    out.append(("flat", "flat-graphics-2", flat_graphics(seed=7, size=(360, 480))))
    out.append(("icon", "icons", icons()))
    out.append(("icon", "icons-2", icons(seed=5, n=3, cell=128)))
    out.append(("alpha", "translucent-gradient", translucent_gradients()))
    out.append(("alpha", "translucent-panels", translucent_panels()))
    return out


if __name__ == "__main__":  # write them out to look at
    import sys
    from pathlib import Path

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/perceptual-images")
    folder.mkdir(parents=True, exist_ok=True)
    for kind, name, px in all_images():
        Image.fromarray(px).save(folder / f"{name}.png")
        print(kind, name, px.shape, folder / f"{name}.png")
