"""Perceived quality of the result on show: its SSIMULACRA2 for the stats and, when the compare
view's difference map is on, the map. Both are computed on a pool thread, never on the GUI thread.

`measure_quality` is the compute step, a plain function: the result's pixels (a PNG of a full-size
result decodes to exactly `q.to_array()`; a fitted file, possibly JPEG or smaller, is decoded and
scaled back up by `core.quality.decoded_at`, the rule the CLI's `--json` uses) scored against the
original. `PerceivedQuality` schedules it in the scheduler's "quality" lane, latest result wins, and only while the
preview worker computes nothing; a score still running when K, dithering or the image changes stops at its next
checkpoint (`core.cancel`; the score's strips and tiles, tens of ms apart at 9 MP), so a score never delays a
preview. Until 2026-12-03 it ran on: a 9 MP score takes about a second of one core, and the next final preview
shared the two cores with it. Results are cached per result.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject

from ..core import Quantized
from ..core.metrics import ssimulacra2, ssimulacra2_sampled
from ..core.quality import decoded_at, diff_map_rgb
from .render import ImagePyramid, pyramid_from_pixels
from .scheduler import Scheduler, Ticket

if TYPE_CHECKING:
    from .compute import LoadedImage, Preview
    from .session import Session
    from .widgets.compare_view import CompareView
    from .widgets.stats_panel import StatsPanel

log = logging.getLogger("kmeans_desktop.gui.quality")

CACHE_RESULTS = 8  # each holds its result (9 MB of indices at 9 MP)


@dataclass(frozen=True, eq=False)
class QualityResult:
    image_id: int
    quantized: Quantized  # which result (identity)
    score: float | None
    sampled: bool
    diff: ImagePyramid | None
    seconds: float


def measure_quality(image_id: int, reference: np.ndarray, q: Quantized, data: bytes | None,
                    score: bool, with_map: bool) -> QualityResult:
    """SSIMULACRA2 of the result against the original (if `score`) and the difference map (if
    `with_map`); `data` is the file when it isn't a full-size PNG of `q` (a fitted result)."""
    t0 = time.perf_counter()
    out = decoded_at(reference, data) if data is not None else q.to_array()
    if out.ndim == 2:
        out = np.repeat(out[:, :, None], 3, axis=2)
    value = ssimulacra2(reference, out) if score else None
    diff = pyramid_from_pixels(diff_map_rgb(reference, out)) if with_map else None
    return QualityResult(image_id, q, value, ssimulacra2_sampled(*reference.shape[:2]), diff,
                         time.perf_counter() - t0)


class PerceivedQuality(QObject):
    """Keeps the stats' SSIMULACRA2 and the compare view's difference map in step with the
    session's result. Use from the GUI thread only.

    It follows `session` (imageChanged, resultChanged); `preview_busy` says whether the preview
    still computes, and `idle` (a signal) says when it stopped."""

    def __init__(self, session: Session, compare_view: CompareView, stats: StatsPanel, scheduler: Scheduler,
                 preview_busy: Callable[[], bool], idle, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.compare_view = compare_view
        self.stats = stats
        self.preview_busy = preview_busy
        self._lane = scheduler.add_lane("quality", self._on_finished, cancellable=True)
        self._closed = False
        self._generation = 0
        self._image: LoadedImage | None = None
        self._target: tuple[Quantized, bytes | None] | None = None
        self._scores: OrderedDict[int, QualityResult] = OrderedDict()  # id(quantized) -> with score
        self._maps: OrderedDict[int, QualityResult] = OrderedDict()  # id(quantized) -> with map
        self.started = 0
        compare_view.diffMapToggled.connect(lambda _on: self._pump())
        idle.connect(self._pump)
        session.imageChanged.connect(self._on_image)
        session.resultChanged.connect(self._on_result)
        session.targetMoved.connect(self._lane.interrupt)  # another result is wanted: stop measuring this one

    # -- what the session tells us -------------------------------------------------------------

    def _on_image(self, image: LoadedImage | None) -> None:
        self._generation += 1
        self._lane.interrupt()
        self._image = image
        self._target = None
        self._scores.clear()
        self._maps.clear()
        self.compare_view.set_diff_map(None)

    def _on_result(self, result: Preview | None) -> None:
        if result is None:
            return
        if result.fit is not None:  # a fitted file (any format, maybe smaller than the original)
            self._show(result.quantized, result.fit.fitted.data, True)
        else:
            self._show(result.quantized, None, result.final)

    def shutdown(self) -> None:
        self._closed = True
        self._generation += 1

    def result_for(self, q: Quantized) -> QualityResult | None:
        return self._scores.get(id(q))

    # -- scheduling ----------------------------------------------------------------------------

    def _show(self, q: Quantized, data: bytes | None, final: bool) -> None:
        if not final:
            self._target = None
            self.stats.set_quality_pending("after the full result")
            self.compare_view.set_diff_map(None)
            return
        self._target = (q, data)
        known = self._scores.get(id(q))
        if known is not None and known.quantized is q:
            self.stats.set_quality(known.score, known.sampled)
        else:
            self.stats.set_quality_pending("measuring…")
        shown = self._maps.get(id(q))
        self.compare_view.set_diff_map(shown.diff if shown is not None and shown.quantized is q else None)
        self._pump()

    def _needs(self) -> tuple[bool, bool]:
        if self._target is None:
            return False, False
        q = self._target[0]
        score = id(q) not in self._scores or self._scores[id(q)].quantized is not q
        with_map = self.compare_view.diff_map_on() and (
            id(q) not in self._maps or self._maps[id(q)].quantized is not q)
        return score, with_map

    def _pump(self) -> None:
        if self._closed or self._lane.running is not None or self._image is None:
            return
        score, with_map = self._needs()
        if not (score or with_map):
            return
        if self.preview_busy():
            return  # the idle signal brings us back
        q, data = self._target
        self.started += 1
        self._lane.start(measure_quality, self._image.image_id, self._image.source.pixels, q, data, score, with_map,
                         generation=self._generation, tag=q)

    def _on_finished(self, job: Ticket, _current: bool) -> None:
        if self._closed:
            return
        try:
            if job.generation != self._generation or job.stopped:  # (stopped: measured again when wanted)
                return
            if job.error is not None:
                log.error("measuring quality failed:\n%s", job.trace)
                self.stats.set_quality_pending("could not be measured")
                self._target = None
                return
            r: QualityResult = job.result
            key = id(r.quantized)
            if r.score is not None:
                self._scores[key] = r
                while len(self._scores) > CACHE_RESULTS:
                    self._scores.popitem(last=False)
            if r.diff is not None:
                self._maps[key] = r
                while len(self._maps) > 2:  # maps are image-sized: keep few
                    self._maps.popitem(last=False)
            if self._target is not None and self._target[0] is r.quantized:
                if r.score is not None:
                    self.stats.set_quality(r.score, r.sampled)
                if r.diff is not None:
                    self.compare_view.set_diff_map(r.diff)
        finally:
            self._pump()
