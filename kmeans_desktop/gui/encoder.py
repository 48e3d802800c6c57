"""Encoding large images in a helper process, so the GUI thread never waits on the GIL.

pyoxipng keeps Python's GIL for the whole of an encode: seconds for a 9 MP image, during which
the GUI thread can't run a single line of Python (no paint, no input). The encode lane therefore
hands large images to a helper process (started once per window, on first use) and waits for the
bytes there, which releases the GIL. The bytes are the core's `encode` output either way, so Save
still writes exactly what the stats show. Closing the window kills the helper, so a running
encode never delays the exit. The same helper also runs `core.budget.fit` (a "fit" request), which
encodes many candidates; the GUI's `fitting.FitWorker` keeps its own helper for that.

The helper is `python -m kmeans_desktop.gui.encoder`, talking length-prefixed pickles over its
stdin and stdout: unlike multiprocessing's spawn, it never re-imports the caller's main script.
It imports only the core, never Qt. A frozen app (PyInstaller) has no `python -m`; see
`helper_command` for how its entry point can offer the helper.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..core import ColorHistogram, KMeansDesktopError, Quantized, SourceImage, encode

if TYPE_CHECKING:
    from ..core.budget import Fitted, Requirements

#: Results with more pixels than this are encoded in the helper process (below it, in the
#: calling thread: the GIL is held for well under the 100 ms a stall may last).
OUT_OF_PROCESS_ABOVE = 250_000

_HEADER = struct.Struct("<Q")


def _send(stream: BinaryIO, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: BinaryIO):
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe")
    return pickle.loads(data)


def _handle(request: tuple):
    """One request: (Quantized, fmt, icc_profile[, effort]) -> bytes, or ("fit", SourceImage, Requirements,
    histogram or None) -> `core.budget.Fitted`."""
    if isinstance(request[0], str) and request[0] == "fit":
        from ..core.budget import fit

        _, source, req, histogram = request
        return fit(source, req, histogram=histogram)
    q, fmt, icc, *effort = request
    return encode(q, fmt, icc_profile=icc, **({"effort": effort[0]} if effort else {}))


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    """The helper's loop: a request in (see `_handle`), (ok, result | (kind, message)) out."""
    while True:
        try:
            request = _receive(inp)
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply = (True, _handle(request))
        except KMeansDesktopError as exc:
            reply = (False, ("user", str(exc)))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which logs it
            reply = (False, (type(exc).__name__, str(exc)))
        try:
            _send(out, reply)
        except (BrokenPipeError, OSError):
            return


def main() -> None:
    """Entry point of the helper process."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the channel
    serve(sys.stdin.buffer, out)


def helper_command() -> list[str] | None:
    """How to start the helper, or None where it can't be.

    A frozen app has no `python -m`: its executable must offer a helper mode itself. The CLI
    says so by defining `ENCODER_HELPER_FLAG` (and running `main()` here when given it); until
    then a frozen app encodes in the calling thread.
    """
    if getattr(sys, "frozen", False):
        from .. import cli

        flag = getattr(cli, "ENCODER_HELPER_FLAG", None)
        return [sys.executable, flag] if flag else None
    return [sys.executable, "-m", "kmeans_desktop.gui.encoder"]


class EncoderGone(RuntimeError):
    """The helper process was stopped (the window closed) or died."""


class EncoderProcess:
    """One helper process for one window's encode lane. Thread-safe; one request at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._closed = False

    def encode(self, q: Quantized, fmt: str, icc_profile: bytes | None, effort: int | None = None) -> bytes:
        return self._call((q, fmt, icc_profile) if effort is None else (q, fmt, icc_profile, effort))

    def fit(self, source: SourceImage, req: Requirements, histogram: ColorHistogram | None = None) -> Fitted:
        """`core.budget.fit` in the helper (it encodes many candidates, each holding the GIL)."""
        return self._call(("fit", dataclasses.replace(source, info={}), req, histogram))

    def _call(self, request: tuple):
        command = helper_command()
        if command is None:
            return _handle(request)
        with self._lock:
            if self._closed:
                raise EncoderGone("the encoder was stopped")
            proc = self._ensure_started(command)
            try:
                _send(proc.stdin, request)
                ok, payload = _receive(proc.stdout)
            except (EOFError, OSError, ValueError) as exc:
                self._reset()
                raise EncoderGone("the encoder process ended") from exc
        if ok:
            return payload
        kind, message = payload
        if kind == "user":
            raise KMeansDesktopError(message)
        raise RuntimeError(f"{kind}: {message}")

    def _ensure_started(self, command: list[str]) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._reset()
            package_root = str(Path(__file__).resolve().parents[2])
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
            flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
            self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                          creationflags=flags)
        return self._proc

    def _reset(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        """Kill the helper at once (a running encode ends with EncoderGone) and refuse new work."""
        self._closed = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()  # unblocks a thread waiting for the reply: EOFError
        if self._lock.acquire(timeout=2.0):
            try:
                self._reset()
            finally:
                self._lock.release()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


if __name__ == "__main__":
    main()
