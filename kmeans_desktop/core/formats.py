"""Which image formats we read, and sanity checks on what their headers claim.

One list (`READ_FORMATS`) decides what the loader opens, what the Open dialog offers and what the
desktop file declares. Pillow's other plugins are never tried on a file: some run external code
(EPS hands the file to Ghostscript, a PostScript interpreter), and the rest are formats people
don't bring to an image compressor. A file in another format is refused with its real name.

`check_declared_size` catches a header that lies: a tiny file that claims a huge image would make
the decoder allocate the whole canvas and fill what is missing with grey (libjpeg only warns).
Each bound is a floor no valid file can go under, halved for safety, so a real image is never
refused by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class ReadFormat:
    pillow: str  # Pillow's format name (what Image.open(formats=...) takes)
    label: str  # the name people know
    extensions: tuple[str, ...]
    mime_types: tuple[str, ...]


READ_FORMATS: tuple[ReadFormat, ...] = (
    ReadFormat("PNG", "PNG", (".png", ".apng"), ("image/png",)),
    # JPEG also covers the multi-picture JPEGs (MPO) that cameras write.
    ReadFormat("JPEG", "JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), ("image/jpeg",)),
    ReadFormat("GIF", "GIF", (".gif",), ("image/gif",)),
    ReadFormat("WEBP", "WebP", (".webp",), ("image/webp",)),
    ReadFormat("TIFF", "TIFF", (".tif", ".tiff"), ("image/tiff",)),
    ReadFormat("BMP", "BMP", (".bmp", ".dib"), ("image/bmp",)),
    ReadFormat("PPM", "PPM/PGM/PBM", (".ppm", ".pgm", ".pbm", ".pnm"),
               ("image/x-portable-pixmap", "image/x-portable-graymap", "image/x-portable-bitmap",
                "image/x-portable-anymap")),
    ReadFormat("ICO", "ICO", (".ico",), ("image/vnd.microsoft.icon",)),
)

#: What `Image.open(formats=...)` is given.
PILLOW_FORMATS: tuple[str, ...] = tuple(f.pillow for f in READ_FORMATS)
READ_EXTENSIONS: tuple[str, ...] = tuple(e for f in READ_FORMATS for e in f.extensions)
READ_MIME_TYPES: tuple[str, ...] = tuple(m for f in READ_FORMATS for m in f.mime_types)

#: Names for formats Pillow can recognise that people know by another name.
_KNOWN_AS = {"EPS": "PostScript (EPS)", "JPEG2000": "JPEG 2000", "PSD": "Photoshop (PSD)", "WMF": "Windows Metafile"}


def open_dialog_filter() -> str:
    """The Open dialog's name filter: 'Images (*.png *.apng …)'."""
    return "Images (" + " ".join(f"*{e}" for e in READ_EXTENSIONS) + ")"


def readable_list() -> str:
    """'PNG, JPEG, …, PPM/PGM/PBM or ICO' for messages."""
    labels = [f.label for f in READ_FORMATS]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def sniff_format(prefix: bytes) -> str | None:
    """Pillow's name of the format whose signature `prefix` (the file's first bytes) carries, or None.

    Only Pillow's signature checks run (the same ones Image.open would); nothing is decoded.
    """
    Image.init()
    for fmt in Image.ID:
        accept = Image.OPEN[fmt][1]
        try:
            if accept is not None and accept(prefix):
                return fmt
        except Exception:  # a plugin's check on bytes it doesn't expect; it isn't that format
            continue
    return None


def format_label(fmt: str) -> str:
    """The name people know a Pillow format by ('EPS' -> 'PostScript (EPS)')."""
    ours = {f.pillow: f.label for f in READ_FORMATS}
    return ours.get(fmt) or _KNOWN_AS.get(fmt, fmt)


def _jpeg_is_arithmetic(head: bytes) -> bool:
    """Whether the JPEG's frame header (SOF) says arithmetic coding, walking the marker segments."""
    i = 2
    while i + 4 <= len(head):
        if head[i] != 0xFF:
            return False
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return marker >= 0xC9
        i += 2 + int.from_bytes(head[i + 2:i + 4], "big")
    return False


def min_plausible_bytes(fmt: str | None, width: int, height: int, *, head: bytes = b"") -> int:
    """Half the fewest bytes a valid file of this format can hold a width×height image in (0 if
    the format has no useful floor).

    - Huffman JPEG: every 8×8 luma block codes its DC difference with a code of at least one bit.
    - PNG: deflate expands at most 1032:1, and every row is a filter byte plus at least one bit a
      pixel.
    - GIF: an LZW code is at least 3 bits and stands for at most 4096 pixels.
    Arithmetic-coded JPEG, WebP and TIFF can code flat areas in far less than a bit a block, so
    they have no floor here; their decoders report missing data themselves.
    """
    if fmt in ("JPEG", "MPO"):
        if head and _jpeg_is_arithmetic(head):
            return 0
        blocks = -(-width // 8) * -(-height // 8)
        return blocks // 8 // 2
    if fmt == "PNG":
        return height * (1 + -(-width // 8)) // 1032 // 2
    if fmt == "GIF":
        return width * height * 3 // (8 * 4096) // 2
    return 0


def check_declared_size(fmt: str | None, width: int, height: int, file_size: int | None, *,
                        head: bytes = b"") -> bool:
    """False when `file_size` bytes are too few to hold what the header declares (a truncated or
    forged file); True when the size is plausible or unknown."""
    if file_size is None:
        return True
    return file_size >= min_plausible_bytes(fmt, width, height, head=head)
