#!/usr/bin/env python3
"""Smoke test of an installed kmeans-desktop executable: the frozen app or a wheel's console script.

    python scripts/smoke_app.py EXECUTABLE [--label NAME]

Runs the executable for real, on Linux, Windows and macOS alike (standard library only):
1. `--version` prints the version in kmeans_desktop/__init__.py (read as text, not imported).
2. `compress` on the sample photo writes a 16-colour indexed PNG (checked from its bytes); a
   second run with two inputs and `--jobs 2` exercises multiprocessing's spawned workers.
3. `--self-test`: the window opens the sample, waits for the final preview and its PNG size (the
   encoder helper, i.e. the executable started again), prints a ready line and quits. On Linux it
   runs under Xvfb (xvfb-run); elsewhere on the runner's desktop.
4. On Linux, `--install-desktop` into a temporary XDG_DATA_HOME writes a .desktop file whose Exec
   is this executable, and `--uninstall-desktop` removes it again.
Every run has a time limit and its process group is killed when it runs over. Output with
Traceback, ModuleNotFoundError, ImportError or a Qt platform plugin error fails the check, as do a
missing ready line or a non-zero exit. The last line is `<label>: N passed, M failed`; the exit
code is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "sample.jpg"
SAMPLE_SIZE = (640, 427)
FORBIDDEN = re.compile(r"Traceback|ModuleNotFoundError|ImportError|could not load the Qt platform plugin|"
                       r"Could not find the Qt platform plugin")
READY = "kmeans-desktop self-test: ready"
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24 +extension GLX +render"]


class SmokeFailure(Exception):
    pass


def say(text: str) -> None:
    print(f"[smoke] {text}", file=sys.stderr, flush=True)


def project_version() -> str:
    text = (ROOT / "kmeans_desktop" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def run_bounded(cmd: list[str], limit: float, out: Path, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run `cmd` in its own process group with stdout and stderr to `out` (a file, so helper
    processes that inherit it can't keep us waiting); kill the whole group after `limit` seconds.
    Returns (exit code or 124 on a timeout, output)."""
    with open(out, "wb") as f:
        if os.name == "nt":
            proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                    cwd=cwd, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)
        else:
            proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                    cwd=cwd, start_new_session=True)
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            say(f"timed out after {limit:.0f} s: {' '.join(cmd)}")
            if os.name == "nt":
                subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True)
            else:
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        break
                    time.sleep(2)
            proc.wait()
            code = 124
    return code, out.read_text(encoding="utf-8", errors="replace")


def png_info(path: Path) -> tuple[int, int, int, int]:
    """(width, height, colour type, palette entries) of a PNG, read from its chunks."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SmokeFailure(f"{path.name} is not a PNG")
    pos, width, height, colour_type, palette = 8, 0, 0, -1, 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
            raise SmokeFailure(f"{path.name}: bad CRC in the {kind.decode(errors='replace')} chunk")
        if kind == b"IHDR":
            width, height, _depth, colour_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"PLTE":
            palette = length // 3
        pos += 12 + length
    return width, height, colour_type, palette


class Smoke:
    def __init__(self, exe: Path, work: Path, timeout: float):
        self.exe, self.work, self.timeout = exe, work, timeout
        self.passed, self.failed = 0, 0
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        # never the user's logs or settings; and nothing from a checkout on the module path
        self.env["KMEANS_DESKTOP_LOG_DIR"] = str(work / "logs")
        self.env["XDG_CONFIG_HOME"] = str(work / "config")

    def run(self, name: str, args: list[str], wrap: list[str] | None = None, env: dict | None = None) -> str:
        code, out = run_bounded([*(wrap or []), str(self.exe), *args], self.timeout, self.work / f"{name}.txt",
                                {**self.env, **(env or {})}, self.work)
        if FORBIDDEN.search(out):
            raise SmokeFailure(f"{name}: forbidden output:\n{out}")
        if code != 0:
            raise SmokeFailure(f"{name}: exit code {code}:\n{out}")
        return out

    def check(self, name: str, fn) -> None:
        try:
            detail = fn()
        except SmokeFailure as exc:
            self.failed += 1
            say(f"FAIL: {exc}")
        else:
            self.passed += 1
            say(f"ok: {name} -> {detail}")

    def version(self) -> str:
        out = self.run("version", ["--version"]).strip()
        want = f"kmeans-desktop {project_version()}"
        if out != want:
            raise SmokeFailure(f"--version printed {out!r}, expected {want!r}")
        return out

    def compress(self) -> str:
        out_png = self.work / "out.png"
        out = self.run("compress", ["compress", str(SAMPLE), "-k", "16", "-o", str(out_png)])
        w, h, colour_type, palette = png_info(out_png)
        if (w, h) != SAMPLE_SIZE or colour_type != 3 or not 2 <= palette <= 16:
            raise SmokeFailure(f"compress wrote {w}x{h}, colour type {colour_type}, {palette} palette entries; "
                               f"expected {SAMPLE_SIZE[0]}x{SAMPLE_SIZE[1]} indexed with at most 16")
        return f"{out.strip().splitlines()[-1] if out.strip() else 'ok'} ({w}x{h}, {palette} colours)"

    def compress_jobs(self) -> str:
        second = self.work / "second.jpg"
        shutil.copyfile(SAMPLE, second)
        outdir = self.work / "batch"
        outdir.mkdir()
        out = self.run("batch", ["compress", str(SAMPLE), str(second), "-k", "8", "-o", str(outdir), "--jobs", "2"])
        for name in ("sample.png", "second.png"):
            if not (outdir / name).is_file() or png_info(outdir / name)[2] != 3:
                raise SmokeFailure(f"compress --jobs 2 did not write {name}:\n{out}")
        return out.strip().splitlines()[-1] if out.strip() else "ok"

    def self_test(self) -> str:
        wrap = None
        if sys.platform.startswith("linux"):
            if not shutil.which("xvfb-run"):
                raise SmokeFailure("xvfb-run is missing (apt-get install xvfb xauth)")
            wrap = XVFB
        out = self.run("gui", ["--self-test"], wrap=wrap)
        ready = next((line for line in out.splitlines() if line.startswith(READY)), None)
        if ready is None:
            raise SmokeFailure(f"--self-test printed no ready line:\n{out}")
        if (self.work / "config" / "kmeans-desktop" / "kmeans-desktop.ini").exists():
            raise SmokeFailure("the self-test wrote the user's settings")
        return ready

    def desktop_entry(self) -> str:
        data = self.work / "xdg-data"
        env = {"XDG_DATA_HOME": str(data)}
        self.run("install-desktop", ["--install-desktop"], env=env)
        entry = data / "applications" / "kmeans-desktop.desktop"
        lines = dict(line.split("=", 1) for line in entry.read_text(encoding="utf-8").splitlines() if "=" in line)
        want = os.path.abspath(self.exe)
        if lines.get("TryExec") != want or not lines.get("Exec", "").endswith(" %f"):
            raise SmokeFailure(f"the desktop entry runs {lines.get('Exec')!r} (TryExec {lines.get('TryExec')!r}), "
                               f"expected {want}")
        icons = sorted(p.relative_to(data).as_posix() for p in data.rglob("kmeans-desktop.*") if p.suffix != ".desktop")
        if len(icons) != 7:
            raise SmokeFailure(f"--install-desktop wrote {len(icons)} icons, expected 7: {icons}")
        self.run("uninstall-desktop", ["--uninstall-desktop"], env=env)
        left = [p for p in data.rglob("*") if p.is_file() and p.name != "mimeinfo.cache"]  # update-desktop-database's
        if left:
            raise SmokeFailure(f"--uninstall-desktop left {left}")
        return f"Exec={lines['Exec']}, 7 icons; removed again"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("executable", type=Path)
    ap.add_argument("--label", default="smoke", help="name on the summary line")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="copy every run's output and the app's log here")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("SMOKE_TIMEOUT", 120)),
                    help="seconds per run (default 120, or $SMOKE_TIMEOUT)")
    args = ap.parse_args(argv)
    exe = args.executable
    if os.name == "nt" and not exe.suffix and exe.with_suffix(".exe").is_file():
        exe = exe.with_suffix(".exe")
    if not exe.is_file():
        say(f"FAIL: {exe} is missing")
        print(f"{args.label}: 0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory(prefix="kmeans-desktop-smoke.") as tmp:
        smoke = Smoke(Path(os.path.abspath(exe)), Path(tmp), args.timeout)  # symlinks kept, as a user runs it
        smoke.check("--version", smoke.version)
        smoke.check("compress", smoke.compress)
        smoke.check("compress --jobs 2", smoke.compress_jobs)
        smoke.check("GUI --self-test", smoke.self_test)
        if sys.platform.startswith("linux"):
            smoke.check("--install-desktop", smoke.desktop_entry)
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True,
                            ignore=lambda folder, names: [n for n in names if n.endswith((".png", ".jpg"))])
    print(f"{args.label}: {smoke.passed} passed, {smoke.failed} failed")
    return 1 if smoke.failed else 0


if __name__ == "__main__":
    sys.exit(main())
