#!/usr/bin/env python
"""Start-up time of the GUI: the frozen app (dist/kmeans-desktop) beside the unfrozen one (.venv).

    ./dev dist                                   # build the frozen app first
    .venv/bin/python benchmarks/bench_startup.py [--runs N] [--frozen PATH] [--unfrozen PATH]

Each run starts `kmeans-desktop --self-test` (which opens the sample photo, waits for the final
preview at K=16 and its PNG size, prints a ready line and quits) in its own Xvfb (xvfb-run), and
reads from the ready line:

* **window shown**: from the process start (as the kernel records it, so the frozen app's
  bootloader and Python's own start-up count) until the main window's first expose has been
  handled, i.e. it is painted on screen. The goal is at most 3 s for the frozen app;
* **final preview**: the same clock until the K=16 result is on screen (start-up plus loading
  and clustering the photo);
* **process**: the wall time of the whole run, as seen from here (it includes xvfb-run's own
  start and the app's shutdown).

The first run of each is a warm-up (cold disk cache) and is shown but not counted; the table
gives the median, min and max of the others. Other work on the machine slows every figure: the
load average is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 3.0
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24 +extension GLX +render"]
READY = re.compile(r"window shown in (\d+\.\d+) s, first final preview K=\d+ in (\d+\.\d+) s")


def run_once(command: list[str]) -> tuple[float, float, float]:
    """(window shown, final preview, process wall time) in seconds for one self-test run."""
    with tempfile.TemporaryDirectory(prefix="kmeans-desktop-bench-") as tmp:
        env = dict(os.environ, KMEANS_DESKTOP_LOG_DIR=str(Path(tmp) / "logs"), XDG_CONFIG_HOME=str(Path(tmp) / "cfg"))
        t0 = time.perf_counter()
        r = subprocess.run(XVFB + command + ["--self-test"], capture_output=True, text=True, env=env, timeout=180)
        wall = time.perf_counter() - t0
    match = READY.search(r.stdout)
    if r.returncode != 0 or not match:
        raise RuntimeError(f"{' '.join(command)} --self-test failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return float(match.group(1)), float(match.group(2)), wall


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s  ({min(values):.2f}–{max(values):.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="counted runs of each (default 5), after one warm-up")
    ap.add_argument("--frozen", default=str(ROOT / "dist" / "kmeans-desktop" / "kmeans-desktop"))
    ap.add_argument("--unfrozen", default=str(ROOT / ".venv" / "bin" / "kmeans-desktop"))
    args = ap.parse_args()

    apps = [("frozen", args.frozen), ("unfrozen", args.unfrozen)]
    for name, path in apps:
        if not os.access(path, os.X_OK):
            print(f"error: the {name} app {path} is missing" + (" (build it with ./dev dist)" if name == "frozen" else ""),
                  file=sys.stderr)
            return 1
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in apps}
    for i in range(args.runs + 1):  # interleaved, so that a burst of other load hits both alike
        for name, path in apps:
            shown, preview, wall = run_once([path])
            label = "warm-up" if i == 0 else f"run {i}"
            print(f"  {name:8s} {label:8s} window shown {shown:5.2f} s, final preview {preview:5.2f} s, "
                  f"process {wall:5.2f} s")
            if i:
                results[name].append((shown, preview, wall))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(f"{'':10s}{'window shown (median, range)':32s}{'final preview K=16':32s}{'process':32s}")
    for name, _ in apps:
        rows = results[name]
        print(f"{name:10s}{summary([r[0] for r in rows]):32s}{summary([r[1] for r in rows]):32s}"
              f"{summary([r[2] for r in rows]):32s}")
    frozen = statistics.median(r[0] for r in results["frozen"])
    print()
    print(f"goal: the frozen window shown within {GOAL_S:.0f} s: {'PASS' if frozen <= GOAL_S else 'FAIL'} "
          f"({frozen:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
