"""Where the time to a final preview goes (`bench_gui.py --timeline`): a diagnosis, not a figure.

`Timeline.install(window)` wraps, for the run of a benchmark, every scheduler job (`Ticket.run`:
lane, step, start, end and the CPU time of its thread), the core's `quantize` and the picture
building inside `compute_preview`, the helper's encodes, the delivery of outcomes on the GUI
thread and the window's requests and `previewReady`. `report(since)` prints them as one list of
milliseconds after `since` (the last slider change), so a slow final preview shows what ran
before and beside it.
"""

from __future__ import annotations

import threading
import time


class Timeline:
    def __init__(self) -> None:
        self.events: list[tuple[float, str, str]] = []  # (time, thread, text)
        self._lock = threading.Lock()

    def add(self, text: str, t: float | None = None) -> None:
        with self._lock:
            self.events.append((time.perf_counter() if t is None else t, threading.current_thread().name, text))

    def span(self, name: str, fn):
        timeline = self

        def wrapped(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                t1, c1 = time.perf_counter(), time.thread_time()
                timeline.add(f"{name} {1000 * (t1 - t0):.0f} ms (cpu {1000 * (c1 - c0):.0f})", t0)

        wrapped.__wrapped__ = fn
        return wrapped

    def install(self, window) -> None:
        from kmeans_desktop.gui import compute, scheduler

        timeline = self
        run = scheduler.Ticket.run

        def ticket_run(ticket):
            name = getattr(ticket.fn, "__name__", "?")
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                run(ticket)
            finally:
                t1, c1 = time.perf_counter(), time.thread_time()
                timeline.add(f"[{ticket.lane}] {name} {1000 * (t1 - t0):.0f} ms (cpu {1000 * (c1 - c0):.0f})", t0)
                timeline.add(f"[{ticket.lane}] {name} ends", t1)

        scheduler.Ticket.run = ticket_run
        compute.quantize = self.span("  quantize", compute.quantize)
        compute.pyramid_from_indexed = self.span("  picture", compute.pyramid_from_indexed)
        finished = scheduler.Scheduler._on_finished

        def on_finished(sched, ticket):
            t0 = time.perf_counter()
            finished(sched, ticket)
            timeline.add(f"delivered [{ticket.lane}] {getattr(ticket.fn, '__name__', '?')}: GUI slots "
                         f"{1000 * (time.perf_counter() - t0):.0f} ms", t0)

        scheduler.Scheduler._on_finished = on_finished
        window.session.requestWanted.connect(lambda settled: self.add(f"request (settled={settled})"))
        window.previewReady.connect(lambda k: self.add(f"previewReady K={k}"))
        window.sizeReady.connect(lambda k, n: self.add(f"sizeReady K={k} {n:,} B"))

    def report(self, since: float, until: float | None = None, title: str = "") -> None:
        print(f"    timeline {title} (ms after the last slider change):")
        with self._lock:
            events = sorted(e for e in self.events if e[0] >= since - 2.0 and (until is None or e[0] <= until))
        for t, thread, text in events:
            if t < since and " ms " not in text:
                continue
            print(f"      {1000 * (t - since):8.0f}  {thread[:18]:<18} {text}")
