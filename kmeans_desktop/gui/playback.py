"""Playing k-means in the colour cloud: runs `core.playback`'s Lloyd iterations on a pool thread,
a few frames ahead, and shows one frame per tick of the speed control.

The GUI thread only draws: each frame arrives ready (every point's colour, the centres in sRGB,
and with "follow in preview" the picture the centres give), and a tick hands it to the views.
A run is one generator that a single job at a time advances (`_next_frames`); Reset or a new
start, seed, K, space or image makes a new run, and frames of an old run are dropped when they
arrive (each job carries its run's number). A run that reaches its end (converged, or stopped at
`MAX_ITERATIONS`) is scored: the SSIMULACRA2 of the picture its centres give (a 0.25 MP sample of
the image), and is added to the list of runs.

"Follow in preview" recolours a preview-size level of the image's pyramid (`follow_level`, about
0.6 MP, area-averaged like the original beside it), not the scoring sample: its distinct colours
are prepared once per image and space (`core.playback.picture_colours`), so each frame costs the
worker a small matrix product, a gather and Qt's colour-table expansion, and the GUI thread
only draws the picture.

`KMeansPlayer` takes narrow callbacks, never the window: `show_cloud(frame, trails)` /
`end_cloud()` for the colour cloud, `show_picture(pyramid | None, label)` for the preview; and
the window's `Scheduler`, in which it adds the "playback" lane.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QSize, QTimer, Signal
from PySide6.QtGui import QImage

from ..core import playback as pb
from ..core import ssimulacra2
from ..core.sampling import strided_sample
from .render import ImagePyramid, pyramid_from_indexed, pyramid_from_pixels

if TYPE_CHECKING:
    from .scheduler import Scheduler, Ticket

log = logging.getLogger("kmeans_desktop.gui.playback")

AHEAD = 6  # frames computed ahead of the one on show
TRAIL = 6  # centre positions kept behind each centroid
PICTURE_PIXELS = 250_000  # the image sample runs are scored on
FOLLOW_PIXELS = 600_000  # about the size of the pyramid level "follow in preview" recolours
PLAYBACK_LABEL = "playback — not the saved result"
DRAW_WAIT_S = 0.1  # the worker waits this long at most for a frame to be painted (docks hidden: never)


@dataclass(frozen=True, eq=False)
class ShownFrame:
    """A frame ready to draw."""

    run: int
    iteration: int
    error: float
    changes: int
    converged: bool
    ended: bool  # converged, or stopped at the iteration limit
    text: str
    labels: np.ndarray  # n int32
    point_rgba: np.ndarray  # n×4 float32: each point in its centre's colour
    centre_rgb: np.ndarray  # k×3 uint8 (rounded, for drawing)
    centre_srgb: np.ndarray  # k×3 float sRGB 0..255, unrounded
    counts: np.ndarray  # points per centre
    picture: ImagePyramid | None = None  # with "follow in preview"
    score: float | None = None  # SSIMULACRA2 of the run's picture, on its last frame


@dataclass
class RunSummary:
    number: int
    start: str
    seed: int
    space: str
    k: int
    iterations: int
    error: float
    converged: bool
    score: float | None = None


@dataclass
class _Run:
    """Worker-side state of one run; one job at a time advances it."""

    number: int
    colors: np.ndarray
    k: int
    start: str
    seed: int
    space: str
    picture_pixels: np.ndarray | None
    picture_size: QSize
    follow_source: QImage | np.ndarray | None = None  # what "follow in preview" recolours
    prepared: dict = field(default_factory=dict)  # space -> pb.PictureColours of follow_source (shared by runs)
    frames: object = None
    done: bool = False
    drawn: threading.Event = field(default_factory=threading.Event)  # the player's: set unless a frame is being drawn

    def wait_drawn(self) -> None:
        """Wait (at most `DRAW_WAIT_S`) while the GUI thread draws: numpy here holds the GIL and a core."""
        self.drawn.wait(DRAW_WAIT_S)


def _picture(run: _Run, centres: np.ndarray) -> np.ndarray:
    palette, indices = pb.recolour(run.picture_pixels, centres, run.space)
    return palette[indices]


def follow_level(pyramid: ImagePyramid) -> QImage:
    """The level of the image's pyramid that "follow in preview" recolours: the one nearest
    `FOLLOW_PIXELS` (a whole small image)."""
    return min(pyramid.levels, key=lambda level: abs(math.log(max(1, level.width() * level.height()) / FOLLOW_PIXELS)))


def _rgb_of(image: QImage) -> np.ndarray:
    """H×W×3 uint8 (straight, not premultiplied) of a QImage; a copy."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = rgba.width(), rgba.height()
    rows = np.frombuffer(rgba.constBits(), np.uint8, count=rgba.sizeInBytes()).reshape(h, rgba.bytesPerLine())
    return rows[:, :w * 4].reshape(h, w, 4)[..., :3].copy()


def _follow_picture(run: _Run, centres: np.ndarray) -> ImagePyramid:
    prepared = run.prepared.get(run.space)
    if prepared is None:  # once per image and space; later runs find it
        source = run.follow_source
        pixels = _rgb_of(source) if isinstance(source, QImage) else source
        prepared = run.prepared[run.space] = pb.picture_colours(pixels, run.space)
    palette, indices = pb.recolour_prepared(prepared, centres)
    if palette.shape[0] > 256:
        return pyramid_from_pixels(palette[indices], run.picture_size)
    return pyramid_from_indexed(indices, palette, run.picture_size)


def _next_frames(ticket, run: _Run, n: int, follow: bool) -> list[ShownFrame]:
    """Advance `run` by up to `n` frames (on a pool thread, in the scheduler's "playback" lane);
    stops early when the ticket is cancelled (Reset, a new run)."""
    if run.frames is None:
        x = pb.to_cluster_space(run.colors, run.space)
        run.frames = pb.lloyd_frames(x, pb.start_centres(x, run.k, run.start, run.seed), pause=run.wait_drawn)
    out = []
    for _ in range(n):
        if run.done or ticket.cancelled:
            break
        run.wait_drawn()
        frame = next(run.frames, None)
        if frame is None:
            run.done = True
            break
        ended = frame.converged or frame.iteration >= pb.MAX_ITERATIONS
        run.done = ended
        srgb = pb.from_cluster_space(frame.centres, run.space)
        rgb = np.clip(np.rint(srgb), 0, 255).astype(np.uint8)
        table = np.concatenate([rgb.astype(np.float32) / 255, np.ones((len(rgb), 1), np.float32)], axis=1)
        picture = score = None
        if follow and run.follow_source is not None:
            run.wait_drawn()
            picture = _follow_picture(run, frame.centres)
        if ended and run.picture_pixels is not None:
            run.wait_drawn()
            score = float(ssimulacra2(run.picture_pixels, _picture(run, frame.centres)))
        out.append(ShownFrame(run.number, frame.iteration, frame.error, frame.changes, frame.converged, ended,
                              pb.describe_end(frame), frame.labels, table[frame.labels], rgb, srgb,
                              np.bincount(frame.labels, minlength=frame.k), picture, score))
    return out


def picture_sample(pixels: np.ndarray) -> np.ndarray:
    """The image sample playback recolours: opaque RGB, at most `PICTURE_PIXELS`."""
    return np.ascontiguousarray(strided_sample(pixels, PICTURE_PIXELS)[..., :3])


class KMeansPlayer(QObject):
    """Plays k-means on the cloud's sample. GUI thread only."""

    #: A frame is on show (its iteration; 0 is the start).
    iterationShown = Signal(int)
    #: Whether it is playing changed.
    playingChanged = Signal(bool)
    #: What the controls should say and allow changed (reason the controls are disabled, or "").
    stateChanged = Signal(str)
    #: A run reached its end and was scored (the list of runs).
    runsChanged = Signal(list)
    #: One sentence on the run: the iteration, or how it ended.
    statusChanged = Signal(str)
    #: The errors of the run so far (one per frame shown).
    errorsChanged = Signal(list)

    MAX_RUNS = 8

    def __init__(self, show_cloud: Callable[[ShownFrame, list], None], end_cloud: Callable[[], None],
                 show_picture: Callable[[ImagePyramid | None, str], None], scheduler: Scheduler,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.show_cloud, self.end_cloud, self.show_picture = show_cloud, end_cloud, show_picture
        self.lane = scheduler.add_lane("playback", self._on_frames, pass_ticket=True)
        self.start, self.seed, self.space, self.follow = "kmeans++", 0, "engine", False
        self.fps = 8
        self._colors: np.ndarray | None = None
        self._distinct = 0
        self._picture: np.ndarray | None = None
        self._follow_source: QImage | np.ndarray | None = None
        self._prepared: dict = {}
        self._picture_size = QSize()
        self._k = 16
        self._run: _Run | None = None
        self._numbers = 0
        self._closed = False
        self._buffer: deque[ShownFrame] = deque()
        self._shown: ShownFrame | None = None
        self._trails: deque[np.ndarray] = deque(maxlen=TRAIL)
        self._errors: list[float] = []
        self._runs: list[RunSummary] = []
        self._step_pending = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        # While a frame is drawn the worker waits (`_Run.wait_drawn`) for `frame_drawn` or this timer
        self._drawn = threading.Event()
        self._drawn.set()
        self._drawn_timer = QTimer(self, singleShot=True, interval=round(DRAW_WAIT_S * 1000))
        self._drawn_timer.timeout.connect(self.frame_drawn)

    # -- inputs -------------------------------------------------------------------------------

    def set_sample(self, colors: np.ndarray | None, pixels: np.ndarray | None = None,
                   pyramid: ImagePyramid | None = None) -> None:
        """The cloud's points (n×3 uint8) and the image (for the picture; `pyramid`, the image's
        as the preview shows it, for "follow in preview"), or None: no image."""
        self.reset()
        self._colors = colors
        self._distinct = pb.distinct_count(colors) if colors is not None else 0
        self._picture = None if pixels is None else picture_sample(pixels)
        self._follow_source = follow_level(pyramid) if pyramid is not None else self._picture
        self._prepared = {}
        self._picture_size = QSize() if pixels is None else QSize(pixels.shape[1], pixels.shape[0])
        self._runs = []
        self.runsChanged.emit([])
        self._emit_state()

    def set_k(self, k: int) -> None:
        if int(k) != self._k:
            self._k = int(k)
            self.reset()
            self._emit_state()

    def set_options(self, *, start: str | None = None, seed: int | None = None, space: str | None = None) -> None:
        """A new start, seed or clustering space: the next run uses it (a run on show restarts)."""
        changed = False
        for name, value in (("start", start), ("seed", seed), ("space", space)):
            if value is not None and getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed and self._run is not None:
            self.reset()

    def set_follow(self, on: bool) -> None:
        self.follow = bool(on)
        if not on:
            self.show_picture(None, "")
        elif self._shown is not None and self._shown.picture is not None:
            self.show_picture(self._shown.picture, self._label())

    def set_speed(self, fps: int) -> None:
        self.fps = max(1, int(fps))
        if self._timer.isActive():
            self._timer.start(round(1000 / self.fps))

    # -- state --------------------------------------------------------------------------------

    def why_disabled(self) -> str:
        """"" when a run can play; else one sentence saying why not."""
        if self._colors is None:
            return "Open an image to watch k-means work on its colours."
        return pb.why_not_playable(len(self._colors), self._distinct, self._k) or ""

    def is_playing(self) -> bool:
        return self._timer.isActive()

    def errors(self) -> list[float]:
        return list(self._errors)

    def runs(self) -> list[RunSummary]:
        return list(self._runs)

    def shown(self) -> ShownFrame | None:
        return self._shown

    def is_idle(self) -> bool:
        return not self.lane.busy

    def drawing(self) -> bool:
        """Whether a frame handed to the views waits to be painted (`frame_drawn` ends it)."""
        return not self._drawn.is_set()

    def frame_drawn(self) -> None:
        """The window painted the frame on show: the worker goes on; the next frames are asked for."""
        self._drawn_timer.stop()
        if not self._drawn.is_set():
            self._drawn.set()
            self._fetch()

    # -- commands -----------------------------------------------------------------------------

    def play(self) -> bool:
        """Play from where it is (a new run if none or the last one ended). False if it can't."""
        if self.why_disabled():
            self._emit_state()
            return False
        if self._run is None or (self._shown is not None and self._shown.ended and not self._buffer):
            self._new_run()
        self._timer.start(round(1000 / self.fps))
        self.playingChanged.emit(True)
        self._tick()
        return True

    def pause(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def step(self) -> None:
        """One iteration, then stay."""
        if self.why_disabled():
            return
        self.pause()
        if self._run is None or (self._shown is not None and self._shown.ended and not self._buffer):
            self._new_run()
        self._step_pending = True
        self._tick()

    def run_again(self) -> None:
        """The next seed, played from the start: another local minimum to compare."""
        self.seed += 1
        self.reset()
        self.play()

    def reset(self) -> None:
        """Stop, forget the run, and show the engine's result again."""
        was = self._timer.isActive()
        self._timer.stop()
        if self._run is not None:
            self.lane.cancel()  # the running job stops after its current frame; its frames are dropped
        self._run = None
        self._drawn_timer.stop()
        self._drawn.set()  # a cancelled job needn't wait to stop
        self._buffer.clear()
        self._trails.clear()
        self._errors = []
        self._step_pending = False
        if self._shown is not None:
            self._shown = None
            self.end_cloud()
            self.show_picture(None, "")
        self.errorsChanged.emit([])
        self.statusChanged.emit("")
        if was:
            self.playingChanged.emit(False)

    def shutdown(self) -> None:
        self._closed = True
        self._timer.stop()
        self._drawn_timer.stop()
        self._drawn.set()
        self._run = None
        self.lane.close()

    # -- internal -----------------------------------------------------------------------------

    def _new_run(self) -> None:
        self.reset()
        self._numbers += 1
        self._run = _Run(self._numbers, self._colors, self._k, self.start, int(self.seed), self.space,
                         self._picture, self._picture_size, self._follow_source, self._prepared, drawn=self._drawn)
        self._fetch()

    def _fetch(self) -> None:
        run = self._run
        if self._closed or run is None or run.done or len(self._buffer) >= AHEAD:
            return
        if self.lane.pending is not None or (self.lane.running is not None and self.lane.running.tag is run):
            return  # this run's next frames are on their way (a stale run's job may still be ending)
        self.lane.submit(_next_frames, run, 2 if not self._buffer else AHEAD - len(self._buffer), self.follow,
                         tag=run)

    def _on_frames(self, ticket: Ticket, current: bool) -> None:
        if self._closed:
            return
        if ticket.error is not None:
            if current:
                log.error("k-means playback failed:\n%s", ticket.trace)
                self.pause()
                self.statusChanged.emit(f"k-means could not run ({ticket.error}).")
            return
        if current and ticket.tag is self._run:
            self._buffer.extend(ticket.result)
            if self._step_pending:
                self._tick()
        self._fetch()

    def _tick(self) -> None:
        if not self._buffer:
            self._fetch()
            return
        if not self._timer.isActive() and not self._step_pending:
            return
        self._step_pending = False
        self._drawn.clear()  # the worker waits until the window has painted this frame
        self._drawn_timer.start()
        frame = self._buffer.popleft()
        if self._shown is not None:
            self._trails.append(self._shown.centre_srgb)
        self._shown = frame
        self._errors.append(frame.error)
        self.show_cloud(frame, list(self._trails) if len(self._trails) and
                        len(self._trails[-1]) == len(frame.centre_srgb) else [])
        if self.follow and frame.picture is not None:
            self.show_picture(frame.picture, self._label())
        self.errorsChanged.emit(self._errors)
        self.statusChanged.emit(frame.text)
        self.iterationShown.emit(frame.iteration)
        if frame.ended:
            self._finish(frame)

    def _label(self) -> str:
        return f"K = {self._k} · {PLAYBACK_LABEL}"

    def _finish(self, frame: ShownFrame) -> None:
        self.pause()
        run = self._run
        self._runs.append(RunSummary(run.number, run.start, run.seed, run.space, run.k, frame.iteration, frame.error,
                                     frame.converged, frame.score))
        self._runs = self._runs[-self.MAX_RUNS:]
        self.runsChanged.emit(self.runs())

    def _emit_state(self) -> None:
        reason = self.why_disabled()
        if reason:
            self.reset()
        self.stateChanged.emit(reason)
