#!/usr/bin/env python3
"""Quantizer benchmark (issue 2): PSNR, seconds and saved PNG bytes for K = 16, 64 and 256.

    .venv/bin/python benchmarks/bench_quantize.py [--quick] [--no-memory] [--runs N]

Images: scikit-learn's china.jpg and flower.jpg, and a ~9 MP photo-like image (china.jpg upscaled
with Lanczos to 3672×2448). Methods: ours (`kmeans_desktop.core.quantize`); the seed's way
(scikit-learn KMeans on every pixel, small images only); the scikit-learn gallery way (KMeans on
1000 random pixels, then predict all); Pillow MEDIANCUT; libimagequant through the `imagequant`
PyPI package; the Debian `pngquant` tool. libimagequant and pngquant are GPL: benchmark-only,
never a dependency of the app; their rows read "not installed" when they are missing.

Every method is scored the same way: its output is turned back into RGB uint8 pixels and
compared with the source (MSE over all pixels and the 3 channels, PSNR = 10·log10(255²/MSE)).
Seconds are the best of N runs of the quantization step only. Then the issue's four goals are
checked (quality, speed, size, memory) and printed with PASS/FAIL.

A plain program, not a test: pytest never collects it (tests live in tests/).
"""

from __future__ import annotations

import argparse
import gc
import io
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
try:
    import kmeans_desktop  # noqa: F401
except ModuleNotFoundError:  # run from a checkout without the editable install
    sys.path.insert(0, str(REPO))

from kmeans_desktop.core import encode, quantize  # noqa: E402

try:
    import imagequant
except ImportError:  # the [bench] extra is not installed
    imagequant = None

KS = (16, 64, 256)
BIG_SIZE = (3672, 2448)  # ~9.0 MP, china.jpg's 3:2 aspect
MEMORY_SIZE = (8660, 5773)  # ~50 MP
SEED_MAX_PIXELS = 1_000_000  # the seed's way (KMeans on every pixel) runs only below this
NOT_INSTALLED = "not installed"
PNGQUANT = shutil.which("pngquant")
TIME_BIN = "/usr/bin/time"

# Goals from the issue.
GOAL_PSNR_MEAN_DB = 0.30
GOAL_PSNR_EACH_K_DB = 0.15
GOAL_SPEED_RATIO = 0.5
GOAL_SPEED_KS = (64, 256)
GOAL_SIZE_RATIO = 0.80
GOAL_MEMORY_BYTES = 1_000_000_000  # 1 GB = 10^9 bytes (the stricter reading; 1 GiB is 7% more)


# ---------------------------------------------------------------------------------------------
# Measuring


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error over all pixels and channels, in row chunks (no float copy)."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    total = 0
    for y in range(0, a.shape[0], 256):
        d = (a[y : y + 256].astype(np.int64) - b[y : y + 256]).reshape(-1)  # int64: no overflow
        total += int(np.dot(d, d))
    return total / a.size


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    m = mse(a, b)
    return math.inf if m == 0 else 10.0 * math.log10(255.0**2 / m)


class Indexed:
    """Indices and an RGB palette; duck-types the parts of `Quantized` that `encode` reads, so
    every k-means variant can be saved through our encoder."""

    def __init__(self, palette: np.ndarray, indices: np.ndarray):
        self.palette = np.ascontiguousarray(palette, dtype=np.uint8)
        self.indices = np.ascontiguousarray(indices, dtype=np.uint8)

    n_colors = property(lambda self: int(self.palette.shape[0]))
    width = property(lambda self: int(self.indices.shape[1]))
    height = property(lambda self: int(self.indices.shape[0]))
    has_alpha = property(lambda self: False)

    def to_array(self) -> np.ndarray:
        return self.palette[self.indices]

    def to_pil(self) -> Image.Image:
        im = Image.frombytes("P", (self.width, self.height), self.indices.tobytes())
        im.putpalette(self.palette.tobytes(), rawmode="RGB")
        return im


def pil_png_bytes(im: Image.Image) -> int:
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return len(buf.getvalue())


ENCODERS_USED: dict[str, set[str]] = {}


def png_bytes_ours_or_pillow(method: str, ix: Indexed) -> int:
    """Bytes through our encode (oxipng), the fairest comparison of palettes and indices; Pillow
    optimize=True if our encoder refuses the duck-typed object."""
    try:
        n = len(encode(ix, "png"))
        ENCODERS_USED.setdefault(method, set()).add("our encode (oxipng)")
    except Exception:  # noqa: BLE001 - the core may change under us; fall back and say so
        n = pil_png_bytes(ix.to_pil())
        ENCODERS_USED.setdefault(method, set()).add("Pillow PNG optimize=True")
    return n


@dataclass
class Cell:
    psnr: float | None = None
    seconds: float | None = None
    nbytes: int | None = None
    status: str | None = None  # "not installed", "—" (skipped) or an error message
    extra: dict = field(default_factory=dict)


def best_of(runs: int, fn):
    """Run fn() `runs` times; the fastest wall time and the last result."""
    best, out = math.inf, None
    for _ in range(runs):
        out = None
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


# ---------------------------------------------------------------------------------------------
# Methods. Each returns a Cell for (pixels, k), timing only the quantization step.


def run_ours(pixels, k, runs, tmp):
    t, q = best_of(runs, lambda: quantize(pixels, k, dither=False, seed=0))
    recon = q.to_array()
    p = psnr(pixels, recon)
    t0 = time.perf_counter()
    data = encode(q, "png")
    enc_s = time.perf_counter() - t0
    extra = {"encode_s": enc_s, "colors": q.n_colors}
    if abs(q.psnr - p) > 0.01:
        extra["warn"] = f"Quantized.psnr {q.psnr:.3f} dB but the pixels give {p:.3f} dB"
    return Cell(p, t, len(data), extra=extra)


def _kmeans_indexed(pixels, k, *, sample: int | None):
    from sklearn.cluster import KMeans
    from sklearn.utils import shuffle

    h, w, _ = pixels.shape
    X = pixels.reshape(-1, 3).astype(np.float64)
    if sample is None:  # the seed's way: every pixel
        km = KMeans(n_clusters=k, n_init=1, random_state=0).fit(X)
        labels = km.labels_
    else:  # the scikit-learn gallery's way (plot_color_quantization.py)
        km = KMeans(n_clusters=k, n_init="auto", random_state=0).fit(shuffle(X, random_state=0, n_samples=sample))
        labels = km.predict(X)
    palette = np.clip(np.rint(km.cluster_centers_), 0, 255).astype(np.uint8)
    return Indexed(palette, labels.reshape(h, w))


def run_seed(pixels, k, runs, tmp):
    t, ix = best_of(runs, lambda: _kmeans_indexed(pixels, k, sample=None))
    return Cell(psnr(pixels, ix.to_array()), t, png_bytes_ours_or_pillow("seed", ix))


def run_gallery(pixels, k, runs, tmp):
    t, ix = best_of(runs, lambda: _kmeans_indexed(pixels, k, sample=1000))
    return Cell(psnr(pixels, ix.to_array()), t, png_bytes_ours_or_pillow("gallery", ix))


def run_mediancut(pixels, k, runs, tmp):
    src = Image.fromarray(pixels)
    t, im = best_of(runs, lambda: src.quantize(colors=k, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    indices = np.asarray(im)
    n = int(indices.max()) + 1
    palette = np.asarray(im.getpalette("RGB")[: 3 * n], dtype=np.uint8).reshape(n, 3)
    ix = Indexed(palette, indices)
    return Cell(psnr(pixels, ix.to_array()), t, png_bytes_ours_or_pillow("mediancut", ix))


def _liq(rgba: bytes, w: int, h: int, k: int) -> Image.Image:
    """What `imagequant.quantize_pil_image(img, dithering_level=0.0, max_colors=k)` does (quantize
    and remap in libimagequant, then the P image), minus the wrapper's per-pixel Python loop that
    turns the image into bytes (`_pil_image_to_raw_bytes`): that loop costs more than
    libimagequant itself on large images and is not libimagequant's speed. The output is the
    same image."""
    data, pal = imagequant.quantize_raw_rgba_bytes(rgba, w, h, dithering_level=0.0, max_colors=k)
    im = Image.frombytes("P", (w, h), data, decoder_name="raw")
    im.putpalette(pal, rawmode="RGBA")
    return im


def run_liq(pixels, k, runs, tmp):
    if imagequant is None:
        return Cell(status=NOT_INSTALLED)
    h, w, _ = pixels.shape
    src = Image.fromarray(pixels)
    rgba = src.convert("RGBA").tobytes()  # input preparation, like our pixel array: not timed
    t, im = best_of(runs, lambda: _liq(rgba, w, h, k))
    recon = np.asarray(im.convert("RGB"))
    return Cell(psnr(pixels, recon), t, pil_png_bytes(im), extra={"indexed": _indexed_from_pil(im)})


def liq_wrapper_seconds(pixels, k) -> float:
    """The same quantization timed through `imagequant.quantize_pil_image` as is (one run; informative)."""
    src = Image.fromarray(pixels)
    gc.collect()
    t0 = time.perf_counter()
    imagequant.quantize_pil_image(src, dithering_level=0.0, max_colors=k)
    return time.perf_counter() - t0


def _indexed_from_pil(im: Image.Image) -> Indexed:
    """Indices and RGB palette of an opaque P image (for re-encoding it through our encoder)."""
    indices = np.asarray(im)
    n = int(indices.max()) + 1
    if np.asarray(im.convert("RGBA"))[..., 3].min() < 255:
        raise ValueError("transparent output from an opaque photo")
    return Indexed(np.asarray(im.getpalette("RGB")[: 3 * n], dtype=np.uint8).reshape(n, 3), indices)


def run_pngquant(pixels, k, runs, tmp):
    if PNGQUANT is None:
        return Cell(status=NOT_INSTALLED)
    src_png = tmp / f"pq-src-{id(pixels)}.png"
    if not src_png.exists():  # a plain PNG input; written once per image, not timed
        Image.fromarray(pixels).save(src_png, compress_level=1)
    out = tmp / f"pq-out-{id(pixels)}-{k}.png"
    cmd = [PNGQUANT, "--nofs", "--force", "--output", str(out), str(k), str(src_png)]

    def once():
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"pngquant exited {r.returncode}: {r.stderr.strip()}")

    try:
        t, _ = best_of(runs, once)
    except RuntimeError as exc:
        return Cell(status=str(exc))
    with Image.open(out) as im:
        im.load()
        recon = np.asarray(im.convert("RGB"))
        extra = {"indexed": _indexed_from_pil(im)} if im.mode == "P" else {}
    return Cell(psnr(pixels, recon), t, out.stat().st_size, extra=extra)


METHODS = [  # (key, row label, function)
    ("ours", "ours", run_ours),
    ("seed", "seed: KMeans all px", run_seed),
    ("gallery", "gallery: 1000 px", run_gallery),
    ("mediancut", "Pillow MEDIANCUT", run_mediancut),
    ("liq", "libimagequant", run_liq),
    ("pngquant", "pngquant --nofs", run_pngquant),
]


# ---------------------------------------------------------------------------------------------
# Images


@dataclass
class Photo:
    name: str
    pixels: np.ndarray
    runs: int

    @property
    def megapixels(self) -> float:
        return self.pixels.shape[0] * self.pixels.shape[1] / 1e6


def distinct_colors(pixels: np.ndarray) -> int:
    p = pixels.reshape(-1, 3).astype(np.uint32)
    return int(np.unique((p[:, 0] << 16) | (p[:, 1] << 8) | p[:, 2]).size)


def load_photos(runs_small: int, runs_big: int) -> list[Photo]:
    from sklearn.datasets import load_sample_image

    china = load_sample_image("china.jpg")
    flower = load_sample_image("flower.jpg")
    big = np.asarray(Image.fromarray(china).resize(BIG_SIZE, Image.Resampling.LANCZOS))
    return [
        Photo("china.jpg", china, runs_small),
        Photo("flower.jpg", flower, runs_small),
        Photo("china 9MP", big, runs_big),
    ]


# ---------------------------------------------------------------------------------------------
# Memory: a 50 MP JPEG at K=64 through the CLI, under /usr/bin/time -v


def cli_command() -> list[str]:
    exe = Path(sys.executable).parent / "kmeans-desktop"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("kmeans-desktop")
    return [found] if found else [sys.executable, "-m", "kmeans_desktop"]


def measure_memory(tmp: Path) -> dict:
    if not (os.path.exists(TIME_BIN) and os.access(TIME_BIN, os.X_OK)):
        return {"status": f"{TIME_BIN} not installed (Debian package `time`: apt-get install time)"}
    from sklearn.datasets import load_sample_image

    big = tmp / "big-50mp.jpg"
    Image.fromarray(load_sample_image("china.jpg")).resize(MEMORY_SIZE, Image.Resampling.LANCZOS).save(big, quality=90)
    gc.collect()
    out = tmp / "big-50mp-k64.png"
    cmd = [TIME_BIN, "-v", *cli_command(), "compress", str(big), "-k", "64", "-o", str(out), "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", r.stderr)
    w = re.search(r"Elapsed \(wall clock\) time \([^)]*\):\s*(\S+)", r.stderr)
    res = {
        "mp": MEMORY_SIZE[0] * MEMORY_SIZE[1] / 1e6,
        "jpeg_bytes": big.stat().st_size,
        "returncode": r.returncode,
        "wall": w.group(1) if w else "?",
        "stdout": r.stdout.strip(),
    }
    if r.returncode != 0 or not m:
        tail = "\n".join((r.stderr.strip().splitlines() or ["(no output)"])[-5:])
        res["status"] = f"CLI failed (exit {r.returncode}): {tail}"
    if m:
        res["rss_bytes"] = int(m.group(1)) * 1024
    return res


# ---------------------------------------------------------------------------------------------
# Report

CELL_W = 27


def fmt_cell(c: Cell | None) -> str:
    if c is None:
        return "—".center(CELL_W)
    if c.status is not None:
        s = c.status if len(c.status) <= CELL_W - 2 else c.status[: CELL_W - 3] + "…"
        return s.center(CELL_W)
    return f"{c.psnr:7.2f} {c.seconds:7.3f} {c.nbytes:>11,}"


def print_table(photos, results, skipped_note):
    label_w = 21
    head1 = " " * label_w + " | " + " | ".join(f"K={k}".center(CELL_W) for k in KS)
    head2 = "method".ljust(label_w) + " | " + " | ".join(f"{'PSNR dB':>7} {'seconds':>7} {'PNG bytes':>11}" for _ in KS)
    rule = "-" * len(head2)
    print(head1)
    print(head2)
    for ph in photos:
        print(rule)
        h, w, _ = ph.pixels.shape
        print(f"{ph.name}: {w}×{h} ({ph.megapixels:.2f} MP, {distinct_colors(ph.pixels):,} distinct colours), "
              f"seconds = best of {ph.runs} run{'s' if ph.runs > 1 else ''}")
        for key, label, _ in METHODS:
            cells = [results.get((ph.name, key, k)) for k in KS]
            print(label.ljust(label_w) + " | " + " | ".join(fmt_cell(c) for c in cells))
    print(rule)
    enc = {m: " / ".join(sorted(v)) for m, v in ENCODERS_USED.items()}
    print("Notes:")
    print("  PSNR: every method's output rebuilt as RGB uint8 and compared with the source pixels "
          "(MSE over pixels and 3 channels).")
    print("  seconds: the quantization step only. ours: quantize(); seed/gallery: float conversion + KMeans fit "
          "(+ predict) + palette rounding;")
    print("    MEDIANCUT: Image.quantize(dither NONE); libimagequant: quantize + remap at dithering_level=0.0 "
          "(imagequant.quantize_raw_rgba_bytes + P image,")
    print("    i.e. quantize_pil_image without its Python per-pixel RGBA→bytes loop; see Goals/speed); "
          "pngquant: the whole CLI run, PNG input written beforehand.")
    print(f"  PNG bytes: ours = len(encode(q, 'png')); seed/gallery/MEDIANCUT = "
          f"{enc.get('seed') or enc.get('gallery') or enc.get('mediancut') or 'our encode (oxipng)'} "
          f"(indices + palette as a Quantized-like object);")
    print("    libimagequant = its P image saved by Pillow (PNG, optimize=True); pngquant = its output file.")
    print(f"  —: skipped. {skipped_note}")
    if PNGQUANT:
        print(f"  pngquant command: pngquant --nofs --force --output OUT K IN.png (default --speed 4 and --quality)")


def status_word(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_goals(photos, results, memory, wrapper_times):
    print()
    print("Goals (ratios to libimagequant without dithering; size to pngquant --nofs)")
    have_liq = imagequant is not None
    names = [ph.name for ph in photos]
    big = photos[-1].name

    # Quality
    print()
    if not have_liq:
        print("1. Quality: N/A (imagequant not installed)")
    else:
        per_k = {}
        all_d = []
        lines = []
        for k in KS:
            ds = []
            for n in names:
                a, b = results.get((n, "ours", k)), results.get((n, "liq", k))
                if a and b and a.psnr is not None and b.psnr is not None:
                    ds.append(a.psnr - b.psnr)
            per_k[k] = float(np.mean(ds))
            all_d += ds
            lines.append(f"   K={k:<3}: ours − libimagequant = {per_k[k]:+.2f} dB (mean over the {len(ds)} photos: "
                         + ", ".join(f"{d:+.2f}" for d in ds) + f")  goal ≥ +{GOAL_PSNR_EACH_K_DB:.2f}  "
                         + status_word(per_k[k] >= GOAL_PSNR_EACH_K_DB))
        mean = float(np.mean(all_d))
        ok = mean >= GOAL_PSNR_MEAN_DB and all(v >= GOAL_PSNR_EACH_K_DB for v in per_k.values())
        print(f"1. Quality: mean PSNR gain over K=16/64/256 = {mean:+.2f} dB (goal ≥ +{GOAL_PSNR_MEAN_DB:.2f}), "
              f"each K ≥ +{GOAL_PSNR_EACH_K_DB:.2f}: {status_word(ok)}")
        for line in lines:
            print(line)
        print(f"   (smallest single-photo gain: {min(all_d):+.2f} dB)")

    # Speed
    print()
    if not have_liq:
        print("2. Speed: N/A (imagequant not installed)")
    else:
        oks, lines = [], []
        for k in GOAL_SPEED_KS:
            a, b = results[(big, "ours", k)], results[(big, "liq", k)]
            ratio = a.seconds / b.seconds
            oks.append(ratio <= GOAL_SPEED_RATIO)
            line = (f"   K={k:<3}: ours {a.seconds:.3f} s / libimagequant {b.seconds:.3f} s = {ratio:.3f}×  "
                    f"goal ≤ {GOAL_SPEED_RATIO:.2f}×  {status_word(ratio <= GOAL_SPEED_RATIO)}")
            if k in wrapper_times:
                line += (f"   [through quantize_pil_image as is: {wrapper_times[k]:.3f} s, "
                         f"ratio {a.seconds / wrapper_times[k]:.2f}×]")
            lines.append(line)
        n = photos[-1].runs
        print(f"2. Speed on {big} ({photos[-1].megapixels:.1f} MP), quantize seconds, best of {n} run{'s' if n > 1 else ''}: "
              f"{status_word(all(oks))}")
        for line in lines:
            print(line)

    # Size
    print()
    if PNGQUANT is None:
        print("3. Size: N/A (pngquant not installed)")
    else:
        ratios, lines = [], []
        for n in names:
            for k in KS:
                a, b = results.get((n, "ours", k)), results.get((n, "pngquant", k))
                if a and b and b.nbytes:
                    r = a.nbytes / b.nbytes
                    ratios.append(r)
                    diag = ""
                    ix = b.extra.get("indexed")
                    if ix is not None:
                        try:
                            diag = f"   [pngquant's own indices via our encode: {len(encode(ix, 'png')) / b.nbytes:.2f}×]"
                        except Exception:  # noqa: BLE001
                            diag = ""
                    lines.append(f"   {n:<10} K={k:<3}: {a.nbytes:>9,} / {b.nbytes:>9,} = {r:.2f}×  "
                                 f"{status_word(r <= GOAL_SIZE_RATIO)}{diag}")
        ok = bool(ratios) and max(ratios) <= GOAL_SIZE_RATIO
        print(f"3. Size: ours / pngquant --nofs PNG bytes, worst {max(ratios):.2f}×, mean {np.mean(ratios):.2f}× "
              f"(goal ≤ {GOAL_SIZE_RATIO:.2f}× everywhere): {status_word(ok)}")
        for line in lines:
            print(line)

    # Memory
    print()
    if memory is None:
        print("4. Memory: skipped (--quick / --no-memory)")
    elif "rss_bytes" not in memory:
        print(f"4. Memory: not measured: {memory['status']}")
    else:
        rss = memory["rss_bytes"]
        ok = rss <= GOAL_MEMORY_BYTES and memory.get("status") is None
        print(f"4. Memory: {memory['mp']:.1f} MP JPEG ({memory['jpeg_bytes']:,} bytes) at K=64 through the CLI: "
              f"peak RSS {rss / 1e6:,.0f} MB ({rss / 2**20:,.0f} MiB) = {rss / GOAL_MEMORY_BYTES:.2f}× of 1 GB "
              f"(10^9 bytes): {status_word(ok)}")
        print(f"   wall {memory['wall']}, exit {memory['returncode']}")
        if memory.get("stdout"):
            print(f"   CLI: {memory['stdout']}")
        if memory.get("status"):
            print(f"   {memory['status']}")


def versions() -> str:
    def v(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return NOT_INSTALLED

    pq = NOT_INSTALLED
    if PNGQUANT:
        pq = subprocess.run([PNGQUANT, "--version"], capture_output=True, text=True).stdout.strip().split()[0]
    env = f", OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}" if os.environ.get("OPENBLAS_CORETYPE") else ""
    return (f"Python {platform.python_version()}, numpy {v('numpy')}, scikit-learn {v('scikit-learn')}, "
            f"Pillow {v('Pillow')}, pyoxipng {v('pyoxipng')}, imagequant {v('imagequant')}, pngquant {pq}; "
            f"{os.cpu_count()} CPUs{env}")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def warm_up(pixels: np.ndarray) -> None:
    """Imports, thread pools and first-call costs out of the way before anything is timed."""
    small = np.ascontiguousarray(pixels[:64, :64])
    encode(quantize(small, 16), "png")
    _kmeans_indexed(small, 16, sample=1000)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the 50 MP memory run and the seed's way")
    ap.add_argument("--no-memory", action="store_true", help="skip the 50 MP memory run")
    ap.add_argument("--runs", type=int, default=3, metavar="N",
                    help="timed runs per cell on the small images, best taken (default 3)")
    ap.add_argument("--runs-big", type=int, default=1, metavar="N",
                    help="timed runs per cell on the 9 MP image (default 1)")
    args = ap.parse_args(argv)

    print(f"kmeans-desktop quantizer benchmark: {versions()}", flush=True)
    print(f"load average at start: {load_average()}", flush=True)
    photos = load_photos(max(1, args.runs), max(1, args.runs_big))
    warm_up(photos[0].pixels)
    results: dict[tuple[str, str, int], Cell] = {}
    wrapper_times: dict[int, float] = {}
    skipped = "seed's way: " + ("skipped by --quick." if args.quick
                                else f"small images only (KMeans on every pixel of {photos[-1].megapixels:.0f} MP is minutes per K).")

    with tempfile.TemporaryDirectory(prefix="kmeans-bench-") as tmpname:
        tmp = Path(tmpname)
        for ph in photos:
            for key, label, fn in METHODS:
                if key == "seed" and (args.quick or ph.pixels.shape[0] * ph.pixels.shape[1] > SEED_MAX_PIXELS):
                    continue
                for k in KS:
                    print(f"  {ph.name:<11} {label:<21} K={k:<3} …", end="", flush=True, file=sys.stderr)
                    try:
                        c = fn(ph.pixels, k, ph.runs, tmp)
                    except Exception as exc:  # noqa: BLE001 - one broken method must not sink the run
                        c = Cell(status=f"error: {type(exc).__name__}")
                        print(f" {type(exc).__name__}: {exc}", end="", file=sys.stderr)
                    results[(ph.name, key, k)] = c
                    done = f" {c.seconds:.2f} s" if c.seconds is not None else f" {c.status}"
                    print(done, file=sys.stderr, flush=True)
                    if c.extra.get("warn"):
                        print(f"  warning: {ph.name} K={k}: {c.extra['warn']}", file=sys.stderr)
        if imagequant is not None:
            big = photos[-1]
            for k in GOAL_SPEED_KS:
                print(f"  {big.name} quantize_pil_image K={k} …", end="", flush=True, file=sys.stderr)
                wrapper_times[k] = liq_wrapper_seconds(big.pixels, k)
                print(f" {wrapper_times[k]:.2f} s", file=sys.stderr, flush=True)
        memory = None
        if not (args.quick or args.no_memory):
            print("  50 MP memory run …", end="", flush=True, file=sys.stderr)
            memory = measure_memory(tmp)
            print(" done", file=sys.stderr, flush=True)

    print(f"load average at end: {load_average()} (other work on the machine inflates seconds)")
    print()
    print_table(photos, results, skipped)
    big = photos[-1]
    enc = [results.get((big.name, "ours", k)) for k in KS]
    if all(c and c.status is None for c in enc):
        print(f"  ours on {big.name}: encode() seconds (not in the table) "
              + ", ".join(f"K={k} {c.extra['encode_s']:.2f}" for k, c in zip(KS, enc)))
    print_goals(photos, results, memory, wrapper_times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
