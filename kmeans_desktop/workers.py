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


def stop_workers(pool) -> None:
    """Cancel what hasn't started and end the workers now (a k-means run can't be interrupted)."""
    from multiprocessing import active_children

    pool.shutdown(wait=False, cancel_futures=True)
    end_processes(active_children())


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
