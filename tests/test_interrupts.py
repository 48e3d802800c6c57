"""A batch stopped by Ctrl-C, SIGTERM or SIGKILL: prompt exit, complete files only, no process left.

Each test runs `compress` on 16 generated photos with two workers in its own session (process
group), signals it after the first file is written, and checks what is on disk and what still runs.
The time limits below are hang guards, not speed assertions.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.core.tempfiles import PREFIX, SUFFIX

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")

ROOT = Path(__file__).resolve().parent.parent
N_FILES = 16
HANG_GUARD = 60


@pytest.fixture
def inputs(tmp_path):
    rng = np.random.default_rng(9)
    folder = tmp_path / "in"
    folder.mkdir()
    y, x = np.mgrid[0:360, 0:360]
    for i in range(N_FILES):
        base = np.stack([x * 0.7, y * 0.7, (x + y) * 0.35], axis=2)
        noise = rng.normal(0, 18, base.shape)
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(folder / f"p{i:02d}.png")
    out = tmp_path / "out"
    out.mkdir()
    return sorted(folder.iterdir()), out


def group_members(pgid: int) -> list[int]:
    """Live processes in a process group (zombies excluded), from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def wait_until(condition, limit: float = HANG_GUARD) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def start_batch(files, out, *extra):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kmeans_desktop", "compress", *map(str, files), "-o", str(out), "--jobs", "2",
         "-k", "256", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True,
    )
    first = proc.stdout.readline()  # the first file is written: the batch is under way
    assert "->" in first, proc.stderr.read()
    return proc


def assert_only_complete_files(out: Path, names: set[str]) -> list[str]:
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith(PREFIX))
    assert set(written) <= names
    for name in written:
        with Image.open(out / name) as im:
            im.load()  # a partial file would fail to decode
    return written


@pytest.mark.parametrize("signum, to_group, code", [
    (signal.SIGINT, True, 130),   # Ctrl-C in a terminal signals the whole group
    (signal.SIGINT, False, 130),  # kill -INT to the main process alone
    (signal.SIGTERM, False, 143),
])
def test_signal_stops_batch_cleanly(inputs, signum, to_group, code):
    files, out = inputs
    proc = start_batch(files, out)
    (os.killpg if to_group else os.kill)(proc.pid, signum)
    _, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == code, err
    written = assert_only_complete_files(out, {f.name for f in files})
    assert len(written) < N_FILES
    lines = err.strip().splitlines()
    assert lines[-2] == (f"{N_FILES} files: {len(written)} written, 0 failed, "
                         f"{N_FILES - len(written)} not written (interrupted).")
    assert lines[-1].startswith("error: interrupted by ") and "not written: " in lines[-1]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert not [p for p in out.iterdir() if p.name.startswith(PREFIX)]
    assert wait_until(lambda: not group_members(proc.pid)), group_members(proc.pid)


def test_sigkill_leaves_no_unfinished_file_or_worker_and_next_run_sweeps(inputs, tmp_path):
    files, out = inputs
    proc = start_batch(files, out)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=HANG_GUARD)
    # the workers notice their parent is gone and exit by themselves
    assert wait_until(lambda: not group_members(proc.pid)), group_members(proc.pid)
    written = assert_only_complete_files(out, {f.name for f in files})
    assert len(written) < N_FILES

    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = out / f"{PREFIX}{dead.pid}-0123abcd{SUFFIX}"
    stale.write_bytes(b"half a file")
    r = subprocess.run([sys.executable, "-m", "kmeans_desktop", "compress", str(files[-1]), "-o",
                        str(out / "again.png"), "-k", "8"], capture_output=True, text=True, cwd=ROOT,
                       timeout=HANG_GUARD)
    assert r.returncode == 0, r.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(PREFIX)]
