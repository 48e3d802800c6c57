#!/usr/bin/env python
"""GUI responsiveness on a 9 MP photo: GUI-thread stalls while scrubbing K, and preview latency.

Run under a real X server:
    xvfb-run -a -s "-screen 0 1600x1000x24 +extension GLX +render" .venv/bin/python benchmarks/bench_gui.py

What it measures (printed, never asserted):

* **Worst GUI-thread stall**: a 10 ms QTimer heartbeat runs on the GUI thread while the K slider is
  dragged from 2 to 256 in about 200 changes (one every 15 ms, as a quick drag), and on until the
  final preview for K=256 is on screen and its PNG size is known. The longest gap between two
  beats is the worst stall (the goal: at most 100 ms).
* **Latency**: for K = 16, 64 and 256, with an empty cache and the worker idle, a short drag ends
  on K; the time from that last slider change to `previewReady(K)` (the final, full-image preview
  on screen). The median over --trials runs is reported (goals: 250 ms at K=16/64, 1 s at 256),
  with the time to the first quick preview, and the core's own quantize time for the final
  result (the part of the latency the GUI can't remove), beside it; and the time from that final
  preview to its exact PNG byte count (`sizeReady`; issue 13's goal: ≤ 2 s at 9 MP), and to the
  estimate of it shown first (`estimateAvailable`, above 4 MP). The drag moves the slider by
  `setValue`, as a held key or a mouse that stops but stays pressed does: the last value waits
  the session's debounce (`Session.quiet_ms`: 22 ms after changes 15 ms apart since session 14,
  `Session.DEBOUNCE_MS` = 40 ms before). With `--let-go` the slider is held down during
  the drag and let go on its last value, as a mouse drag ends: `sliderReleased` sends the request
  at once (`Session.settle`). With `--single` there is no drag: the slider is set once, straight
  from the start K to K, as a typed value, a spin-box click or a single key press sets it (a lone
  change: since issue 15's fifteenth helper the session asks for it at once, with no debounce).
  The three are different user actions; report all three. The benchmark waits for these signals
  without polling (`wait_until`'s `signal`): until session 13 it polled every 5 ms, which cost the
  GUI thread 31-61 ms CPU (with the GIL) within each ~0.35 s it measured; `--cpu-split` shows
  where the cores went meanwhile.

The colour-space views (issue 4; `--part views` runs only these):

* **Cloud update on a K change**: the GUI-thread time the colour cloud costs per new result, in
  reduced colours (the costlier mode: every point is recoloured), with 50,000 points: the slots
  that set the centroids and the points' colours, plus the next frame's paintGL. Goal ≤ 30 ms.
  The assignment itself runs on a pool thread (its time is printed beside, for information), and
  the time until the new colours are on screen (the window's composition included) too.
* **Rotation**: 100 frames of a scripted rotation (3.6° each) of the cloud with 50,000 points,
  each frame forced (update, then wait for the frame to be swapped). Goal ≥ 30 frames/s on Mesa
  llvmpipe under Xvfb. Measured in the window's dock and in an 800×600 view.
* **k-means playback** (issue 17; `--part playback` runs only this; `--cases` picks some): the
  GUI-thread time of one playback frame with 50,000 points, stepped frame by frame (the frames
  themselves are computed on a pool thread): the player's tick (the cloud's new colours,
  centroids and trails, the error plot, the status; "tick" in the table) plus the drawing it
  causes: the window's update request that paints it (in the 3-D view its paintGL and, until
  branch issue-17f made the view render offscreen, the OpenGL composition and swap of the
  whole window, which this figure left out: it counted only paintGL); in the 2-D fallback the window's update requests
  until the three projections are painted (Qt paints every changed widget in one and flushes the
  window once: the projections, the error plot, the preview; as the app draws it; until issue 17's
  fourth helper it repainted each projection with `repaint()`, a flush each, and its baseline
  read 0.0); with "follow in preview" also the compare view's paint of the new
  picture ("preview"), in the same repaint as the cloud (as in the window: one composition per
  frame; until issue 17's second helper the preview was repainted on its own, a second
  composition the window never makes). Goal ≤ 33 ms per frame. Beside it, as the same-run
  baseline, a repaint of an unchanged frame (the cost of just drawing 50,000 points), and the
  ratio; and "cpu": the GUI thread's CPU time (`time.thread_time`) from the step until the frame
  is on screen (composition included), which the machine's other load changes far less than
  wall-clock times (llvmpipe's own rasterizer threads are not in it). Under each row, where the
  worst frame's time went (Linux schedstat: on a core, waiting for one, blocked) and the 2-D
  update requests per frame; and "llvmpipe": the CPU time of Mesa llvmpipe's rasterizer threads
  per frame (median), which the GUI thread waits for when it swaps or reads pixels back.
* **K curve**: from the image being loaded to every point of the curve (K = 2…256 and the
  current K, PSNR and PNG size) being known, for the 9 MP photo, with a 10 ms heartbeat on the
  GUI thread. Goals: complete within 5 s, no GUI-thread stall over 100 ms. The K=16 preview
  computes at the same time (the curve waits for it: it yields to the preview).

The photo is scikit-learn's china.jpg scaled up with Lanczos to 3674×2449 (9.0 MP). Settings go to
a temporary folder. The machine's other load changes the figures: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from kmeans_desktop.gui import MainWindow  # noqa: E402
from kmeans_desktop.gui.app import freeze_startup_objects  # noqa: E402

GOALS = {"stall_ms": 100.0, 16: 250.0, 64: 250.0, 256: 1000.0, "cloud_ms": 30.0, "fps": 30.0, "curve_s": 5.0,
         "frame_ms": 33.0}


def make_photo(folder: Path, size: tuple[int, int]) -> Path:
    from sklearn.datasets import load_sample_image

    china = Image.fromarray(load_sample_image("china.jpg"))
    path = folder / f"china-{size[0]}x{size[1]}.jpg"
    china.resize(size, Image.Resampling.LANCZOS).save(path, quality=95)
    return path


def spin(ms: float, wake=None) -> None:
    """Run the event loop for `ms` (or until the signal `wake` fires)."""
    loop = QEventLoop()
    QTimer.singleShot(int(ms), loop.quit)
    if wake is not None:
        wake.connect(loop.quit)
    loop.exec()
    if wake is not None:
        wake.disconnect(loop.quit)


def wait_until(predicate, timeout_s: float, poll_ms: int = 5, signal=None) -> bool:
    """Until `predicate()`, checked every `poll_ms`; with `signal`, checked when it fires (and every
    100 ms) instead: a wait that is measured must not cost the process it measures. Each 5 ms poll
    is a nested event loop and a timer, run with the GIL: within a final preview's ~0.35 s they
    took the GUI thread 31-61 ms CPU, and the GIL from the jobs' Python meanwhile (`--cpu-split`)."""
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            return False
        spin(poll_ms if signal is None else 100, signal)
    return True


class Heartbeat:
    """Records when a 10 ms timer on the GUI thread actually fires."""

    def __init__(self, interval_ms: int = 10):
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._beat)
        self.beats: list[float] = []
        self.cpu: list[float] = []  # the GUI thread's CPU time at each beat

    def _beat(self) -> None:
        self.beats.append(time.perf_counter())
        self.cpu.append(time.thread_time())

    def start(self) -> None:
        self.beats = [time.perf_counter()]
        self.cpu = [time.thread_time()]
        self.timer.start()

    def stop(self) -> np.ndarray:
        self.timer.stop()
        self._beat()
        return np.diff(np.array(self.beats)) * 1000.0

    def cpu_ms(self) -> np.ndarray:
        """The GUI thread's own CPU time in each gap (the rest of a gap it waited: for a core,
        for the GIL, or idly for the timer)."""
        return np.diff(np.array(self.cpu)) * 1000.0


class StallTracer:
    """Diagnosis (--trace-stalls): while the heartbeat is late, a Python thread samples every
    thread's innermost frames, so the table says what the GUI thread was doing (or waiting for)
    and what held the GIL meanwhile. Sampling needs the GIL itself, so a stall spent in C code
    holding it shows up once that code lets go."""

    def __init__(self, hb: Heartbeat, threshold_ms: float = 40.0):
        import threading
        from collections import Counter

        self.hb, self.threshold = hb, threshold_ms / 1000
        self.gui = threading.get_ident()
        self.gui_stacks: Counter = Counter()
        self.other_stacks: Counter = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-tracer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _where(frame, depth: int = 4) -> str:
        import traceback

        return " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                          for f in reversed(traceback.extract_stack(frame)[-depth:]))

    def _run(self) -> None:
        import threading

        me = threading.get_ident()
        while not self._stop.wait(0.005):
            if not self.hb.beats or time.perf_counter() - self.hb.beats[-1] < self.threshold:
                continue
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                (self.gui_stacks if ident == self.gui else self.other_stacks)[self._where(frame)] += 1

    def report(self, top: int = 6) -> None:
        for title, stacks in (("GUI thread", self.gui_stacks), ("other threads", self.other_stacks)):
            print(f"  late-heartbeat samples, {title} (5 ms each):")
            for where, n in stacks.most_common(top):
                print(f"    {n:4d}  {where}")


def helper_cpu(helper) -> float:
    """CPU seconds the helper process has used (Linux /proc), nan if unknown."""
    proc = getattr(helper, "_proc", None)
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, ValueError, IndexError):
        return float("nan")


class CpuSplit:
    """Where the two cores went between two moments (Linux /proc; `--cpu-split`): this process's
    threads by name (run and runqueue-wait ms, from schedstat; threads that started and ended in
    between, such as a quantize's helper, `kmeans-crew`, are not seen one by one but are in "niced"),
    the helper process, and the machine's user (normal priority), niced (the window's jobs, nice 5),
    system, idle and stolen core-milliseconds (stolen: the host ran other guests). Idle cores while
    the final preview computes mean it waited for something other than a core (the GIL, a serial step)."""

    def __init__(self, helper):
        self.helper = helper
        self.mark = None

    @staticmethod
    def _threads() -> dict[str, tuple[str, int, int]]:
        out = {}
        for tid in os.listdir("/proc/self/task"):
            try:
                stat = Path(f"/proc/self/task/{tid}/stat").read_text()
                run, wait, _ = Path(f"/proc/self/task/{tid}/schedstat").read_text().split()
            except (OSError, ValueError):
                continue
            out[tid] = (stat[stat.index("(") + 1:stat.rindex(")")], int(run), int(wait))
        return out

    @staticmethod
    def _machine() -> list[int]:
        return cpu_ticks()

    def start(self) -> None:
        self.mark = (self._threads(), self._machine(), helper_cpu(self.helper))

    def report(self, label: str) -> None:
        threads, machine, helper = self._threads(), self._machine(), helper_cpu(self.helper)
        t0, m0, h0 = self.mark
        by_name: dict[str, list[float]] = {}
        for tid, (name, run, wait) in threads.items():
            _, run0, wait0 = t0.get(tid, (name, 0, 0))
            acc = by_name.setdefault(name, [0.0, 0.0])
            acc[0] += (run - run0) / 1e6
            acc[1] += (wait - wait0) / 1e6
        tick = 1000 / os.sysconf("SC_CLK_TCK")
        user, niced, system, idle, _, _, _, steal = ((b - a) * tick for a, b in zip(m0, machine))
        busiest = sorted(by_name.items(), key=lambda kv: -kv[1][0])
        parts = ", ".join(f"{n} {r:.0f} (queued {w:.0f})" for n, (r, w) in busiest if r >= 1)
        print(f"    cpu split {label}: threads ms {parts}; helper {1000 * (helper - h0):.0f}; machine core-ms: "
              f"user {user:.0f}, niced {niced:.0f}, system {system:.0f}, idle {idle:.0f}, stolen {steal:.0f}", flush=True)


def cpu_ticks() -> list[int]:
    """This machine's CPU ticks so far: user, nice, system, idle, iowait, irq, softirq, steal (/proc/stat)."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def host_ticks() -> tuple[int, int]:
    """(stolen, all) CPU ticks of this machine so far (Linux /proc/stat; (0, 0) elsewhere): time the
    host gave other guests while this one wanted its cores. Session 14 saw it go from 2 % to 13 % of
    the cores' time within an hour, with the same code's final preview from ~200 to ~400 ms."""
    try:
        fields = cpu_ticks()
    except (OSError, ValueError):
        return 0, 0
    return fields[7], sum(fields)


class Recorder:
    """Timestamps of the window's and worker's signals."""

    def __init__(self, window: MainWindow):
        self.ready: list[tuple[float, int]] = []
        self.quick: list[tuple[float, int]] = []
        self.sizes: list[tuple[float, int]] = []
        self.estimates: list[tuple[float, int]] = []  # an estimate of the size, before the exact one
        self.core: list[tuple[float, int, float]] = []  # (time, K, quantize seconds) of finals
        # CPU clocks at each: this process's (all threads) and the helper process's (packing)
        self.cpu: dict[tuple[str, float], tuple[float, float]] = {}
        helper = window.worker.helper

        def clocks(what: str, t: float) -> None:
            self.cpu[(what, t)] = (time.process_time(), helper_cpu(helper))

        window.previewReady.connect(lambda k: (self.ready.append((t := time.perf_counter(), k)), clocks("ready", t)))
        window.sizeReady.connect(lambda k, n: (self.sizes.append((t := time.perf_counter(), k)), clocks("size", t)))
        window.worker.previewAvailable.connect(self._preview)
        if hasattr(window.worker, "estimateAvailable"):  # (an older checkout has none)
            window.worker.estimateAvailable.connect(lambda e: self.estimates.append((time.perf_counter(), e.k)))

    def _preview(self, p) -> None:
        if p.final:
            self.core.append((time.perf_counter(), p.k, p.seconds))
        else:
            self.quick.append((time.perf_counter(), p.k))

    def first(self, events, k: int, after: float) -> float | None:
        return next((t for t, kk in events if kk == k and t >= after), None)


def settle_at(window: MainWindow, rec: Recorder, k: int) -> None:
    """Put the slider on K and wait until its result is on screen and all work has finished."""
    t = time.perf_counter()
    if window.k() != k:
        window.k_slider.setValue(k)
        wait_until(lambda: rec.first(rec.ready, k, t) is not None, 120)
    # every lane of the window's scheduler: the preview's, the cloud and curve, the quality score;
    # past the curve's settling pause (it goes on 300 ms after the preview stopped), and again
    idle = lambda: window.worker.is_idle() and window.scheduler.is_idle()  # noqa: E731
    wait_until(idle, 120)
    spin(400)
    wait_until(idle, 120)


def drag(window: MainWindow, values: list[int], interval_ms: float, let_go: bool = False) -> float:
    """Set the slider to each value in turn, one every interval_ms; returns the last change's time.
    `let_go`: hold the slider down meanwhile and let it go right after the last value (a mouse
    drag's end: `sliderReleased`)."""
    last = 0.0
    if let_go:
        window.k_slider.setSliderDown(True)
    next_at = time.perf_counter()
    for v in values:
        now = time.perf_counter()
        if next_at > now:
            spin((next_at - now) * 1000)
        window.k_slider.setValue(int(v))
        last = time.perf_counter()
        next_at = last + interval_ms / 1000
    if let_go:
        window.k_slider.setSliderDown(False)  # emits sliderReleased
    return last


def scrub(window: MainWindow, rec: Recorder, changes: int, interval_ms: float, trace: bool = False) -> dict:
    values = [int(v) for v in np.unique(np.rint(np.linspace(2, 256, changes)).astype(int))]
    settle_at(window, rec, values[0])
    window.worker.clear_cache()
    hb = Heartbeat()
    hb.start()
    tracer = StallTracer(hb) if trace else None
    if tracer:
        tracer.start()
    started = dict(window.worker.started)
    cpu0, helper0 = time.process_time(), helper_cpu(window.worker.helper)
    t0 = time.perf_counter()
    last = drag(window, values, interval_ms)
    drag_s = time.perf_counter() - t0
    ok = wait_until(lambda: rec.first(rec.ready, values[-1], last) is not None, 120, signal=window.previewReady)
    ready = rec.first(rec.ready, values[-1], last)
    wait_until(lambda: rec.first(rec.sizes, values[-1], last) is not None, 120, signal=window.sizeReady)
    cpu_s, helper_s = time.process_time() - cpu0, helper_cpu(window.worker.helper) - helper0
    gaps = hb.stop()
    cpu = hb.cpu_ms()
    during = np.array(hb.beats[1:]) <= last  # gaps that ended while the slider still moved
    if tracer:
        tracer.stop()
        tracer.report()
    return {
        "worst_gap_cpu_ms": float(cpu[int(np.argmax(gaps))]),
        "worst_cpu_ms": float(cpu.max()),
        "changes": len(values),
        "drag_s": drag_s,
        "worst_gap_ms": float(gaps.max()),
        "worst_drag_ms": float(gaps[during].max()) if during.any() else float("nan"),
        "worst_after_ms": float(gaps[~during].max()) if (~during).any() else float("nan"),
        "p99_gap_ms": float(np.percentile(gaps, 99)),
        "beats": len(gaps),
        "final_after_ms": (ready - last) * 1000 if ok else float("nan"),
        "cpu_s": cpu_s, "helper_cpu_s": helper_s,
        "quick_jobs": window.worker.started["quick"] - started["quick"],
        "full_jobs": window.worker.started["compute"] - started["compute"],
    }


def latency(window: MainWindow, rec: Recorder, k: int, trials: int, interval_ms: float, timeline=None,
            let_go: bool = False, single: bool = False, split: CpuSplit | None = None) -> dict:
    finals, quicks, cores, sizes, estimates, final_cpu, pack_cpu = [], [], [], [], [], [], []
    for i in range(trials):
        window.worker.clear_cache()
        start = max(2, k - 24 - 7 * i) if k > 30 else min(256, k + 24 + 7 * i)
        settle_at(window, rec, start)  # cold start: nothing running, nothing cached
        window.worker.clear_cache()
        step = 1 if k > start else -1
        path = [k] if single else list(range(start, k, step * max(1, abs(k - start) // 5)))[1:] + [k]
        cpu0, helper0 = time.process_time(), helper_cpu(window.worker.helper)
        last = drag(window, path, interval_ms, let_go)
        if split is not None:
            split.start()
        wait_until(lambda last=last: rec.first(rec.ready, k, last) is not None, 120, signal=window.previewReady)
        if split is not None:
            split.report(f"K={k} trial {i + 1}, last change -> previewReady")
        ready = rec.first(rec.ready, k, last)
        quick = rec.first(rec.quick, k, last)
        finals.append((ready - last) * 1000 if ready else float("nan"))
        cores.append(next((sec * 1000 for t, kk, sec in rec.core if kk == k and t >= last), float("nan")))
        quicks.append((quick - last) * 1000 if quick else float("nan"))
        # issue 13: the exact byte count after the final preview (goal ≤ 2 s at 9 MP)
        wait_until(lambda last=last: rec.first(rec.sizes, k, last) is not None, 120, signal=window.sizeReady)
        size_at = rec.first(rec.sizes, k, last)
        sizes.append((size_at - ready) * 1000 if size_at and ready else float("nan"))
        at_ready, at_size = rec.cpu.get(("ready", ready)), rec.cpu.get(("size", size_at))
        final_cpu.append((at_ready[0] - cpu0) * 1000 if at_ready else float("nan"))
        pack_cpu.append((at_size[1] - helper0) * 1000 if at_size else float("nan"))
        estimate_at = rec.first(rec.estimates, k, last)
        estimates.append((estimate_at - ready) * 1000 if estimate_at and ready else float("nan"))
        wait_until(window.worker.is_idle, 120)
        if timeline is not None:
            timeline.report(last, size_at, f"K={k}, trial {i + 1}")
    return {"k": k, "finals": finals, "quicks": quicks, "median": statistics.median(finals),
            "core_median": statistics.median(cores), "size_median": statistics.median(sizes),
            "estimate_median": statistics.median(estimates), "final_cpu": statistics.median(final_cpu),
            "pack_cpu": statistics.median(pack_cpu), "load": os.getloadavg()[0],
            "quick_median": statistics.median(quicks) if not any(np.isnan(quicks)) else float("nan")}


# --------------------------------------------------------------------------------------------
# The colour-space views (issue 4)


class FrameClock:
    """Times a GLViewWidget's paintGL (until the frame is really drawn) and counts its frames."""

    def __init__(self, view):
        from OpenGL import GL

        self.view, self._gl = view, GL
        self.paint_ms: list[float] = []
        self.swapped = 0
        self.swapped_at = 0.0
        self._paint = view.paintGL
        view.paintGL = self._timed  # PySide calls the instance's override
        view.frameSwapped.connect(self._on_swap)

    def _timed(self) -> None:
        t = time.perf_counter()
        self._paint()
        self._gl.glFinish()
        self.paint_ms.append((time.perf_counter() - t) * 1000)

    def _on_swap(self) -> None:
        self.swapped += 1
        self.swapped_at = time.perf_counter()

    def next_frame(self, timeout_s: float = 5.0) -> bool:
        """Ask for a repaint and wait until the frame is on screen."""
        before = self.swapped
        self.view.update()
        deadline = time.perf_counter() + timeout_s
        app = QApplication.instance()
        while self.swapped == before:
            if time.perf_counter() > deadline:
                return False
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents | QEventLoop.ProcessEventsFlag.WaitForMoreEvents,
                              50)
        return True


def rotation(clock: FrameClock, frames: int = 100) -> dict:
    for _ in range(5):
        clock.view.orbit(3.6, 0)
        clock.next_frame()
    clock.paint_ms.clear()
    t0 = time.perf_counter()
    for _ in range(frames):
        clock.view.orbit(3.6, 0)
        clock.next_frame()
    elapsed = time.perf_counter() - t0
    return {"fps": frames / elapsed, "paint_median_ms": statistics.median(clock.paint_ms),
            "size": f"{clock.view.width()}×{clock.view.height()}"}


class Timed:
    """Wraps a callable and keeps (start time, milliseconds) of each call."""

    def __init__(self, fn):
        self.fn = fn
        self.calls: list[tuple[float, float]] = []

    def __call__(self, *args):
        t = time.perf_counter()
        try:
            return self.fn(*args)
        finally:
            self.calls.append((t, (time.perf_counter() - t) * 1000))

    def since(self, t0: float) -> list[float]:
        return [ms for t, ms in self.calls if t >= t0]


class UpdateRequests(Timed):
    """Times a window's update requests (Qt paints every changed widget of the window in one,
    then flushes it to the screen once); other events pass untimed."""

    def __init__(self, window):
        from PySide6.QtCore import QEvent

        super().__init__(window.event)
        self._type = QEvent.Type.UpdateRequest
        window.event = self  # PySide calls the instance's override

    def __call__(self, event):
        return super().__call__(event) if event.type() == self._type else self.fn(event)


def cloud_updates(window: MainWindow, rec: Recorder, ks: list[int]) -> dict:
    """GUI-thread cost of the cloud per K change in reduced colours (see the module doc)."""
    from kmeans_desktop.gui import analysis

    panels = window.colour_space
    cloud = panels.cloud
    clock = FrameClock(cloud.view.view)
    # The panels' slots for a new result: `_on_result` (connected to the session, so the timed
    # one replaces it there) and `_follow_result` (called through the instance, after a draw).
    on_result = Timed(panels._on_result)
    window.session.resultChanged.disconnect(panels._on_result)
    window.session.resultChanged.connect(on_result)
    follow = panels._follow_result = Timed(panels._follow_result)
    assign_slot = Timed(cloud.set_assignment)
    panels.analysis.cloudAssigned.disconnect(cloud.set_assignment)
    panels.analysis.cloudAssigned.connect(assign_slot)
    worker_assign = analysis.assign_cloud = Timed(analysis.assign_cloud)  # runs on a pool thread
    cloud.set_reduced(True)
    settle_at(window, rec, ks[0])
    rows = []
    for k in ks[1:]:
        t0 = time.perf_counter()
        window.k_slider.setValue(k)
        wait_until(lambda t0=t0: rec.first(rec.ready, k, t0) is not None, 120)
        q = window.current_preview().quantized
        clock.paint_ms.clear()
        wait_until(lambda: cloud.assignment is not None and cloud.assignment.key is q, 60)
        assigned = assign_slot.calls[-1][0]
        clock.next_frame()  # the frame with the new colours, on screen
        slots = sum(on_result.since(t0)) + sum(follow.since(t0)) + sum(assign_slot.since(t0))
        frame = clock.paint_ms[-1] if clock.paint_ms else 0.0
        rows.append({"k": k, "slots_ms": slots, "paint_ms": frame, "total_ms": slots + frame,
                     "to_screen_ms": (clock.swapped_at - assigned) * 1000,
                     "assign_ms": sum(worker_assign.since(t0)), "n": len(cloud.sample.positions)})
        settle_at(window, rec, k)
    analysis.assign_cloud = worker_assign.fn
    window.session.resultChanged.disconnect(on_result)
    window.session.resultChanged.connect(panels._on_result)
    del panels._follow_result
    return {"rows": rows, "clock": clock}


def curve_run(window: MainWindow, photo: Path) -> dict:
    """Open the photo afresh and time its K curve (see the module doc)."""
    panels = window.colour_space
    a = panels.analysis
    loaded: list[float] = []
    arrivals: list[tuple[float, int, bool]] = []

    def on_loaded(_image) -> None:
        loaded.append(time.perf_counter())

    def on_point(p) -> None:
        arrivals.append((time.perf_counter(), p.k, p.complete))

    ready: list[float] = []

    def on_ready(_k) -> None:
        ready.append(time.perf_counter())

    window.previewReady.connect(on_ready)
    window.worker.imageLoaded.connect(on_loaded)
    a.curvePoint.connect(on_point)
    hb = Heartbeat()
    hb.start()
    t0 = time.perf_counter()
    window.open_image(photo)
    wait_until(lambda: bool(loaded), 120, signal=window.worker.imageLoaded)
    wait_until(lambda: a.curve() and a.curve_complete() and a.is_idle(), 120, signal=a.curvePoint)
    # complete when its last point arrived (the wait itself may wake up to 100 ms later)
    done = max((t for t, _, _c in arrivals), default=time.perf_counter())
    gaps = hb.stop()
    ends = np.array(hb.beats)[1:]  # the beat that ends each gap
    after = ends >= loaded[0]
    # Once the first preview is on screen (and a frame later), only the curve and the cloud work.
    curve_only = ends >= (ready[0] + 0.2 if ready else done)
    window.worker.imageLoaded.disconnect(on_loaded)
    window.previewReady.disconnect(on_ready)
    a.curvePoint.disconnect(on_point)
    psnr_done = max((t for t, _, c in arrivals if not c), default=done)
    return {"load_s": loaded[0] - t0, "curve_s": done - loaded[0], "psnr_s": psnr_done - loaded[0],
            "worst_gap_ms": float(gaps[after].max()) if after.any() else float(gaps.max()),
            "p99_gap_ms": float(np.percentile(gaps[after], 99)) if after.any() else float("nan"),
            "curve_only_worst_ms": float(gaps[curve_only].max()) if curve_only.any() else float("nan"),
            "curve_only_p99_ms": float(np.percentile(gaps[curve_only], 99)) if curve_only.any() else float("nan"),
            "worst_gap_all_ms": float(gaps.max()), "points": len(a.curve()),
            "estimated": all(p.estimated for p in a.curve().values())}


def machine_noise(seconds: float = 3.0) -> np.ndarray:
    """Heartbeat gaps with the app idle: what the machine's other load alone costs."""
    hb = Heartbeat()
    hb.start()
    spin(seconds * 1000)
    return hb.stop()


def bench_views(window: MainWindow, rec: Recorder, photo: Path, args) -> None:
    print("\nColour-space views")
    settle_at(window, rec, window.k())
    noise = machine_noise()
    print(f"  machine noise: with the app idle, the 10 ms heartbeat's worst gap is {noise.max():.0f} ms "
          f"(p99 {np.percentile(noise, 99):.0f} ms); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    r = cloud_updates(window, rec, [16, 24, 40, 64, 100, 150, 200, 256, 12, 8])
    rows = r["rows"]
    worst = max(x["total_ms"] for x in rows)
    verdict = "meets" if worst <= GOALS["cloud_ms"] else "misses"
    print(f"  cloud update per K change, reduced colours, {rows[0]['n']:,} points "
          f"({len(rows)} changes): GUI thread worst {worst:.1f} ms, median "
          f"{statistics.median(x['total_ms'] for x in rows):.1f} ms (slots median "
          f"{statistics.median(x['slots_ms'] for x in rows):.1f} ms + next frame median "
          f"{statistics.median(x['paint_ms'] for x in rows):.1f} ms)  goal ≤ {GOALS['cloud_ms']:.0f} ms: {verdict}")
    print(f"    new colours on screen (slot, frame and the window's composition) after median "
          f"{statistics.median(x['to_screen_ms'] for x in rows):.0f} ms, worst {max(x['to_screen_ms'] for x in rows):.0f} ms")
    per_change = " ".join(f"K={x['k']}: {x['total_ms']:.0f}" for x in rows)
    print(f"    (assignment on a pool thread: median {statistics.median(x['assign_ms'] for x in rows):.0f} ms; "
          f"GUI ms per change: {per_change})")
    window.colour_space.cloud.set_reduced(False)
    settle_at(window, rec, window.k())
    for label, clock in (("in the window's dock", r["clock"]), ("in an 800×600 window", None)):
        if clock is None:
            from kmeans_desktop.gui.widgets.color_cloud import GLCloudView

            view = GLCloudView()
            view.resize(800, 600)
            view.show()
            sample = window.colour_space.cloud.sample
            view.set_points(sample.positions, sample.rgba)
            q = window.current_preview().quantized
            view.set_centroids(q.palette[:, :3], np.full(len(q.palette), 12, np.float32))
            spin(300)
            clock = FrameClock(view.view)
        rot = rotation(clock)
        verdict = "meets" if rot["fps"] >= GOALS["fps"] else "misses"
        print(f"  rotation, 100 frames, {len(window.colour_space.cloud.sample.positions):,} points, {label} "
              f"({rot['size']}): {rot['fps']:.0f} frames/s (paintGL median {rot['paint_median_ms']:.1f} ms)  "
              f"goal ≥ {GOALS['fps']:.0f}: {verdict}")
    for i in range(args.curve_runs):
        c = curve_run(window, photo)
        ok = c["curve_s"] <= GOALS["curve_s"] and c["worst_gap_ms"] <= GOALS["stall_ms"]
        print(f"  K curve run {i + 1}: {c['points']} points ({'estimated' if c['estimated'] else 'exact'}) "
              f"complete {c['curve_s']:.1f} s after the image loaded (PSNR of all {c['psnr_s']:.1f} s); "
              f"worst GUI stall meanwhile {c['worst_gap_ms']:.0f} ms, p99 {c['p99_gap_ms']:.0f} ms; after the first "
              f"preview is shown {c['curve_only_worst_ms']:.0f} ms, p99 {c['curve_only_p99_ms']:.0f} ms "
              f"(while loading too: {c['worst_gap_all_ms']:.0f} ms)  goals ≤ {GOALS['curve_s']:.0f} s, "
              f"≤ {GOALS['stall_ms']:.0f} ms: {'meets' if ok else 'misses'}")



class FullCollections:
    """When the garbage collector's full (generation 2) collections ran, and for how long (ms)."""

    def __init__(self):
        import gc

        self.runs: list[tuple[float, float]] = []
        self._start = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.runs.append((self._start, (time.perf_counter() - self._start) * 1000))

    def between(self, t0: float, t1: float) -> list[float]:
        return [ms for t, ms in self.runs if t0 <= t <= t1]


FULL_GC = FullCollections()


class ThreadClock:
    """Where the GUI thread's wall time went between two readings (Linux schedstat): on a core,
    waiting for one (runnable: the machine's load, or this process's other threads), or
    blocked (the GIL, llvmpipe's rasterizer threads, the X server); and the CPU time of the
    process's other threads meanwhile (the playback worker, llvmpipe, other lanes)."""

    def __init__(self):
        self.path = Path(f"/proc/self/task/{__import__('threading').get_native_id()}/schedstat")

    def read(self) -> tuple[float, float, float, float]:
        try:
            run, queue = (int(v) / 1e6 for v in self.path.read_text().split()[:2])
        except (OSError, ValueError):  # not Linux
            run = queue = float("nan")
        return time.perf_counter() * 1000, run, queue, time.process_time() * 1000

    @staticmethod
    def split(a, b) -> tuple[float, float, float, float]:
        """(cpu, runnable, blocked, other threads' cpu) in ms between readings a and b."""
        wall, run, queue = b[0] - a[0], b[1] - a[1], b[2] - a[2]
        return run, queue, wall - run - queue, (b[3] - a[3]) - run


def raster_cpu_ms() -> float:
    """CPU time so far of this process's llvmpipe rasterizer threads (Linux; 0 elsewhere)."""
    total = 0
    for task in Path("/proc/self/task").glob("*") if Path("/proc/self/task").exists() else ():
        try:
            if (task / "comm").read_text().startswith("llvmpipe"):
                total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e6


def playback_frames(window: MainWindow, flat: bool, space: str, follow: bool, frames: int = 25) -> dict:
    """GUI-thread ms per playback frame (see the module doc), stepped `frames` times."""
    panels = window.colour_space
    cloud, player = panels.cloud, panels.player
    panels.action_flat.setChecked(flat)
    cloud.set_flat(flat)
    cloud.set_space(space)
    panels.kmeans_controls.follow.setChecked(follow)
    player.reset()
    spin(300)
    tick = player._tick = Timed(player._tick)
    compare = window.compare_view
    paint = compare.paintEvent = Timed(compare.paintEvent)  # PySide calls the instance's override
    costs, baseline, ticks, cpu, previews, gcs, splits, requests, raster = [], [], [], [], [], [], [], [], []
    clock_gui = ThreadClock()
    # a frame to show is there, or the run ended; before the first step there is no run (the
    # first step starts it): nothing to wait for (waiting there cost 60 s per case)
    ready = lambda: player._run is None or bool(player._buffer) or (  # noqa: E731
        player.shown() is not None and player.shown().ended)
    if flat:
        view = cloud.view
        apply = view._apply_next = Timed(view._apply_next)
        plot_paints = []
        for plot in view.plots:
            plot.paintEvent = Timed(plot.paintEvent)
            plot_paints.append(plot.paintEvent)
        updates = UpdateRequests(window)
        for i in range(frames + 2):
            wait_until(ready, 60)
            if player.shown() is not None and player.shown().ended:
                break
            t0, c0, s0, l0 = time.perf_counter(), time.thread_time(), clock_gui.read(), raster_cpu_ms()
            player.step()
            # the window's repaint, as the app gets it: every changed widget (the projections,
            # the preview's new picture, the error plot) in its update request, one flush
            wait_until(lambda t0=t0: not view.is_drawing() and all(p.since(t0) for p in plot_paints), 10, poll_ms=1)
            repaint = sum(updates.since(t0))
            if i >= 2:
                requests.append(len(updates.since(t0)))
            c1, s1 = time.thread_time(), clock_gui.read()
            if i >= 2:  # the first frames set up the points
                raster.append(raster_cpu_ms() - l0)
                cpu.append((c1 - c0) * 1000)
                splits.append(ThreadClock.split(s0, s1))
                gcs += FULL_GC.between(t0, time.perf_counter())
                previews.append(sum(paint.since(t0)))
                ticks.append(sum(tick.since(t0)))
                costs.append(sum(tick.since(t0)) + sum(apply.since(t0)) + repaint)
                r0 = time.perf_counter()
                for plot in view.plots:
                    plot.viewport().update()
                wait_until(lambda r0=r0: all(p.since(r0) for p in plot_paints), 10, poll_ms=1)
                baseline.append(sum(updates.since(r0)))
        del view._apply_next
        for plot in view.plots:
            del plot.paintEvent
        del window.event
    else:
        clock = FrameClock(cloud.view.view)
        updates = UpdateRequests(window)
        for i in range(frames + 2):
            wait_until(ready, 60)
            if player.shown() is not None and player.shown().ended:
                break
            t0, c0, s0, l0 = time.perf_counter(), time.thread_time(), clock_gui.read(), raster_cpu_ms()
            player.step()
            clock.paint_ms.clear()
            clock.next_frame()  # the window's one repaint: the cloud, the preview's new picture (follow), the plot
            c1, s1 = time.thread_time(), clock_gui.read()
            # the tick and the window's update request: the 3-D view's paintGL and all else it
            # repaints, and with a QOpenGLWidget the composition of the whole window and its swap
            cost = sum(tick.since(t0)) + sum(updates.since(t0))
            if i >= 2:
                raster.append(raster_cpu_ms() - l0)
                cpu.append((c1 - c0) * 1000)
                splits.append(ThreadClock.split(s0, s1))
                gcs += FULL_GC.between(t0, time.perf_counter())
                previews.append(sum(paint.since(t0)))
                ticks.append(sum(tick.since(t0)))
                costs.append(cost)
                r0 = time.perf_counter()
                clock.next_frame()
                baseline.append(sum(updates.since(r0)))
        del window.event
        cloud.view.view.paintGL = clock._paint
    del compare.paintEvent
    del player._tick
    player.reset()
    panels.kmeans_controls.follow.setChecked(False)
    return {"median": statistics.median(costs), "p90": float(np.percentile(costs, 90)), "worst": max(costs),
            "baseline": statistics.median(baseline), "tick": statistics.median(ticks), "n": len(costs),
            "points": len(cloud.sample.colors), "cpu": statistics.median(cpu), "cpu_worst": max(cpu),
            "preview": statistics.median(previews), "gc": gcs, "worst_split": splits[int(np.argmax(costs))],
            "requests": requests, "raster": statistics.median(raster)}


def bench_playback(window: MainWindow, rec: Recorder, only: str = "") -> None:
    print("\nk-means playback: ms per frame on the GUI thread (stepped; iterations computed on a pool thread)")
    settle_at(window, rec, window.k())
    a = window.colour_space.analysis
    wait_until(lambda: a.sample is not None and a.curve_complete() and a.is_idle(), 300)  # nothing else running
    noise = machine_noise()
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; K = {window.k()}; machine noise: with the app "
          f"idle, a 10 ms heartbeat's worst gap is {noise.max():.0f} ms (p99 {np.percentile(noise, 99):.0f} ms)")
    print("  wall: the GUI thread's time from the step to the frame on screen (see the module doc); cpu: its own CPU "
          "time meanwhile (time.thread_time); goal ≤ 33 ms a frame")
    print(f"  {'view':<4} {'space':<6} {'follow':<6} {'points':>7} | {'wall med':>8} {'p90':>6} {'worst':>6} | "
          f"{'cpu med':>7} {'worst':>6} | {'llvmpipe':>8} {'tick':>5} {'preview':>7} {'repaint only':>12} | verdict (wall; cpu)")
    from kmeans_desktop.gui.widgets.color_cloud import opengl_support

    cases = [(False, "rgb", False), (False, "oklab", False), (False, "hsv", False), (False, "rgb", True),
             (False, "oklab", True), (True, "rgb", False), (True, "hsv", False), (True, "rgb", True)]
    notes = []
    for flat, space, follow in cases:
        if not flat and not opengl_support()[0]:
            continue
        name = f"{'2d' if flat else '3d'}-{space}-{'on' if follow else 'off'}"
        if only and name not in only.split(","):
            continue
        r = playback_frames(window, flat, space, follow)
        goal = GOALS["frame_ms"]
        wall = "meets" if r["worst"] <= goal else "misses"
        cpu = "meets" if r["cpu_worst"] <= goal else "misses"
        print(f"  {'2-D' if flat else '3-D':<4} {space:<6} {'on' if follow else 'off':<6} {r['points']:>7,} | "
              f"{r['median']:>8.1f} {r['p90']:>6.1f} {r['worst']:>6.1f} | {r['cpu']:>7.1f} {r['cpu_worst']:>6.1f} | "
              f"{r['raster']:>8.1f} {r['tick']:>5.1f} {r['preview']:>7.1f} {r['baseline']:>12.1f} | {wall}; {cpu} (of {r['n']})")
        run, queue, blocked, others = r["worst_split"]
        note = (f"  {name}: worst frame {r['worst']:.0f} ms = {run:.0f} on a core + {queue:.0f} waiting for one + "
                f"{blocked:.0f} blocked (GIL, llvmpipe's threads, X); other threads {others:.0f} ms CPU meanwhile")
        if r["gc"]:
            note += f"; full GC in a frame: {', '.join(f'{ms:.0f}' for ms in r['gc'])} ms"
        if r["requests"]:
            note += f"; update requests per frame {min(r['requests'])}-{max(r['requests'])}"
        notes.append(note)
    print("  where the worst frames' time went (Linux schedstat):")
    for note in notes:
        print("  " + note)
    window.colour_space.cloud.set_flat(False)
    window.colour_space.cloud.set_space("rgb")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="3674x2449", help="photo size (default 3674x2449, 9.0 MP)")
    ap.add_argument("--trials", type=int, default=5, help="latency runs per K (default 5)")
    ap.add_argument("--changes", type=int, default=200, help="slider changes in the scrub (default 200)")
    ap.add_argument("--interval-ms", type=float, default=15.0, help="time between slider changes (default 15)")
    ap.add_argument("--no-quick", action="store_true", help="skip the quick preview from a sample")
    ap.add_argument("--overlap", choices=("auto", "on", "off"), default="auto",
                    help="compute the full result beside the quick preview (default: with 4+ cores)")
    ap.add_argument("--ks", default="16,64,256", help="K values for the latency runs")
    ap.add_argument("--let-go", action="store_true",
                    help="end each latency drag by letting go of the slider (sliderReleased), as a mouse drag ends")
    ap.add_argument("--single", action="store_true",
                    help="no drag in the latency runs: the slider set once, straight to K (a typed value, a single step)")
    ap.add_argument("--part", choices=("all", "preview", "views", "playback"), default="all",
                    help="the preview's scrub and latency, the colour-space views, k-means playback, or all (default)")
    ap.add_argument("--cases", default="",
                    help="playback cases to run, e.g. 3d-rgb-on,2d-hsv-off (view-space-follow; default: all)")
    ap.add_argument("--curve-runs", type=int, default=2, help="K curve runs (default 2)")
    ap.add_argument("--trace-stalls", action="store_true",
                    help="sample the threads' stacks while the GUI thread is late (diagnosis)")
    ap.add_argument("--timeline", action="store_true",
                    help="print what ran when during each latency trial (diagnosis; see gui_timeline)")
    ap.add_argument("--cpu-split", action="store_true",
                    help="print where the cores went from each latency trial's last change to its final preview "
                         "(diagnosis, Linux; see CpuSplit)")
    ap.add_argument("--no-views", action="store_true",
                    help="switch the colour-space views off (no cloud or curve work, docks hidden): "
                         "the preview's figures without them, for comparison")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))

    tmp = Path(tempfile.mkdtemp(prefix="kmeans-desktop-bench-"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    photo = make_photo(tmp, size)
    window = MainWindow()
    if args.no_quick:
        window.worker.proxy_above = 1 << 62
    if args.overlap != "auto":
        window.worker.overlap = args.overlap == "on"
    window.resize(1400, 900)
    if args.no_views:
        panels = window.colour_space
        panels.shutdown()
        window.session.imageChanged.disconnect(panels._on_image)  # the docks stay hidden
        window.session.resultChanged.disconnect(panels._on_result)
    window.show()
    freeze_startup_objects()  # as app.run does
    rec = Recorder(window)
    timeline = None
    if args.timeline:
        from gui_timeline import Timeline

        timeline = Timeline()
        timeline.install(window)
    spin(200)

    t0 = time.perf_counter()
    window.k_slider.setValue(16)
    window.open_image(photo)
    wait_until(lambda: window.current_image() is not None, 120)
    t_open = time.perf_counter() - t0
    wait_until(lambda: any(k == 16 for _, k in rec.ready), 120)
    t_first = time.perf_counter() - t0
    wait_until(window.worker.is_idle, 120)

    print(f"kmeans-desktop GUI benchmark: {size[0]}×{size[1]} ({size[0] * size[1] / 1e6:.1f} MP), "
          f"{os.cpu_count()} CPUs, quick previews {'off' if args.no_quick else 'on'}, "
          f"full beside quick: {'yes' if window.worker.overlap else 'no'}")
    print(f"  open (decode + histogram + pyramid): {t_open * 1000:.0f} ms; first final preview (K=16): "
          f"{t_first * 1000:.0f} ms")

    if args.part in ("all", "views") and not args.no_views:
        bench_views(window, rec, photo, args)
    if args.part in ("all", "playback") and not args.no_views:
        bench_playback(window, rec, args.cases)
    if args.part in ("views", "playback"):
        window.close()
        app.processEvents()
        return 0

    s = scrub(window, rec, args.changes, args.interval_ms, args.trace_stalls)
    verdict = "meets" if s["worst_gap_ms"] <= GOALS["stall_ms"] else "misses"
    print(f"\nScrub K 2→256: {s['changes']} changes over {s['drag_s']:.1f} s, heartbeat 10 ms, "
          f"{s['beats']} beats until the final K=256 preview and its PNG size")
    print(f"  worst GUI-thread stall: {s['worst_gap_ms']:.0f} ms (p99 {s['p99_gap_ms']:.0f} ms)  "
          f"goal ≤ {GOALS['stall_ms']:.0f} ms: {verdict}; worst while dragging {s['worst_drag_ms']:.0f} ms, "
          f"after the last change {s['worst_after_ms']:.0f} ms")
    print(f"  GUI thread's own CPU time in that gap: {s['worst_gap_cpu_ms']:.0f} ms (the rest it waited for a core "
          f"or the GIL); most CPU in any gap: {s['worst_cpu_ms']:.0f} ms; load average {os.getloadavg()[0]:.1f}")
    print(f"  jobs run: {s['quick_jobs']} quick previews, {s['full_jobs']} full results; "
          f"final K=256 on screen {s['final_after_ms']:.0f} ms after the last change")
    print(f"  CPU time from the first change to the final's PNG size: this process {s['cpu_s']:.2f} s (all threads), "
          f"the helper process {s['helper_cpu_s']:.2f} s")

    how = ("none: the slider set once (a typed value, a single step)" if args.single else
           "ended by letting go of the slider" if args.let_go else "slider left where it stopped (debounced)")
    print(f"\nLatency, last slider change → previewReady (cold cache, {args.trials} trials; drag {how})")
    print(f"  {'K':>4} {'median ms':>10} {'goal ms':>8} {'verdict':>8} {'first quick ms':>15} "
          f"{'core quantize ms':>17} {'bytes after ms':>15} {'estimate after':>15} {'cpu final':>9} "
          f"{'cpu pack':>8} {'load':>5} {'stolen':>6}  all (ms)")
    for k in (int(v) for v in args.ks.split(",")):
        stolen0, ticks0 = host_ticks()
        r = latency(window, rec, k, args.trials, args.interval_ms, timeline, args.let_go, args.single,
                    CpuSplit(window.worker.helper) if args.cpu_split else None)
        goal = GOALS.get(k, float("nan"))
        verdict = "meets" if r["median"] <= goal else "misses"
        runs = " ".join(f"{v:.0f}" for v in r["finals"])
        stolen1, ticks1 = host_ticks()
        stolen = f"{100 * (stolen1 - stolen0) / (ticks1 - ticks0):.0f}%" if ticks1 > ticks0 else "n/a"
        print(f"  {k:>4} {r['median']:>10.0f} {goal:>8.0f} {verdict:>8} {r['quick_median']:>15.0f} "
              f"{r['core_median']:>17.0f} {r['size_median']:>15.0f} {r['estimate_median']:>15.0f} "
              f"{r['final_cpu']:>9.0f} {r['pack_cpu']:>8.0f} {r['load']:>5.1f} {stolen:>6}  {runs}")
    print("  (cpu final: this process's CPU time, all threads, from the drag's start to previewReady; cpu pack:\n"
          "   the helper process's, from the drag's start to the exact byte count; medians in ms. Under load\n"
          "   the wall-clock figures are mostly time spent waiting for a core: compare these. stolen: the share\n"
          "   of this machine's core time its host gave to other guests during these trials: the figures of\n"
          "   runs with different shares don't compare.)")
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
