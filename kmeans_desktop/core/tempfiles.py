"""Temporary files beside an output: short, recognisable, and swept up by the next run.

A save writes `.kmeans-desktop-<pid>-<random>.part` in the output's folder and then renames it onto
the final name, so a final name never holds an unfinished file. The temporary name is short
(under 40 bytes) whatever the final name's length, so every legal final name can be written. If
the process is killed between the two steps the `.part` file stays behind; the next save into that
folder (any process of ours) removes the ones whose process no longer runs.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import time
from pathlib import Path

PREFIX = ".kmeans-desktop-"
SUFFIX = ".part"
_PATTERN = re.compile(re.escape(PREFIX) + r"(\d+)-[0-9a-f]{8}" + re.escape(SUFFIX) + "$")
#: Windows has no cheap "is this process alive" check by pid that is safe to call (os.kill with 0
#: sends Ctrl-C there), so there a leftover is swept once it is this old.
_WINDOWS_STALE_SECONDS = 3600
_swept: set[str] = set()


def temporary_path(folder: Path) -> tuple[int, str]:
    """Create a new private temporary file in `folder`; returns (open fd, path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        path = os.path.join(folder, f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}")
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    except OSError:
        return True
    return True


def is_stale(path: Path) -> bool:
    """Whether `path` is one of our temporary files whose writer is gone."""
    m = _PATTERN.match(path.name)
    if not m:
        return False
    if sys.platform == "win32":
        try:
            return time.time() - path.stat().st_mtime > _WINDOWS_STALE_SECONDS
        except OSError:
            return False
    pid = int(m.group(1))
    return pid != os.getpid() and not _pid_alive(pid)


def sweep_stale(folder: Path, *, once: bool = True) -> list[Path]:
    """Remove leftover temporary files of dead processes from `folder`; returns what was removed.

    With `once`, a folder is looked at only the first time in this process.
    """
    key = os.path.abspath(folder)
    if once and key in _swept:
        return []
    _swept.add(key)
    removed = []
    try:
        entries = [Path(e.path) for e in os.scandir(folder) if e.name.startswith(PREFIX)]
    except OSError:
        return removed
    for p in entries:
        if is_stale(p):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed
