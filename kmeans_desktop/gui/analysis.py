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
  preview worker computes nothing (`computeIdle`), a point still running when K changes stops at
  its next checkpoint and runs again later (`preview_moved`), and its encodes go to the window's helper
  process at background priority (after any preview or save encode that waits). A new image
  bumps the generation: the running job's result is
  dropped and nothing more is started for the old image.

  Above `CURVE_EXACT_MAX` pixels the curve is *estimated* (see `core.kcurve`); the curve says so
  in its caption and tooltips.

The numerics are the core's (`core.cloud`, `core.kcurve`); the names are imported here so that
tests and benchmarks can wrap the steps (`analysis.curve_quality`, `analysis.assign_cloud`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ..core import Quantized, kcurve
from ..core.cloud import CLOUD_POINTS, FLAT_POINTS, CloudSample, assign_cloud, sample_cloud_colors
from ..core.kcurve import (
    CURVE_EXACT_MAX,
    CURVE_KS,
    CurveInput,
    CurvePoint,
    curve_quality,
    prepare_curve_input,
)
from .compute import LoadedImage, encode_result
from .helper import PRIORITY_BACKGROUND, HelperProcess
from .scheduler import Scheduler, Ticket

log = logging.getLogger("kmeans_desktop.gui.analysis")

__all__ = ["CURVE_KS", "AnalysisWorker", "CurveInput", "CurvePoint", "assign_cloud", "curve_bytes", "curve_quality",
           "prepare_curve", "sample_cloud"]

CURVE_NICE = 10  # CPU priority of a stand-alone worker's own helper process (POSIX nice value)


# --------------------------------------------------------------------------------------------
# The compute steps (the numerics are in core.cloud and core.kcurve)


def sample_cloud(image: LoadedImage, n: int = CLOUD_POINTS, flat: int = FLAT_POINTS, seed: int = 0) -> CloudSample:
    return sample_cloud_colors(image.histogram, image.image_id, n, flat, seed)


def prepare_curve(image: LoadedImage, exact_max: int = CURVE_EXACT_MAX) -> CurveInput:
    src = image.source
    return prepare_curve_input(image.image_id, src.pixels, image.histogram, src.icc_profile, image.proxy,
                               image.proxy_histogram, exact_max)


def curve_bytes(inp: CurveInput, point: CurvePoint, q: Quantized, helper: HelperProcess | None) -> CurvePoint:
    """The point with its PNG size, encoded in the helper process when large (background priority)."""
    return kcurve.curve_bytes(inp, point, q, lambda qq, icc: encode_result(inp.image_id, qq, "png", icc, helper,
                                                                              PRIORITY_BACKGROUND).data)


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
    #: result's repaint, the cloud's next frame) before the curve goes on. Counted from when it was
    #: last seen computing or its result came (`want_k`), not from when its bytes were packed: the
    #: packing runs in the helper process, half a second after the repaint at 9 MP, and waiting
    #: SETTLE_MS more after it put the whole curve that much later (bench_gui's K curve, 2026-12-03:
    #: the first curve job 300 ms after the byte count).
    SETTLE_MS = 300

    def __init__(self, preview_busy: Callable[[], bool] = lambda: False, parent: QObject | None = None,
                 scheduler: Scheduler | None = None, helper: HelperProcess | None = None,
                 preview_computing: Callable[[], bool] | None = None):
        super().__init__(parent)
        self.scheduler = scheduler if scheduler is not None else Scheduler(self)
        self._lanes = {name: self.scheduler.add_lane(name, self._on_finished, cancellable=name == "curve")
                       for name in self.LANES}  # (a curve point stops when the preview moves: `preview_moved`)
        self.preview_busy = preview_busy  # computing, about to, or packing the bytes on show: wait
        self.preview_computing = preview_computing or preview_busy  # computing or about to: settle after
        self._packing_apart = preview_computing is not None
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
        if self.preview_busy():  # (a final result just shown, or about to be computed: settle after it)
            self._busy_until = max(self._busy_until, time.monotonic() + self.SETTLE_MS / 1000)
        if changed:
            self._start_curve()
        else:
            self._pump_curve()

    def preview_moved(self) -> None:
        """Another result is wanted: a curve point still being computed stops at its next checkpoint
        (`core.cancel`) and is computed again once the preview has settled. On two cores it took one
        of them from the new final preview (a 9 MP point: 250-500 ms of quantizing and scoring)."""
        self._lanes["curve"].interrupt()

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
            if self.preview_computing():
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
        """Connected to `PreviewWorker.computeIdle` (nothing computed or packed): go on, SETTLE_MS after
        the preview was last seen computing."""
        if not self._packing_apart:  # (no way to tell the packing apart: settle from now)
            self._busy_until = time.monotonic() + self.SETTLE_MS / 1000
        self._pump_curve()

    # -- outcomes ----------------------------------------------------------------------------

    def _on_finished(self, job: Ticket, _current: bool = True) -> None:
        if self._closed:
            return
        try:
            if job.generation != self._generation or job.stopped:
                return  # an image that is no longer open, or a point stopped for the preview (done again later)
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
