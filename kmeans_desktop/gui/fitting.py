"""Meeting pixel and size requirements in the background: `core.budget.fit` off the GUI thread.

`FitWorker` runs one fit at a time on Qt's global pool, the latest request winning the same way
as the preview (`worker.PreviewWorker`): every `request` bumps a generation id and replaces the
one waiting request; a finished fit is cached, and shown only if its generation is still
current. A fit encodes many candidates and pyoxipng keeps the GIL during each, so for images
above `encoder.OUT_OF_PROCESS_ABOVE` pixels the fit itself runs in a helper process (the pool
thread just waits for it, without the GIL); `shutdown` kills that process, so closing the
window never waits for a running fit.

The window shows `FitResult.fitted.data` and Save writes exactly those bytes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, QSize, QThreadPool, Signal

from ..core import KMeansDesktopError, load_image
from ..core.budget import Fitted, Requirements, fit
from .encoder import OUT_OF_PROCESS_ABOVE, EncoderProcess
from .jobs import Job, Relay, ensure_threads
from .render import ImagePyramid, pyramid_from_indexed, pyramid_from_pixels
from .worker import LoadedImage

log = logging.getLogger("kmeans_desktop.gui.fitting")

CACHE_ENTRIES = 12


@dataclass(frozen=True, eq=False)
class FitResult:
    """A fitted file for one image and one set of requirements, with its picture to paint
    (mapped onto the original's size, so the compare view stays aligned when it was shrunk)."""

    image_id: int
    requirements: Requirements
    fitted: Fitted
    pyramid: ImagePyramid
    seconds: float
    #: (format, its score, ours) when JPEG or lossless WebP looks clearly better under the limit
    suggestion: tuple[str, float, float] | None = None


def compute_fit(image: LoadedImage, req: Requirements, helper: EncoderProcess | None) -> FitResult:
    """Fit `req` on the image (in the helper process for large images) and build the picture."""
    t0 = time.perf_counter()
    src = image.source
    if helper is not None and src.width * src.height > OUT_OF_PROCESS_ABOVE:
        fitted = helper.fit(src, req, image.histogram)
    else:
        fitted = fit(src, req, histogram=image.histogram)
    q = fitted.quantized
    size = QSize(src.width, src.height)
    if fitted.format == "jpeg":  # show what the JPEG encoder made of the palette image
        pyramid = pyramid_from_pixels(load_image(fitted.data, name=src.name).pixels, size)
    else:
        pyramid = pyramid_from_indexed(q.indices, q.palette, size)
    suggestion = _better_format(image, req, fitted, helper)
    return FitResult(image.image_id, req, fitted, pyramid, time.perf_counter() - t0, suggestion)


#: Another format is suggested when it scores at least this much higher under the same limit.
CLEARLY_BETTER = 5.0


def _better_format(image: LoadedImage, req: Requirements, fitted: Fitted,
                   helper: EncoderProcess | None) -> tuple[str, float, float] | None:
    """With a byte budget on a palette format, fit JPEG and lossless WebP under the same
    requirements too; the clearly better-looking one (≥ CLEARLY_BETTER points), if any."""
    if req.max_bytes is None or fitted.score is None or req.format not in ("png", "gif"):
        return None
    src = image.source
    best = None
    for fmt in ("jpeg", "webp"):
        other = replace(req, format=fmt)
        try:
            if helper is not None and src.width * src.height > OUT_OF_PROCESS_ABOVE:
                alt = helper.fit(src, other, image.histogram)
            else:
                alt = fit(src, other, histogram=image.histogram)
        except KMeansDesktopError:
            continue
        if alt.score is not None and alt.score >= fitted.score + CLEARLY_BETTER and (best is None or alt.score > best[1]):
            best = (fmt, alt.score, fitted.score)
    return best


def _run_fit(done: threading.Event, *args) -> FitResult:
    """`compute_fit`, saying when it has ended (`shutdown` waits for this fit only, not the pool)."""
    try:
        return compute_fit(*args)
    finally:
        done.set()


class FitWorker(QObject):
    """Schedules fits for one window. Use from the GUI thread only."""

    fitReady = Signal(object)  # FitResult for the current request
    fitFailed = Signal(str)  # a plain sentence (a BudgetError's says what would fit)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool.globalInstance()
        ensure_threads(self.pool, 4 + 3 + 1)  # the preview's lanes, the analysis' and this one
        self._relay = Relay()  # parentless on purpose: see jobs
        self._relay.finished.connect(self._on_finished)
        self._helper = EncoderProcess()
        self.destroyed.connect(self._helper.close)
        self._job: Job | None = None
        self._job_done = threading.Event()
        self._image: LoadedImage | None = None
        self._target: Requirements | None = None
        self._generation = 0
        self._done_generation = -1  # the generation whose outcome was emitted
        self._cache: OrderedDict[Requirements, FitResult] = OrderedDict()
        self._failures: dict[Requirements, str] = {}  # for the current image
        self._closed = False
        self._busy = False
        self.started = 0  # fits started (tests read it)

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def generation(self) -> int:
        return self._generation

    def set_image(self, image: LoadedImage | None) -> None:
        if image is not self._image:
            self._image = image
            self._cache.clear()
            self._failures.clear()
            self._target = None
            self._generation += 1

    def request(self, req: Requirements) -> None:
        """Make `req` the one wanted fit for the current image; `fitReady` or `fitFailed` follows."""
        if self._closed or self._image is None:
            return
        self._generation += 1
        self._target = req
        self._pump()
        self._update_busy()

    def cancel(self) -> None:
        """No fit is wanted any more (requirements switched off): a running one is dropped."""
        self._generation += 1
        self._target = None
        self._update_busy()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        self._closed = True
        self._generation += 1
        self._target = None
        self._cache.clear()
        self._helper.close()  # a running fit in the helper ends now
        if self._job is not None and self.pool.tryTake(self._job):
            self._job = None  # it had not started
        done = self._job_done.wait(timeout_ms / 1000) if self._job is not None else True
        if done:
            self._job = None  # it ended; its outcome, still queued, is ignored
        self._update_busy()
        return done

    # -- internal -----------------------------------------------------------------------------

    def _pump(self) -> None:
        if self._closed or self._image is None or self._target is None:
            return
        if self._done_generation == self._generation:
            return
        cached = self._cache.get(self._target)
        if cached is not None:
            self._cache.move_to_end(self._target)
            self._done_generation = self._generation
            self.fitReady.emit(cached)
            return
        failure = self._failures.get(self._target)
        if failure is not None:
            self._done_generation = self._generation
            self.fitFailed.emit(failure)
            return
        if self._job is not None:
            return  # one at a time: the target starts when the running fit ends
        self.started += 1
        self._job_done = threading.Event()
        self._job = Job(self._relay, "fit", self._generation, _run_fit, self._job_done, self._image, self._target,
                        self._helper, tag=(self._image.image_id, self._target))
        self.pool.start(self._job)

    def _on_finished(self, job: Job) -> None:
        if job is self._job:
            self._job = None
        try:
            if self._closed:
                return
            image_id, req = job.tag
            current = self._image is not None and self._image.image_id == image_id
            if job.error is None:
                if current:
                    self._cache[req] = job.result
                    while len(self._cache) > CACHE_ENTRIES:
                        self._cache.popitem(last=False)
                if current and job.generation == self._generation:
                    self._done_generation = self._generation
                    self.fitReady.emit(job.result)
            elif current:
                message = self._message(job)
                if isinstance(job.error, KMeansDesktopError):  # the same requirements fail again
                    self._failures[req] = message
                if job.generation == self._generation:
                    self._done_generation = self._generation
                    self.fitFailed.emit(message)
        finally:
            self._pump()
            self._update_busy()

    @staticmethod
    def _message(job: Job) -> str:
        exc = job.error
        if isinstance(exc, KMeansDesktopError):
            return str(exc)
        log.error("fitting the requirements failed:\n%s", job.trace)
        why = "not enough memory" if isinstance(exc, MemoryError) else (str(exc) or type(exc).__name__)
        return f"The requirements could not be met ({why})."

    def _update_busy(self) -> None:
        busy = self._job is not None or (self._target is not None and self._done_generation != self._generation
                                         and not self._closed)
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)


__all__ = ["FitResult", "FitWorker", "compute_fit"]
