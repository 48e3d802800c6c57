"""Encoding a `Quantized` image to file bytes (indexed PNG, GIF, lossless WebP, JPEG), and saving
them atomically.

PNG goes straight from indices and palette, packed at the smallest bit depth that holds the
palette, to oxipng's raw-image encoder, which orders the palette, writes tRNS only for entries that need it and searches
filters and deflate settings. The bytes are known before anything touches the disk, so what a
caller shows is exactly what `save` writes.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import oxipng
from PIL import Image

from .errors import FormatLimitError, ImageSaveError
from .imageio import write_atomic
from .kmeans import Quantized

#: Output formats by file extension.
FORMATS = {".png": "png", ".gif": "gif", ".webp": "webp", ".jpg": "jpeg", ".jpeg": "jpeg"}
#: The extension each format is written with by default.
EXTENSIONS = {"png": ".png", "gif": ".gif", "webp": ".webp", "jpeg": ".jpg"}
#: The longest side each format can store: WebP's header has 14 bits a side, libjpeg stops at
#: 65500, GIF's header has 16 bits. PNG's 2^31 is far past our 150 MP input limit.
MAX_SIDE = {"png": 2**31 - 1, "gif": 65535, "webp": 16383, "jpeg": 65500}
_FORMAT_NAMES = {"png": "PNG", "gif": "GIF", "webp": "WebP", "jpeg": "JPEG"}
#: JPEG quality when no byte budget asks for another.
JPEG_QUALITY = 90

#: oxipng effort. Measured on china.jpg and a 9 MP upscale at K=16/64/256: level 1 is 0.2–2.6%
#: larger than level 2, level 3/4 are 0.1–4.6% smaller but take 2.5–3.5× as long (9 MP, K=64:
#: 1.75 s, 2.9 s, 7.0 s, 9.0 s for levels 1–4); level 2 is the knee.
PNG_LEVEL = 2
#: libdeflate's strongest level instead of oxipng's default 11: 0–4.4% smaller (china.jpg K=256:
#: 141,879 -> 135,672 bytes) for about 10% more time. Zopfli gains under 1% more at 8–15× the time.
#: The palette order is left to oxipng, which tries several: a random order gives the same bytes.
_DEFLATE = oxipng.Deflaters.libdeflater(12)


def check_dimensions(fmt: str, width: int, height: int) -> None:
    """Raise `FormatLimitError` with a plain sentence if `fmt` can't store a width×height image."""
    limit = MAX_SIDE.get(fmt)
    if limit is None or (width <= limit and height <= limit):
        return
    fits = [_FORMAT_NAMES[f] for f, side in MAX_SIDE.items() if f != fmt and max(width, height) <= side]
    instead = " or ".join(fits[:2]) if fits else "another format"
    raise FormatLimitError(
        f"{_FORMAT_NAMES[fmt]} can't store an image over {limit:,} pixels wide or high (this one is "
        f"{width:,}×{height:,}); save it as {instead}, or set a smaller maximum width and height."
    )


def format_for_path(path: str | os.PathLike) -> str:
    """The output format an output path's extension names, or an `ImageSaveError`."""
    p = Path(os.fspath(path))
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        shown = p.suffix or "no extension"
        raise ImageSaveError(f"{p.name}: can't save as {shown}; use one of {known}.")
    return fmt


def _exif_payload(exif: bytes | None) -> bytes | None:
    if not exif:
        return None
    return exif[6:] if exif.startswith(b"Exif\x00\x00") else exif


def bit_depth_for(n_colors: int) -> int:
    """The smallest PNG palette bit depth (1, 2, 4 or 8) that holds n_colors entries."""
    for depth in (1, 2, 4):
        if n_colors <= 1 << depth:
            return depth
    return 8


def pack_rows(indices: np.ndarray, depth: int) -> bytes:
    """PNG scanlines of `depth`-bit indices, most significant bits first, each row padded to a byte."""
    if depth == 8:
        return np.ascontiguousarray(indices).tobytes()
    h, w = indices.shape
    per = 8 // depth
    padded = np.zeros((h, -(-w // per) * per), dtype=np.uint8)
    padded[:, :w] = indices
    groups = padded.reshape(h, -1, per)
    packed = np.zeros(groups.shape[:2], dtype=np.uint8)
    for i in range(per):
        packed |= groups[:, :, i] << (8 - depth * (i + 1))
    return packed.tobytes()


def encode_png(q: Quantized, *, icc_profile: bytes | None = None, exif: bytes | None = None, level: int = PNG_LEVEL) -> bytes:
    rgba = q.palette if q.has_alpha else np.concatenate([q.palette, np.full((q.n_colors, 1), 255, np.uint8)], 1)
    palette = [tuple(int(v) for v in row) for row in rgba]
    depth = bit_depth_for(q.n_colors)
    raw = oxipng.RawImage(
        pack_rows(q.indices, depth),
        q.width,
        q.height,
        color_type=oxipng.ColorType.indexed(palette),
        bit_depth=depth,
    )
    if icc_profile:
        raw.add_icc_profile(icc_profile)
    payload = _exif_payload(exif)
    if payload:
        raw.add_png_chunk(b"eXIf", payload)
    # Keep the packed depth: oxipng would re-expand tiny images to 8 bits to save a few bytes, and
    # on photos the packed depth is also what gives the smallest file (measured on china.jpg).
    return raw.create_optimized_png(level=level, bit_depth_reduction=False, deflate=_DEFLATE)


def encode_gif(q: Quantized, *, icc_profile: bytes | None = None, exif: bytes | None = None) -> bytes:
    """GIF keeps one fully transparent entry; partly transparent entries are written opaque."""
    im = Image.frombytes("P", (q.width, q.height), np.ascontiguousarray(q.indices).tobytes())
    im.putpalette(np.ascontiguousarray(q.palette[:, :3]).tobytes(), rawmode="RGB")
    params: dict = {"optimize": False}
    if q.has_alpha:
        clear = np.flatnonzero(q.palette[:, 3] == 0)
        if len(clear):
            params["transparency"] = int(clear[0])
    if icc_profile:
        params["icc_profile"] = icc_profile
    buf = io.BytesIO()
    im.save(buf, format="GIF", **params)
    return buf.getvalue()


def encode_webp(q: Quantized, *, icc_profile: bytes | None = None, exif: bytes | None = None) -> bytes:
    """Lossless WebP; libwebp finds the ≤ 256 colours itself and stores them as a palette."""
    mode = "RGBA" if q.has_alpha else "RGB"
    im = Image.fromarray(q.to_array(), mode)
    # method 4: 2.7% larger than method 6 on china.jpg at K=64, and 40× faster (0.07 s vs 3 s).
    params: dict = {"lossless": True, "quality": 100, "method": 4}
    if icc_profile:
        params["icc_profile"] = icc_profile
    if exif:
        params["exif"] = exif
    buf = io.BytesIO()
    im.save(buf, format="WEBP", **params)
    return buf.getvalue()


def encode_jpeg(q: Quantized, *, quality: int = JPEG_QUALITY, icc_profile: bytes | None = None, exif: bytes | None = None) -> bytes:
    """JPEG for forms that take nothing else. It re-spreads the colours, so part of the palette's
    benefit is lost; transparency is flattened onto white."""
    rgb = q.to_array()
    if q.has_alpha:
        a = rgb[..., 3:4].astype(np.uint16)
        rgb = ((rgb[..., :3].astype(np.uint16) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)
    params: dict = {"quality": int(quality), "optimize": True}
    if icc_profile:
        params["icc_profile"] = icc_profile
    if exif:
        params["exif"] = exif
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buf, format="JPEG", **params)
    return buf.getvalue()


def encode(
    q: Quantized,
    fmt: str = "png",
    *,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    quality: int | None = None,
) -> bytes:
    """File bytes for `q` in `fmt` ("png", "gif", "webp" or "jpeg"). EXIF is written only when
    given; `quality` applies to JPEG only."""
    check_dimensions(fmt, q.width, q.height)
    if fmt == "png":
        return encode_png(q, icc_profile=icc_profile, exif=exif)
    if fmt == "gif":
        return encode_gif(q, icc_profile=icc_profile, exif=exif)
    if fmt == "webp":
        return encode_webp(q, icc_profile=icc_profile, exif=exif)
    if fmt == "jpeg":
        return encode_jpeg(q, quality=quality or JPEG_QUALITY, icc_profile=icc_profile, exif=exif)
    raise ValueError(f"unknown format {fmt!r}; use one of {sorted(set(FORMATS.values()))}")


def save(q: Quantized, path: str | os.PathLike, *, icc_profile: bytes | None = None, exif: bytes | None = None) -> int:
    """Encode `q` in the format `path` names and write it atomically; returns the bytes written."""
    data = encode(q, format_for_path(path), icc_profile=icc_profile, exif=exif)
    write_atomic(path, data)
    return len(data)
