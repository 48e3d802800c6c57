"""Headless compression jobs for the command line: one file, or many across a process pool.

Qt-free. Every user mistake becomes one plain sentence (`KMeansDesktopError` or `UsageError`);
nothing is written for an input that fails.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from .core.encoding import EXTENSIONS, FORMATS


class UsageError(Exception):
    """A bad command line or output choice; the message is shown after `error:`."""


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 10**6, "mb": 10**6, "mib": 2**20,
          "g": 10**9, "gb": 10**9, "gib": 2**30}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$")
_DIMS_RE = re.compile(r"^\s*(\d*)\s*[x×X]\s*(\d*)\s*$")


def parse_bytes(text: str) -> int:
    """'150000', '150KB', '150kB', '1.5MB', '120KiB' -> bytes (KB = 1000, KiB = 1024)."""
    m = _SIZE_RE.match(text)
    unit = m.group(2).lower() if m else None
    if not m or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size; write it like 150000, 150KB, 1.5MB or 120KiB")
    n = math.floor(float(m.group(1)) * _UNITS[unit])
    if n < 1:
        raise ValueError(f"{text!r} is too small; the size limit must be at least 1 byte")
    return n


def parse_dims(text: str) -> tuple[int | None, int | None]:
    """'600x400' -> (600, 400); '600x' or 'x400' leave the other side free."""
    m = _DIMS_RE.match(text)
    if not m or not (m.group(1) or m.group(2)):
        raise ValueError(f"{text!r} is not a size; write it like 600x400 (or 600x, x400)")
    w, h = (int(g) if g else None for g in m.groups())
    if w == 0 or h == 0:
        raise ValueError(f"{text!r}: width and height must be at least 1 pixel")
    return w, h


@dataclass(frozen=True)
class Job:
    input: Path
    output: Path
    k: int
    format: str
    max_bytes: int | None
    max_width: int | None
    max_height: int | None
    keep_metadata: bool
    dither: bool
    seed: int
    force: bool
    allow_downscale: bool
    score: bool = False  # measure SSIMULACRA2 of the written file (--json)
    dither_strength: float = 1.0  # with dither: 0..1


def output_format(path: Path, wanted: str | None) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise UsageError(f"{path}: can't save as {path.suffix or 'a file without extension'}; use one of {known}.")
    if wanted and wanted != fmt:
        raise UsageError(f"{path}: the extension says {fmt} but --format says {wanted}; make them agree.")
    return fmt


def check_output(job: Job, *, batch: bool) -> None:
    out, inp = job.output, job.input
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{out}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{out}: the folder {folder} can't be written to.")
    if out.is_dir():
        raise UsageError(f"{out}: a folder has that name; give a file name.")
    if out.exists() and not job.force:
        if inp.exists() and os.path.samefile(inp, out):
            raise UsageError(f"{out}: this is the input file; use --force to replace it.")
        if batch:
            raise UsageError(f"{out}: already exists; use --force to replace it.")


def run_job(job: Job, *, batch: bool = False) -> dict:
    """Load, fit the requirements, and atomically write one image; returns the stats for --json."""
    from .core import load_image, write_atomic
    from .core.budget import Requirements, fit

    t0 = time.perf_counter()
    check_output(job, batch=batch)
    src = load_image(job.input)
    req = Requirements(k=job.k, max_bytes=job.max_bytes, max_width=job.max_width, max_height=job.max_height,
                       format=job.format, allow_downscale=job.allow_downscale, keep_metadata=job.keep_metadata,
                       dither=job.dither, seed=job.seed, dither_strength=job.dither_strength)
    result = fit(src, req)
    write_atomic(job.output, result.data)
    q = result.quantized
    seconds = time.perf_counter() - t0  # the compression's time, without the scoring below
    extra = {}
    if job.score:
        from .core.quality import file_score, file_score_is_sampled

        extra = {"ssimulacra2": round(file_score(src.pixels, result.data), 3),
                 "ssimulacra2_sampled": file_score_is_sampled(src.pixels)}
    return {
        "input": str(job.input),
        "output": str(job.output),
        "k": result.k,
        "colors": q.n_colors,
        "width": q.width,
        "height": q.height,
        "bytes_in": src.file_size,
        "bytes_out": result.size,
        "psnr": round(q.psnr, 3) if math.isfinite(q.psnr) else None,
        "seconds": round(seconds, 3),
        "format": result.format,
        "scale": round(result.scale, 4),
        "quality": result.quality,
        "max_bytes": job.max_bytes,
        "dither": job.dither,
        "seed": job.seed,
        **extra,
    }


def plan_outputs(inputs: list[Path], output: Path, fmt: str | None) -> list[tuple[Path, Path, str]]:
    """Pair every input with its output path and format; several inputs need -o to be a folder."""
    several = len(inputs) > 1
    if several and not output.is_dir():
        raise UsageError(f"{output}: with several inputs, -o must be an existing folder.")
    if several or output.is_dir():
        f = fmt or "png"
        pairs = [(inp, output / f"{inp.stem}{EXTENSIONS[f]}", f) for inp in inputs]
    else:
        pairs = [(inputs[0], output, output_format(output, fmt))]
    return pairs


def describe(r: dict) -> str:
    ratio = f" ({r['bytes_out'] / r['bytes_in']:.0%} of the original)" if r["bytes_in"] else ""
    psnr = "lossless" if r["psnr"] is None else f"PSNR {r['psnr']:.2f} dB"
    extra = ""
    if r.get("scale", 1.0) < 1.0:
        extra += f", scaled to {r['scale']:.0%}"
    if r.get("quality"):
        extra += f", JPEG quality {r['quality']}"
    return (
        f"{r['input']} -> {r['output']}: {r['width']}×{r['height']}, K={r['k']} ({r['colors']} colours), "
        f"{r['bytes_in']:,} -> {r['bytes_out']:,} bytes{ratio}, {psnr}{extra}, {r['seconds']:.2f} s"
    )


def _worker_init() -> None:
    # One process per core already: keep each one to a single thread so they don't fight.
    from threadpoolctl import threadpool_limits

    from .core import kmeans

    threadpool_limits(1)
    kmeans.set_workers(1)


def _safe_run(job: Job) -> tuple[dict | None, str | None]:
    from .core import KMeansDesktopError

    try:
        return run_job(job, batch=True), None
    except (KMeansDesktopError, UsageError) as exc:
        return None, str(exc)
    except MemoryError:
        return None, f"{job.input}: not enough memory for this image."
    except Exception as exc:  # reported per file; the batch goes on
        import logging

        logging.getLogger("kmeans_desktop.compress").exception("failed on %s", job.input)
        return None, f"{job.input}: unexpected failure ({exc})."


class _ProgressBar:
    def __init__(self, total: int, enabled: bool):
        self.total, self.done, self.enabled = total, 0, enabled

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            width = 28
            filled = round(width * self.done / self.total)
            name = label if len(label) <= 40 else "…" + label[-39:]
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {name:<40}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()


def run_batch(jobs: list[Job], *, workers: int, as_json: bool, out=sys.stdout) -> tuple[int, int]:
    """Run jobs across a process pool, printing each result (or error) as it completes and a
    summary at the end; returns (succeeded, failed)."""
    bar = _ProgressBar(len(jobs), sys.stderr.isatty())
    ok, failed, bytes_in, bytes_out = 0, 0, 0, 0

    def report(job: Job, result: dict | None, error: str | None) -> None:
        nonlocal ok, failed, bytes_in, bytes_out
        bar.clear()
        if error is not None:
            failed += 1
            print(f"error: {error}", file=sys.stderr, flush=True)
        else:
            ok += 1
            bytes_in += result["bytes_in"] or 0
            bytes_out += result["bytes_out"]
            print(json_line(result) if as_json else describe(result), file=out, flush=True)
        bar.step(job.input.name)

    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            report(job, *_safe_run(job))
    else:
        # spawn, not fork: forking a process that already runs OpenMP/BLAS threads can hang.
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("spawn"),
                                 initializer=_worker_init) as pool:
            futures = {pool.submit(_safe_run, job): job for job in jobs}
            for fut in as_completed(futures):
                report(futures[fut], *fut.result())
    bar.clear()
    if len(jobs) > 1:
        saved = f"; {bytes_in:,} -> {bytes_out:,} bytes" if ok else ""
        print(f"{len(jobs)} files: {ok} written, {failed} failed{saved}.", file=sys.stderr, flush=True)
    return ok, failed


def json_line(result: dict) -> str:
    import json

    return json.dumps(result)
