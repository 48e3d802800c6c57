#!/usr/bin/env python3
"""Where a 9 MP final preview's time goes, stage by stage (issue 15): CPU and wall milliseconds.

    .venv/bin/python benchmarks/bench_stages.py [--ks 16,64] [--reps 3] [--base PATH]

The photo is bench_gui's (china.jpg scaled with Lanczos to 3674×2449). As in the window, one
histogram serves every K, and each final K follows a final at the K bench_gui's latency runs start
from (so a change of chroma weight is paid as the window pays it). Stages: the palette (k-means++,
Lloyd, assigning colours: `palette_for_histogram`), `runmap`, `vruns`, `despeckle`, the rest of
`quantize` (counts, error), and the picture to paint (`render.pyramid_from_indexed`); then "preview":
the window's whole compute step for that K (`compute.compute_preview`: quantize and the picture as
the window makes them, since issue 15's fourteenth helper the picture beside the last pass; run
after the start K again, apart from the stages above). Medians of
--reps. With --base, the same run on another checkout (a path whose `kmeans_desktop` to import),
alternated with this one in child processes, so both see the same machine load; compare CPU
figures when the machine is busy.

A plain program, not a test: pytest never collects it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("palette", "runmap", "vruns", "despeckle", "rest", "quantize", "picture", "preview")


def photo() -> Path:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "kmeans-bench-china-3674x2449.png"
    if not path.exists():
        from PIL import Image
        from sklearn.datasets import load_sample_image

        Image.fromarray(load_sample_image("china.jpg")).resize((3674, 2449), Image.Resampling.LANCZOS).save(path)
    return path


def measure(ks: list[int], reps: int) -> dict:
    """Run in the process whose `kmeans_desktop` is measured."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSize

    from kmeans_desktop.core import build_histogram, kmeans, load_image, quantize, runmap, vruns
    from kmeans_desktop.gui import render

    src = load_image(photo())
    hist = build_histogram(src.pixels)
    spent: dict[str, list[float]] = {}

    def timed(module, name: str, label: str) -> None:
        fn = getattr(module, name)

        def wrapper(*args, **kwargs):
            c, t = time.process_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] = [time.process_time() - c, time.perf_counter() - t]
        setattr(module, name, wrapper)

    timed(kmeans, "palette_for_histogram", "palette")
    timed(runmap, "run_mapping", "runmap")
    timed(vruns, "vertical_runs", "vruns")
    try:  # (from issue 15's ninth helper the passes run from `core.pixelmap`)
        from kmeans_desktop.core import pixelmap
    except ImportError:
        pixelmap = kmeans
    timed(pixelmap, "despeckle", "despeckle")
    quantize(src.pixels, 8, histogram=hist)  # what the window computes once per image
    from kmeans_desktop.gui import compute

    loaded = compute.LoadedImage(0, src, hist, None, None, None, 0.0)  # (compute_preview reads no more)
    out = {}
    for k in ks:
        rows = []
        for i in range(reps):
            start = max(2, k - 24 - 7 * i) if k > 30 else min(256, k + 24 + 7 * i)  # as bench_gui
            quantize(src.pixels, start, histogram=hist)
            spent.clear()
            c, t = time.process_time(), time.perf_counter()
            q = quantize(src.pixels, k, histogram=hist)
            spent["quantize"] = [time.process_time() - c, time.perf_counter() - t]
            c, t = time.process_time(), time.perf_counter()
            render.pyramid_from_indexed(q.indices, q.palette, QSize(src.width, src.height))
            spent["picture"] = [time.process_time() - c, time.perf_counter() - t]
            parts = ("palette", "runmap", "vruns", "despeckle")
            spent["rest"] = [spent["quantize"][j] - sum(spent.get(p, [0, 0])[j] for p in parts) for j in (0, 1)]
            row = dict(spent)
            quantize(src.pixels, start, histogram=hist)
            c, t = time.process_time(), time.perf_counter()
            compute.compute_preview(loaded, k, False, True)
            row["preview"] = [time.process_time() - c, time.perf_counter() - t]
            rows.append(row)
        out[k] = {s: [round(statistics.median(r.get(s, [0, 0])[j] for r in rows) * 1000) for j in (0, 1)]
                  for s in STAGES}
    out["load"] = os.getloadavg()[0]
    return out


def child(path: Path, ks: str, reps: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(path))
    text = subprocess.run([sys.executable, __file__, "--child", "--ks", ks, "--reps", str(reps)], env=env,
                          capture_output=True, text=True, check=True).stdout
    return json.loads(text.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ks", default="16,64")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--base", type=Path, help="another checkout to compare with, alternated")
    ap.add_argument("--rounds", type=int, default=2, help="alternations with --base (default 2)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    ks = [int(v) for v in args.ks.split(",")]
    if args.child:
        print(json.dumps(measure(ks, args.reps)))
        return 0
    runs = [("this", ROOT)] + ([("base", args.base.resolve())] if args.base else [])
    print(f"9 MP final preview by stage, ms CPU/wall (median of {args.reps}); " + ", ".join(f"{n} = {p}" for n, p in runs))
    for r in range(args.rounds if args.base else 1):
        for name, path in runs:
            res = child(path, args.ks, args.reps)
            for k in ks:
                cells = "  ".join(f"{s} {res[str(k)][s][0]}/{res[str(k)][s][1]}" for s in STAGES)
                print(f"  round {r + 1} {name:4s} K={k:3d}: {cells}  (load {res['load']:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
