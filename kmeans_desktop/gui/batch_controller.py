"""The window's batch: the thin Qt side of `kmeans_desktop.batch`.

It takes narrow callbacks, never the window: `template()` gives a `compress.Job` holding the
window's current K, dithering and requirements (input and output are filled in per file), and
`ask_policy(existing)` asks once what to do with files that exist (replace all, skip existing,
or None to cancel). Opening a batch measures every file in a process pool (the rows fill with K,
bytes after and SSIMULACRA2); Save all compresses again with the current settings in a fresh pool
and writes from the pool's result thread. Results cross to the GUI thread as queued signals.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot

from ..batch import BatchRun, Row, existing, expand_inputs, output_names, plan_jobs
from .widgets.batch_view import BatchView


class BatchController(QObject):
    batchFinished = Signal(int, int)  # saved, failed (cancelled files are neither)
    progress = Signal(int, int)  # files done, files to do
    _row = Signal(object, int)  # Row, generation (from the pool's thread)
    _done = Signal(int, int, int)  # saved, failed, generation

    def __init__(self, view: BatchView, template: Callable[[], object],
                 ask_policy: Callable[[list[Path]], str | None], workers: int | None = None):
        super().__init__(view)
        self.view, self.template, self.ask_policy = view, template, ask_policy
        self.workers = workers or max(1, min(4, (os.cpu_count() or 2)))
        self.files: list[Path] = []
        self._run: BatchRun | None = None
        #: Measured results, kept so that Save All only writes them when the settings are the same.
        self._measured: dict[Path, tuple[dict, bytes]] = {}
        self._measured_with = None  # the settings they were made with
        self._gen = 0
        self._saving = False
        self._done_count = 0
        self._total = 0
        self._row.connect(self._on_row, Qt.ConnectionType.QueuedConnection)
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    # -- opening and measuring ---------------------------------------------------------------

    def open(self, paths) -> list[Path]:
        """Show these files (folders expanded) and measure them; a `BatchError` when none."""
        files = expand_inputs(paths)
        self.stop()
        self.files = files
        sizes = [p.stat().st_size if p.is_file() else None for p in files]
        self.view.set_files(files, sizes)
        self.measure()
        return files

    def measure(self) -> None:
        """Compress every file with the current settings, without writing (K, bytes, score)."""
        if not self.files:
            return
        self.stop()
        t = dataclasses.replace(self.template(), score=True)
        jobs = [(i, dataclasses.replace(t, input=p, output=out))
                for i, (p, out) in enumerate(zip(self.files, output_names(self.files, Path("."), t.format)))]
        for i in range(len(self.files)):
            self.view.set_status(i, "compressing…")
        self._measured, self._measured_with = {}, _settings(t)
        store = self._measured

        def keep(job, stats, data):  # on the pool's result thread
            store[job.input] = (stats, data)
            return stats

        self._start(jobs, saving=False, write=keep)

    # -- saving --------------------------------------------------------------------------------

    def save_all(self, folder: str | os.PathLike) -> bool:
        """Write every file into `folder`; False when nothing was started (no files, or the user
        cancelled the replace question)."""
        if not self.files:
            return False
        folder = Path(folder)
        t = self.template()
        clash = existing(output_names(self.files, folder, t.format))
        policy = None
        if clash:
            policy = self.ask_policy(clash)
            if policy is None:
                return False
        self.stop()
        jobs, skipped = plan_jobs(t, self.files, folder, policy)
        same = self._measured_with == _settings(t)
        ready = {i: self._measured[job.input] for i, job in jobs if same and job.input in self._measured}
        for i in skipped:
            self.view.set_status(i, "skipped (exists)")
        for i, _ in jobs:
            self.view.set_status(i, "saving…")
        self._start(jobs, saving=True, ready=ready)
        return True

    def cancel(self) -> None:
        """Stop the running save (or measure); files not written yet are marked cancelled."""
        run = self._run
        if run is None:
            return
        run.cancel()

    def stop(self) -> None:
        """End a running job quietly (a new measure or save replaces it)."""
        if self._run is not None:
            if not self._run.finished:
                self._gen += 1  # its late signals are dropped
                self._run.cancel()
            self._run.join()
        self._run = None

    def running(self) -> bool:
        return self._run is not None and not self._run.finished

    def saving(self) -> bool:
        return self.running() and self._saving

    def _start(self, jobs, *, saving: bool, write=None, ready=None) -> None:
        self._gen += 1
        gen = self._gen
        self._saving, self._done_count, self._total = saving, 0, len(jobs)
        self._pending = {i for i, _ in jobs}
        self._run = BatchRun(
            jobs, workers=self.workers,
            on_row=lambda row: self._row.emit(row, gen),
            on_done=lambda s, f: self._done.emit(s, f, gen),
            write=write,
            done_status="saved" if saving else "ready",
        )
        self.progress.emit(0, self._total)
        self._run.start(ready)

    @Slot(object, int)
    def _on_row(self, row: Row, gen: int) -> None:
        if gen != self._gen:
            return
        self._pending.discard(row.index)
        self._done_count += 1
        if row.error is not None:
            self.view.set_status(row.index, "failed", row.error)
        else:
            self.view.set_result(row.index, row.stats, row.status)
        self.progress.emit(self._done_count, self._total)

    @Slot(int, int, int)
    def _on_done(self, saved: int, failed: int, gen: int) -> None:
        if gen != self._gen:
            return
        for i in sorted(self._pending):
            self.view.set_status(i, "cancelled")
        self._pending = set()
        if self._run is not None:
            self._run.join()
        self._run = None
        if self._saving:
            self._saving = False
            self.batchFinished.emit(saved, failed)

    def shutdown(self) -> None:
        self.stop()


def _settings(job) -> object:
    """What decides a file's bytes, without which file and where: equal settings, equal bytes."""
    return dataclasses.replace(job, input=Path(), output=Path(), force=False, score=False)
