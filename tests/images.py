"""Helpers that make small test files of every kind the loader must handle or refuse."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def png_bytes(arr: np.ndarray, **params) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", **params)
    return buf.getvalue()


def jpeg_bytes(arr: np.ndarray, **params) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=90, **params)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height but which holds almost no data (a 'bomb')."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def corrupt_png(arr: np.ndarray) -> bytes:
    """A PNG whose compressed pixel data is garbage (the chunk CRC is made valid again)."""
    good = png_bytes(arr)
    start = good.index(b"IDAT") - 4
    length = struct.unpack(">I", good[start : start + 4])[0]
    garbage = bytes((i * 7 + 3) % 256 for i in range(length))
    return good[:start] + _chunk(b"IDAT", garbage) + good[start + 12 + length :]


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCam"  # Make
    return exif.tobytes()


def srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
