"""The window's batch, without Qt: what a drop means, output names, the replace/skip policy, and
the process pool that compresses and writes (cancel counts neither saved nor failed)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.batch import REPLACE, SKIP, BatchError, BatchRun, existing, expand_inputs, output_names, plan_jobs
from kmeans_desktop.compress import Job


def _img(path: Path, seed=0, size=(24, 16)):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def _template(**kw):
    base = dict(input=Path("x"), output=Path("x"), k=8, format="png", max_bytes=None, max_width=None,
                max_height=None, keep_metadata=False, dither=False, seed=0, force=False, allow_downscale=True)
    return Job(**{**base, **kw})


def test_expand_folders_and_files(tmp_path):
    a = _img(tmp_path / "b.png")
    sub = tmp_path / "sub"
    sub.mkdir()
    _img(sub / "Z.jpg"), _img(sub / "a.png")
    (sub / "notes.txt").write_text("x")
    got = expand_inputs([a, sub, a])
    assert got == [a, sub / "a.png", sub / "Z.jpg"]


def test_a_folder_with_no_images_is_one_sentence(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BatchError, match="has no images") as exc:
        expand_inputs([tmp_path])
    assert str(tmp_path) in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(BatchError):
        expand_inputs([])


def test_equal_stems_get_numbers(tmp_path):
    ins = [Path("a/photo.jpg"), Path("b/photo.png"), Path("c/Photo.gif"), Path("d/other.png"), Path("photo-2.bmp")]
    names = [p.name for p in output_names(ins, tmp_path, "png")]
    assert names == ["photo.png", "photo-2.png", "Photo-3.png", "other.png", "photo-2-2.png"]
    assert output_names([Path("x.png")], tmp_path, "webp") == [tmp_path / "x.webp"]


def test_replace_or_skip_existing(tmp_path):
    ins = [_img(tmp_path / "one.jpg"), _img(tmp_path / "two.jpg")]
    out = tmp_path / "out"
    out.mkdir()
    (out / "one.png").write_bytes(b"old")
    assert existing(output_names(ins, out)) == [out / "one.png"]
    jobs, skipped = plan_jobs(_template(), ins, out, SKIP)
    assert skipped == [0] and [j.output.name for _, j in jobs] == ["two.png"]
    jobs, skipped = plan_jobs(_template(), ins, out, REPLACE)
    assert skipped == [] and all(j.force for _, j in jobs)


def _run(jobs, **kw):
    rows, done = [], threading.Event()
    result = {}

    def on_done(saved, failed):
        result["counts"] = (saved, failed)
        done.set()

    run = BatchRun(jobs, workers=2, on_row=rows.append, on_done=on_done, **kw)
    run.start()
    return run, rows, done, result


def test_pool_writes_every_file_and_a_bad_one_fails_alone(tmp_path):
    ins = [_img(tmp_path / f"in{i}.png", seed=i) for i in range(3)]
    (tmp_path / "bad.png").write_bytes(b"not an image")
    ins.append(tmp_path / "bad.png")
    out = tmp_path / "out"
    out.mkdir()
    jobs, _ = plan_jobs(_template(), ins, out, None)
    run, rows, done, result = _run(jobs)
    assert done.wait(120)
    assert result["counts"] == (3, 1)
    assert sorted(p.name for p in out.iterdir()) == ["in0.png", "in1.png", "in2.png"]
    bad = [r for r in rows if r.status == "failed"]
    assert len(bad) == 1 and bad[0].index == 3 and "bad.png" in bad[0].error


def _never_ends(job):  # runs in a worker: only a cancel ends it
    import time

    time.sleep(3600)


def test_a_worker_ended_while_it_wrote_its_result_leaves_no_pool_thread_waiting():
    """Half a message in the pool's result pipe (a worker ended while it wrote its result) kept the
    pool's thread waiting for the rest, and the process with it at exit (`compress` after SIGTERM)."""
    import os
    import struct
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from kmeans_desktop.workers import stop_workers

    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
    pool.submit(_never_ends, None)
    manager, procs = pool._executor_manager_thread, list(pool._processes.values())
    writer = pool._result_queue._writer
    os.write(writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)  # a message cut short
    try:
        stop_workers(pool, procs)
        manager.join(20)
        assert not manager.is_alive()
    finally:
        writer.close()  # (when the assertion fails: else this process would wait for the thread at exit)


def test_cancel_counts_neither_saved_nor_failed_and_ends_the_workers(tmp_path):
    ins = [_img(tmp_path / f"in{i}.png", seed=i) for i in range(4)]
    out = tmp_path / "out"
    out.mkdir()
    jobs, _ = plan_jobs(_template(), ins, out, None)
    run, rows, done, result = _run(jobs, compute=_never_ends)
    procs = list(run._pool._processes.values())
    run.cancel()
    assert done.wait(60)
    assert result["counts"] == (0, 0) and rows == []
    assert not list(out.iterdir())
    assert run.finished and procs
    # Ended when the cancel returned: each child has let go of its sentinel pipe. (`is_alive()` only
    # once the pool's thread is joined: it reaps the children too, and just after it has, our
    # `waitpid` finds no child and `is_alive()` reads True until that thread records the exit code;
    # about 1 run in 20 under load.)
    from multiprocessing.connection import wait

    assert all(wait([p.sentinel], 0) for p in procs)
    run.join()
    assert not any(p.is_alive() for p in procs)
