"""Background work for the colour-space views: the cloud's sample and cluster assignment, and the
K-choice curve. Like `worker`, the compute steps are plain functions, and `AnalysisWorker`
schedules them from the GUI thread in three lanes of the window's scheduler ("cloud", "curve",
"bytes"), one job each at a time:

* **cloud**: once per image, `sample_cloud` draws the points (50,000 by weight from the
  histogram the preview worker already built) and everything the views draw them with; for each
  result shown, `assign_cloud` puts every point in its nearest palette entry's cluster (the
  k-means assignment step) and colours it so. Latest palette wins: one job runs, the newest
  waits, older ones are dropped.
* **curve**: SSIMULACRA2, PSNR and PNG bytes for K = 2, 4, … 256 and every K the user settles on, one K per
  job, cached per image and dithering. It yields to the preview: a job starts only while the
  preview worker computes nothing (`computeIdle`), and its encodes go to the window's helper
  process at background priority (after any preview or save encode that waits). A new image
  bumps the generation: the running job's result is
  dropped and nothing more is started for the old image.

  Exact values cost too much on large images (a 9 MP PNG encode takes 1–6 s per K), so above
  `CURVE_EXACT_MAX` pixels the curve is *estimated*: PSNR from quantizing a strided sample of
  the whole image (within 0.2 dB of the full image on photos), bytes from PNG-encoding
  full-resolution tiles with that palette and scaling (see `core.sampling.tile_mosaic`), and
  SSIMULACRA2 of those tiles (full resolution, so dithering and banding show as they do in the
  image). The curve says so in its caption and tooltips.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ..core import ColorHistogram, Quantized, build_histogram, psnr, quantize, ssimulacra2
from ..core.dither import dither_indices
from ..core.sampling import estimate_png_bytes, nearest_palette, sample_colors, strided_sample, tile_mosaic
from .compute import LoadedImage, encode_result
from .helper import PRIORITY_BACKGROUND, HelperProcess
from .scheduler import Scheduler, Ticket

log = logging.getLogger("kmeans_desktop.gui.analysis")

CLOUD_POINTS = 50_000
FLAT_POINTS = 6_000  # the 2-D fallback draws this many of them (see color_cloud.FlatCloudView)
CURVE_KS = (2, 4, 8, 16, 32, 64, 128, 256)
CURVE_EXACT_MAX = 1_000_000  # pixels; larger images get an estimated curve
CURVE_SAMPLE_PIXELS = 250_000  # the strided sample for PSNR (within 0.15 dB of 9 MP; twice as fast as 0.5 MP)
CURVE_TILE_PIXELS = 500_000  # the tiles for PNG bytes
CURVE_NICE = 10  # CPU priority of a stand-alone worker's own helper process (POSIX nice value)


# --------------------------------------------------------------------------------------------
# The cloud


@dataclass(frozen=True, eq=False)
class CloudSample:
    image_id: int
    colors: np.ndarray  # n×3 uint8
    positions: np.ndarray  # n×3 float32, the RGB cube as [-0.5, 0.5]³
    rgba: np.ndarray  # n×4 float32 in 0..1: each point in its own colour
    flat_orders: tuple[np.ndarray, ...]  # 2-D: per projection, the points to draw, back to front
    flat_codes: np.ndarray  # 2-D: each point's colour, as an index into flat_table
    flat_table: np.ndarray  # 2-D: the colours (m×3 uint8, 4 bits per channel: fewer brushes)


@dataclass(frozen=True, eq=False)
class CloudAssignment:
    image_id: int
    key: object  # which palette (the Quantized it came from)
    labels: np.ndarray  # n: each point's palette entry
    rgba: np.ndarray  # n×4 float32: each point in its centroid's colour
    palette_rgb: np.ndarray  # k×3 uint8


def sample_cloud(image: LoadedImage, n: int = CLOUD_POINTS, flat: int = FLAT_POINTS, seed: int = 0) -> CloudSample:
    colors, _ = sample_colors(image.histogram, n, seed)
    positions = colors.astype(np.float32) / 255 - 0.5
    rgba = np.concatenate([colors.astype(np.float32) / 255, np.ones((len(colors), 1), np.float32)], axis=1)
    head = colors[:flat].astype(np.int64)  # the sample is shuffled: its head is a fair sample too
    # Each projection is seen from the side where its hidden channel is high: those points on top.
    orders = tuple(np.argsort(head[:, hidden], kind="stable") for hidden in (2, 0, 1))
    snapped = (head >> 4) * 17  # 4 bits per channel, spread to 0..255
    code = (snapped[:, 0] << 16) | (snapped[:, 1] << 8) | snapped[:, 2]
    table_codes, flat_codes = np.unique(code, return_inverse=True)
    table = np.stack([(table_codes >> 16) & 255, (table_codes >> 8) & 255, table_codes & 255], axis=1).astype(np.uint8)
    return CloudSample(image.image_id, colors, positions, rgba, orders, flat_codes.reshape(-1), table)


def assign_cloud(sample: CloudSample, palette: np.ndarray, key: object) -> CloudAssignment:
    labels = nearest_palette(sample.colors, palette)
    labels[labels < 0] = 0
    rgb = np.ascontiguousarray(palette[:, :3])
    rgba = np.concatenate([rgb.astype(np.float32) / 255, np.ones((len(rgb), 1), np.float32)], axis=1)[labels]
    return CloudAssignment(sample.image_id, key, labels, rgba, rgb)


# --------------------------------------------------------------------------------------------
# The curve


@dataclass(frozen=True)
class CurvePoint:
    image_id: int
    k: int
    dither: bool
    psnr: float
    nbytes: int | None  # None until the encode lane has it
    estimated: bool
    seconds: float  # compute time so far (quantizing, then encoding)
    ssimulacra2: float = math.nan  # of the whole image, or of the tiles when estimated

    @property
    def complete(self) -> bool:
        return self.nbytes is not None


@dataclass(frozen=True, eq=False)
class CurveInput:
    """What every K of the curve needs, prepared once per image."""

    image_id: int
    pixels: np.ndarray
    histogram: ColorHistogram
    icc_profile: bytes | None
    sample: np.ndarray | None  # None: exact curve on the full image
    sample_histogram: ColorHistogram | None
    mosaic: np.ndarray | None
    mosaic_histogram: ColorHistogram | None

    @property
    def estimated(self) -> bool:
        return self.sample is not None

    @property
    def note(self) -> str:
        if not self.estimated:
            return "Exact values for the whole image."
        mp = self.mosaic.shape[0] * self.mosaic.shape[1] / 1e6
        return (f"Estimated: PSNR from a {self.sample.shape[0] * self.sample.shape[1] / 1e6:.1f} MP sample of the "
                f"image (typically within 0.2 dB), size and SSIMULACRA2 from {mp:.1f} MP of "
                f"full-resolution tiles (size typically within 10%).")


def prepare_curve(image: LoadedImage, exact_max: int = CURVE_EXACT_MAX) -> CurveInput:
    src = image.source
    if src.width * src.height <= exact_max:
        return CurveInput(image.image_id, src.pixels, image.histogram, src.icc_profile, None, None, None, None)
    if image.proxy is not None and image.proxy.shape[0] * image.proxy.shape[1] <= 1.25 * CURVE_SAMPLE_PIXELS:
        sample, sample_hist = image.proxy, image.proxy_histogram  # the quick previews' sample
    else:
        sample = strided_sample(src.pixels, CURVE_SAMPLE_PIXELS)
        sample_hist = build_histogram(sample)
    mosaic = tile_mosaic(src.pixels, CURVE_TILE_PIXELS)
    return CurveInput(image.image_id, src.pixels, image.histogram, src.icc_profile, sample, sample_hist,
                      mosaic, build_histogram(mosaic))


def curve_quality(inp: CurveInput, k: int, dither: bool) -> tuple[CurvePoint, Quantized]:
    """PSNR at K (exact, or estimated from the sample; see the module doc) and the result whose
    PNG size `curve_bytes` measures: the whole image, or the tiles with the sample's palette."""
    t0 = time.perf_counter()
    if not inp.estimated:
        q = quantize(inp.pixels, k, dither=dither, histogram=inp.histogram)
        s2 = ssimulacra2(inp.pixels, q.to_array())
        return CurvePoint(inp.image_id, k, dither, q.psnr, None, False, time.perf_counter() - t0, s2), q
    qs = quantize(inp.sample, k, histogram=inp.sample_histogram)
    mosaic, mh = inp.mosaic, inp.mosaic_histogram
    if qs.has_alpha:  # nearest-colour mapping doesn't follow the alpha rules: quantize the tiles
        qm = quantize(mosaic, k, dither=dither, histogram=mh)
        s2 = ssimulacra2(mosaic, qm.to_array())
        return CurvePoint(inp.image_id, k, dither, qm.psnr, None, True, time.perf_counter() - t0, s2), qm
    palette = qs.palette
    indices = mh.indices_for(nearest_palette(mh.colors, palette))
    value = qs.psnr
    if dither and len(palette) < mh.n_colors:
        indices = dither_indices(mosaic, palette, indices)
        value = psnr(mosaic, palette[indices])  # dithering's error shows in the tiles only
    counts = np.bincount(indices.reshape(-1), minlength=len(palette)).astype(np.int64)
    qm = Quantized(palette, indices, k, dither, 0, counts, 0.0, 0.0)
    s2 = ssimulacra2(mosaic, palette[indices])
    return CurvePoint(inp.image_id, k, dither, value, None, True, time.perf_counter() - t0, s2), qm


def curve_bytes(inp: CurveInput, point: CurvePoint, q: Quantized, encoder: HelperProcess | None) -> CurvePoint:
    """The point with its PNG size: `q` encoded (in the helper process when large), and for an
    estimate scaled from the tiles to the whole image."""
    t0 = time.perf_counter()
    if not inp.estimated:
        nbytes = len(encode_result(inp.image_id, q, "png", inp.icc_profile, encoder, PRIORITY_BACKGROUND).data)
    else:
        sample_bytes = len(encode_result(inp.image_id, q, "png", None, encoder, PRIORITY_BACKGROUND).data)
        h, w = inp.pixels.shape[:2]
        nbytes = estimate_png_bytes(sample_bytes, q.width * q.height, h * w, q.n_colors, q.has_alpha)
        if inp.icc_profile:
            nbytes += len(zlib.compress(inp.icc_profile, 9)) + 26  # iCCP chunk: framing and name
    return dataclasses.replace(point, nbytes=nbytes, seconds=point.seconds + time.perf_counter() - t0)


# --------------------------------------------------------------------------------------------
# The scheduler (GUI thread only)


class AnalysisWorker(QObject):
    """Schedules the cloud and curve jobs for one window. Use from the GUI thread only."""

    cloudSampled = Signal(object)  # CloudSample for the current image
    cloudAssigned = Signal(object)  # CloudAssignment for the current image
    curveStarted = Signal(int, bool, str)  # image id, dithering, the note on how values are made
    curvePoint = Signal(object)  # CurvePoint for the current image
    curveFailed = Signal(str)

    LANES = ("cloud", "curve", "bytes")
    RETRY_MS = 150  # while the preview computes, look again this often
    #: After the preview's last computation, leave the CPU to the window this long (the new
    #: result's repaint, the cloud's next frame) before the curve goes on.
    SETTLE_MS = 300

    def __init__(self, preview_busy: Callable[[], bool] = lambda: False, parent: QObject | None = None,
                 scheduler: Scheduler | None = None, helper: HelperProcess | None = None):
        super().__init__(parent)
        self.scheduler = scheduler if scheduler is not None else Scheduler(self)
        self._lanes = {name: self.scheduler.add_lane(name, self._on_finished) for name in self.LANES}
        self.preview_busy = preview_busy
        self.exact_max = CURVE_EXACT_MAX
        self._closed = False
        self._image: LoadedImage | None = None
        self._generation = 0
        self._sample: CloudSample | None = None
        self._pending_palette: tuple[np.ndarray, object] | None = None
        self._curve_input: CurveInput | None = None
        self._curve: dict[bool, dict[int, CurvePoint]] = {False: {}, True: {}}
        self._wanted: dict[bool, list[int]] = {False: list(CURVE_KS), True: list(CURVE_KS)}
        self._to_encode: list[tuple[CurvePoint, Quantized]] = []  # PSNR known, bytes not yet
        self._dither = False
        self._failed = False
        self._busy_until = 0.0  # monotonic time before which the curve doesn't start a job
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(self.RETRY_MS)
        self._retry.timeout.connect(self._pump_curve)
        self._own_helper = helper is None
        self._encoder = helper if helper is not None else HelperProcess(nice=CURVE_NICE)
        if self._own_helper:
            self.destroyed.connect(self._encoder.close)
        self.started = {"sample": 0, "assign": 0, "prepare": 0, "curve": 0}

    # -- requests ----------------------------------------------------------------------------

    def set_image(self, image: LoadedImage) -> None:
        """A new image: forget the old one's work, sample the new one, start its curve."""
        if self._closed:
            return
        self._generation += 1
        self._image = image
        self._sample = None
        self._pending_palette = None
        self._curve_input = None
        self._curve = {False: {}, True: {}}
        self._wanted = {False: list(CURVE_KS), True: list(CURVE_KS)}
        self._to_encode = []
        self._failed = False
        self._pump_cloud()
        self._start_curve()

    def set_palette(self, palette: np.ndarray, key: object) -> None:
        """The palette on screen: assign the cloud's points to it (latest wins)."""
        if self._closed or self._image is None:
            return
        self._pending_palette = (palette, key)
        self._pump_cloud()

    def want_k(self, k: int, dither: bool) -> None:
        """Show the curve for this dithering and add K to it (the current K)."""
        if self._closed or self._image is None:
            return
        dither = bool(dither)
        changed = dither != self._dither
        self._dither = dither
        if int(k) not in self._wanted[dither]:
            self._wanted[dither].insert(0, int(k))  # the current K first
        if changed:
            self._start_curve()
        else:
            self._pump_curve()

    def curve(self, dither: bool | None = None) -> dict[int, CurvePoint]:
        return dict(self._curve[self._dither if dither is None else bool(dither)])

    def curve_complete(self) -> bool:
        done = self._curve[self._dither]
        return all(k in done and done[k].complete for k in self._wanted[self._dither])

    @property
    def sample(self) -> CloudSample | None:
        return self._sample

    def is_idle(self) -> bool:
        return all(lane.running is None for lane in self._lanes.values())

    def _running(self, lane: str) -> bool:
        return self._lanes[lane].running is not None

    def shutdown(self) -> None:
        """Stop scheduling (the window waits for the pool); a helper of its own is killed."""
        self._closed = True
        self._generation += 1
        self._retry.stop()
        self.scheduler.close(self.LANES)
        if self._own_helper:
            self._encoder.close()

    # -- scheduling --------------------------------------------------------------------------

    def _start(self, lane: str, fn: Callable, *args, tag=None) -> None:
        self._lanes[lane].start(fn, *args, generation=self._generation, tag=tag)

    def _pump_cloud(self) -> None:
        if self._closed or self._image is None or self._running("cloud"):
            return
        if self._sample is None:
            self.started["sample"] += 1
            self._start("cloud", sample_cloud, self._image, tag="sample")
        elif self._pending_palette is not None:
            palette, key = self._pending_palette
            self._pending_palette = None
            self.started["assign"] += 1
            self._start("cloud", assign_cloud, self._sample, palette, key, tag="assign")

    def _start_curve(self) -> None:
        if self._image is None:
            return
        note = self._curve_input.note if self._curve_input is not None else ""
        self.curveStarted.emit(self._image.image_id, self._dither, note)
        for point in sorted(self._curve[self._dither].values(), key=lambda p: p.k):
            self.curvePoint.emit(point)  # what is cached for this dithering
        self._pump_curve()

    def _pump_curve(self) -> None:
        """Quantize the next K in the curve lane and encode finished ones in the bytes lane, side
        by side (the encoder is another process), but only while the preview computes nothing."""
        if self._closed or self._image is None or self._failed:
            return
        if self._running("curve") and self._running("bytes"):
            return
        if self.preview_busy():
            self._busy_until = time.monotonic() + self.SETTLE_MS / 1000
            self._retry.start()  # computeIdle usually comes first; this is the safety net
            return
        wait_ms = (self._busy_until - time.monotonic()) * 1000
        if wait_ms > 0:
            self._retry.start(max(1, int(wait_ms)))
            return
        if not self._running("bytes") and self._to_encode:
            point, q = self._to_encode.pop(0)
            self._start("bytes", curve_bytes, self._curve_input, point, q, self._encoder, tag="bytes")
        if self._running("curve"):
            return
        if self._curve_input is None:
            self.started["prepare"] += 1
            self._start("curve", prepare_curve, self._image, self.exact_max, tag="prepare")
            return
        done = self._curve[self._dither]
        todo = [k for k in self._wanted[self._dither] if k not in done]
        if todo and len(self._to_encode) < 2:  # don't run far ahead of the encoder
            self.started["curve"] += 1
            self._start("curve", curve_quality, self._curve_input, todo[0], self._dither, tag="quality")

    def on_preview_idle(self) -> None:
        """Connected to `PreviewWorker.computeIdle`: go on after letting the window settle."""
        self._busy_until = time.monotonic() + self.SETTLE_MS / 1000
        self._pump_curve()

    # -- outcomes ----------------------------------------------------------------------------

    def _on_finished(self, job: Ticket, _current: bool = True) -> None:
        if self._closed:
            return
        try:
            if job.generation != self._generation:
                return  # an image that is no longer open
            if job.error is not None:
                self._failure(job)
            elif job.tag == "sample":
                self._sample = job.result
                self.cloudSampled.emit(job.result)
            elif job.tag == "assign":
                self.cloudAssigned.emit(job.result)
            elif job.tag == "prepare":
                self._curve_input = job.result
                self.curveStarted.emit(self._image.image_id, self._dither, job.result.note)
            elif job.tag == "quality":
                point, q = job.result
                self._curve[point.dither][point.k] = point
                self._to_encode.append((point, q))
                if point.dither == self._dither:
                    self.curvePoint.emit(point)  # PSNR now, bytes when encoded
            else:
                point = job.result
                self._curve[point.dither][point.k] = point
                if point.dither == self._dither:
                    self.curvePoint.emit(point)
        finally:
            self._pump_cloud()
            self._pump_curve()

    def _failure(self, job: Ticket) -> None:
        log.error("%s failed:\n%s", job.tag, job.trace)
        if job.lane in ("curve", "bytes"):
            self._failed = True  # don't retry the same failure forever; a new image starts afresh
            self.curveFailed.emit(f"The K curve could not be computed ({job.error or type(job.error).__name__}).")
