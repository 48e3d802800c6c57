"""Reading images into plain uint8 arrays, and writing files atomically.

`load_image` turns anything Pillow opens into an H×W×3 (RGB) or H×W×4 (RGBA) uint8 array, with
EXIF orientation applied and what a saver needs kept beside it (ICC profile, EXIF, size on disk).
Every failure becomes an `ImageLoadError` whose message names the file and says what is wrong.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from .errors import ImageLoadError, ImageSaveError
from .formats import PILLOW_FORMATS, check_declared_size, format_label, readable_list, sniff_format
from .tempfiles import sweep_stale, temporary_path

log = logging.getLogger(__name__)

#: Images with more pixels than this are refused before decoding (decompression bombs). 150 MP
#: is a 15000×10000 image; its RGB pixels alone take 450 MB.
MAX_PIXELS = 150_000_000

_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}

#: Pillow refuses a PNG chunk that inflates to more than 1 MB, and counts an ICC profile as one.
#: Print and camera profiles reach a few MB (a valid PNG with a 3 MB profile was refused), so we
#: allow 16 MB per chunk; Pillow's 64 MB cap on all text chunks together still holds.
PNG_CHUNK_LIMIT = 16 * 2**20
PngImagePlugin.MAX_TEXT_CHUNK = max(PngImagePlugin.MAX_TEXT_CHUNK, PNG_CHUNK_LIMIT)
#: How much of a file's start is read to recognise a format we don't open, and to find a JPEG's
#: frame header (its markers come first; 256 KiB covers EXIF and ICC segments in practice).
_HEAD_BYTES = 256 * 1024


@dataclass(frozen=True, eq=False)
class SourceImage:
    """An image as loaded: read-only pixels plus the metadata a saver may keep."""

    pixels: np.ndarray  # H×W×3 or H×W×4 uint8, read-only
    name: str  # what to call the image in messages: the file name, or "pasted image"
    path: Path | None = None
    file_size: int | None = None  # bytes on disk (or of the given bytes); None if unknown
    icc_profile: bytes | None = None
    exif: bytes | None = None
    format: str | None = None  # Pillow's format name, e.g. "JPEG"
    frames: int = 1

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.pixels.shape[2] == 4


def _display_name(path: Path) -> str:
    return path.name or str(path)


def _check_path(path: Path) -> int:
    name = _display_name(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageLoadError(f"{name}: no such file (looked for {path}).") from None
    except PermissionError:
        raise ImageLoadError(f"{name}: permission denied; the file can't be read.") from None
    except OSError as exc:
        raise ImageLoadError(f"{name}: the file can't be read ({exc.strerror or exc}).") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageLoadError(f"{name}: this is a folder, not an image file.")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or a device would block or never end; neither holds an image file.
        raise ImageLoadError(f"{name}: this is not a regular file (a pipe, device or socket), so it can't be read as an image.")
    if st.st_size == 0:
        raise ImageLoadError(f"{name}: the file is empty (0 bytes), so there is no image in it.")
    if not os.access(path, os.R_OK):
        raise ImageLoadError(f"{name}: permission denied; the file can't be read.")
    return int(st.st_size)


def load_image(source: str | os.PathLike | bytes, *, name: str | None = None) -> SourceImage:
    """Load a file path or encoded bytes into a `SourceImage`.

    Applies EXIF orientation, takes the first frame of animations, converts every Pillow mode to
    RGB or RGBA, and refuses images over `MAX_PIXELS` from their header, before decoding.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = name or "pasted image"
        if not data:
            raise ImageLoadError(f"{name}: the data is empty, so there is no image in it.")
        path, size, opener, head = None, len(data), io.BytesIO(data), data[:_HEAD_BYTES]
    else:
        path = Path(os.fspath(source))
        name = name or _display_name(path)
        size = _check_path(path)
        opener = path
        head = _read_head(path, name)
    # Pillow and its C libraries warn about damaged but readable files; those go to the log,
    # never onto the user's terminal.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return _open_and_decode(opener, name=name, path=path, size=size, head=head)
        finally:
            for w in caught:
                log.warning("%s: %s: %s", name, w.category.__name__, w.message)


def _read_head(path: Path, name: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(_HEAD_BYTES)
    except PermissionError:
        raise ImageLoadError(f"{name}: permission denied; the file can't be read.") from None
    except OSError as exc:
        raise ImageLoadError(f"{name}: the file can't be read ({exc.strerror or exc}).") from None


def _open_and_decode(opener, *, name: str, path: Path | None, size: int, head: bytes) -> SourceImage:
    try:
        im = Image.open(opener, formats=PILLOW_FORMATS)  # never any other plugin: see core.formats
    except Image.DecompressionBombError:
        raise ImageLoadError(
            f"{name}: the image is too large to open safely (over {MAX_PIXELS // 1_000_000} megapixels)."
        ) from None
    except UnidentifiedImageError:
        other = sniff_format(head[:16])
        if other in PILLOW_FORMATS or other in ("MPO", "DIB"):  # ours, but too damaged to open
            raise ImageLoadError(f"{name}: this {format_label(other)} file is damaged and can't be read.") from None
        if other:
            raise ImageLoadError(
                f"{name}: this file is in {format_label(other)} format, which kmeans-desktop does not open; "
                f"it reads {readable_list()}."
            ) from None
        raise ImageLoadError(f"{name}: this is not an image file that can be read (unknown or damaged format).") from None
    except PermissionError:
        raise ImageLoadError(f"{name}: permission denied; the file can't be read.") from None
    except (OSError, SyntaxError, ValueError, IndexError, TypeError, EOFError) as exc:
        if "Decompressed Data Too Large" in str(exc):
            raise ImageLoadError(
                f"{name}: a PNG chunk (an ICC colour profile or text) inflates to over "
                f"{PNG_CHUNK_LIMIT // 2**20} MB, more than is safe to read."
            ) from None
        raise ImageLoadError(f"{name}: the image can't be read ({exc or type(exc).__name__}).") from None
    try:
        return _decode(im, name=name, path=path, size=size, head=head)
    finally:
        im.close()


def _decode(im: Image.Image, *, name: str, path: Path | None, size: int, head: bytes = b"") -> SourceImage:
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise ImageLoadError(
            f"{name}: the image is too large ({w}×{h}, {w * h / 1e6:.0f} megapixels; "
            f"the limit is {MAX_PIXELS // 1_000_000} megapixels)."
        )
    if w == 0 or h == 0:
        raise ImageLoadError(f"{name}: the image has no pixels ({w}×{h}).")
    fmt = im.format
    if not check_declared_size(fmt, w, h, size, head=head):
        # Checked before the decoder allocates the canvas: libjpeg would fill it with grey.
        raise ImageLoadError(
            f"{name}: the file is truncated or damaged; its header claims {w}×{h} pixels, "
            f"far more than {size:,} bytes can hold."
        )
    try:
        frames = int(getattr(im, "n_frames", 1) or 1)  # GIF and TIFF read their frame list here
        im.seek(0)
        im.load()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            oriented = ImageOps.exif_transpose(im, in_place=True) or im  # no 4-byte-per-pixel copy
        pixels = _to_array(oriented)
    except ImageLoadError:
        raise
    except MemoryError:
        raise ImageLoadError(f"{name}: there is not enough memory to open this image ({w}×{h}).") from None
    except (OSError, SyntaxError, ValueError, IndexError, TypeError, EOFError) as exc:
        text = str(exc)
        if "truncated" in text or isinstance(exc, EOFError):
            raise ImageLoadError(f"{name}: the file is truncated; the image data ends early.") from None
        raise ImageLoadError(f"{name}: the image data is corrupt and can't be decoded ({text or type(exc).__name__}).") from None
    icc = oriented.info.get("icc_profile") or im.info.get("icc_profile") or None
    exif = oriented.info.get("exif") or None
    if isinstance(exif, str):
        exif = exif.encode("latin-1", "replace")
    pixels.setflags(write=False)
    return SourceImage(
        pixels=pixels,
        name=name,
        path=path,
        file_size=size,
        icc_profile=icc,
        exif=exif,
        format=fmt,
        frames=frames,
    )


def _to_array(im: Image.Image) -> np.ndarray:
    """Any Pillow mode to a contiguous H×W×3 or H×W×4 uint8 array."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        a = np.asarray(im)
        if a.dtype.kind == "f":
            hi = float(np.nanmax(a)) if a.size else 0.0
            scale = 255.0 if hi <= 1.0 else (1.0 if hi <= 255.0 else 255.0 / 65535.0)
            g = np.clip(np.nan_to_num(a) * scale, 0, 255).round().astype(np.uint8)
        else:
            hi = int(a.max()) if a.size else 0
            g = (a.clip(0, 255) if hi <= 255 else (a.clip(0, 65535).astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(g[..., None], 3, axis=2))
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    elif mode in ("RGBa", "La"):
        im = im.convert("RGBA")
    elif mode in _ALPHA_MODES and mode != "RGBA":
        im = im.convert("RGBA")
    elif mode != "RGBA" and mode != "RGB":
        im = im.convert("RGB")
    a = np.asarray(im)
    if a.ndim != 3 or a.dtype != np.uint8:
        raise ValueError(f"unexpected pixel layout {a.shape} {a.dtype}")
    if a.shape[2] == 4 and bool((a[..., 3] == 255).all()):
        a = a[..., :3]  # alpha that is opaque everywhere carries no information
    return np.ascontiguousarray(a)


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    A failure or a kill leaves no partial file under `path` and never damages an existing one. A
    replaced file keeps its permissions (and owner, where allowed): a private file stays private.
    """
    path = Path(os.fspath(path))
    name = _display_name(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not os.path.isdir(folder):  # os.path: False, not a raise, for a name the system refuses
        raise ImageSaveError(f"{name}: the folder {folder} does not exist.")
    if os.path.isdir(path):
        raise ImageSaveError(f"{name}: a folder has that name; choose a file name.")
    sweep_stale(folder)
    tmp_name = None
    try:
        fd, tmp_name = temporary_path(folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _take_mode(path, tmp_name)
        os.replace(tmp_name, path)
        tmp_name = None
        _sync_folder(folder)
    except PermissionError:
        raise ImageSaveError(f"{name}: permission denied; the folder {folder} can't be written to.") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise ImageSaveError(f"{name}: the file name is too long for this folder; choose a shorter one.") from None
        raise ImageSaveError(f"{name}: the file could not be written ({exc.strerror or exc}).") from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return path


def _take_mode(path: Path, tmp_name: str) -> None:
    """Give the new file the old one's mode and owner, or the usual mode for a new file."""
    try:
        old = os.stat(path)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)
        return
    os.chmod(tmp_name, stat.S_IMODE(old.st_mode))
    if hasattr(os, "chown"):
        new = os.stat(tmp_name)
        if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
            try:
                os.chown(tmp_name, old.st_uid, old.st_gid)
            except OSError:  # only root may give a file away; the group may still be kept
                try:
                    os.chown(tmp_name, -1, old.st_gid)
                except OSError:
                    pass
            # chown clears set-id bits; put the mode back as it was
            os.chmod(tmp_name, stat.S_IMODE(old.st_mode))


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders can't be opened."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
