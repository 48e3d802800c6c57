#!/usr/bin/env python3
"""PNG packing (issue 13): bytes against seconds for row filters × libdeflate levels, on photos
and flat graphics of web size and on a 9 MP photo. The figures behind `core.encoding._PACKING`.

    .venv/bin/python benchmarks/bench_packing.py [--quick] [--big-only] [--no-big] [--one-process]

Each image is quantized once (ours, undithered); then the same palette and indices are packed
with every candidate, so only the packing differs. Seconds are the best of --runs (2) on small
images and one run at 9 MP; bytes are exact (packing is deterministic). Bands of rows
(`Packing.bands`) are packed in a second process at once unless --one-process, so their seconds
are wall time on two cores. The table also shows
each effort level as `core.encoding.encode` picks it for that image's size, and the ratio of
bytes and seconds to effort 3 (the default).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from kmeans_desktop.core import quantize  # noqa: E402
from kmeans_desktop.core.encoding import EFFORT_MAX, EFFORT_MIN, Packing, encode_png, packing_for  # noqa: E402

CANDIDATES = [
    Packing(("NoOp",), 6), Packing(("NoOp",), 10), Packing(("NoOp",), 12),
    Packing(("Entropy",), 6), Packing(("Entropy",), 8), Packing(("Entropy",), 10), Packing(("Entropy",), 11),
    Packing(("Entropy",), 12), Packing(("BigEnt",), 12), Packing(("MinSum",), 12),
    Packing(("Entropy",), 10, True), Packing(("Entropy",), 12, True),
    Packing(("Entropy", "BigEnt", "MinSum", "NoOp"), 12, True),
    Packing(("Entropy",), 10, palette_trials=False),  # the large default until it packed two bands
]


def images(big: bool, small: bool):
    from perceptual_images import flat_graphics, icons, photos

    out = []
    if small:
        ph = photos()
        out += [("china.jpg", ph["china.jpg"], 64), ("china.jpg", ph["china.jpg"], 256),
                ("flower.jpg", ph["flower.jpg"], 64), ("flat graphics", flat_graphics(), 32),
                ("icons (RGBA)", icons(), 64)]
    if big:
        from sklearn.datasets import load_sample_image

        up = np.asarray(Image.fromarray(load_sample_image("china.jpg")).resize((3672, 2448), Image.LANCZOS))
        out.append(("china 9 MP", up, 64))
    return out


def label(p: Packing) -> str:
    how = (" best-of" if p.best_of else "") + (" full" if p.full_trials else "") + (" sampled" if p.sample_choice else "")
    how += ("" if p.palette_trials else " no-pal") + (f" {p.bands} bands" if p.bands > 1 else "")
    return f"{'+'.join(p.filters)} d{p.deflate}{how}"


def timed(q, packing: Packing, runs: int) -> tuple[int, float]:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        n = len(encode_png(q, packing=packing))
        best = min(best, time.perf_counter() - t0)
    return n, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--no-big", action="store_true")
    ap.add_argument("--big-only", action="store_true")
    ap.add_argument("--quick", action="store_true", help="only the effort levels, no other candidates")
    ap.add_argument("--one-process", action="store_true",
                    help="pack every band here (default: a second process packs bands, as the window and compress do)")
    a = ap.parse_args()
    if not a.one_process:
        from kmeans_desktop.core.encoding import set_band_packer
        from kmeans_desktop.gui.helper import BandPacker

        set_band_packer(BandPacker())
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    for name, px, k in images(big=not a.no_big, small=not a.big_only):
        q = quantize(px, k)
        n_px = q.width * q.height
        runs = 1 if n_px > 1_000_000 else a.runs
        rows = {}
        efforts = {e: packing_for(e, n_px) for e in range(EFFORT_MIN, EFFORT_MAX + 1)}
        for p in ([] if a.quick else CANDIDATES) + list(efforts.values()):
            if p not in rows:
                rows[p] = timed(q, p, runs)
        ref_b, ref_s = rows[efforts[3]]
        print(f"\n{name}, {q.width}×{q.height}, K={k}")
        print(f"  {'packing':<38} {'bytes':>10} {'seconds':>8} {'bytes/e3':>9} {'time/e3':>8}  effort")
        for p, (b, s) in rows.items():
            tag = ",".join(str(e) for e, ep in efforts.items() if ep == p)
            print(f"  {label(p):<38} {b:>10,} {s:>8.3f} {b / ref_b:>9.3f} {s / ref_s:>8.2f}  {tag}")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
