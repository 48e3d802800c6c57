#!/usr/bin/env python3
"""How long a cancelled final preview may run on: the longest gap between two cancellation
checkpoints (`core.cancel.checkpoint`) in a 9 MP final preview (issue 15; aim ≤ ~20 ms).

    .venv/bin/python benchmarks/bench_checkpoints.py [--ks 16,64,256] [--reps 2] [--where]

The photo is bench_stages' (china.jpg scaled to 3674×2449); as in the window, one histogram serves
every K and each K follows a final at the K bench_gui's latency runs start from (the points of every
K's chroma weight built first, as after a first scrub). Each final runs `gui.compute.compute_preview`
(quantize, then the picture) under `cancel_on(probe)`, where the probe is an event that is never set
but notes when it is asked, from where and on which thread. Printed per K, dithered and not: the
longest gap in wall ms (worst of --reps), where it lies (--where: the two checkpoints' source
lines), and the number of checkpoints; beside it the longest gap in the calling thread's own CPU
time (`time.thread_time`), which the machine's other load stretches far less (the work the pixel
passes' bands and the halves do on the second thread is not in it). The start of the call and its
return count as checkpoints (the time until the first one and after the last one are gaps too).

A plain program, not a test: pytest never collects it.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


class Probe:
    """An event that is never set; notes the time and caller of every `is_set()`."""

    def __init__(self, where: bool):
        self.where = where
        self.marks: list[tuple[float, str, float]] = []

    def is_set(self) -> bool:
        here = ""
        if self.where:
            f = sys._getframe(2)  # checkpoint()'s caller
            here = f"{Path(f.f_code.co_filename).name}:{f.f_lineno}"
        self.marks.append((time.perf_counter(), here, time.thread_time(), threading.get_ident()))
        return False


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ks", default="16,64,256")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--where", action="store_true", help="name the checkpoints around the longest gap")
    args = ap.parse_args()
    from bench_stages import photo
    from PySide6.QtGui import QGuiApplication

    from kmeans_desktop.core import quantize
    from kmeans_desktop.core.cancel import cancel_on
    from kmeans_desktop.gui.compute import compute_preview, load_source

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (QImage needs one)
    image = load_source(str(photo()), None, 1)
    quantize(image.source.pixels, 8, histogram=image.histogram)  # what the window computes once per image
    ks = [int(v) for v in args.ks.split(",")]
    for k in ks:  # every chroma weight's points built and kept (as after a first scrub; a K whose
        compute_preview(image, k, 0.0, True)  # points are new builds them first: 0.1-0.2 s more, no checkpoint)
    print(f"9 MP final preview (compute_preview): longest gap between checkpoints, wall ms, worst of {args.reps}; "
          f"load {os.getloadavg()[0]:.1f}")
    for dither in (0.0, 1.0):
        for k in ks:
            worst, where, count, total, worst_cpu = 0.0, "", 0, 0.0, 0.0
            for i in range(args.reps):
                start = max(2, k - 24 - 7 * i) if k > 30 else min(256, k + 24 + 7 * i)  # as bench_gui
                compute_preview(image, start, dither, True)
                probe = Probe(args.where)
                t0, c0 = time.perf_counter(), time.thread_time()
                with cancel_on(probe):
                    compute_preview(image, k, dither, True)
                t1, c1 = time.perf_counter(), time.thread_time()
                me = threading.get_ident()
                marks = [(t0, "start", c0, me)] + probe.marks + [(t1, "return", c1, me)]
                gaps = [(b[0] - a[0], f"{a[1]} -> {b[1]}") for a, b in zip(marks, marks[1:])]
                gap, at = max(gaps)
                own = [m for m in marks if m[3] == me]  # (the calling thread's looks: its CPU clock)
                worst_cpu = max(worst_cpu, max(b[2] - a[2] for a, b in zip(own, own[1:])))
                if gap > worst:
                    worst, where = gap, at
                count, total = len(probe.marks), max(total, t1 - t0)
            print(f"  K={k:3d} {'dithered' if dither else 'plain   '}: longest gap {worst * 1000:5.1f} ms "
                  f"(its thread's CPU: longest {worst_cpu * 1000:5.1f} ms) of {total * 1000:5.0f} ms, {count} checkpoints" + (f"  ({where})" if args.where else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
