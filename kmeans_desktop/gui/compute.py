"""The compute steps behind the window, and the immutable values they hand back.

`load_source`, `compute_preview` and `encode_result` are plain functions of plain arguments: they
call the core and build images ready to paint, know nothing about the window, and run on pool
threads (`worker.PreviewWorker` schedules them). What they return is frozen, so it crosses
threads safely. `compute_preview` stops early when its lane cancels it (`core.cancel` checkpoints).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
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
from ..core.cancel import checkpoint
from ..core.pixelmap import final_rows
from ..core.sampling import strided_sample
from . import helper as _helper
from .helper import OUT_OF_PROCESS_ABOVE, HelperProcess
from ..core.encoding import DEFAULT_EFFORT
from .render import ImagePyramid, IndexedPicture, pyramid_from_indexed, pyramid_from_pixels

log = logging.getLogger("kmeans_desktop.gui.worker")  # the worker's log: these are its messages

#: Images with more pixels than this get a quick preview from a sample first.
PROXY_ABOVE = 1_500_000
#: About how many pixels that sample has.
PROXY_PIXELS = 500_000
#: Results with more pixels than this show an estimate of their PNG size before the exact one
#: (packing 9 MP exactly takes 0.8-2.4 s CPU at the default effort; a sample of rows, 1/16 of that).
ESTIMATE_ABOVE = 4_000_000
#: The estimate's sample: bands of this many rows out of every ESTIMATE_STEP (a sixteenth). It is
#: packed in the helper before the exact bytes, so it delays them by its own time. Measured
#: 2026-12-02 on 9 MP china and flower, K = 16/64/256 and 64 dithered (estimate / exact, CPU):
#: 16 of 256 rows 0.972-1.089×, 0.05-0.18 s; 32 of 256 (until then) 0.975-1.046×, 0.09-0.31 s;
#: 32 of 512 0.920-1.015×, 0.05-0.15 s.
ESTIMATE_BAND, ESTIMATE_STEP = 16, 256

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
    #: Its PNG bytes, asked of the helper the moment quantize returned (`start_early_bytes`).
    early: EarlyBytes | None = None

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
class EarlyBytes:
    """A final result's PNG size estimate (above ESTIMATE_ABOVE) and exact bytes, asked of the
    helper process the moment the picture is built: they are packed while the result is
    shown (9 MP: 0.1-0.2 s of the wait for the byte count). Futures of `SizeEstimate` / `Encoded`."""

    quantized: Quantized
    effort: int
    estimate: Future | None
    exact: Future


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


def compute_preview(image: LoadedImage, k: int, dither: bool | float, final: bool, locked: tuple = (),
                    early: Callable[[Quantized], EarlyBytes] | None = None) -> Preview:
    """Quantize the image (or its sample, for a quick preview) and build the picture to paint;
    `locked` colours are kept exactly in the palette; `early(q)` (final results) starts packing
    the PNG as soon as the picture is built, before the result is shown."""
    pixels, hist = (image.source.pixels, image.histogram) if final else (image.proxy, image.proxy_histogram)
    with final_rows(IndexedPicture()) as picture:  # (undithered RGB: the picture is made beside the last pass)
        q = quantize(pixels, k, dither=bool(dither), histogram=hist, dither_strength=float(dither) if dither else 1.0,
                     locked=locked or None)
    checkpoint()  # (cancelled: no picture of a result no one waits for)
    size = QSize(image.source.width, image.source.height)
    pyramid = pyramid_from_indexed(q.indices, q.palette, size, picture)
    # (after the picture, not before: the helper's packing took a core from the picture's two
    # threads; 9 MP K = 16/64, alternating, load 2.4: picture 42 -> 31 ms, exact bytes K=16 759 ->
    # 761 ms, K=64 1541 -> 1559 ms after quantize)
    pending = early(q) if early is not None and final else None
    return Preview(image.image_id, k, dither_value(q), q, pyramid, final, q.seconds, early=pending)


def start_early_bytes(helper: HelperProcess, image_id: int, icc_profile: bytes | None, effort: int,
                      wanted: Callable[[], bool], q: Quantized) -> EarlyBytes:
    """Ask the helper for `q`'s size estimate (above ESTIMATE_ABOVE) and then its exact PNG bytes,
    now; `wanted()` is asked when each one's turn comes (False: dropped unrun)."""
    requests = [("encode", q, "png", icc_profile, effort)]
    if q.width * q.height > ESTIMATE_ABOVE:
        requests.insert(0, ("estimate", *_estimate_args(q, icc_profile, effort)))
    futures = helper.submit(requests, priority=_helper.PRIORITY_PREVIEW, wanted=wanted)
    t0 = time.perf_counter()

    def encoded(data: bytes) -> Encoded:
        return Encoded(image_id, q.k, dither_value(q), "png", data, time.perf_counter() - t0, effort)

    exact = _mapped(futures[-1], encoded)
    estimate = _mapped(futures[0], lambda n: _estimate(image_id, q, n, effort)) if len(futures) > 1 else None
    return EarlyBytes(q, effort, estimate, exact)


def _mapped(future: Future, fn: Callable) -> Future:
    """A future of `fn(result)` of `future` (its error passed on)."""
    out: Future = Future()
    out.set_running_or_notify_cancel()

    def done(f: Future) -> None:
        try:
            out.set_result(fn(f.result()))
        except BaseException as exc:  # noqa: BLE001 - the caller of result() gets it
            out.set_exception(exc)

    future.add_done_callback(done)
    return out


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
    args = _estimate_args(q, icc_profile, effort)
    n = (helper.call("estimate", *args, priority=_helper.PRIORITY_PREVIEW) if helper is not None
         else _helper.HANDLERS["estimate"](_helper.HelperState(), *args))
    return _estimate(image_id, q, n, effort)


def _estimate_rows(height: int) -> np.ndarray:
    return np.concatenate([np.arange(y, min(y + ESTIMATE_BAND, height)) for y in range(0, height, ESTIMATE_STEP)])


def _estimate_args(q: Quantized, icc_profile: bytes | None, effort: int) -> tuple:
    """The helper's "estimate" request for `q`: the bands of rows, packed as the whole image is."""
    sample = dataclasses.replace(q, indices=np.ascontiguousarray(q.indices[_estimate_rows(q.height)]))
    return (sample, icc_profile, effort, q.width * q.height)


def _estimate(image_id: int, q: Quantized, n: int, effort: int) -> SizeEstimate:
    """The estimate from the bands' packed size `n`, scaled to the image's height."""
    return SizeEstimate(image_id, q.k, dither_value(q), int(round(n * q.height / len(_estimate_rows(q.height)))),
                        effort)


def encode_job(image_id: int, q: Quantized, fmt: str, icc_profile: bytes | None, helper: HelperProcess | None,
               priority: int, effort: int, early: EarlyBytes | None) -> tuple:
    """The encode lane's job (function and arguments) for `q`'s bytes: waiting for them when they
    were asked early at this effort, else `encode_result`."""
    args = (image_id, q, fmt, icc_profile, helper, priority, effort)
    if early is None or early.effort != effort or fmt != "png" or early.quantized is not q:
        return (encode_result, *args)
    return (await_early, image_id, early.exact, encode_result, *args[1:])


def estimate_job(image_id: int, q: Quantized, icc_profile: bytes | None, helper: HelperProcess | None, effort: int,
                 early: EarlyBytes | None) -> tuple:
    """The encode lane's job for `q`'s size estimate, as `encode_job`."""
    if early is None or early.effort != effort or early.estimate is None or early.quantized is not q:
        return (estimate_png_size, image_id, q, icc_profile, helper, effort)
    return (await_early, image_id, early.estimate)


def await_early(image_id: int, future: Future, fallback: Callable | None = None, *args):
    """The outcome of an early request (a pool thread waits for it without the GIL); if it was
    dropped or failed, `fallback(*args)` instead (an estimate has none: it is simply skipped)."""
    try:
        return future.result()
    except Exception:
        if fallback is None:
            raise
        return fallback(image_id, *args)


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
    early: EarlyBytes | None = None  # the result's bytes, when already asked of the helper


def load_failure_message(exc: BaseException | None, trace: str | None) -> str:
    """What the window says when opening an image failed (the traceback goes to the log)."""
    if isinstance(exc, KMeansDesktopError):
        return str(exc)
    log.error("loading an image failed:\n%s", trace)
    if isinstance(exc, MemoryError):
        return "There is not enough memory to open this image."
    return f"The image can't be opened ({exc or type(exc).__name__})."
