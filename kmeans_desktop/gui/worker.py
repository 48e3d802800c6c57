"""Background work for the window: loading, quantizing and encoding, off the GUI thread.

The compute steps are plain functions of plain arguments (`load_source`, `compute_preview`, `encode_result`, in
`compute`). `PreviewWorker` runs them in lanes of the window's `scheduler.Scheduler` (load, quick, full, encode; it
decides what a free lane runs next by pulling from its one target), each with at most one job running:

* **Latest request wins.** Every `request(k, dither)` bumps a generation id and becomes the one target. A job for
  another key is *cancelled*: quantize stops at its next checkpoint (`core.cancel`; 9 MP: 34-36 ms CPU apart at
  most when plain, 0.3-0.5 s dithered, benchmarks/bench_checkpoints.py) and the job is dropped (not cached, shown
  nor reported as a failure); the lane's next job starts for the target then. The full job is cancelled at once,
  on every change, debounced or not (`target_moved`); the quick one on a settled request (a drag's quick previews
  finish: each is worth showing). A result that ends is cached, shown if still current.
* **Quick previews.** For large images a strided sample of about half a megapixel is quantized in the quick lane
  and shown scaled up. While the slider moves (`settled=False`) only quick previews start, so the full lane is
  free the moment it stops; then the full result is computed, beside a quick preview with four cores or more,
  else straight away unless full results on this image are so slow that a quick one first is worth its delay.
  A late quick preview is still shown if nothing newer is on screen; `final` results only if still current.
* **Cache** per (K, dither) for the current image (LRU, bounded in bytes, `result_cache`).
* **Encoding** (the exact bytes Save writes): large images in the helper process (the PNG encoder keeps the GIL,
  see `helper`), asked for the moment a final result's picture is built (`compute.start_early_bytes`); the encode
  lane waits for them once it is shown. Small ones after it is shown, when no quantizing waits. A save's is served
  first. Above `ESTIMATE_ABOVE` pixels an estimate from a sample of rows (`estimateAvailable`, a tenth of the
  time) comes first. Background work waits for both (`encoding`, `computeIdle`).

Standing alone (tests), the worker makes its own scheduler and helper. `shutdown` stops all scheduling and waits
for running jobs with a bound.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ..core import KMeansDesktopError, Quantized
from ..core.encoding import DEFAULT_EFFORT, check_effort
from .compute import (ESTIMATE_ABOVE, PROXY_ABOVE, PROXY_PIXELS, Encoded, Key, LoadedImage, Preview, SaveWait,
                      compute_preview, encode_job, encode_result, estimate_job, load_failure_message, load_source,
                      start_early_bytes)
from .helper import OUT_OF_PROCESS_ABOVE, PRIORITY_PREVIEW, PRIORITY_SAVE, HelperProcess
from .quick_policy import OVERLAP, QUICK_SKIP_ABOVE, quick_helps
from .result_cache import ResultCache
from .scheduler import Scheduler, Ticket, wait_for_pool

log = logging.getLogger("kmeans_desktop.gui.worker")

#: Memory the result cache may use (quantized indices plus images ready to paint).
CACHE_BYTES = 768 * 1024 * 1024

#: Names other modules and tests import from here (the compute steps live in `compute`).
__all__ = [
    "CACHE_BYTES", "PROXY_ABOVE", "PROXY_PIXELS", "Encoded", "Key", "LoadedImage", "Preview", "PreviewWorker",
    "compute_preview", "encode_result", "load_source", "wait_for_pool",
]


# --------------------------------------------------------------------------------------------
# The scheduler (GUI thread only)


class PreviewWorker(QObject):
    """Schedules loading, quantizing and encoding for one window. Use from the GUI thread only."""

    imageLoaded = Signal(object)  # LoadedImage
    loadFailed = Signal(str)  # a plain sentence for the user
    previewAvailable = Signal(object)  # Preview to show: quick ones, then the final one
    encodedAvailable = Signal(object)  # Encoded (PNG) for a result of the current image
    estimateAvailable = Signal(object)  # compute.SizeEstimate of a large result, before its exact bytes
    computeFailed = Signal(str)  # a plain sentence for the user
    busyChanged = Signal(bool)
    #: Loading, quantizing and encoding have nothing left to do: background work of lower
    #: priority (the K curve, the quality score) may start now.
    computeIdle = Signal()

    LANES = ("load", "quick", "full", "encode")

    def __init__(self, parent: QObject | None = None, scheduler: Scheduler | None = None,
                 helper: HelperProcess | None = None):
        super().__init__(parent)
        self.scheduler = scheduler if scheduler is not None else Scheduler(self)
        self.pool = self.scheduler.pool
        self._lanes = {name: self.scheduler.add_lane(name, self._on_finished, cancellable=name in ("quick", "full"))
                       for name in self.LANES}  # (cancellable: quantize stops at a checkpoint, `core.cancel`)
        self._own_helper = helper is None
        self.helper = helper if helper is not None else HelperProcess()
        self.proxy_above = PROXY_ABOVE
        self.proxy_pixels = PROXY_PIXELS
        #: Compute the full result beside its quick preview (True), or after it. With two cores
        #: the two only slow each other down (the final arrives no sooner, the quick one later).
        self.overlap = OVERLAP
        #: Settled requests skip the quick preview when full results of this image take less than
        #: this many seconds (see `quick_policy`); while dragging, quick previews always come first.
        self.quick_skip_above = QUICK_SKIP_ABOVE
        self._full_seconds: float | None = None  # the last full result's quantize time
        self._quick_seconds: float | None = None  # the last quick preview's
        self._closed = False
        self._busy = False
        self._next_image_id = 1
        self._load_generation = 0
        self._pending_load: tuple | None = None
        self._image: LoadedImage | None = None
        self._generation = 0
        self._target: Key | None = None
        self.locked: tuple = ()  # colours kept exactly in every palette (set_locked)
        self._settled = True
        self._moving = False  # the target moved since it was asked for (`target_moved`): a request follows
        self._shown_generation = -1  # the generation whose final result has been emitted
        self._displayed_generation = -1  # the generation of whatever result was emitted last
        self._failed_generation = -1
        self._cache = ResultCache(CACHE_BYTES)
        self._quick = ResultCache(CACHE_BYTES // 8)
        self._save_waits: list[SaveWait] = []
        self._encode_failed: Quantized | None = None  # the last result whose encode failed
        self._estimated: Quantized | None = None  # the last result whose size was estimated
        self.effort = DEFAULT_EFFORT  # PNG packing effort of every encode (set_effort changes it)
        if self._own_helper:
            self.destroyed.connect(self.helper.close)
        #: How many jobs each kind has started (tests and benchmarks read these).
        self.started = {"load": 0, "quick": 0, "compute": 0, "encode": 0}

    # -- requests ----------------------------------------------------------------------------

    def set_effort(self, effort: int) -> None:
        """Pack PNGs at `effort` from now on: the bytes made at another effort are dropped (the
        colours stay), and the result on show is encoded again, so Save writes what is shown."""
        effort = check_effort(effort)
        if effort == self.effort:
            return
        self.effort = effort
        self._cache.drop_encoded()
        self._quick.drop_encoded()
        self._pump_encode()

    @property
    def image(self) -> LoadedImage | None:
        return self._image

    @property
    def busy(self) -> bool:
        return self._busy

    def load(self, source: str | Path | bytes | QImage, name: str | None = None) -> None:
        """Open an image; `imageLoaded` or `loadFailed` follows. Only the newest load counts."""
        if self._closed:
            return
        self._load_generation += 1
        self._pending_load = (self._load_generation, source, name)
        self._pump_load()
        self._update_busy()

    def request(self, k: int, dither: bool, settled: bool = True) -> None:
        """Make (K, dither) the one wanted result for the current image. `settled=False`: the slider
        still moves, only a quick preview starts (for images that have one); a settled request follows."""
        if self._closed:
            return
        self._generation += 1
        self._target = key = (int(k), float(dither))  # dither: strength 0..1 (False = 0, True = 1)
        self._settled = bool(settled)
        self._moving = False
        for lane in ("full", "quick") if settled else ("full",):  # stale work stops (a drag's quick previews finish)
            self._lanes[lane].interrupt(unless=(key, self.locked))
        if self._image is not None and key not in self._cache:
            quick = self._quick.get(key)
            if quick is not None:  # shown at once while the final result is computed
                self._emit(quick.preview, self._generation)
        self._pump()
        self._pump_encode()
        self._update_busy()

    def target_moved(self, k: int, dither: float) -> None:
        """The wanted (K, dither) is now this and a request follows (maybe after the debounce): a final result
        being computed for another key stops now (at its next checkpoint), and no new job starts until then."""
        key = (int(k), float(dither))
        if not self._closed and key != self._target:
            self._moving = True
            self._lanes["full"].interrupt(unless=(key, self.locked))

    def request_bytes(self, preview: Preview, fmt: str,
                      callback: Callable[[Encoded | None, str | None], None]) -> None:
        """Call back with the file bytes of `preview` in `fmt` (from the cache, or encoded first)."""
        if self._closed:
            return
        encoded = self.cached_bytes(preview, fmt)
        if encoded is not None:
            callback(encoded, None)
            return
        icc = self._image.source.icc_profile if self._image and self._image.image_id == preview.image_id else None
        self._save_waits.append(SaveWait(preview.image_id, preview.quantized, fmt, icc, callback, preview.early))
        self._pump_encode()
        self._update_busy()

    def cached_bytes(self, preview: Preview, fmt: str = "png") -> Encoded | None:
        if self._image is None or preview.image_id != self._image.image_id:
            return None
        entry = self._cache.get(preview.key)
        if entry is None or entry.preview.quantized is not preview.quantized:
            return None
        return entry.encoded.get(fmt)

    def set_locked(self, locked: tuple) -> None:
        """Colours to keep exactly in every palette; results made with others are dropped."""
        if tuple(locked) != self.locked:
            self.locked = tuple(locked)
            self.clear_cache()
            self._generation += 1

    def _lock_args(self, key: Key | None = None) -> tuple:
        """compute_preview's `locked`, only when there are locked colours (tests wrap it with four
        arguments), and for a final result (`key`) of a large image `early`, which starts its packing."""
        image, effort = self._image, self.effort
        if key is None or image is None or image.source.width * image.source.height <= OUT_OF_PROCESS_ABOVE:
            return (self.locked,) if self.locked else ()
        wanted = lambda: not self._closed and self._image is image and self._target == key and self.effort == effort  # noqa: E731
        return self.locked, partial(start_early_bytes, self.helper, image.image_id, image.source.icc_profile, effort, wanted)

    def clear_cache(self) -> None:
        """Forget every result (benchmarks use it to measure cold requests)."""
        self._cache.clear()
        self._quick.clear()
        self._shown_generation = -1

    def is_idle(self) -> bool:
        return self._pending_load is None and all(lane.running is None for lane in self._lanes.values())

    def _running(self, lane: str) -> bool:
        return self._lanes[lane].running is not None

    def is_computing(self) -> bool:
        """Whether loading or quantizing runs or waits (encoding doesn't count: it runs in its own
        process and never holds the preview back)."""
        if self._closed:
            return False
        if self._pending_load is not None or any(self._running(lane) for lane in ("load", "quick", "full")):
            return True
        return (self._image is not None and self._target is not None and self._target not in self._cache
                and self._failed_generation != self._generation)

    def encoding(self) -> bool:
        """Whether exact bytes are being packed or are still to pack (the result on show's, or a
        save's): background work waits for them, so the byte count the user waits for comes first."""
        if self._closed:
            return False
        if self._running("encode") or self._save_waits:
            return True
        entry = self._cache.get(self._target) if self._image is not None and self._target is not None else None
        return (entry is not None and "png" not in entry.encoded and self._shown_generation == self._generation
                and entry.preview.quantized is not self._encode_failed)

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop scheduling and wait up to `timeout_ms` for running jobs; True if none is left."""
        self._closed = True
        self._generation += 1
        self._load_generation += 1
        self._target = None
        self._pending_load = None
        self._save_waits.clear()
        self._cache.clear()
        self._quick.clear()
        self.scheduler.close(self.LANES)
        if self._own_helper:
            self.helper.close()  # a running encode ends now instead of in seconds
        done = wait_for_pool(self.pool, timeout_ms)
        self._update_busy()
        return done

    # -- scheduling --------------------------------------------------------------------------

    def _start(self, lane: str, generation: int, fn: Callable, *args, tag=None) -> None:
        self._lanes[lane].start(fn, *args, generation=generation, tag=tag)

    def _emit(self, preview: Preview, generation: int) -> None:
        self._displayed_generation = generation
        if preview.final:
            self._shown_generation = generation
        self.previewAvailable.emit(preview)

    def _pump_load(self) -> None:
        if self._closed or self._running("load") or self._pending_load is None:
            return
        generation, source, name = self._pending_load
        self._pending_load = None
        image_id = self._next_image_id
        self._next_image_id += 1
        self.started["load"] += 1
        self._start("load", generation, load_source, source, name, image_id, self.proxy_above, self.proxy_pixels)

    def _pump(self) -> None:
        """Start the quick and full jobs the current target still needs, or show it from the cache."""
        if self._closed or self._image is None or self._target is None or self._moving:
            return
        key = self._target
        entry = self._cache.get(key)
        if entry is not None:
            if self._shown_generation != self._generation:
                self._emit(entry.preview, self._generation)
            return
        if self._failed_generation == self._generation:
            return
        image = self._image
        helps = quick_helps(self.overlap, image.source.width * image.source.height, self._full_seconds,
                            self._quick_seconds, self.quick_skip_above)
        quick_needed = image.proxy is not None and key not in self._quick and (not self._settled or helps)
        if quick_needed and not self._running("quick"):
            self.started["quick"] += 1
            self._start("quick", self._generation, compute_preview, image, key[0], key[1], False, *self._lock_args(),
                        tag=(key, self.locked))
        if (not self._running("full") and (self._settled or image.proxy is None)
                and (self.overlap or not quick_needed)):
            self.started["compute"] += 1
            self._start("full", self._generation, compute_preview, image, key[0], key[1], True, *self._lock_args(key),
                        tag=(key, self.locked))

    def _pump_encode(self) -> None:
        """Encode what a save waits for; else, when quantizing is idle, the result on show."""
        if self._closed or self._running("encode"):
            return
        if self._save_waits:
            w = self._save_waits[0]
            self.started["encode"] += 1
            self._start("encode", self._generation, *encode_job(w.image_id, w.quantized, w.fmt, w.icc_profile,
                        self.helper, PRIORITY_SAVE, self.effort, w.early), tag=w.quantized)
            return
        if self._image is None or self._target is None:
            return
        entry = self._cache.get(self._target)
        if entry is None or "png" in entry.encoded or self._shown_generation != self._generation:
            return
        q, image_id, icc, early = entry.preview.quantized, self._image.image_id, self._image.source.icc_profile, \
            entry.preview.early
        if (early is None or early.effort != self.effort) and (self._running("full") or self._running("quick")):
            return  # (bytes asked early are being packed in the helper already: no reason to wait)
        self.started["encode"] += 1
        if q.width * q.height > ESTIMATE_ABOVE and self._estimated is not q:  # an estimate first
            self._estimated = q
            self._start("encode", self._generation, *estimate_job(image_id, q, icc, self.helper, self.effort, early),
                        tag=("estimate", q))
            return
        self._start("encode", self._generation, *encode_job(image_id, q, "png", icc, self.helper, PRIORITY_PREVIEW,
                                                            self.effort, early), tag=q)

    def _update_busy(self) -> None:
        busy = not self.is_idle()
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    # -- outcomes ----------------------------------------------------------------------------

    def _on_finished(self, job: Ticket, _current: bool = True) -> None:
        if self._closed:
            self._update_busy()
            return
        try:
            if job.lane == "load":
                self._finish_load(job)
            elif job.lane in ("quick", "full"):
                self._finish_compute(job)
            elif isinstance(job.tag, tuple):  # an estimate (a failed one is dropped: the exact follows)
                if job.error is None and job.result.effort == self.effort and self._image is not None:
                    self.estimateAvailable.emit(job.result)  # the window checks it is for the result shown
            else:
                self._finish_encode(job)
        finally:
            self._pump_load()
            self._pump()
            self._pump_encode()
            self._update_busy()
            if not self.is_computing() and not self.encoding():
                self.computeIdle.emit()

    def _finish_load(self, job: Ticket) -> None:
        if job.generation != self._load_generation or self._pending_load is not None:
            return  # a newer load was asked for: this one no longer matters
        if job.error is not None:
            self.loadFailed.emit(load_failure_message(job.error, job.trace))
            return
        image: LoadedImage = job.result
        self._image = image
        self._cache.clear()
        self._quick.clear()
        self._generation += 1
        self._target = None
        self._failed_generation = -1
        self._full_seconds = self._quick_seconds = None
        self.helper.set_image(image.image_id, image.source, image.histogram)
        self.imageLoaded.emit(image)

    def _finish_compute(self, job: Ticket) -> None:
        if job.stopped:  # cancelled, it stopped at a checkpoint: no result and no failure (its lane is free)
            return
        if job.error is not None:
            log.error("quantizing failed:\n%s", job.trace)
            if job.generation == self._generation and self._failed_generation != self._generation:
                self._failed_generation = self._generation
                exc = job.error
                why = "not enough memory" if isinstance(exc, MemoryError) else (str(exc) or type(exc).__name__)
                self.computeFailed.emit(f"The preview could not be computed ({why}).")
            return
        preview: Preview = job.result
        if self._image is None or preview.image_id != self._image.image_id or job.tag[1] != self.locked:
            return  # an image that is no longer open, or colours locked since
        (self._cache if preview.final else self._quick).put(preview)
        if preview.final:
            self._full_seconds = preview.seconds
            if job.generation == self._generation:
                self._emit(preview, job.generation)
            # else stale: kept in the cache, not shown
            return
        self._quick_seconds = preview.seconds
        if self._shown_generation != self._generation and job.generation >= self._displayed_generation:
            self._emit(preview, job.generation)  # nothing newer on screen: better than nothing

    def _finish_encode(self, job: Ticket) -> None:
        quantized: Quantized = job.tag
        waits = [w for w in self._save_waits if w.quantized is quantized]
        if job.error is not None:
            log.error("encoding failed:\n%s", job.trace)
            self._encode_failed = quantized
            exc = job.error
            message = str(exc) if isinstance(exc, KMeansDesktopError) else (
                f"The file could not be encoded ({exc or type(exc).__name__}).")
            for w in waits:
                self._save_waits.remove(w)
                w.callback(None, message)
            return
        encoded: Encoded = job.result
        if encoded.effort != self.effort:  # the effort changed meanwhile: these bytes are not what Save writes
            self._pump_encode()
            return
        if self._image is not None and encoded.image_id == self._image.image_id:
            entry = self._cache.get(encoded.key)
            if entry is not None and entry.preview.quantized is quantized:
                entry.encoded[encoded.fmt] = encoded
                self._cache.trim()
                if encoded.fmt == "png":
                    self.encodedAvailable.emit(encoded)
        for w in waits:
            if w.fmt == encoded.fmt:
                self._save_waits.remove(w)
                w.callback(encoded, None)
