#!/usr/bin/env python3
"""Peak memory of `compress` on the largest images we accept (issue 9), and on a lying header.

    .venv/bin/python benchmarks/bench_memory.py [--sizes 50,150] [-k 64]

Makes photo-like JPEGs (china.jpg upscaled with Lanczos, quality 90) of 50 and 150 megapixels
(150 MP is `MAX_PIXELS`, the most `load_image` accepts) plus a 1 KB JPEG whose header claims
12000×12000, runs the command line on each in a child process, and prints the child's peak
resident memory (the child's own VmHWM) against the goal: at most 3 GB at 150 MP. The
lying header must be refused before its canvas is allocated (432 MB for 12000×12000 RGB).

A plain program, not a test: pytest never collects it.
"""

from __future__ import annotations

import argparse
import io
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
GOAL_BYTES = 3 * 10**9
ASPECT = 3 / 2


def photo_jpeg(path: Path, megapixels: float) -> tuple[int, int]:
    from sklearn.datasets import load_sample_image

    h = int(round((megapixels * 1e6 / ASPECT) ** 0.5))
    w = int(megapixels * 1e6 // h)
    Image.fromarray(load_sample_image("china.jpg")).resize((w, h), Image.Resampling.LANCZOS).save(path, quality=90)
    return w, h


def lying_jpeg(path: Path) -> tuple[int, int]:
    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((16, 16, 3)) * 255).astype(np.uint8)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    i = data.index(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", 12000, 12000)
    path.write_bytes(data)
    return 12000, 12000


#: Runs the command line in the child and reports the child's own peak (VmHWM). getrusage's
#: ru_maxrss of a waited child would include this process's peak: Linux carries the parent's
#: high-water mark into a child started by vfork and exec, and this process made the big images.
_CHILD = """
import re, sys
from kmeans_desktop.cli import main
code = main(sys.argv[1:])
status = open('/proc/self/status').read()
print('vmhwm_kib=' + re.search(r'VmHWM:\\s*(\\d+)', status).group(1), file=sys.__stderr__)
sys.exit(code)
"""


def run_measured(args: list[str]) -> tuple[int, int, float, str]:
    """(exit code, peak RSS in bytes, seconds, last error line) of the command line in a child."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, cwd=REPO)
    lines = proc.stderr.strip().splitlines()
    peak = next((int(line.split("=")[1]) * 1024 for line in lines if line.startswith("vmhwm_kib=")), 0)
    errors = [line for line in lines if not line.startswith("vmhwm_kib=")]
    return proc.returncode, peak, time.perf_counter() - t0, (errors or [""])[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,150", help="megapixels, comma-separated (default 50,150)")
    ap.add_argument("-k", type=int, default=64)
    args = ap.parse_args()
    cli = ["compress"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [("lying header (1 KB)", tmp / "liar.jpg", lying_jpeg)]
        for mp in (float(s) for s in args.sizes.split(",")):
            cases.append((f"photo {mp:g} MP", tmp / f"photo-{mp:g}.jpg", lambda p, mp=mp: photo_jpeg(p, mp)))
        for label, path, make in cases:
            w, h = make(path)
            code, rss, secs, last = run_measured([*cli, str(path), "-k", str(args.k), "-o", str(tmp / "out.png"),
                                                  "--jobs", "1"])
            rows.append((label, w, h, path.stat().st_size, code, rss, secs, last))
            (tmp / "out.png").unlink(missing_ok=True)
            path.unlink()
    print(f"compress -k {args.k}, one process; peak resident memory of the child (its VmHWM)\n")
    print(f"{'input':<22}{'pixels':>18}{'file bytes':>14}{'exit':>6}{'peak RSS':>12}{'seconds':>9}  note")
    for label, w, h, size, code, rss, secs, last in rows:
        note = last[:70] if code else ""
        print(f"{label:<22}{f'{w}×{h}':>18}{size:>14,}{code:>6}{rss / 1e9:>10.2f} GB{secs:>9.1f}  {note}")
    biggest = max((r for r in rows if r[0].startswith("photo")), key=lambda r: r[1] * r[2], default=None)
    liar = rows[0]
    print()
    if biggest:
        verdict = "PASS" if biggest[4] == 0 and biggest[5] <= GOAL_BYTES else "FAIL"
        print(f"{verdict}: {biggest[0]} peak {biggest[5] / 1e9:.2f} GB (goal ≤ {GOAL_BYTES / 1e9:.0f} GB)")
    verdict = "PASS" if liar[4] == 2 and liar[5] < 432e6 else "FAIL"
    print(f"{verdict}: lying header refused (exit {liar[4]}) with peak {liar[5] / 1e6:.0f} MB "
          f"(its canvas would be 432 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
