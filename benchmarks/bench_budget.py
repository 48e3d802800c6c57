"""Benchmark for byte budgets (issues 5 and 14): the best-looking file under a limit, and its cost.

    .venv/bin/python benchmarks/bench_budget.py [--quick] [--runs N]

Prints two tables:

1. Speed: on a 9 MP photo (china.jpg upscaled with Lanczos), a `--max-bytes` compress (a quarter of
   the K=256 file) against one fixed-K (K=256) compress of the same image, both through the CLI's own
   job function (load, requirements, encode, atomic write), in the same run. Goal: ratio ≤ 4×.
2. Quality against a brute-force grid (issue 14): two photos, budgets of 1/4 and 1/10 of their
   K=256 file. The grid tries widths of 100, 75, 50, 35 and 25 % with the largest K whose real file
   fits at each (undithered), scored by SSIMULACRA2 at the original size (core.quality.file_score);
   ours is `core.budget.fit`. Goal: ours within 2 points of the grid's best on average, never more
   than 5 below.

Wall times are best of a few runs; the load average is printed, since other work inflates them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_sample_image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kmeans_desktop.compress import Job, run_job  # noqa: E402
from kmeans_desktop.core import build_histogram, encode, quantize  # noqa: E402
from kmeans_desktop.core.budget import Requirements, fit  # noqa: E402
from kmeans_desktop.core.imageio import SourceImage  # noqa: E402


def photos() -> dict[str, np.ndarray]:
    return {"china": load_sample_image("china.jpg"), "flower": load_sample_image("flower.jpg")}


def job(inp: Path, out: Path, **kw) -> Job:
    base = dict(k=256, format="png", max_bytes=None, max_width=None, max_height=None, keep_metadata=False,
                dither=None, seed=0, force=True, allow_downscale=True)
    base.update(kw)
    return Job(input=inp, output=out, **base)


def best_of(n: int, fn):
    best, result = float("inf"), None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def speed_table(tmp: Path, runs: int) -> bool:
    china = load_sample_image("china.jpg")
    big = Image.fromarray(china).resize((3674, 2450), Image.Resampling.LANCZOS)  # 9.0 MP
    src = tmp / "photo9mp.jpg"
    big.save(src, quality=92)
    out = tmp / "out.png"
    t_fixed, r_fixed = best_of(runs, lambda: run_job(job(src, out)))
    budget = r_fixed["bytes_out"] // 4  # forces a real search, well below K=256's size
    t_budget, r_budget = best_of(runs, lambda: run_job(job(src, out, max_bytes=budget)))
    ratio = t_budget / t_fixed
    print("\n## 1. Speed: --max-bytes against one fixed-K compress, 9 MP photo (3674×2450)\n")
    print(f"{'run':<28}{'seconds':>9}{'K':>6}{'size':>11}{'bytes':>12}")
    for label, t, r in (("fixed K=256", t_fixed, r_fixed), (f"--max-bytes {budget:,}", t_budget, r_budget)):
        print(f"{label:<28}{t:>9.2f}{r['k']:>6}{str(r['width']) + '×' + str(r['height']):>11}{r['bytes_out']:>12,}")
    print(f"chosen: {r_budget.get('reason', '')}")
    ok = ratio <= 4.0
    print(f"\nratio {ratio:.2f}× (goal ≤ 4×): {'PASS' if ok else 'FAIL'}")
    return ok


GRID = (1.0, 0.75, 0.5, 0.35, 0.25)


def _largest_k_that_fits(px: np.ndarray, budget: int) -> tuple[int, bytes] | None:
    """Brute force: bisection on real encodes, then a look at the neighbours above."""
    hist = build_histogram(px)
    data = {}

    def size(k):
        if k not in data:
            data[k] = encode(quantize(px, k, histogram=hist), "png")
        return len(data[k])

    if size(2) > budget:
        return None
    lo, hi = 2, 257
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid <= 256 and size(mid) <= budget:
            lo = mid
        else:
            hi = mid
    for k in range(lo + 1, min(256, lo + 4) + 1):  # bytes are not perfectly monotonic in K
        if size(k) <= budget:
            lo = k
    return lo, data[lo]


def grid_table(images: dict[str, np.ndarray]) -> bool:
    from kmeans_desktop.core.quality import file_score
    from kmeans_desktop.core.resize import resize, scaled_size

    print("\n## 2. Best-looking file against a brute-force grid (widths × the largest K that fits)\n")
    print(f"{'image':<8}{'budget':>9}  {'grid: width K score':<48}{'grid s':>7}  {'ours':<28}{'score':>7}"
          f"{'gap':>6}{'bytes':>8}{'s':>6}")
    gaps = []
    for name, px in images.items():
        h, w = px.shape[:2]
        full = len(encode(quantize(px, 256), "png"))
        for frac in (4, 10):
            budget = full // frac
            t = time.perf_counter()
            cells = []
            for s in GRID:
                size = scaled_size(w, h, s)
                found = _largest_k_that_fits(resize(px, size), budget)
                if found is not None:
                    cells.append((size[0], found[0], file_score(px, found[1])))
            t_grid = time.perf_counter() - t
            t = time.perf_counter()
            r = fit(SourceImage(pixels=px, name=name), Requirements(max_bytes=budget))
            t_ours = time.perf_counter() - t
            best = max(c[2] for c in cells)
            gap = best - r.score
            gaps.append(gap)
            grid = " ".join(f"{cw}/{k}/{sc:.0f}" for cw, k, sc in cells)
            dith = f"d{r.quantized.dither_strength:g}" if r.quantized.dither else ""
            ours = f"{r.width}×{r.height} K={r.k} {dith}"
            print(f"{name:<8}{budget:>9,}  {grid:<48}{t_grid:>7.1f}  {ours:<28}{r.score:>7.1f}{gap:>6.1f}"
                  f"{r.size:>8,}{t_ours:>6.1f}")
            print(f"{'':<19}{r.reason}")
    mean, worst = float(np.mean(gaps)), float(np.max(gaps))
    ok = mean <= 2.0 and worst <= 5.0
    print(f"\ngrid best − ours: mean {mean:+.2f}, worst {worst:+.2f} (goal mean ≤ 2, worst ≤ 5; negative: ours "
          f"is better): {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 9 MP speed run")
    ap.add_argument("--runs", type=int, default=1, help="runs per timing on the 9 MP photo (best is shown)")
    args = ap.parse_args()
    print(f"# bench_budget — load average at start: {os.getloadavg()[0]:.2f}")
    images = photos()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.quick:
            results["speed ≤ 4× a fixed-K compress"] = speed_table(Path(tmp), args.runs)
    results["within 2 points of the grid on average, never 5 below"] = grid_table(images)
    print(f"\n## Goals (load average at end: {os.getloadavg()[0]:.2f})\n")
    for goal, ok in results.items():
        print(f"- {goal}: {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
