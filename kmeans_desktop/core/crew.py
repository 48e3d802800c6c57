"""Helper threads for the length of one call: a computation's parallel parts share them instead of
each starting threads of its own.

Why: a 9 MP quantize split its work over two threads in about a dozen places (`halves.in_two`,
the k-means starts until 2026-12-03, the bands of `runmap`, `vruns` and `despeckle`, the colours' error beside
them), and each started its own threads: 11-12 starts a call. `Thread.start` waits until the
new thread runs, which needs the GIL that the other thread of the call mostly holds between
numpy calls: 9 MP china, 2026-12-03, 4-9 ms (up to 16) of a ~170 ms quantize's wall time went
to starting threads. Inside `with crew():` (`quantize` opens one) the parts run on the crew's
helpers, started once a call.

Deadlock-free by construction: the thread that waits for a part (`Part.join`) runs it itself
when no helper has taken it yet, so a part that waits for a part of its own (`in_two` inside a
band) never waits on a helper busy with its caller. Outside a crew, `spawn` starts a thread of
the part's own, as before. No thread outlives the call either way (the window's tests fail a
test that leaves one running). Each part runs under its caller's cancel event (`core.cancel`).
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from .cancel import cancel_on, current

_local = threading.local()

_PENDING, _RUNNING, _DONE = 0, 1, 2


class Part:
    """One piece of work handed to another thread; `join` gives its result (or raises its error)."""

    def __init__(self, fn: Callable[[], object], stoppable: bool = False):
        self._fn, self._event = fn, current()  # (the caller's cancel event: both stop)
        self._stop = None
        if stoppable:  # ... and one of its own (`stop`)
            self._stop = threading.Event()
            self._event = _Either(self._stop, self._event)
        self._state, self._lock, self._done = _PENDING, threading.Lock(), threading.Event()
        self._result: object = None
        self._error: BaseException | None = None

    def _claim(self) -> bool:
        with self._lock:
            if self._state != _PENDING:
                return False
            self._state = _RUNNING
            return True

    def run(self) -> None:
        """Run it here, unless another thread already took it."""
        if not self._claim():
            return
        try:
            with cancel_on(self._event):
                self._result = self._fn()
        except BaseException as e:  # noqa: BLE001 (raised again by `join`)
            self._error = e
        finally:
            self._state = _DONE
            self._done.set()

    def join(self) -> object:
        """Its result, once done; run here if no thread has taken it yet."""
        self.run()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result

    def stop(self) -> None:
        """The caller no longer wants it (a part spawned `stoppable`): never start it, or stop it at its
        next checkpoint (`core.cancel`), and wait until it has."""
        if self._stop is not None:
            self._stop.set()
        self.drop()

    def drop(self) -> None:
        """The caller gives up (it failed or was cancelled): never start it, and wait if it runs."""
        if not self._claim():
            self._done.wait()
            return
        self._state = _DONE
        self._done.set()


class _Either:
    """Set when either of two cancel events is (the second may be None)."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.a.is_set() or (self.b is not None and self.b.is_set())


class Crew:
    """`helpers` threads that run the parts handed to them, first come first served; started when the
    first part comes (a small image's quantize hands none out and starts none)."""

    def __init__(self, helpers: int):
        self._queue: queue.SimpleQueue[Part | None] = queue.SimpleQueue()
        self._helpers, self._threads, self._lock, self._closed = helpers, [], threading.Lock(), False

    def _serve(self) -> None:
        _local.crew = self  # (a part that spawns parts hands them to this crew too)
        while (part := self._queue.get()) is not None:
            part.run()

    def hand(self, part: Part) -> Part:
        with self._lock:
            if not self._threads and not self._closed:  # (after `close`, `join` runs the part)
                self._threads = [threading.Thread(target=self._serve, name="kmeans-crew", daemon=True)
                                 for _ in range(self._helpers)]
                for t in self._threads:
                    t.start()
        self._queue.put(part)
        return part

    def close(self) -> None:
        with self._lock:
            threads, self._closed = self._threads, True
        for _ in threads:
            self._queue.put(None)
        for t in threads:
            t.join()


@contextmanager
def crew(helpers: int = 1) -> Iterator[None]:
    """Parts spawned on this thread (and on the helpers) until the block ends run on `helpers`
    threads started here; joined when it ends. Inside another crew this one is that crew."""
    if getattr(_local, "crew", None) is not None or helpers < 1:
        yield
        return
    c = _local.crew = Crew(helpers)
    try:
        yield
    finally:
        _local.crew = None
        c.close()


def crewed(helpers: Callable[[], int]) -> Callable:
    """Decorator: every call of the function runs inside `crew(helpers())`."""
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with crew(helpers()):
                return fn(*args, **kwargs)
        return run
    return wrap


def spawn(fn: Callable[[], object], name: str = "kmeans-part", stoppable: bool = False) -> Part:
    """Start `fn` on another thread: the crew's (see `crew`), else one of its own named `name`.
    Every part must be joined (`join`), dropped (`drop`) or, when `stoppable`, stopped (`stop`)."""
    part = Part(fn, stoppable)
    c = getattr(_local, "crew", None)
    if c is not None:
        return c.hand(part)
    threading.Thread(target=part.run, name=name, daemon=True).start()
    return part


def beside(other: Callable[[], object], own: Callable[[], object], name: str = "kmeans-part") -> tuple[object, object]:
    """(own(), other()): `other` on another thread (`spawn`) while this one runs `own`."""
    part = spawn(other, name)
    try:
        mine = own()
    except BaseException:
        part.drop()
        raise
    return mine, part.join()


def shared_map(fn: Callable, items: Sequence, threads: int, name: str = "kmeans-part") -> list:
    """[fn(item) for item in items], the items taken in turn by this thread and `threads` − 1 others
    (`spawn`); the results in the items' order. Each item's result is its own, so the answer is the
    same on any number of threads."""
    out: list[object] = [None] * len(items)
    lock, taken = threading.Lock(), [0]

    def pull() -> None:
        while True:
            with lock:
                i = taken[0]
                if i >= len(items):
                    return
                taken[0] += 1
            out[i] = fn(items[i])

    others = [spawn(pull, name) for _ in range(min(threads, len(items)) - 1)]
    try:
        pull()
    except BaseException:
        with lock:
            taken[0] = len(items)  # (the others take no more)
        for p in others:
            p.drop()
        raise
    for p in others:
        p.join()
    return out
