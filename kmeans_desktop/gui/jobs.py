"""Running plain functions on Qt's global thread pool and getting their outcome back on the GUI
thread: the machinery the window's workers share (`worker.PreviewWorker`, `analysis`).

A `Job` calls one compute step (a plain function of plain arguments) on a pool thread and
emits itself through a `Relay`, a parentless QObject living on the GUI thread, so the outcome
arrives there through a queued connection. Every job keeps its relay alive: a job that finishes
after its window is gone emits into nothing instead of into a deleted object.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Relay(QObject):
    """Carries finished jobs to the GUI thread (queued: it lives there, jobs emit elsewhere)."""

    finished = Signal(object)


class Job(QRunnable):
    """One call of a compute step on a pool thread; the outcome is emitted through the relay."""

    def __init__(self, relay: Relay, lane: str, generation: int, fn: Callable, *args, tag=None):
        super().__init__()
        self.setAutoDelete(False)  # the scheduler keeps a reference until the outcome arrives
        self.relay = relay  # keeps the relay alive while this job may still emit
        self.lane = lane
        self.generation = generation
        self.fn = fn
        self.args = args
        self.tag = tag  # what the scheduler needs to know about the job afterwards
        self.result = None
        self.error: BaseException | None = None
        self.trace = ""

    def run(self) -> None:
        try:
            self.result = self.fn(*self.args)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the GUI thread
            self.error = exc
            self.trace = traceback.format_exc()
        self.args = ()  # drop large inputs early
        try:
            self.relay.finished.emit(self)
        except RuntimeError:  # the relay is gone: the app is shutting down
            pass


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
