"""Meeting pixel and size requirements in the background: `core.budget.fit` off the GUI thread.

`FitWorker` runs one fit at a time in the scheduler's "fit" lane, the latest request winning:
every `request` bumps a generation id, replaces the one waiting request and cancels the running
fit; a finished fit is cached, and shown only if its generation is still current. A fit encodes
many candidates and pyoxipng keeps the GIL during each, so for images above
`helper.OUT_OF_PROCESS_ABOVE` pixels the fit itself runs in the window's helper process, which
has the image already: only the `Requirements` cross. Cancelling kills a running fit there, and
`shutdown` too, so closing the window never waits for a running fit.

The window shows `FitResult.fitted.data` and Save writes exactly those bytes.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, QSize, Signal

from ..core import KMeansDesktopError, load_image
from ..core.budget import Fitted, Requirements, fit
from .compute import LoadedImage
from .helper import OUT_OF_PROCESS_ABOVE, HelperProcess
from .render import ImagePyramid, pyramid_from_indexed, pyramid_from_pixels
from .scheduler import Scheduler, Ticket

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


def compute_fit(image: LoadedImage, req: Requirements, helper: HelperProcess | None,
                owner: object = None) -> FitResult:
    """Fit `req` on the image (in the helper process for large images, which has the image
    already: only `req` crosses) and build the picture."""
    t0 = time.perf_counter()
    src = image.source
    fitted = _fit(image, req, helper, owner)
    q = fitted.quantized
    size = QSize(src.width, src.height)
    if fitted.format == "jpeg":  # show what the JPEG encoder made of the palette image
        pyramid = pyramid_from_pixels(load_image(fitted.data, name=src.name).pixels, size)
    else:
        pyramid = pyramid_from_indexed(q.indices, q.palette, size)
    suggestion = _better_format(image, req, fitted, helper, owner)
    return FitResult(image.image_id, req, fitted, pyramid, time.perf_counter() - t0, suggestion)


def _fit(image: LoadedImage, req: Requirements, helper: HelperProcess | None, owner: object) -> Fitted:
    src = image.source
    if helper is not None and src.width * src.height > OUT_OF_PROCESS_ABOVE:
        return helper.fit(image.image_id, req, owner=owner)
    return fit(src, req, histogram=image.histogram)


#: Another format is suggested when it scores at least this much higher under the same limit.
CLEARLY_BETTER = 5.0


def _better_format(image: LoadedImage, req: Requirements, fitted: Fitted,
                   helper: HelperProcess | None, owner: object = None) -> tuple[str, float, float] | None:
    """With a byte budget on a palette format, fit JPEG and lossless WebP under the same
    requirements too; the clearly better-looking one (≥ CLEARLY_BETTER points), if any."""
    if req.max_bytes is None or fitted.score is None or req.format not in ("png", "gif"):
        return None
    best = None
    for fmt in ("jpeg", "webp"):
        other = replace(req, format=fmt)
        try:
            alt = _fit(image, other, helper, owner)
        except KMeansDesktopError:
            continue
        if alt.score is not None and alt.score >= fitted.score + CLEARLY_BETTER and (best is None or alt.score > best[1]):
            best = (fmt, alt.score, fitted.score)
    return best


def _run_fit(ticket: Ticket, image: LoadedImage, req: Requirements, helper: HelperProcess | None) -> FitResult:
    """`compute_fit` in the fit lane; the ticket is the helper request's owner, so cancelling
    the ticket (a newer fit is wanted) ends the fit running in the helper at once."""
    return compute_fit(image, req, helper, owner=ticket)


class FitWorker(QObject):
    """Schedules fits for one window in the scheduler's "fit" lane. Use from the GUI thread only.

    Latest request wins with cancellation: a request for other requirements replaces the waiting
    one and cancels the running fit (which the helper process then stops at once); a finished
    fit is cached per requirements and shown only if it is still the one wanted."""

    fitReady = Signal(object)  # FitResult for the current request
    fitFailed = Signal(str)  # a plain sentence (a BudgetError's says what would fit)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, scheduler: Scheduler | None = None,
                 helper: HelperProcess | None = None):
        super().__init__(parent)
        self.scheduler = scheduler if scheduler is not None else Scheduler(self)
        self._lane = self.scheduler.add_lane("fit", self._on_finished, on_cancel=self._on_cancel, pass_ticket=True)
        self._own_helper = helper is None
        self._helper = helper if helper is not None else HelperProcess()
        if self._own_helper:
            self.destroyed.connect(self._helper.close)
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

    @property
    def helper(self) -> HelperProcess:
        return self._helper

    def set_image(self, image: LoadedImage | None) -> None:
        if image is not self._image:
            self._image = image
            self._cache.clear()
            self._failures.clear()
            self._target = None
            self._generation += 1
            self._lane.cancel()

    def request(self, req: Requirements) -> None:
        """Make `req` the one wanted fit for the current image; `fitReady` or `fitFailed` follows."""
        if self._closed or self._image is None:
            return
        self._generation += 1
        self._target = req
        self._pump()
        self._update_busy()

    def cancel(self) -> None:
        """No fit is wanted any more (requirements switched off): a running one is stopped."""
        self._generation += 1
        self._target = None
        self._lane.cancel()
        self._update_busy()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        self._closed = True
        self._generation += 1
        self._target = None
        self._cache.clear()
        running = self._lane.running
        self.scheduler.close(("fit",))
        self._helper.close()  # a running fit in the helper ends now
        done = running is None or running.done.wait(timeout_ms / 1000)
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
            self._lane.cancel()
            self.fitReady.emit(cached)
            return
        failure = self._failures.get(self._target)
        if failure is not None:
            self._done_generation = self._generation
            self._lane.cancel()
            self.fitFailed.emit(failure)
            return
        tag = (self._image.image_id, self._target)
        running, pending = self._lane.running, self._lane.pending
        if pending is None and running is not None and running.tag == tag and not running.cancelled:
            running.generation = self._generation  # the running fit is the one wanted
            return
        self.started += 1
        ticket = self._lane.submit(_run_fit, self._image, self._target, self._helper, tag=tag)
        if ticket is not None:
            ticket.generation = self._generation

    def _on_cancel(self, ticket: Ticket) -> None:
        self._helper.interrupt(ticket)

    def _on_finished(self, job: Ticket, _current: bool) -> None:
        try:
            if self._closed:
                return
            image_id, req = job.tag
            current = self._image is not None and self._image.image_id == image_id
            if job.cancelled and job.error is not None:
                return  # stopped on purpose (the helper was killed)
            if job.error is None:  # cached even when no longer wanted: it may be wanted again
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
    def _message(job: Ticket) -> str:
        exc = job.error
        if isinstance(exc, KMeansDesktopError):
            return str(exc)
        log.error("fitting the requirements failed:\n%s", job.trace)
        why = "not enough memory" if isinstance(exc, MemoryError) else (str(exc) or type(exc).__name__)
        return f"The requirements could not be met ({why})."

    def _update_busy(self) -> None:
        busy = not self._closed and (self._lane.busy or (self._target is not None
                                                         and self._done_generation != self._generation))
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)


__all__ = ["FitResult", "FitWorker", "compute_fit"]
