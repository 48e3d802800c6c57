"""Benchmark for byte budgets (issue 5): cost against a fixed-K compress, and how well budgets are used.

    .venv/bin/python benchmarks/bench_budget.py [--quick]

Prints three tables:

1. Speed: on a 12 MP photo (china.jpg upscaled with Lanczos), a `--max-bytes` compress against
   one fixed-K (K=256) compress of the same image, both through the CLI's own job function
   (load, requirements, encode, atomic write). Goal: ratio ≤ 4×.
2. Budget use: the test photos at 40 KB and 120 KB: output bytes / budget. Goal: ≥ 70 % unless
   K reached 256.
3. Quality against brute force, on small images (photos shrunk to ~0.05 MP): every K from 2 to
   256 is encoded and the best PSNR that fits is compared with ours. Goal: within 0.1 dB.

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
    china, flower = load_sample_image("china.jpg"), load_sample_image("flower.jpg")
    # Two more photo-like crops at other sizes, so the table is not just two points.
    return {
        "china": china,
        "flower": flower,
        "china-crop": np.ascontiguousarray(china[40:400, 100:600]),
        "flower-2x": np.asarray(Image.fromarray(flower).resize((1280, 854), Image.Resampling.LANCZOS)),
    }


def job(inp: Path, out: Path, **kw) -> Job:
    base = dict(k=256, format="png", max_bytes=None, max_width=None, max_height=None, keep_metadata=False,
                dither=False, seed=0, force=True, allow_downscale=True)
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
    big = Image.fromarray(china).resize((4243, 2829), Image.Resampling.LANCZOS)  # 12.0 MP
    src = tmp / "photo12mp.jpg"
    big.save(src, quality=92)
    out = tmp / "out.png"
    t_fixed, r_fixed = best_of(runs, lambda: run_job(job(src, out)))
    budget = int(r_fixed["bytes_out"] * 0.45)  # forces a real search, well below K=256's size
    t_budget, r_budget = best_of(runs, lambda: run_job(job(src, out, max_bytes=budget)))
    ratio = t_budget / t_fixed
    print("\n## 1. Speed: --max-bytes against one fixed-K compress, 12 MP photo (4243×2829)\n")
    print(f"{'run':<28}{'seconds':>9}{'K':>6}{'bytes':>12}")
    print(f"{'fixed K=256':<28}{t_fixed:>9.2f}{r_fixed['k']:>6}{r_fixed['bytes_out']:>12,}")
    print(f"{f'--max-bytes {budget:,}':<28}{t_budget:>9.2f}{r_budget['k']:>6}{r_budget['bytes_out']:>12,}")
    ok = ratio <= 4.0
    print(f"\nratio {ratio:.2f}× (goal ≤ 4×): {'PASS' if ok else 'FAIL'}")
    return ok


def budget_use_table(images: dict[str, np.ndarray]) -> bool:
    print("\n## 2. Budget use: output / budget (goal ≥ 70 % unless K reached 256)\n")
    print(f"{'image':<12}{'size':>11}{'budget':>9}{'K':>5}{'bytes':>9}{'use':>7}{'cands':>7}{'seconds':>9}  verdict")
    ok = True
    for name, px in images.items():
        src = SourceImage(pixels=px, name=name)
        for budget in (40_000, 120_000):
            t = time.perf_counter()
            r = fit(src, Requirements(max_bytes=budget))
            dt = time.perf_counter() - t
            use = r.size / budget
            good = use >= 0.70 or r.k == 256
            ok &= good
            size = f"{r.width}×{r.height}"
            verdict = "PASS" if good else "FAIL"
            print(f"{name:<12}{size:>11}{budget:>9,}{r.k:>5}{r.size:>9,}{use:>7.0%}{r.candidates:>7}{dt:>9.2f}  {verdict}")
    return ok


def brute_force_table(images: dict[str, np.ndarray]) -> bool:
    print("\n## 3. Quality against brute force on small images (goal: within 0.1 dB)\n")
    print(f"{'image':<12}{'budget':>8}{'ours K':>8}{'ours dB':>9}{'best K':>8}{'best dB':>9}{'gap dB':>8}  verdict")
    ok = True
    for name, px in images.items():
        small = np.asarray(Image.fromarray(px).resize((270, 180), Image.Resampling.LANCZOS))
        hist = build_histogram(small)
        sizes, psnrs = {}, {}
        for k in range(2, 257):
            q = quantize(small, k, histogram=hist)
            sizes[k], psnrs[k] = len(encode(q, "png")), q.psnr
        src = SourceImage(pixels=small, name=name)
        for frac in (0.35, 0.6):
            budget = int(sizes[256] * frac)
            r = fit(src, Requirements(max_bytes=budget))
            fitting = [k for k in sizes if sizes[k] <= budget]
            best_k = max(fitting, key=lambda k: psnrs[k])
            gap = psnrs[best_k] - r.quantized.psnr
            good = gap <= 0.1
            ok &= good
            print(f"{name:<12}{budget:>8,}{r.k:>8}{r.quantized.psnr:>9.2f}{best_k:>8}{psnrs[best_k]:>9.2f}{gap:>8.2f}  {'PASS' if good else 'FAIL'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 12 MP speed run")
    ap.add_argument("--runs", type=int, default=2, help="runs per timing on the 12 MP photo (best is shown)")
    args = ap.parse_args()
    print(f"# bench_budget — load average at start: {os.getloadavg()[0]:.2f}")
    images = photos()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.quick:
            results["speed ≤ 4× a fixed-K compress"] = speed_table(Path(tmp), args.runs)
    results["budget use ≥ 70 %"] = budget_use_table(images)
    results["PSNR within 0.1 dB of brute force"] = brute_force_table(images)
    print(f"\n## Goals (load average at end: {os.getloadavg()[0]:.2f})\n")
    for goal, ok in results.items():
        print(f"- {goal}: {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
