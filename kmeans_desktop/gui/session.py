"""The window's one model: the current image, K, dithering, requirements and the latest results.

`SessionModel` holds them and says what changed; it is Qt-free (tested without a QApplication).
`Session` is its thin Qt adapter: the same public methods, plus a signal per kind of change and
the request debounce (a Qt timer). Widgets and controllers read and change the window's state
through these public methods only, never through the main window's members:

    slider -> session.set_k -> requestWanted -> the window sends it to the preview worker or the fit
    -> the result comes back -> session.show_result -> resultChanged -> every view that shows a result.

When requests go out (`schedule`): a change that comes alone (a single arrow-key press, a spin-box
click, a typed value, a wheel notch: nothing changed in the previous LONE_MS) is asked for at once,
settled. Changes that follow within a burst (a drag, a held key) are debounced: settled once they
pause for DEBOUNCE_MS, or for 1.5 times their pace when they come faster (`quiet_ms`), or at once
when a slider is let go (`settle`), with unsettled requests (quick previews) at least every
MAX_WAIT_MS meanwhile. Every change also emits `targetMoved`, so that work
for the old values stops at once (the worker cancels it), even while the request waits: the leading
request of a burst costs at most a checkpoint's time of one job (`core.cancel`).

Showing a result is written once (`MainWindow._show_result`), whatever made it: a preview (quick
or final) or a fitted file (`Preview.fit` is set). `current_palette()` and `previewReady` mean
the final result, the one Save writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
    from .compute import Encoded, LoadedImage, Preview

#: The K a first run of the window starts with (a quick first result; then the last K used is
#: remembered). The CLI's own default is `cli.DEFAULT_K` (256: the most a palette holds, so the
#: best-looking file, since it runs once rather than while a slider moves).
FIRST_RUN_K = 16
K_MIN, K_MAX = 2, 256

#: The names `SessionModel` reports in its change sets.
CHANGES = ("image", "k", "dither", "requirements", "result", "encoded", "busy", "locked")


class SessionModel:
    """The window's state. Every setter returns the set of what changed (empty: nothing did) and
    tells the listeners (`subscribe`) about it."""

    def __init__(self, k: int = FIRST_RUN_K, dither: bool = False, dither_strength: int = 100):
        self.image: LoadedImage | None = None
        self.k = clamp_k(k)
        self.dither = bool(dither)
        self.dither_strength = min(100, max(0, int(dither_strength)))  # percent
        self.requirements_active = False
        self.result: Preview | None = None  # on screen: a quick or final preview, or a fitted file
        self.encoded: Encoded | None = None  # the exact file bytes of `result`, once known
        self._busy: dict[str, bool] = {}
        self.locked: tuple[tuple[int, int, int], ...] = ()  # colours kept exactly in every palette
        self._listeners: list[Callable[[frozenset[str]], None]] = []

    # -- listening ----------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[frozenset[str]], None]) -> None:
        self._listeners.append(listener)

    def _tell(self, changes: set[str]) -> frozenset[str]:
        changed = frozenset(changes)
        if changed:
            for listener in list(self._listeners):
                listener(changed)
        return changed

    # -- what widgets and controllers change --------------------------------------------------

    def set_image(self, image: LoadedImage | None) -> frozenset[str]:
        self.image = image
        changes = {"image"}
        if self.result is not None:
            changes.add("result")
        if self.encoded is not None:
            changes.add("encoded")
        self.result = self.encoded = None
        return self._tell(changes)

    def set_k(self, k: int) -> frozenset[str]:
        k = clamp_k(k)
        if k == self.k:
            return frozenset()
        self.k = k
        return self._tell({"k"})

    def set_dither(self, on: bool) -> frozenset[str]:
        if bool(on) == self.dither:
            return frozenset()
        self.dither = bool(on)
        return self._tell({"dither"})

    def set_dither_strength(self, percent: int) -> frozenset[str]:
        percent = min(100, max(0, int(percent)))
        if percent == self.dither_strength:
            return frozenset()
        self.dither_strength = percent
        return self._tell({"dither"} if self.dither else set())

    def set_requirements_active(self, active: bool) -> frozenset[str]:
        if bool(active) == self.requirements_active:
            return frozenset()
        self.requirements_active = bool(active)
        changes = {"requirements"}
        if self.result is not None:  # what was on screen answered the other question
            self.result = self.encoded = None
            changes |= {"result", "encoded"}
        return self._tell(changes)

    def show_result(self, result: Preview, encoded: Encoded | None = None) -> frozenset[str]:
        """A result to show (with its file bytes when known already); ignored when it is for
        another image than the current one."""
        if self.image is None or result.image_id != self.image.image_id:
            return frozenset()
        changes = {"result"}
        if encoded is not None and result.final and encoded.key == result.key:
            self.encoded = encoded
            changes.add("encoded")
        elif self.encoded is not None:
            self.encoded = None
            changes.add("encoded")
        self.result = result
        return self._tell(changes)

    def clear_result(self) -> frozenset[str]:
        if self.result is None and self.encoded is None:
            return frozenset()
        self.result = self.encoded = None
        return self._tell({"result", "encoded"})

    def set_encoded(self, encoded: Encoded) -> frozenset[str]:
        """The exact bytes of the result on screen; ignored when they are for another result."""
        r = self.result
        if r is None or not r.final or encoded.image_id != r.image_id or encoded.key != r.key:
            return frozenset()
        self.encoded = encoded
        return self._tell({"encoded"})

    def set_locked(self, colours) -> frozenset[str]:
        """The locked colours ((r, g, b) each; duplicates dropped, order kept)."""
        locked = tuple(dict.fromkeys(tuple(int(v) for v in c[:3]) for c in colours))
        if locked == self.locked:
            return frozenset()
        self.locked = locked
        return self._tell({"locked"})

    def toggle_lock(self, rgb) -> frozenset[str]:
        rgb = tuple(int(v) for v in rgb[:3])
        return self.set_locked([c for c in self.locked if c != rgb] if rgb in self.locked else [*self.locked, rgb])

    def set_busy(self, source: str, busy: bool) -> frozenset[str]:
        before = self.busy
        self._busy[source] = bool(busy)
        return self._tell({"busy"} if self.busy != before else set())

    # -- what views read ----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return any(self._busy.values())

    def dither_value(self) -> float:
        """Dithering as results are keyed: the strength (0..1) when on, 0.0 when off."""
        return self.dither_strength / 100.0 if self.dither else 0.0

    def has_image(self) -> bool:
        return self.image is not None

    def final_result(self) -> Preview | None:
        r = self.result
        return r if r is not None and r.final else None

    def can_save(self) -> bool:
        r = self.final_result()
        if r is None:
            return False
        return r.fit is not None if self.requirements_active else r.fit is None

    def current_palette(self) -> np.ndarray:
        """The palette (n×3 or n×4 uint8) of the result on screen; empty (0×3) if there is none."""
        if self.result is None:
            return np.zeros((0, 3), dtype=np.uint8)
        return self.result.quantized.palette


def clamp_k(k: int) -> int:
    return min(K_MAX, max(K_MIN, int(k)))


class Session(QObject):
    """The Qt adapter of a `SessionModel`: its methods, a signal per change, and the debounce
    that turns a burst of K and dithering changes into requests (`requestWanted`)."""

    imageChanged = Signal(object)  # LoadedImage
    kChanged = Signal(int)
    ditherChanged = Signal(bool, float)  # on, the value results are keyed by
    requirementsChanged = Signal(bool)
    resultChanged = Signal(object)  # Preview or None
    encodedChanged = Signal(object)  # Encoded or None
    busyChanged = Signal(bool)
    lockedChanged = Signal(object)  # tuple of (r, g, b)
    changed = Signal(object)  # frozenset of CHANGES names, after the specific signals
    #: Time to (re)compute the result: settled (the user paused) or not (still dragging).
    requestWanted = Signal(bool)
    #: K, dithering or the locked colours changed (on every change, before any debounce): work for
    #: other values may stop now; a `requestWanted` follows.
    targetMoved = Signal()

    DEBOUNCE_MS = 40  # quiet time after the last change before work starts (at most: `quiet_ms`)
    #: ... or this many times the burst's pace (the median of its last PACE_CHANGES gaps between
    #: changes) when that is shorter, but at least DEBOUNCE_MIN_MS: a drag's changes come with the
    #: mouse's motion events (8-17 ms apart), so a pause of twice that already means it stopped, while
    #: a held key's (25-50 ms) keep the whole DEBOUNCE_MS. A pause misread costs one final result's
    #: start, stopped at the next change (`targetMoved`), and the quick preview it interrupted.
    DEBOUNCE_PACE = 1.5
    DEBOUNCE_MIN_MS = 20
    PACE_CHANGES = 4
    MAX_WAIT_MS = 150  # while K keeps changing, still ask for a quick preview at least this often
    #: A change with none in this many ms before it comes alone: asked for at once, no debounce. Longer
    #: than DEBOUNCE_MS so that a held key (auto-repeat every 25-50 ms: X's default 40 ms, Windows' and
    #: GNOME's about 33 ms) counts as one burst, with quick previews every MAX_WAIT_MS, rather than as
    #: lone changes that each start a final result and cancel the one before; shorter than two taps of
    #: a key (about 150-250 ms apart when tapped quickly).
    LONE_MS = 120

    def __init__(self, model: SessionModel | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model or SessionModel()
        self.model.subscribe(self._on_changes)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(self.DEBOUNCE_MS)
        self._debounce.timeout.connect(self.dispatch)
        self._pending_since: float | None = None  # when the burst's last request went out (or it began)
        self._last_change: float | None = None
        self._gaps: list[float] = []  # ms between the burst's last changes (`quiet_ms`)
        self._held = False  # a slider's handle is held down (`hold`): its changes are a drag
        self._closed = False

    # -- reading --------------------------------------------------------------------------------

    @property
    def image(self) -> LoadedImage | None:
        return self.model.image

    @property
    def k(self) -> int:
        return self.model.k

    @property
    def dither(self) -> bool:
        return self.model.dither

    @property
    def dither_strength(self) -> int:
        return self.model.dither_strength

    @property
    def result(self) -> Preview | None:
        return self.model.result

    @property
    def encoded(self) -> Encoded | None:
        return self.model.encoded

    @property
    def requirements_active(self) -> bool:
        return self.model.requirements_active

    @property
    def busy(self) -> bool:
        return self.model.busy

    @property
    def locked(self) -> tuple[tuple[int, int, int], ...]:
        return self.model.locked

    def dither_value(self) -> float:
        return self.model.dither_value()

    def can_save(self) -> bool:
        return self.model.can_save()

    def current_palette(self) -> np.ndarray:
        return self.model.current_palette()

    def request_pending(self) -> bool:
        """Whether a request waits for the debounce (the user is still changing K)."""
        return self._debounce.isActive()

    # -- changing -------------------------------------------------------------------------------

    def set_image(self, image: LoadedImage | None) -> None:
        self.model.set_image(image)

    def set_k(self, k: int) -> None:
        if self.model.set_k(k):
            self.schedule()

    def set_dither(self, on: bool) -> None:
        if self.model.set_dither(on):
            self.schedule()

    def set_dither_strength(self, percent: int) -> None:
        if self.model.set_dither_strength(percent):
            self.schedule()

    def restore(self, k: int, dither: bool, dither_strength: int) -> None:
        """Set the remembered values without asking for a result."""
        self.model.set_k(k)
        self.model.set_dither(dither)
        self.model.set_dither_strength(dither_strength)
        self._debounce.stop()
        self._pending_since = self._last_change = None
        self._gaps = []

    def set_requirements_active(self, active: bool) -> None:
        self.model.set_requirements_active(active)

    def show_result(self, result: Preview, encoded: Encoded | None = None) -> None:
        self.model.show_result(result, encoded)

    def clear_result(self) -> None:
        self.model.clear_result()

    def set_encoded(self, encoded: Encoded) -> None:
        self.model.set_encoded(encoded)

    def set_busy(self, source: str, busy: bool) -> None:
        self.model.set_busy(source, busy)

    def set_locked(self, colours) -> None:
        if self.model.set_locked(colours):
            self.schedule()

    def toggle_lock(self, rgb) -> None:
        if self.model.toggle_lock(rgb):
            self.schedule()

    # -- requests -------------------------------------------------------------------------------

    def schedule(self) -> None:
        """A value changed: ask for the result at once if the change comes alone, else after a short
        pause; during a long drag, ask for a quick preview now and then (see the module note)."""
        if self._closed:
            return
        now = time.monotonic()
        lone = self._last_change is None or (now - self._last_change) * 1000 >= self.LONE_MS
        self._gaps = [] if lone else (self._gaps + [(now - self._last_change) * 1000])[-self.PACE_CHANGES:]
        self._last_change = now
        self.targetMoved.emit()
        if lone:
            self._pending_since = None
            if not self._held and not self._debounce.isActive():
                self.dispatch()
                return
        if self._pending_since is None:
            self._pending_since = now
        elif (now - self._pending_since) * 1000 >= self.MAX_WAIT_MS:
            self._pending_since = now
            self.requestWanted.emit(False)
        self._debounce.start(self.quiet_ms(self._gaps))

    @classmethod
    def quiet_ms(cls, gaps: list[float]) -> int:
        """How long a burst must pause before its request goes out: DEBOUNCE_PACE times the median of
        its last gaps between changes (ms), within DEBOUNCE_MIN_MS..DEBOUNCE_MS; DEBOUNCE_MS until
        two gaps are known."""
        if len(gaps) < 2:
            return cls.DEBOUNCE_MS
        pace = float(np.median(gaps))
        return int(round(min(cls.DEBOUNCE_MS, max(cls.DEBOUNCE_MIN_MS, cls.DEBOUNCE_PACE * pace))))

    def hold(self) -> None:
        """The user pressed a slider's handle: what follows is a drag, debounced from its first change;
        `settle` ends it."""
        self._held = True

    def settle(self) -> None:
        """The user let go of a slider: the value is final, so a request waiting for the debounce
        is sent now (a mouse drag's last value reaches the preview DEBOUNCE_MS sooner)."""
        self._held = False
        if self._debounce.isActive():
            self.dispatch()

    def dispatch(self) -> None:
        """Ask for the result now. (A burst's quick previews keep their pace: `_pending_since` stays
        until the burst ends, so a held key repeating slower than DEBOUNCE_MS still gets them.)"""
        self._debounce.stop()
        if not self._closed:
            self.requestWanted.emit(True)

    def close(self) -> None:
        self._closed = True
        self._debounce.stop()

    def _on_changes(self, changes: frozenset[str]) -> None:
        m = self.model
        if "image" in changes:
            self.imageChanged.emit(m.image)
        if "k" in changes:
            self.kChanged.emit(m.k)
        if "dither" in changes:
            self.ditherChanged.emit(m.dither, m.dither_value())
        if "requirements" in changes:
            self.requirementsChanged.emit(m.requirements_active)
        if "result" in changes:
            self.resultChanged.emit(m.result)
        if "encoded" in changes:
            self.encodedChanged.emit(m.encoded)
        if "busy" in changes:
            self.busyChanged.emit(m.busy)
        if "locked" in changes:
            self.lockedChanged.emit(m.locked)
        self.changed.emit(changes)
