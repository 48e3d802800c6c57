"""Headless compression jobs for the command line: one file, or many across a process pool.

Qt-free. Every user mistake becomes one plain sentence (`KMeansDesktopError` or `UsageError`);
nothing is written for an input that fails.
"""

from __future__ import annotations

import logging
import math
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures import as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from .core.encoding import DEFAULT_EFFORT, EXTENSIONS, FORMATS
from .progress import ProgressBar
from .workers import stop_workers, worker_init


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
    dither: bool | None  # None: with max_bytes the search chooses the dither strength
    seed: int
    force: bool
    allow_downscale: bool
    score: bool = False  # measure SSIMULACRA2 of the written file (--json)
    dither_strength: float = 1.0  # with dither: 0..1
    min_width: int | None = None  # with max_bytes: never smaller than this
    min_height: int | None = None
    locked: tuple = ()  # --lock: (r, g, b) colours kept exactly
    palette: tuple | None = None  # --palette: map to exactly these colours
    export_palette: Path | None = None  # --export-palette: write the palette here too
    effort: int = DEFAULT_EFFORT  # PNG packing effort (core.encoding): 1 fastest .. 5 smallest


def output_format(path: Path, wanted: str | None) -> str:
    if wanted == "auto":  # the extension is replaced by the chosen format's
        return wanted
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise UsageError(f"{path}: can't save as {path.suffix or 'a file without extension'}; use one of {known}.")
    if wanted and wanted != fmt:
        raise UsageError(f"{path}: the extension says {fmt} but --format says {wanted}; make them agree.")
    return fmt


def _name_max(folder: Path) -> int:
    """The longest file name (in bytes) the folder's file system takes; 255 where it can't say."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):
        return 255


def check_output(job: Job, *, batch: bool) -> None:
    out, inp = job.output, job.input
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{out}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{out}: the folder {folder} can't be written to.")
    longest = _name_max(folder)
    if len(os.fsencode(out.name)) > longest:
        raise UsageError(f"{out.name[:40]}…: the file name is {len(os.fsencode(out.name))} bytes long; "
                         f"this folder allows at most {longest}. Choose a shorter name.")
    if out.is_dir():
        raise UsageError(f"{out}: a folder has that name; give a file name.")
    if out.exists() and not job.force:
        if inp.exists() and os.path.samefile(inp, out):
            raise UsageError(f"{out}: this is the input file; use --force to replace it.")
        if batch:
            raise UsageError(f"{out}: already exists; use --force to replace it.")


def compute_job(job: Job) -> tuple[dict, bytes]:
    """Load the input and fit the requirements; returns the stats for --json and the file's bytes.

    Writes nothing: in a batch the workers compute and only the main process writes, so a worker
    that outlives an interrupted or killed batch can never put a file anywhere.
    """
    from .core import load_image
    from .core.budget import Requirements, fit
    from .core.errors import FormatLimitError

    t0 = time.perf_counter()
    src = load_image(job.input)
    req = Requirements(k=job.k, max_bytes=job.max_bytes, max_width=job.max_width, max_height=job.max_height,
                       format=job.format, allow_downscale=job.allow_downscale, keep_metadata=job.keep_metadata,
                       dither=job.dither, seed=job.seed, dither_strength=job.dither_strength,
                       min_width=job.min_width, min_height=job.min_height, effort=job.effort, locked=job.locked,
                       palette=job.palette)
    try:
        result = fit(src, req)
    except FormatLimitError as exc:
        raise FormatLimitError(f"{job.output.name}: {exc}") from None
    q = result.quantized
    seconds = time.perf_counter() - t0  # the compression's time, without the scoring below
    extra = {}
    if job.score:
        from .core.quality import file_score, file_score_is_sampled

        same = result.score is not None and result.target == (src.width, src.height)  # scored already
        extra = {"ssimulacra2": result.score if same else round(file_score(src.pixels, result.data), 3),
                 "ssimulacra2_sampled": file_score_is_sampled(src.pixels)}
    if result.reason:
        extra["reason"] = result.reason
    if job.export_palette is not None:
        from .core.palette_io import hex_colour

        extra["palette"] = [hex_colour(e) for e in q.palette]
    stats = {
        "input": str(job.input),
        "output": str(final_output(job, result.format)),
        "k": result.k,
        "colors": q.n_colors,
        "width": q.width,
        "height": q.height,
        "bytes_in": src.file_size,
        "bytes_out": result.size,
        "psnr": round(q.psnr, 3) if math.isfinite(q.psnr) else None,
        "seconds": seconds,  # write_job adds the writing's time and rounds
        "format": result.format,
        "scale": round(result.scale, 4),
        "quality": result.quality,
        "max_bytes": job.max_bytes,
        "dither": q.dither,
        "dither_strength": q.dither_strength if q.dither else None,
        "seed": job.seed,
        "effort": job.effort,
        **extra,
    }
    return stats, result.data


def write_job(job: Job, stats: dict, data: bytes, *, batch: bool) -> dict:
    """Write one computed result atomically (checking the output again first); returns the stats."""
    from .core import write_atomic

    t0 = time.perf_counter()
    job = replace(job, output=Path(stats["output"]))  # format auto: the chosen format's extension
    check_output(job, batch=batch)
    write_atomic(job.output, data)
    if job.export_palette is not None:
        from .core.palette_io import export_palette, parse_hex_palette

        export_palette(parse_hex_palette(stats["palette"]), job.export_palette)
    return {**stats, "seconds": round(stats["seconds"] + time.perf_counter() - t0, 3)}


def run_job(job: Job, *, batch: bool = False) -> dict:
    """Load, fit the requirements, and atomically write one image; returns the stats for --json."""
    check_output(job, batch=batch)
    stats, data = compute_job(job)
    return write_job(job, stats, data, batch=batch)


def final_output(job: Job, fmt: str) -> Path:
    """The path written: the output, or with format auto its name with the chosen format's extension."""
    if job.format != "auto":
        return job.output
    return job.output.with_suffix(EXTENSIONS[fmt]) if job.output.suffix else \
        job.output.with_name(job.output.name + EXTENSIONS[fmt])


def plan_outputs(inputs: list[Path], output: Path, fmt: str | None) -> list[tuple[Path, Path, str]]:
    """Pair every input with its output path and format; several inputs need -o to be a folder."""
    several = len(inputs) > 1
    if several and not os.path.isdir(output):  # os.path: False, not a raise, on a bad name
        raise UsageError(f"{output}: with several inputs, -o must be an existing folder.")
    if several or os.path.isdir(output):
        f = fmt or "png"
        pairs = [(inp, output / f"{inp.stem}{EXTENSIONS.get(f, '.png')}", f) for inp in inputs]
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
        + (f"; {r['reason']}" if r.get("reason") else "")
    )


def _safe_compute(job: Job) -> tuple[dict | None, bytes | None, str | None]:
    from .core import KMeansDesktopError

    try:
        return (*compute_job(job), None)
    except (KMeansDesktopError, UsageError) as exc:
        return None, None, str(exc)
    except MemoryError:
        return None, None, f"{job.input}: not enough memory for this image."
    except Exception as exc:  # reported per file; the batch goes on
        logging.getLogger("kmeans_desktop.compress").exception("failed on %s", job.input)
        return None, None, f"{job.input}: unexpected failure ({exc})."


class Interrupted(Exception):
    """Ctrl-C (SIGINT) or SIGTERM stopped the run; the exit code is 128 + the signal's number."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def reason(self) -> str:
        return "Ctrl-C" if self.signum == signal.SIGINT else "a termination signal"


class _StopOnSignal:
    """While active, SIGINT and SIGTERM raise `Interrupted` in the main thread, except inside
    `critical()` (writing a file and recording it), where they take effect right after it."""

    SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None)

    def __init__(self):
        self.signum: int | None = None
        self._depth = 0
        self._old: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for s, handler in self._old.items():
            signal.signal(s, handler)
        return False

    def _handle(self, signum, _frame):
        self.signum = signum
        if not self._depth:
            raise Interrupted(signum)

    @contextmanager
    def critical(self):
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self.signum is not None and not self._depth:
            raise Interrupted(self.signum)


def run_batch(jobs: list[Job], *, workers: int, as_json: bool, out=sys.stdout) -> tuple[int, int]:
    """Run jobs (across a process pool when there are several), printing each result or error as it
    completes and a summary at the end; returns (succeeded, failed).

    Workers only compute; this process writes each file atomically as its result arrives. Ctrl-C or
    SIGTERM ends the workers at once, reports what was and wasn't written, and raises `Interrupted`."""
    bar = ProgressBar(len(jobs), sys.stderr.isatty())
    done: set[int] = set()
    written: dict[Path, Path] = {}  # final output -> its input
    ok, failed, bytes_in, bytes_out = 0, 0, 0, 0

    def report(i: int, stats: dict | None, data: bytes | None, error: str | None) -> None:
        nonlocal ok, failed, bytes_in, bytes_out
        job = jobs[i]
        if error is None and Path(stats["output"]) in written:  # format auto chose the same name twice
            error = f"{written[Path(stats['output'])].name} and {job.input.name} would both be written to " \
                    f"{stats['output']}; rename one."
        if error is None:
            try:
                stats = write_job(job, stats, data, batch=len(jobs) > 1)
                written[Path(stats["output"])] = job.input
            except Exception as exc:  # noqa: BLE001 - a write error is this file's error, the batch goes on
                from .core import KMeansDesktopError

                if not isinstance(exc, (KMeansDesktopError, UsageError)):
                    logging.getLogger("kmeans_desktop.compress").exception("failed to write %s", job.output)
                    exc = f"{job.output}: unexpected failure ({exc})."
                error = str(exc)
        done.add(i)
        bar.clear()
        if error is not None:
            failed += 1
            print(f"error: {error}", file=sys.stderr, flush=True)
        else:
            ok += 1
            bytes_in += stats["bytes_in"] or 0
            bytes_out += stats["bytes_out"]
            print(json_line(stats) if as_json else describe(stats), file=out, flush=True)
        bar.step(job.input.name)

    with _StopOnSignal() as stop:
        pool = None
        try:
            todo = []
            for i, job in enumerate(jobs):  # outputs that can't be written fail before any work
                try:
                    # format auto: the final name is known after the work; it is checked then
                    check_output(replace(job, force=True) if job.format == "auto" else job, batch=len(jobs) > 1)
                    todo.append(i)
                except UsageError as exc:
                    report(i, None, None, str(exc))
            if workers <= 1 or len(todo) <= 1:
                for i in todo:
                    result = _safe_compute(jobs[i])
                    with stop.critical():
                        report(i, *result)
            else:
                # spawn, not fork: forking a process that already runs OpenMP/BLAS threads can hang.
                from concurrent.futures import ProcessPoolExecutor  # a one-file run never needs it
                from multiprocessing import get_context

                pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=get_context("spawn"),
                                           initializer=worker_init)
                futures = {pool.submit(_safe_compute, jobs[i]): i for i in todo}
                for fut in as_completed(futures):
                    result = fut.result()
                    with stop.critical():
                        report(futures[fut], *result)
                pool.shutdown()
        except Interrupted as exc:
            if pool is not None:
                stop_workers(pool)
            bar.clear()
            _report_interrupted(jobs, done, ok, failed, exc)
            raise
    bar.clear()
    if len(jobs) > 1:
        saved = f"; {bytes_in:,} -> {bytes_out:,} bytes" if ok else ""
        print(f"{len(jobs)} files: {ok} written, {failed} failed{saved}.", file=sys.stderr, flush=True)
    return ok, failed


def _report_interrupted(jobs: list[Job], done: set[int], ok: int, failed: int, exc: Interrupted) -> None:
    left = [jobs[i].output.name for i in range(len(jobs)) if i not in done]
    if len(jobs) == 1:
        print(f"error: interrupted by {exc.reason}; {jobs[0].output} was not written.", file=sys.stderr, flush=True)
        return
    shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    print(f"{len(jobs)} files: {ok} written, {failed} failed, {len(left)} not written (interrupted).",
          file=sys.stderr, flush=True)
    print(f"error: interrupted by {exc.reason}; not written: {shown}.", file=sys.stderr, flush=True)


def json_line(result: dict) -> str:
    import json

    return json.dumps(result)
