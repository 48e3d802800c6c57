"""`core.crew`: a call's parallel parts share helper threads started once, never deadlock, and
leave no thread running."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from kmeans_desktop.core import build_histogram, cancel, colorbins, crew, quantize


def test_shared_map_keeps_the_items_order_and_runs_on_the_crews_helper():
    names = set()

    def square(i):
        names.add(threading.current_thread().name)
        if i == 0:  # hold the first item until another thread has taken one
            seen.wait(timeout=30)
        else:
            seen.set()
        return i * i

    seen = threading.Event()
    before = set(threading.enumerate())
    with crew.crew(1):
        assert crew.shared_map(square, list(range(40)), 2) == [i * i for i in range(40)]
    assert names == {threading.current_thread().name, "kmeans-crew"}
    assert set(threading.enumerate()) - before == set()


def test_a_part_no_helper_took_runs_in_the_thread_that_waits_for_it():
    release, busy = threading.Event(), threading.Event()
    ran_on = []
    with crew.crew(1):
        blocker = crew.spawn(lambda: (busy.set(), release.wait(timeout=30)))
        busy.wait(timeout=30)  # the only helper is taken
        part = crew.spawn(lambda: ran_on.append(threading.current_thread().name) or 7)
        assert part.join() == 7
        release.set()
        blocker.join()
    assert ran_on == [threading.current_thread().name]


def test_a_part_that_waits_for_its_own_part_finishes_on_one_helper():
    def outer():  # on the helper: its own part is queued behind it, and runs in it
        inner = crew.spawn(lambda: threading.current_thread().name)
        return threading.current_thread().name, inner.join()

    with crew.crew(1):
        part = crew.spawn(outer)
        result = part.join()
    assert result[0] == result[1]


def test_errors_reach_the_caller_and_a_dropped_part_never_runs():
    def fails():
        raise ValueError("boom")

    release, busy = threading.Event(), threading.Event()
    ran = []
    with crew.crew(1):
        with pytest.raises(ValueError, match="boom"):
            crew.spawn(fails).join()
        blocker = crew.spawn(lambda: (busy.set(), release.wait(timeout=30)))
        busy.wait(timeout=30)
        dropped = crew.spawn(lambda: ran.append(1))
        dropped.drop()
        release.set()
        blocker.join()
    assert ran == []
    with pytest.raises(ValueError, match="boom"):  # outside a crew: a thread of its own
        crew.spawn(fails).join()


def test_parts_run_under_the_callers_cancel_event():
    event = threading.Event()
    with crew.crew(1), cancel.cancel_on(event):
        assert crew.spawn(cancel.current).join() is event
        event.set()
        with pytest.raises(cancel.Cancelled):
            crew.shared_map(lambda i: cancel.checkpoint(), [1, 2, 3, 4], 2)


@pytest.mark.parametrize("one_lane", [False, True])
def test_quantize_starts_its_helper_threads_once_a_call(monkeypatch, one_lane):
    # 600×500 noise: above the sizes where parts go to a second thread (the row bands, the colours'
    # error beside them), which until session 14 started 11-12 threads of their own a call
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (600, 500, 3), dtype=np.uint8)
    hist = build_histogram(pixels)
    quantize(pixels, 16, histogram=hist)
    if one_lane:
        monkeypatch.setattr(colorbins, "_workers", 1)
    helpers = colorbins.lanes() - 1
    started, ran_on = [], []
    real_start, real_claim = threading.Thread.start, crew.Part._claim

    def start(self):
        started.append(self.name)
        real_start(self)

    def claim(self):
        taken = real_claim(self)
        if taken:
            ran_on.append(threading.current_thread().name)
        return taken

    monkeypatch.setattr(threading.Thread, "start", start)
    monkeypatch.setattr(crew.Part, "_claim", claim)
    plain = quantize(pixels, 24, histogram=hist)
    assert started == ["kmeans-crew"] * helpers
    assert ("kmeans-crew" in ran_on) == (helpers > 0)  # (parts were handed out, and the helper took some)
    monkeypatch.setattr(colorbins, "_workers", 1)
    alone = quantize(pixels, 24, histogram=hist)  # one thread: the same result
    assert np.array_equal(plain.indices, alone.indices) and np.array_equal(plain.palette, alone.palette)


def test_a_stopped_part_stops_at_its_next_checkpoint_or_never_starts():
    started, release = threading.Event(), threading.Event()
    steps = []

    def long_work():
        started.set()
        while True:
            cancel.checkpoint()
            steps.append(1)
            release.wait(timeout=0.001)

    with crew.crew(1):
        running = crew.spawn(long_work, stoppable=True)
        started.wait(timeout=30)
        running.stop()  # returns once it has stopped
        done = len(steps)
        with pytest.raises(cancel.Cancelled):
            running.join()
        assert len(steps) == done
        never = crew.spawn(lambda: steps.append("ran"), stoppable=True)
        never.stop()  # (the helper may not have taken it yet: then it never runs)
    assert "ran" not in steps or steps[-1] == "ran"


@pytest.mark.parametrize("detail_moves", [False, True])
def test_labels_searched_beside_the_detail_pass_are_the_plain_ones(monkeypatch, detail_moves):
    # Above kmeans._EXACT_LLOYD_LIMIT colours there are no polish bounds: the palette's labels are
    # searched on the crew's helper while `keep_details` runs, used when it keeps the palette, and
    # stopped when it moves it. Either way the result is the one computed on one thread.
    from kmeans_desktop.core import kmeans

    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:240, 0:320]
    pixels = np.stack([x * 0.8, y, (x + y) * 0.4], axis=2) + rng.normal(0, 6, (240, 320, 3))
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    monkeypatch.setattr(kmeans, "_EXACT_LLOYD_LIMIT", 1000)
    real_detail, real_assigned = kmeans.keep_details, kmeans.assigned

    def detail(centres, *args):
        out = real_detail(centres, *args)
        return (centres + np.array([0.0, 1.5, -1.5])) if detail_moves else None

    searched = []

    def assigned(*args):
        searched.append(threading.current_thread().name)
        return real_assigned(*args)

    monkeypatch.setattr(kmeans, "keep_details", detail)
    monkeypatch.setattr(kmeans, "assigned", assigned)
    results = []
    for workers in (-1, 1):  # two lanes (when the machine has two cores), then one
        monkeypatch.setattr(colorbins, "_workers", workers)
        searched.clear()
        results.append(quantize(pixels, 12))
        assert len(searched) == (1 if workers == -1 and colorbins.lanes() > 1 else 0)
    two, one = results
    assert np.array_equal(two.palette, one.palette) and np.array_equal(two.indices, one.indices)
    assert two.mse == one.mse


def test_a_small_images_quantize_starts_no_thread(monkeypatch):
    pixels = np.random.default_rng(1).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    started = []
    real = threading.Thread.start

    def start(self):
        started.append(self.name)
        real(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    quantize(pixels, 8)
    assert started == []  # (the crew starts its helper with the first part handed out)
