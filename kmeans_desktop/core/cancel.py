"""Cooperative cancellation: a computation on a worker thread that stops early when asked.

Why: the window asks for a new K while a final preview of the old one is still being quantized
(a 9 MP photo: ~0.2 s); a quantize that runs to its end keeps its lane and a core from the result
the user now waits for (issue 15). Python threads can't be interrupted from outside, so the core
looks now and then whether its caller still wants the result.

The caller runs the computation under `with cancel_on(event):` (a `threading.Event`, or anything
with `is_set()`); the computation calls `checkpoint()` between its steps, which raises `Cancelled`
once the event is set. The event is the calling thread's own (thread-local), so `quantize`'s
signature stays as it is, and outside `cancel_on` a checkpoint costs a thread-local look-up
(about 0.1 µs) and does nothing: the CLI, batch saves and tests run exactly as before, with the
same bytes. A helper thread that a computation starts and joins (`halves`, `runmap`'s bands) runs
under its caller's event (`current()`), so both stop.

Checkpoints sit where nothing shared is half-built: a cancelled quantize leaves the histogram's
caches either without an entry or with a whole one (tested), so the next call is unaffected.
`Cancelled` is not a `KMeansDesktopError`: it is no failure and never reaches the user (the
scheduler drops the job's outcome).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


class Cancelled(Exception):
    """The caller no longer wants the result (raised by `checkpoint`)."""


@contextmanager
def cancel_on(event) -> Iterator[None]:
    """Let `checkpoint()` on this thread raise `Cancelled` once `event.is_set()` (None: never)."""
    outer = getattr(_local, "event", None)
    _local.event = event
    try:
        yield
    finally:
        _local.event = outer


def checkpoint() -> None:
    """Raise `Cancelled` if this thread's computation has been cancelled (see the module note)."""
    event = getattr(_local, "event", None)
    if event is not None and event.is_set():
        raise Cancelled()


def carried(fn: Callable) -> Callable:
    """`fn` made to run under this thread's cancel event wherever it is called (a pool thread:
    the bands of a pixel pass), checking it first; `fn` itself outside `cancel_on`."""
    event = current()
    if event is None:
        return fn

    def run(*args, **kwargs):
        with cancel_on(event):
            checkpoint()
            return fn(*args, **kwargs)

    return run


def current():
    """This thread's cancel event (None outside `cancel_on`): a helper thread that a computation
    starts runs its share under `cancel_on(current())` of the caller, so that it stops too."""
    return getattr(_local, "event", None)
