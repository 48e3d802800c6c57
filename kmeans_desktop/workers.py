"""The worker processes of a batch (`compress.run_batch`, the window's `batch.BatchRun`): their set-up
in the child, and ending them from the parent. Qt-free. multiprocessing is imported where used,
never for one file (the CLI's start).
"""

from __future__ import annotations

import logging
import os
import signal
import threading


def worker_init() -> None:
    """Set up a pool worker: one thread (one process per core already), logging to the file, Ctrl-C
    left to the main process (it stops the batch), and death with the main process."""
    from multiprocessing import parent_process

    from threadpoolctl import threadpool_limits

    from .core import kmeans
    from .logs import setup_logging

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    setup_logging()
    logging.captureWarnings(True)
    parent = parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent.sentinel,), daemon=True).start()
    threadpool_limits(1)
    kmeans.set_workers(1)


def _exit_with_parent(sentinel) -> None:
    """Wait until the main process is gone (its pipe closes, however it ended), then exit at once."""
    from multiprocessing.connection import wait

    wait([sentinel])
    os._exit(1)


def stop_workers(pool, procs: list | None = None) -> None:
    """Cancel what hasn't started and end the workers now (a k-means run can't be interrupted): `procs`,
    else every child process of this one. Then the pool's own thread is let go (`_release_results`)
    and waited for (milliseconds), so that it has closed its pipes before this process exits: while
    it closed them at exit, Python 3.11's exit handler could write into one just closed and print
    "OSError: [Errno 9] Bad file descriptor" under the CLI's last line."""
    from multiprocessing import active_children

    results = getattr(pool, "_result_queue", None)  # (shutdown forgets both)
    manager = getattr(pool, "_executor_manager_thread", None)
    procs = active_children() if procs is None else procs
    pool.shutdown(wait=False, cancel_futures=True)
    end_processes(procs)
    _release_results(results)
    if manager is not None:
        manager.join(2.0)


def _release_results(results) -> None:
    """A worker ended while it wrote its result leaves half a message in the pool's result pipe, and
    the pool's thread waits for the rest for ever, and the process with it when it exits:
    `kmeans-desktop compress` hung after SIGTERM about once in 30 runs under load (the code of
    2026-12-03 and before). With the workers gone, the last writer is our own end of the pipe;
    closed, the pool's thread reads the pipe's end, calls the pool broken and ends."""
    writer = getattr(results, "_writer", None)
    if writer is not None:
        try:
            writer.close()
        except OSError:
            pass


def end_processes(procs: list) -> None:
    """Terminate worker processes, then kill those alive after 1 s (gone within 5 s: load 5+ needed > 1 s).

    Alive means the child still holds its end of the process's sentinel pipe, not `is_alive()`: a
    pool's own thread reaps its workers too, and when it does so just before us, our `waitpid`
    finds no child and `is_alive()` reads True for a moment (CPython's `Popen.poll` takes the
    failed wait for a child not started yet), which sent a kill to a pid already free for reuse."""
    from multiprocessing.connection import wait

    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.join(1.0)
        if not wait([proc.sentinel], 0):
            proc.kill()
            proc.join(5.0)
