"""The compute steps behind the window, and the immutable values they hand back.

`load_source`, `compute_preview` and `encode_result` are plain functions of plain arguments: they
call the core and build images ready to paint, know nothing about the window, and run on pool
threads (`worker.PreviewWorker` schedules them). What they return is frozen, so it crosses
threads safely.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QImage

from ..core import (
    ColorHistogram,
    KMeansDesktopError,
    Quantized,
    SourceImage,
    build_histogram,
    encode,
    load_image,
    quantize,
)
from ..core.sampling import strided_sample
from . import helper as _helper
from .helper import OUT_OF_PROCESS_ABOVE, HelperProcess
from ..core.encoding import DEFAULT_EFFORT
from .render import ImagePyramid, pyramid_from_indexed, pyramid_from_pixels

log = logging.getLogger("kmeans_desktop.gui.worker")  # the worker's log: these are its messages

#: Images with more pixels than this get a quick preview from a sample first.
PROXY_ABOVE = 1_500_000
#: About how many pixels that sample has.
PROXY_PIXELS = 500_000
#: Results with more pixels than this show an estimate of their PNG size before the exact one
#: (packing 9 MP exactly takes 1-3.5 s at the default effort; a sample of rows, a tenth of that).
ESTIMATE_ABOVE = 4_000_000
#: The estimate's sample: bands of this many rows out of every ESTIMATE_STEP (an eighth). On
#: china.jpg at 9 MP, K = 16/64/256 and 64 dithered: 0.976-1.013× the exact size.
ESTIMATE_BAND, ESTIMATE_STEP = 32, 256

Key = tuple[int, float]  # (K, dithering strength, 0.0 = off; True/False compare equal to 1.0/0.0)


# --------------------------------------------------------------------------------------------
# Values that cross threads (immutable)


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """An opened image with everything computed once per image."""

    image_id: int
    source: SourceImage
    histogram: ColorHistogram
    pyramid: ImagePyramid
    proxy: np.ndarray | None  # a strided sample of the pixels for quick previews, or None
    proxy_histogram: ColorHistogram | None
    seconds: float

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def path(self) -> Path | None:
        return self.source.path

    @property
    def distinct_colors(self) -> int:
        return self.histogram.n_colors


@dataclass(frozen=True, eq=False)
class Preview:
    """A quantized result ready to show. `final` is False for a quick preview from the sample."""

    image_id: int
    k: int
    dither: bool
    quantized: Quantized
    pyramid: ImagePyramid
    final: bool
    seconds: float  # quantize time (the core's own measure)
    #: Set when the result is a fitted file (`fitting.FitResult`): the requirements chose it.
    fit: object | None = None

    @property
    def key(self) -> Key:
        return (self.k, self.dither)

    @property
    def nbytes(self) -> int:
        return int(self.quantized.indices.nbytes) + self.pyramid.nbytes


@dataclass(frozen=True, eq=False)
class Encoded:
    """The exact file bytes for a result in one format."""

    image_id: int
    k: int
    dither: bool
    fmt: str
    data: bytes
    seconds: float
    effort: int = DEFAULT_EFFORT  # the PNG packing effort the bytes were made with

    @property
    def key(self) -> Key:
        return (self.k, self.dither)


@dataclass(frozen=True, eq=False)
class SizeEstimate:
    """An estimate of a result's PNG size, shown (marked as one) until the exact bytes arrive;
    never what Save writes or `sizeReady` reports."""

    image_id: int
    k: int
    dither: float
    nbytes: int
    effort: int

    @property
    def key(self) -> Key:
        return (self.k, self.dither)


# --------------------------------------------------------------------------------------------
# The compute steps: plain functions, run on pool threads


def load_source(source: str | Path | bytes | QImage, name: str | None, image_id: int,
                proxy_above: int = PROXY_ABOVE, proxy_pixels: int = PROXY_PIXELS) -> LoadedImage:
    """Load an image and compute what every K needs: histogram, sample, picture to paint."""
    t0 = time.perf_counter()
    _warm_up()
    if isinstance(source, QImage):
        source = qimage_to_png(source)
    src = load_image(source, name=name)
    hist = build_histogram(src.pixels)
    proxy = proxy_hist = None
    n = src.width * src.height
    if n > proxy_above:
        proxy = strided_sample(src.pixels, proxy_pixels)
        proxy.setflags(write=False)
        proxy_hist = build_histogram(proxy)
    pyramid = pyramid_from_pixels(src.pixels)
    return LoadedImage(image_id, src, hist, pyramid, proxy, proxy_hist, time.perf_counter() - t0)


def _warm_up() -> None:
    """Import the k-d tree here, while the image loads, rather than inside the first quantize call
    of a large image (the core imports it lazily so that the CLI starts fast; scikit-learn is no
    longer used by the quantizer)."""
    import scipy.spatial  # noqa: F401


def qimage_to_png(image: QImage) -> bytes:
    """A pasted QImage as PNG bytes, so it enters through `load_image` like any file."""
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = image.save(buf, "PNG")
    buf.close()
    if not ok:
        raise KMeansDesktopError("pasted image: the clipboard image can't be read.")
    return bytes(data.data())


def compute_preview(image: LoadedImage, k: int, dither: bool | float, final: bool, locked: tuple = ()) -> Preview:
    """Quantize the image (or its sample, for a quick preview) and build the picture to paint;
    `locked` colours are kept exactly in the palette."""
    pixels, hist = (image.source.pixels, image.histogram) if final else (image.proxy, image.proxy_histogram)
    q = quantize(pixels, k, dither=bool(dither), histogram=hist, dither_strength=float(dither) if dither else 1.0,
                 locked=locked or None)
    size = QSize(image.source.width, image.source.height)
    pyramid = pyramid_from_indexed(q.indices, q.palette, size)
    return Preview(image.image_id, k, dither_value(q), q, pyramid, final, q.seconds)


def encode_result(image_id: int, q: Quantized, fmt: str, icc_profile: bytes | None,
                  helper: HelperProcess | None = None, priority: int = _helper.PRIORITY_PREVIEW,
                  effort: int = DEFAULT_EFFORT) -> Encoded:
    """The file bytes for `q` at the PNG packing `effort`; large images in the helper process
    (see `helper`)."""
    t0 = time.perf_counter()
    if helper is not None and q.width * q.height > OUT_OF_PROCESS_ABOVE:
        data = helper.encode(q, fmt, icc_profile, effort=effort, priority=priority)
    else:
        data = encode(q, fmt, icc_profile=icc_profile, effort=effort)
    return Encoded(image_id, q.k, dither_value(q), fmt, data, time.perf_counter() - t0, effort)


def estimate_png_size(image_id: int, q: Quantized, icc_profile: bytes | None, helper: HelperProcess | None,
                      effort: int = DEFAULT_EFFORT) -> SizeEstimate:
    """The PNG size of `q` estimated from bands of its rows, packed in the helper the way the
    whole image is (see ESTIMATE_BAND), scaled to its height."""
    rows = np.concatenate([np.arange(y, min(y + ESTIMATE_BAND, q.height)) for y in range(0, q.height, ESTIMATE_STEP)])
    sample = dataclasses.replace(q, indices=np.ascontiguousarray(q.indices[rows]))
    args = (sample, icc_profile, effort, q.width * q.height)
    n = (helper.call("estimate", *args, priority=_helper.PRIORITY_PREVIEW) if helper is not None
         else _helper.HANDLERS["estimate"](_helper.HelperState(), *args))
    return SizeEstimate(image_id, q.k, dither_value(q), int(round(n * q.height / len(rows))), effort)


def dither_value(q: Quantized) -> float:
    """The dithering half of a result's key: its strength, 0.0 when not dithered."""
    return float(q.dither_strength) if q.dither else 0.0


@dataclass
class SaveWait:
    """A Save waiting for the exact bytes of a result (the preview worker keeps a queue of them)."""

    image_id: int
    quantized: Quantized
    fmt: str
    icc_profile: bytes | None
    callback: Callable[[Encoded | None, str | None], None]


def load_failure_message(exc: BaseException | None, trace: str | None) -> str:
    """What the window says when opening an image failed (the traceback goes to the log)."""
    if isinstance(exc, KMeansDesktopError):
        return str(exc)
    log.error("loading an image failed:\n%s", trace)
    if isinstance(exc, MemoryError):
        return "There is not enough memory to open this image."
    return f"The image can't be opened ({exc or type(exc).__name__})."
