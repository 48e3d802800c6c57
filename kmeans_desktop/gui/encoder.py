"""Encoding large images in a helper process, so the GUI thread never waits on the GIL.

pyoxipng keeps Python's GIL for the whole of `create_optimized_png`: seconds for a 9 MP image,
during which the GUI thread can't run a single line of Python (no paint, no input). The encode
lane therefore hands large images to a helper process (spawned once per window, on first use)
and waits for the bytes there, which releases the GIL. The bytes are the core's `encode` output
either way, so Save still writes exactly what the stats show. Closing the window kills the helper,
so a running encode never delays the exit.

No Qt here: the helper imports only the core.
"""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.connection import Connection

from ..core import KMeansDesktopError, Quantized, encode

#: Results with more pixels than this are encoded in the helper process (below it, in the
#: calling thread: the GIL is held for well under the 100 ms a stall may last).
OUT_OF_PROCESS_ABOVE = 250_000


def serve(conn: Connection) -> None:
    """The helper's loop: (Quantized, fmt, icc_profile) in, (ok, bytes | error) out."""
    while True:
        try:
            q, fmt, icc = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply = (True, encode(q, fmt, icc_profile=icc))
        except KMeansDesktopError as exc:
            reply = (False, ("user", str(exc)))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which logs it
            reply = (False, (type(exc).__name__, str(exc)))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class EncoderGone(RuntimeError):
    """The helper process was stopped (the window closed) or died."""


class EncoderProcess:
    """One helper process for one window's encode lane. Thread-safe; one request at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._closed = False

    def encode(self, q: Quantized, fmt: str, icc_profile: bytes | None) -> bytes:
        with self._lock:
            if self._closed:
                raise EncoderGone("the encoder was stopped")
            conn = self._ensure_started()
            try:
                conn.send((q, fmt, icc_profile))
                ok, payload = conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._reset()
                raise EncoderGone("the encoder process ended") from exc
        if ok:
            return payload
        kind, message = payload
        if kind == "user":
            raise KMeansDesktopError(message)
        raise RuntimeError(f"{kind}: {message}")

    def _ensure_started(self) -> Connection:
        if self._proc is None or not self._proc.is_alive():
            self._reset()
            ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt threads
            parent, child = ctx.Pipe(duplex=True)
            proc = ctx.Process(target=serve, args=(child,), name="kmeans-desktop-encoder", daemon=True)
            proc.start()
            child.close()
            self._proc, self._conn = proc, parent
        assert self._conn is not None
        return self._conn

    def _reset(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(1.0)
        self._proc = self._conn = None

    def close(self) -> None:
        """Kill the helper at once (a running encode ends with EncoderGone) and refuse new work."""
        self._closed = True
        proc = self._proc
        if proc is not None and proc.is_alive():
            proc.kill()  # unblocks a thread waiting in recv(): EOFError
        if self._lock.acquire(timeout=2.0):
            try:
                self._reset()
            finally:
                self._lock.release()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.is_alive()
