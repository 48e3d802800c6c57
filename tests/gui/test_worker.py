"""The worker's scheduling: latest request wins, one job at a time, cache, quick previews, errors."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from kmeans_desktop.core import encode
from kmeans_desktop.gui import compute as compute_module
from kmeans_desktop.gui import quick_policy
from kmeans_desktop.gui import worker as worker_module
from kmeans_desktop.gui.worker import PreviewWorker

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def worker(qtbot):
    w = PreviewWorker()
    yield w
    assert w.shutdown(5000)


@pytest.fixture
def loaded(worker, qtbot, make_image):
    with qtbot.waitSignal(worker.imageLoaded, timeout=20_000):
        worker.load(make_image("w.png", 64, 48))
    return worker


class Gate:
    """Wraps compute_preview: counts concurrent calls, and holds each call until opened."""

    def __init__(self, monkeypatch):
        self.real = worker_module.compute_preview
        self.lock = threading.Lock()
        self.running = 0
        self.max_running = 0
        self.calls: list[tuple[int, bool, bool]] = []
        self.entered = threading.Event()
        self.open = threading.Event()
        monkeypatch.setattr(worker_module, "compute_preview", self)

    def __call__(self, image, k, dither, final):
        with self.lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            self.calls.append((k, dither, final))
        self.entered.set()
        try:
            self.open.wait(20)
            return self.real(image, k, dither, final)
        finally:
            with self.lock:
                self.running -= 1


def final_k(preview) -> bool:
    return preview.final


def test_latest_request_wins_with_one_job_running(loaded, qtbot, monkeypatch):
    gate = Gate(monkeypatch)
    shown = []
    loaded.previewAvailable.connect(lambda p: shown.append(p.k))
    loaded.request(3, False)
    qtbot.waitUntil(gate.entered.is_set, timeout=10_000)
    for k in range(4, 30):  # all while the first job is stuck: they only replace the target
        loaded.request(k, False)
    assert gate.calls == [(3, False, True)]
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000, check_params_cb=lambda p: p.k == 29):
        gate.open.set()
    assert gate.calls == [(3, False, True), (29, False, True)]  # nothing in between was computed
    assert gate.max_running == 1
    assert shown == [29]  # the stale K=3 job was cancelled: it stopped at its first checkpoint...
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000, check_params_cb=lambda p: p.k == 3):
        loaded.request(3, False)  # ...so nothing of it was cached: computed again
    assert len(gate.calls) == 3


class After:
    """Wraps compute_preview: the real call first (past its last checkpoint), then a wait for a go."""

    def __init__(self, monkeypatch):
        self.real = worker_module.compute_preview
        self.done = threading.Event()
        self.go = threading.Event()
        monkeypatch.setattr(worker_module, "compute_preview", self)

    def __call__(self, *args):
        result = self.real(*args)
        self.done.set()
        self.go.wait(20)
        return result


def test_a_stale_result_that_ends_anyway_is_cached_not_shown(loaded, qtbot, monkeypatch):
    after = After(monkeypatch)
    shown = []
    loaded.previewAvailable.connect(lambda p: shown.append(p.k))
    loaded.request(3, False)
    qtbot.waitUntil(after.done.is_set, timeout=20_000)  # computed, past every checkpoint
    loaded.request(5, False)  # cancels it, too late to stop it
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000, check_params_cb=lambda p: p.k == 5):
        after.go.set()
    assert shown == [5]  # the K=3 result was dropped by its generation...
    started = loaded.started["compute"]
    loaded.request(3, False)  # ...but kept in the cache
    assert shown == [5, 3] and loaded.started["compute"] == started


def test_a_new_key_cancels_the_running_full_job_and_starts_the_wanted_one(loaded, qtbot, monkeypatch):
    # The real quantize of K=200 watches its ticket: cancelled, it stops at a checkpoint; nothing of
    # it is cached, shown or reported, the lane is free at once for K=6, and the worker ends idle.
    stopped, failures, shown = [], [], []
    loaded.computeFailed.connect(failures.append)
    loaded.previewAvailable.connect(lambda p: shown.append(p.k))
    entered = threading.Event()
    real = worker_module.compute_preview

    def slow(image, k, *args):
        if k == 200 and not entered.is_set():  # the first one held until cancelled (the ticket's
            entered.set()  # event, as quantize's checkpoints see it)
            from kmeans_desktop.core.cancel import current
            current().wait(20)
        return real(image, k, *args)

    monkeypatch.setattr(worker_module, "compute_preview", slow)
    full = loaded.scheduler.lane("full")
    original = full.on_done
    full.on_done = lambda job, current: (stopped.append(job.stopped), original(job, current))
    loaded.request(200, False)
    qtbot.waitUntil(entered.is_set, timeout=10_000)
    loaded.target_moved(6, 0.0)  # the slider moved: the running job for K=200 is stale
    qtbot.waitUntil(lambda: stopped == [True], timeout=10_000)
    assert loaded.is_idle() and shown == [] and failures == []
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000, check_params_cb=lambda p: p.k == 6):
        loaded.request(6, False)
    with qtbot.waitSignal(loaded.computeIdle, timeout=20_000):
        pass
    assert stopped == [True, False] and shown == [6] and failures == []
    started = loaded.started["compute"]
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000, check_params_cb=lambda p: p.k == 200):
        loaded.request(200, False)  # not cached: computed again, in full this time
    assert loaded.started["compute"] == started + 1 and failures == []


def test_a_job_for_the_wanted_key_is_never_cancelled(loaded, qtbot, monkeypatch):
    gate = Gate(monkeypatch)
    loaded.request(7, False)
    qtbot.waitUntil(gate.entered.is_set, timeout=10_000)
    loaded.target_moved(7, 0.0)
    loaded.request(7, False, settled=False)
    assert not loaded.scheduler.lane("full").running.cancelled
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000, check_params_cb=lambda p: p.k == 7):
        gate.open.set()
    assert len(gate.calls) == 1


def test_cache_answers_at_once_and_a_new_image_clears_it(loaded, qtbot, make_image):
    for k in (4, 6):
        with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000, check_params_cb=lambda p, k=k: p.k == k):
            loaded.request(k, False)
    started = dict(loaded.started)
    with qtbot.waitSignal(loaded.previewAvailable, timeout=1_000) as hit:
        loaded.request(4, False)  # emitted synchronously from the cache
    assert hit.args[0].k == 4 and hit.args[0].final
    assert loaded.started["compute"] == started["compute"]
    with qtbot.waitSignal(loaded.imageLoaded, timeout=20_000):
        loaded.load(make_image("other.png", 64, 48, seed=9))
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000):
        loaded.request(4, False)
    assert loaded.started["compute"] == started["compute"] + 1


def test_dither_is_part_of_the_key(loaded, qtbot):
    results = {}
    for dither in (False, True):
        with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000) as got:
            loaded.request(5, dither)
        results[dither] = got.args[0]
    assert results[True].dither and not results[False].dither
    assert results[True].quantized is not results[False].quantized


class Hold:
    """Wraps compute_preview so that quick (final=False) or full (final=True) jobs wait for a go."""

    def __init__(self, monkeypatch, *, final: bool):
        self.real = worker_module.compute_preview
        self.final = final
        self.go = threading.Event()
        self.waiting = threading.Event()
        monkeypatch.setattr(worker_module, "compute_preview", self)

    def __call__(self, image, k, dither, final):
        if final == self.final:
            self.waiting.set()
            self.go.wait(20)
        return self.real(image, k, dither, final)


@pytest.fixture
def large(worker, qtbot, make_image, monkeypatch):
    """The worker with a 64×48 image treated as large: it gets a sample for quick previews."""
    worker.proxy_above, worker.proxy_pixels = 1_000, 800
    monkeypatch.setattr(quick_policy, "QUICK_FIRST_ABOVE", 0)  # quick first, until measured
    with qtbot.waitSignal(worker.imageLoaded, timeout=20_000) as loaded:
        worker.load(make_image("big.png", 64, 48))
    return worker, loaded.args[0]


def test_quick_preview_first_then_the_final_one(large, qtbot, monkeypatch):
    worker, image = large
    worker.overlap = True
    assert image.proxy is not None and image.proxy.shape[0] * image.proxy.shape[1] <= 800
    hold = Hold(monkeypatch, final=True)
    previews = []
    worker.previewAvailable.connect(previews.append)
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=lambda p: not p.final):
        worker.request(6, False)
    assert hold.waiting.is_set()  # the full result is computed beside the quick one
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=final_k):
        hold.go.set()
    assert [p.final for p in previews] == [False, True]
    quick, final = previews
    assert quick.pyramid.size == final.pyramid.size  # both stand for the full image
    assert quick.quantized.indices.shape == image.proxy.shape[:2]
    assert final.quantized.indices.shape == (48, 64)


def test_a_late_quick_preview_never_replaces_the_final_one(large, qtbot, monkeypatch):
    worker, _ = large
    worker.overlap = True
    hold = Hold(monkeypatch, final=False)
    previews = []
    worker.previewAvailable.connect(previews.append)
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=final_k):
        worker.request(6, False)
    hold.go.set()
    qtbot.waitUntil(worker.is_idle, timeout=20_000)
    assert [p.final for p in previews] == [True]


def test_without_overlap_the_full_result_starts_after_the_quick_one(large, qtbot, monkeypatch):
    worker, _ = large
    worker.overlap = False
    gate = Gate(monkeypatch)
    worker.request(6, False)
    qtbot.waitUntil(gate.entered.is_set, timeout=10_000)
    assert gate.calls == [(6, False, False)]  # only the quick job runs
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=final_k):
        gate.open.set()
    assert gate.calls == [(6, False, False), (6, False, True)] and gate.max_running == 1


def test_quick_previews_are_skipped_once_full_results_are_fast(large, qtbot):
    worker, _ = large
    worker.overlap = False
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=final_k):
        worker.request(6, False)
    assert worker.started["quick"] == 1  # the first one: speed unknown
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=final_k):
        worker.request(7, False)
    assert worker.started["quick"] == 1 and worker.started["compute"] == 2
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=lambda p: not p.final):
        worker.request(8, False, settled=False)  # dragging: quick ones still come
    assert worker.started["quick"] == 2
    qtbot.waitUntil(worker.is_idle, timeout=20_000)


def test_while_dragging_only_quick_previews_start(large, qtbot):
    worker, _ = large
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=lambda p: not p.final):
        worker.request(5, False, settled=False)
    qtbot.waitUntil(worker.is_idle, timeout=20_000)
    assert worker.started["quick"] == 1 and worker.started["compute"] == 0
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=final_k):
        worker.request(5, False, settled=True)
    assert worker.started["quick"] == 1 and worker.started["compute"] == 1  # the quick one was cached


def test_window_says_preview_ready_only_for_the_final_result(window, qtbot, make_image, monkeypatch):
    window.worker.proxy_above, window.worker.proxy_pixels = 1_000, 800
    window.worker.overlap = True
    hold = Hold(monkeypatch, final=True)
    finals, ready = [], []
    window.worker.previewAvailable.connect(lambda p: finals.append(p.final))
    window.previewReady.connect(ready.append)
    with qtbot.waitSignal(window.worker.previewAvailable, timeout=20_000):
        window.open_image(make_image("big.png", 64, 48))
    assert finals == [False] and ready == []
    assert window.compare_view.result_label().endswith("· preview")
    assert not window.action_save.isEnabled()  # nothing final to save yet
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        hold.go.set()
    assert finals == [False, True] and ready == [window.k()]
    assert window.action_save.isEnabled()


def test_encoding_follows_the_final_result(loaded, qtbot):
    with qtbot.waitSignal(loaded.encodedAvailable, timeout=20_000) as got:
        with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000) as preview:
            loaded.request(7, False)
    enc, q = got.args[0], preview.args[0].quantized
    assert enc.k == 7 and enc.fmt == "png"
    assert enc.data == encode(q, "png", icc_profile=loaded.image.source.icc_profile)
    assert loaded.cached_bytes(preview.args[0], "png") is enc


def test_request_bytes_encodes_on_demand(loaded, qtbot):
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000) as preview:
        loaded.request(5, False)
    got = []
    loaded.request_bytes(preview.args[0], "gif", lambda enc, err: got.append((enc, err)))
    qtbot.waitUntil(lambda: bool(got), timeout=20_000)
    enc, err = got[0]
    assert err is None and enc.fmt == "gif" and enc.data[:3] == b"GIF"


def test_a_failing_computation_is_reported_once(loaded, qtbot, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(worker_module, "compute_preview", broken)
    with qtbot.waitSignal(loaded.computeFailed, timeout=20_000) as failed:
        loaded.request(5, False)
    assert "boom" in failed.args[0]
    qtbot.waitUntil(loaded.is_idle, timeout=10_000)
    assert loaded.started["compute"] == 1  # no retry loop for the same request


def test_load_failure_is_a_sentence(worker, qtbot, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    with qtbot.waitSignal(worker.loadFailed, timeout=20_000) as failed:
        worker.load(bad)
    assert failed.args[0].startswith("bad.jpg:")
    assert worker.image is None


def test_only_the_newest_load_counts(worker, qtbot, make_image):
    paths = [make_image(f"n{i}.png", seed=i) for i in range(4)]
    seen = []
    worker.imageLoaded.connect(lambda im: seen.append(im.name))
    for p in paths:
        worker.load(p)
    qtbot.waitUntil(lambda: worker.is_idle() and bool(seen), timeout=20_000)
    assert seen[-1] == "n3.png" and "n1.png" not in seen and "n2.png" not in seen


def test_busy_follows_the_jobs(loaded, qtbot):
    states = []
    loaded.busyChanged.connect(states.append)
    with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000):
        loaded.request(11, False)
    qtbot.waitUntil(loaded.is_idle, timeout=20_000)
    assert states[0] is True and states[-1] is False and not loaded.busy


def test_shutdown_stops_all_scheduling(loaded, qtbot):
    assert loaded.shutdown(5000)
    loaded.request(9, False)
    loaded.load("whatever.png")
    assert loaded.is_idle() and loaded.started["compute"] == 0


def test_pyramid_levels_halve_down_to_a_small_size(pattern):
    from kmeans_desktop.gui.render import pyramid_from_pixels

    p = pyramid_from_pixels(pattern(1200, 700, 1))
    sizes = [(lv.width(), lv.height()) for lv in p.levels]
    assert sizes == [(1200, 700), (600, 350), (300, 175)]
    assert p.level_for(1.0).width() == 1200
    assert p.level_for(0.5).width() == 600
    assert p.level_for(0.3).width() == 600  # never fewer pixels than the screen shows
    assert p.level_for(0.1).width() == 300
    first = p.levels[0].pixelColor(3, 2)
    px = pattern(1200, 700, 1)[2, 3]
    assert (first.red(), first.green(), first.blue()) == tuple(int(v) for v in px)
    assert np.isclose(p.nbytes, sum(lv.sizeInBytes() for lv in p.levels))


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("width", [1, 37, 64])
def test_indexed_pyramid_equals_the_rgb_one(channels, width):
    from kmeans_desktop.gui.render import pyramid_from_indexed, pyramid_from_pixels

    rng = np.random.default_rng(width + channels)
    palette = rng.integers(0, 256, (13, channels), dtype=np.uint8)
    if channels == 4:
        palette[0, 3], palette[1, 3] = 0, 255
    indices = rng.integers(0, 13, (23, width), dtype=np.uint8)
    a = pyramid_from_indexed(indices, palette).levels[0]
    b = pyramid_from_pixels(palette[indices]).levels[0]
    assert a.format() == b.format() and a.size() == b.size()
    assert all(a.pixel(x, y) == b.pixel(x, y) for y in range(23) for x in range(width))


def test_large_images_are_encoded_in_a_helper_process(loaded, qtbot, monkeypatch):
    monkeypatch.setattr(compute_module, "OUT_OF_PROCESS_ABOVE", 0)
    with qtbot.waitSignal(loaded.encodedAvailable, timeout=60_000) as got:
        with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000) as preview:
            loaded.request(12, False)
    assert loaded.helper.running  # the helper did it, and waits for the next one
    q = preview.args[0].quantized
    assert got.args[0].data == encode(q, "png", icc_profile=loaded.image.source.icc_profile)
    assert loaded.shutdown(5000)
    assert not loaded.helper.running  # closing kills the helper


def test_helper_process_reports_errors_and_refuses_work_after_close(qapp):
    from kmeans_desktop.core import quantize
    from kmeans_desktop.gui.helper import HelperGone, HelperProcess

    q = quantize(np.arange(48 * 3, dtype=np.uint8).reshape(4, 12, 3), 4)
    enc = HelperProcess()
    try:
        assert enc.encode(q, "gif", None) == encode(q, "gif")
        with pytest.raises(RuntimeError, match="unknown format"):
            enc.encode(q, "tiff", None)
    finally:
        enc.close()
    with pytest.raises(HelperGone):
        enc.encode(q, "png", None)


def test_large_final_results_are_packed_from_the_moment_their_picture_is_built(loaded, qtbot, monkeypatch):
    """Above OUT_OF_PROCESS_ABOVE the helper is asked for the estimate and the exact bytes once the
    picture is built (not before: the packing would take a core from the picture's threads) and
    before the result is shown; the encode lane only waits for them: one packing, the bytes Save writes."""
    monkeypatch.setattr(worker_module, "OUT_OF_PROCESS_ABOVE", 0)
    monkeypatch.setattr(worker_module, "ESTIMATE_ABOVE", 0)
    monkeypatch.setattr(compute_module, "ESTIMATE_ABOVE", 0)
    asked = []
    real = compute_module.pyramid_from_indexed

    def packing() -> int:  # requests packed, running or queued
        return loaded.helper.requests + len(loaded.helper._threads)

    def picture(*args):
        asked.append(packing())
        return real(*args)

    monkeypatch.setattr(compute_module, "pyramid_from_indexed", picture)
    estimates = []
    loaded.estimateAvailable.connect(estimates.append)
    loaded.previewAvailable.connect(lambda _preview: asked.append(packing()))
    with qtbot.waitSignal(loaded.encodedAvailable, timeout=60_000) as got:
        with qtbot.waitSignal(loaded.previewAvailable, timeout=20_000) as shown:
            loaded.request(12, False)
    preview = shown.args[0]
    # nothing asked while the picture was built; asked by the time the result is shown
    assert asked[:1] == [0] and len(asked) >= 2 and asked[1] >= 1 and preview.early is not None
    q = preview.quantized
    assert got.args[0].data == encode(q, "png", icc_profile=loaded.image.source.icc_profile)
    assert len(estimates) == 1 and estimates[0].k == 12
    assert loaded.helper.requests == 2  # the estimate and the exact bytes, nothing packed twice
    saved = []
    loaded.request_bytes(preview, "png", lambda encoded, error: saved.append(encoded))
    assert saved == [got.args[0]]  # Save takes those very bytes


def test_helper_submit_runs_requests_in_order_and_drops_unwanted_ones(qapp):
    from kmeans_desktop.core import quantize
    from kmeans_desktop.gui.helper import HelperGone, HelperProcess

    q = quantize(np.arange(48 * 3, dtype=np.uint8).reshape(4, 12, 3), 4)
    enc = HelperProcess()
    try:
        gif, png = enc.submit([("encode", q, "gif", None), ("encode", q, "png", None)])
        assert gif.result(30) == encode(q, "gif") and png.result(30) == encode(q, "png")
        (dropped,) = enc.submit([("encode", q, "png", None)], wanted=lambda: False)
        with pytest.raises(HelperGone):
            dropped.result(30)
        assert enc.requests == 2  # the unwanted one never reached the process
    finally:
        enc.close()
    assert not enc._threads


def test_frozen_apps_run_the_helper_through_their_own_entry_point(monkeypatch):
    from kmeans_desktop import cli
    from kmeans_desktop.gui.helper import HELPER_FLAG, helper_command

    assert helper_command()[1:] == ["-m", "kmeans_desktop.gui.helper"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert helper_command() == [sys.executable, HELPER_FLAG]
    assert cli.ENCODER_HELPER_FLAG == HELPER_FLAG  # the entry point's main() serves it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_jobs_run_below_the_gui_threads_cpu_priority(qapp, qtbot):
    """A window frame must not wait for a core behind quantizing: every job's thread is niced."""
    import os

    from kmeans_desktop.gui.scheduler import WORKER_NICE, Scheduler

    def own_nice():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    gui_before = own_nice()
    scheduler = Scheduler()
    seen = []
    lane = scheduler.add_lane("probe", lambda ticket, _current: seen.append(ticket.result))
    lane.submit(own_nice)
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert seen[0] >= WORKER_NICE > gui_before
    assert own_nice() == gui_before  # the GUI thread keeps its priority
    scheduler.shutdown()


def test_a_window_process_keeps_blas_to_one_thread(qapp, qtbot):
    """The lanes are the window's parallelism: BLAS threads of their own would only spin beside them."""
    from threadpoolctl import threadpool_info

    from kmeans_desktop.gui.scheduler import BLAS_THREADS, Scheduler

    scheduler = Scheduler()
    seen = []
    lane = scheduler.add_lane("probe", lambda ticket, _current: seen.append(ticket.result))
    lane.submit(threadpool_info)
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    blas = [lib for lib in seen[0] if lib["user_api"] == "blas"]
    assert blas, "numpy brings a BLAS library"
    assert all(lib["num_threads"] == BLAS_THREADS == 1 for lib in blas)
    scheduler.shutdown()


def test_background_work_waits_for_the_exact_bytes_of_the_result_on_show(opened, qtbot):
    """The quality score (and the K curve) start only once the byte count the user waits for is known."""
    w = opened
    events = []
    lane = w.quality._lane
    start = lane.start

    def spy(*args, **kwargs):
        events.append(("quality", w.k()))
        return start(*args, **kwargs)

    lane.start = spy
    w.sizeReady.connect(lambda k, _n: events.append(("size", k)))
    with qtbot.waitSignal(w.previewReady, timeout=20_000):
        w.k_slider.setValue(7)
    qtbot.waitUntil(lambda: ("quality", 7) in events and ("size", 7) in events, timeout=20_000)
    assert events.index(("size", 7)) < events.index(("quality", 7))


def test_large_results_show_an_estimate_first_then_the_exact_bytes(window, qtbot, make_image, monkeypatch):
    """Above ESTIMATE_ABOVE the stats show "≈ … (estimate …)" until the exact bytes, which Save writes."""
    from kmeans_desktop.gui import compute

    monkeypatch.setattr(worker_module, "ESTIMATE_ABOVE", 10_000)
    path = make_image("big.png", w=400, h=300)
    estimates, sizes = [], []
    window.worker.estimateAvailable.connect(lambda e: estimates.append((e, window.stats.value_text("bytes"),
                                                                        window.stats.bytes_shown)))
    window.sizeReady.connect(lambda k, n: sizes.append(n))
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(path)
    qtbot.waitUntil(lambda: bool(sizes), timeout=20_000)
    assert len(estimates) == 1
    estimate, text, shown = estimates[0]
    assert isinstance(estimate, compute.SizeEstimate) and text.startswith("≈") and "estimate" in text
    assert shown is None  # an estimate is never given as the bytes Save writes
    q = window.current_preview().quantized
    assert window.stats.bytes_shown == sizes[0] == len(encode(q, "png"))
    assert 0.7 < estimate.nbytes / sizes[0] < 1.3
    assert not window.stats.value_text("bytes").startswith("≈")


def test_a_drags_quick_previews_are_never_cancelled_and_keep_appearing(large, qtbot, monkeypatch):
    # A drag: the first change dispatched at once (settled: a full job), the rest debounced, with
    # targetMoved on each and an unsettled request now and then. The full job is cancelled by the
    # second change; the quick jobs run to their end and are shown, one after the other.
    worker, _ = large
    worker.overlap = False
    hold = Hold(monkeypatch, final=False)
    quick_shown = []
    worker.previewAvailable.connect(lambda p: quick_shown.append(p.k) if not p.final else None)
    worker._full_seconds, worker._quick_seconds = 0.01, 0.01  # (measured fast: a settled request skips quick)
    worker.request(10, False)  # the drag's first change, alone: settled, a full job only
    for k in range(11, 40):
        worker.target_moved(k, 0.0)
        if k % 6 == 0:  # every MAX_WAIT_MS: an unsettled request, a quick preview
            worker.request(k, False, settled=False)
            qtbot.waitUntil(hold.waiting.is_set, timeout=10_000)
            hold.waiting.clear()
            assert not worker.scheduler.lane("quick").running.cancelled
            for later in (k + 1, k + 2):  # the drag goes on while it computes: it isn't cancelled
                worker.target_moved(later, 0.0)
            assert not worker.scheduler.lane("quick").running.cancelled
            with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=lambda p, k=k: p.k == k):
                hold.go.set()
            hold.go.clear()
    assert quick_shown == [12, 18, 24, 30, 36]
    hold.go.set()
    with qtbot.waitSignal(worker.previewAvailable, timeout=20_000, check_params_cb=final_k):
        worker.request(39, False)  # let go: the final result
    assert worker.started["compute"] == 2  # the first change's full job (cancelled) and the last one's
