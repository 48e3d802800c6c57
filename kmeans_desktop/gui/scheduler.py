"""The window's one scheduler: named lanes, each running at most one job, latest request wins.

Every background job of a window (loading, quick and full previews, encoding, the colour cloud,
the K curve, fits, quality scores) runs in a lane of one `Scheduler`. The pattern is napari's
`_LayerSlicer` and Orange's k-means widget: a compute step is a plain function of plain
arguments, run on a pool thread; its outcome comes back on the GUI thread, stamped with the
generation it was asked for, and is dropped when something newer has been asked since.

The policy is Qt-free (`Lane`, `Ticket`: tested without Qt):

* A lane runs at most one job. `submit` makes a job the lane's one wish: it starts at once when
  the lane is free, else it replaces the one waiting job (the older wish is never run) and
  the running job is *cancelled*: its `cancel` event is set, the lane's `on_cancel` hook is
  called (a lane whose work runs in the helper process kills it there), and its outcome arrives
  with `current=False`. Steps that can stop early watch `ticket.cancel`; in a `cancellable` lane
  the step runs under `core.cancel.cancel_on(ticket.cancel)`, so the core's checkpoints (quantize's,
  SSIMULACRA2's) raise `Cancelled` at the next one (9 MP: tens of ms for a plain quantize or a score,
  hundreds dithered): the outcome then has `stopped` set, no result and no failure.
  Other steps simply finish and their outcome is cached or dropped.
* `start` is for schedulers that pull (the preview worker decides what a free lane runs next
  from its own target): it starts a job on a free lane with the caller's own generation;
  `interrupt` cancels that lane's running job when the puller no longer wants it.
* `cancel` drops the waiting job and cancels the running one; `close` refuses new work.

`Scheduler` is the thin Qt adapter: it runs tickets on `QThreadPool.globalInstance()` (one thread
per lane, so a lane never waits for another's thread) and delivers outcomes on the GUI thread
through a parentless relay that every job keeps alive (a job finishing after its window is gone
emits into nothing). Adding a lane: `lane = scheduler.add_lane("name", on_done)`, then
`lane.submit(fn, *args, tag=...)`; `on_done(ticket, current)` gets `ticket.result` or
`ticket.error` / `ticket.trace` on the GUI thread.

Every job runs below the GUI thread's CPU priority (`WORKER_NICE`, set on the job's own thread):
on two cores the GUI thread otherwise shares them evenly with quantizing, the K curve and the
quality score, and a frame of the window (about 25 ms of its own CPU time at 9 MP) waited well over
100 ms for a core while K was scrubbed (bench_gui's scrub: the worst gap's own CPU time was 6–26 ms).
For the same reason the BLAS library keeps to one thread once a job has run (`limit_blas_threads`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..core.cancel import Cancelled, cancel_on

# --------------------------------------------------------------------------------------------
# The policy (Qt-free)


class Ticket:
    """One call of a compute step, and its outcome once run."""

    def __init__(self, lane: str, generation: int, fn: Callable, args: tuple, tag=None, pass_ticket: bool = False,
                 cancellable: bool = False):
        self.lane = lane
        self.generation = generation
        self.fn = fn
        self.args = args
        self.tag = tag  # what the caller needs to know about the job afterwards
        self.pass_ticket = pass_ticket  # fn(ticket, *args): it may watch ticket.cancel
        self.cancellable = cancellable  # fn runs under cancel_on(self.cancel) (see the module note)
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.result = None
        self.error: BaseException | None = None
        self.trace = ""

    def run(self) -> None:
        try:
            with cancel_on(self.cancel if self.cancellable else None):
                self.result = self.fn(self, *self.args) if self.pass_ticket else self.fn(*self.args)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI thread
            self.error = exc
            self.trace = traceback.format_exc()
        self.args = ()  # drop large inputs early
        self.done.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    @property
    def stopped(self) -> bool:
        """It stopped at a checkpoint when cancelled: no result, and no failure to report."""
        return isinstance(self.error, Cancelled)


class Lane:
    """At most one running job and one waiting one; latest request wins. Qt-free: `run` hands a
    ticket to whatever runs it (the Qt adapter, or a test), which calls `finished` afterwards."""

    def __init__(self, name: str, run: Callable[[Ticket], None],
                 on_done: Callable[[Ticket, bool], None] | None = None,
                 on_cancel: Callable[[Ticket], None] | None = None, pass_ticket: bool = False,
                 cancellable: bool = False):
        self.name = name
        self._run = run
        self.on_done = on_done
        self.on_cancel = on_cancel
        self.pass_ticket = pass_ticket
        self.cancellable = cancellable
        self.generation = 0
        self.running: Ticket | None = None
        self.pending: Ticket | None = None
        self.closed = False
        self.started = 0  # jobs started (tests and benchmarks read it)

    @property
    def busy(self) -> bool:
        return self.running is not None or self.pending is not None

    def submit(self, fn: Callable, *args, tag=None) -> Ticket | None:
        """Make this job the lane's one wish (see the module docstring); None once closed."""
        if self.closed:
            return None
        self.generation += 1
        ticket = Ticket(self.name, self.generation, fn, args, tag, self.pass_ticket, self.cancellable)
        if self.running is None:
            self._begin(ticket)
        else:
            self.pending = ticket
            self._cancel_running()
        return ticket

    def start(self, fn: Callable, *args, generation: int = 0, tag=None) -> Ticket | None:
        """Run a job now on this free lane, stamped with the caller's `generation`."""
        if self.closed:
            return None
        if self.running is not None:
            raise RuntimeError(f"lane {self.name!r} is busy")
        ticket = Ticket(self.name, generation, fn, args, tag, self.pass_ticket, self.cancellable)
        self._begin(ticket)
        return ticket

    def cancel(self) -> None:
        """Nothing of what was asked is wanted any more."""
        self.generation += 1
        self.pending = None
        self._cancel_running()

    def interrupt(self, unless=None) -> None:
        """Cancel the running job only (a pulling scheduler's stale work), unless its tag is `unless`
        (None: whatever it is); the waiting job and the generation stay."""
        if self.running is not None and (unless is None or self.running.tag != unless):
            self._cancel_running()

    def close(self) -> None:
        self.closed = True
        self.cancel()

    def finished(self, ticket: Ticket) -> bool:
        """A job has run: start the waiting one, then report the outcome. Returns whether it is
        still current (its generation is the lane's; always False after `cancel`)."""
        if self.running is ticket:
            self.running = None
        current = ticket.generation == self.generation and not ticket.cancelled and not self.closed
        if self.pending is not None and self.running is None and not self.closed:
            ticket_next, self.pending = self.pending, None
            self._begin(ticket_next)
        if self.on_done is not None:  # also once closed: the owner may need to update its state
            self.on_done(ticket, current)
        return current

    def _begin(self, ticket: Ticket) -> None:
        self.running = ticket
        self.started += 1
        self._run(ticket)

    def _cancel_running(self) -> None:
        ticket = self.running
        if ticket is not None and not ticket.cancel.is_set():
            ticket.cancel.set()
            if self.on_cancel is not None:
                self.on_cancel(ticket)


# --------------------------------------------------------------------------------------------
# The Qt adapter


class _Relay(QObject):
    """Carries finished jobs to the GUI thread (queued: it lives there, jobs emit elsewhere)."""

    finished = Signal(object)


#: The niceness (POSIX, 0..19, higher yields more) of the threads that run jobs; the GUI thread
#: keeps 0. One value for every lane: a thread's priority can be lowered but not raised back
#: without privileges, and pool threads serve every lane in turn.
WORKER_NICE = 5


def lower_thread_priority(nice: int = WORKER_NICE) -> None:
    """Run the calling thread below normal CPU priority (Linux: its own nice value; Windows:
    below normal). Elsewhere nothing: macOS's setpriority would lower the whole process."""
    if nice <= 0:
        return
    try:
        if sys.platform.startswith("linux"):
            tid = threading.get_native_id()
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)  # per thread on Linux (see setpriority(2))
        elif sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32
            kernel32.SetThreadPriority(kernel32.GetCurrentThread(), -1)  # THREAD_PRIORITY_BELOW_NORMAL
    except (AttributeError, OSError):  # never worth failing a job for
        pass


#: The BLAS library numpy brings (OpenBLAS) runs matrix products on threads of its own, one per core,
#: which wait for work by spinning. The lanes are the window's parallelism: those threads add none and
#: take the cores from the other lanes. Measured 2026-12-03, the quality score of a 9 MP result
#: (SSIMULACRA2's blur is small matrix products): 0.80-0.88 s wall either way, CPU 1.22-1.48 s with
#: two BLAS threads against 0.76-0.85 s with one; bench_stages' quantize: no difference.
BLAS_THREADS = 1
_blas_limited = False


def limit_blas_threads() -> None:
    """Keep BLAS to `BLAS_THREADS` in this process (once; later calls do nothing: a job that starts
    on another thread meanwhile may still see its library's threads, which changes no result)."""
    global _blas_limited
    if _blas_limited:
        return
    _blas_limited = True
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(BLAS_THREADS, user_api="blas")
    except Exception:  # (never worth failing to open a window for: the figures above are the cost)
        pass


class _Runnable(QRunnable):
    def __init__(self, relay: _Relay, ticket: Ticket):
        super().__init__()
        self.relay = relay  # keeps the relay alive while this job may still emit
        self.ticket = ticket

    def run(self) -> None:
        lower_thread_priority()
        limit_blas_threads()  # (here, not on the GUI thread: importing threadpoolctl and applying it take 12 ms)
        self.ticket.run()
        try:
            self.relay.finished.emit(self.ticket)
        except RuntimeError:  # the relay is gone: the app is shutting down
            pass


class Scheduler(QObject):
    """The lanes of one window, run on Qt's global thread pool. Use from the GUI thread only."""

    #: Some lane started or finished a job (busy indicators read `busy_lanes`).
    activityChanged = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool.globalInstance()
        self._relay = _Relay()  # parentless on purpose: jobs keep it alive
        self._relay.finished.connect(self._on_finished)
        self._lanes: dict[str, Lane] = {}
        self._runnables: dict[Ticket, _Runnable] = {}
        self._closed = False

    def add_lane(self, name: str, on_done: Callable[[Ticket, bool], None] | None = None,
                 on_cancel: Callable[[Ticket], None] | None = None, pass_ticket: bool = False,
                 cancellable: bool = False) -> Lane:
        if name in self._lanes:
            raise ValueError(f"lane {name!r} exists already")
        lane = Lane(name, self._run, on_done, on_cancel, pass_ticket, cancellable)
        self._lanes[name] = lane
        ensure_threads(self.pool, len(self._lanes))
        return lane

    def lane(self, name: str) -> Lane:
        return self._lanes[name]

    def busy_lanes(self) -> list[str]:
        return [name for name, lane in self._lanes.items() if lane.running is not None]

    def is_idle(self, lanes: tuple[str, ...] | None = None) -> bool:
        names = self._lanes if lanes is None else lanes
        return all(self._lanes[n].running is None for n in names if n in self._lanes)

    def close(self, lanes: tuple[str, ...] | None = None) -> None:
        """Refuse new work in these lanes (all by default) and cancel what runs there."""
        for name in (self._lanes if lanes is None else lanes):
            if name in self._lanes:
                self._lanes[name].close()
        if lanes is None:
            self._closed = True

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Close every lane and wait up to `timeout_ms` for running jobs; True if none is left."""
        self.close()
        return wait_for_pool(self.pool, timeout_ms)

    def _run(self, ticket: Ticket) -> None:
        runnable = _Runnable(self._relay, ticket)
        runnable.setAutoDelete(False)  # kept until the outcome arrives
        self._runnables[ticket] = runnable
        self.pool.start(runnable)
        self.activityChanged.emit()

    def _on_finished(self, ticket: Ticket) -> None:
        self._runnables.pop(ticket, None)
        lane = self._lanes.get(ticket.lane)
        if lane is not None:
            lane.finished(ticket)
        self.activityChanged.emit()


def ensure_threads(pool: QThreadPool, n: int) -> None:
    """Let `pool` run at least `n` jobs at once (one thread per lane, even on one core)."""
    if pool.maxThreadCount() < n:
        pool.setMaxThreadCount(n)


def wait_for_pool(pool: QThreadPool, timeout_ms: int) -> bool:
    """Wait until `pool` runs no job; False after `timeout_ms`.

    Not `QThreadPool.waitForDone`: PySide keeps the GIL while in it, so a job that still has
    Python to run could never finish and the wait would always last the whole timeout.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while pool.activeThreadCount() > 0:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)  # lets the jobs' threads take the GIL
    return True
