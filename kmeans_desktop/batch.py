"""Many files in the window: which files a drop means, what each is saved as, and a process pool
that compresses them. Qt-free (tested without Qt); the window's batch list is a view of it.

The pool is the CLI batch's (`compress.compute_job` on spawned workers that only compute); the
files are written by this process, one at a time, from the pool's result thread, so the GUI
thread never waits on a file. A cancel ends the workers at once: what wasn't written counts as
neither saved nor failed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

from .core.encoding import EXTENSIONS
from .core.errors import KMeansDesktopError
from .core.formats import READ_EXTENSIONS

REPLACE, SKIP = "replace", "skip"


class BatchError(KMeansDesktopError):
    """Nothing to do: a folder without images, an empty drop."""


def expand_inputs(paths) -> list[Path]:
    """Files as given, folders as the images directly inside them (sorted by name); a folder
    with no image we open is one sentence. Duplicates are dropped, the order kept."""
    out: list[Path] = []
    seen: set[str] = set()
    for raw in paths:
        p = Path(os.fspath(raw))
        if p.is_dir():
            found = sorted((c for c in p.iterdir() if c.is_file() and c.suffix.lower() in READ_EXTENSIONS),
                           key=lambda c: c.name.lower())
            if not found:
                raise BatchError(f"{p}: this folder has no images to open "
                                 f"(it opens {', '.join(e.lstrip('.') for e in READ_EXTENSIONS[:6])}…).")
            files = found
        else:
            files = [p]
        for f in files:
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                out.append(f)
    if not out:
        raise BatchError("nothing to open: no files were given.")
    return out


def output_names(inputs: list[Path], folder: Path, fmt: str = "png") -> list[Path]:
    """`<stem>.<ext>` in `folder` for each input; equal stems (case-insensitively, for the file
    systems that don't tell them apart) get -2, -3 in input order."""
    ext = EXTENSIONS.get(fmt, ".png")
    taken: set[str] = set()
    out = []
    for inp in inputs:
        name, n = f"{inp.stem}{ext}", 1
        while name.lower() in taken:
            n += 1
            name = f"{inp.stem}-{n}{ext}"
        taken.add(name.lower())
        out.append(folder / name)
    return out


def existing(outputs: list[Path]) -> list[Path]:
    """The outputs that would replace a file (asked once: replace all, or skip those)."""
    return [p for p in outputs if p.exists()]


@dataclass(frozen=True)
class Row:
    """What a batch row says after saving: status is saved, failed, skipped or cancelled."""

    index: int
    status: str
    stats: dict | None = None
    error: str | None = None


def plan_jobs(template, inputs: list[Path], folder: Path, policy: str | None) -> tuple[list, list[int]]:
    """`compress.Job`s for the inputs (the window's K, dithering and requirements in `template`)
    and the indices skipped by the policy. `policy` None means no file exists yet."""
    outs = output_names(inputs, folder, template.format)
    jobs, skipped = [], []
    for i, (inp, out) in enumerate(zip(inputs, outs)):
        if out.exists() and policy == SKIP:
            skipped.append(i)
            continue
        jobs.append((i, replace(template, input=inp, output=out, force=policy == REPLACE)))
    return jobs, skipped


class BatchRun:
    """Compress and write jobs across a spawned process pool; `on_row(Row)` is called from the
    pool's result thread as each file ends, `on_done(saved, failed)` once at the end (also after
    a cancel). `compute` is `compress._safe_compute` (tests may pass a plain function)."""

    def __init__(self, jobs: list[tuple[int, object]], *, workers: int, on_row: Callable[[Row], None],
                 on_done: Callable[[int, int], None], compute=None, write=None, done_status: str = "saved"):
        from . import compress

        self.jobs = jobs
        self.workers = max(1, min(workers, len(jobs) or 1))
        self.on_row, self.on_done = on_row, on_done
        self.compute = compute or compress._safe_compute
        self.write = write or (lambda job, stats, data: compress.write_job(job, stats, data, batch=True))
        self.done_status = done_status  # "saved"; a run that only measures says "ready"
        self.saved = self.failed = 0
        self._left = len(jobs)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._cancelled = False
        self._finished = False
        self._pool: ProcessPoolExecutor | None = None
        self._manager = None
        self._writer: threading.Thread | None = None

    def start(self, ready: dict[int, tuple[dict, bytes]] | None = None) -> None:
        """Start; `ready` holds results already computed with these very settings (index ->
        (stats, bytes)), which are only written, on a thread of their own."""
        if not self.jobs:
            self._finish()
            return
        from .workers import worker_init

        ready = ready or {}
        todo = [(i, job) for i, job in self.jobs if i not in ready]
        if todo:
            self._pool = ProcessPoolExecutor(max_workers=min(self.workers, len(todo)), mp_context=get_context("spawn"),
                                             initializer=worker_init)
        for i, job in todo:
            fut = self._pool.submit(self.compute, job)
            fut.add_done_callback(lambda f, i=i, job=job: self._done(i, job, f))
        done = [(i, job, ready[i]) for i, job in self.jobs if i in ready]
        if done:
            self._writer = threading.Thread(target=self._write_ready, args=(done,), name="batch-writer", daemon=True)
            self._writer.start()

    def _write_ready(self, done) -> None:
        from .compress import final_output

        for i, job, (stats, data) in done:
            fut: Future = Future()
            fut.set_result(({**stats, "output": str(final_output(job, stats["format"]))}, data, None))
            self._done(i, job, fut)

    def _done(self, i: int, job, fut: Future) -> None:
        with self._write_lock:  # one file at a time; a cancel waits for the one being written
            if self._cancelled or fut.cancelled():
                return
            try:
                stats, data, error = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker that died is this file's error
                stats, data, error = None, None, f"{job.input}: the worker stopped ({exc})."
            if error is None:
                try:
                    stats = self.write(job, stats, data)
                except KMeansDesktopError as exc:
                    error = str(exc)
                except Exception as exc:  # noqa: BLE001 - the batch goes on
                    error = f"{job.output}: could not be written ({exc})."
            with self._lock:
                if error is None:
                    self.saved += 1
                    row = Row(i, self.done_status, stats=stats)
                else:
                    self.failed += 1
                    row = Row(i, "failed", error=error)
                self._left -= 1
                last = self._left == 0
        self.on_row(row)
        if last:
            self._finish()

    def cancel(self) -> None:
        """Stop now: nothing more is written; what wasn't is neither saved nor failed."""
        with self._lock:
            if self._finished or self._cancelled:
                return
            self._cancelled = True
        with self._write_lock:  # a file being written is finished (and counted) first
            pass
        pool = self._pool
        if pool is not None:
            procs = list((getattr(pool, "_processes", None) or {}).values())  # this pool's workers only
            self._manager = getattr(pool, "_executor_manager_thread", None)  # shutdown forgets it
            from .workers import stop_workers

            stop_workers(pool, procs)
        self._finish()

    def _finish(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
        self.on_done(self.saved, self.failed)

    def join(self) -> None:
        """Wait for the pool's own threads to end (call it once `on_done` was called, from another
        thread than the pool's: its result thread can't wait for itself)."""
        if self._writer is not None:
            self._writer.join(10.0)
        if self._pool is not None:
            manager = getattr(self._pool, "_executor_manager_thread", None) or self._manager
            self._pool.shutdown(wait=True)
            if manager is not None:
                manager.join(10.0)

    @property
    def finished(self) -> bool:
        return self._finished
