"""The window's one helper process: it keeps the current image and runs GIL-holding work for it.

Why a process at all: pyoxipng keeps Python's GIL for the whole of an encode (seconds for a
9 MP PNG, and `core.budget.fit` encodes many candidates). On a pool thread of the GUI process
that would freeze the GUI thread (no paint, no input) for as long. In a helper process the pool
thread just waits on a pipe, without the GIL. The helper could go once pyoxipng releases the GIL
while it compresses (`Python::allow_threads` around the encode in its Rust binding; see
https://github.com/shssoichiro/oxipng/tree/master/python), or once the core encodes PNGs with a
library that does (Pillow's zlib path does, but makes larger files); then the encode and fit
lanes could call the core directly on pool threads, and this module could be deleted.

Shape:

* **One process per window**, started on first use, killed when the window closes. It starts a
  second (`BandPacker`) for the second band of a large PNG (9 MP: 0.60x the wall time of one).
* **It keeps the current image.** `set_image(image_id, source, histogram)` only records it on
  this side; the first request that needs the image carries it across once (tens of MB at 9 MP),
  and every later request sends parameters only (`fit` sends the `Requirements`, not the pixels
  and histogram again). A restarted process gets the image again with its next request.
* **Requests by name.** `call(name, *args, image_id=..., priority=...)` runs the handler
  registered with `@handler(name)` in the helper (add one there to add a request). The helper
  runs one request at a time; waiting requests go lowest `priority` first (the preview's encode
  before the K curve's), then in order of arrival.
* **Cancellation.** A request can't be interrupted inside the helper, so `interrupt(owner)` kills
  the process if `owner`'s request is the one running (its caller gets `HelperGone`); the next
  request starts a fresh process. Used when a long fit is no longer wanted.

The helper is `python -m kmeans_desktop.gui.helper`, talking length-prefixed pickles over its
stdin and stdout: unlike multiprocessing's spawn, it never re-imports the caller's main script.
It imports only the core, never Qt (this module is Qt-free). A frozen app has no `python -m`:
its executable runs `main()` here when given `HELPER_FLAG` (see `cli.main`).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..core import ColorHistogram, KMeansDesktopError, Quantized, SourceImage, encode
from ..core.encoding import DEFAULT_EFFORT, pack_band, set_band_packer

if TYPE_CHECKING:
    from ..core.budget import Fitted, Requirements

#: Results with more pixels than this are encoded in the helper (below it, in the calling
#: thread: the GIL is held for well under the 100 ms a GUI stall may last).
OUT_OF_PROCESS_ABOVE = 250_000
#: The frozen app's command-line flag for "be the helper" (cli.ENCODER_HELPER_FLAG says the same).
HELPER_FLAG = "--encoder-helper"
#: Request priorities (lower first): what the user waits for before background curves.
PRIORITY_SAVE, PRIORITY_PREVIEW, PRIORITY_FIT, PRIORITY_BACKGROUND = 0, 1, 2, 5

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


# --------------------------------------------------------------------------------------------
# The helper's side: its state and the request handlers


@dataclasses.dataclass
class HelperState:
    """What the helper keeps between requests: the current image."""

    image_id: int | None = None
    source: SourceImage | None = None
    histogram: ColorHistogram | None = None


HANDLERS: dict[str, Callable] = {}


def handler(name: str) -> Callable[[Callable], Callable]:
    """Register `fn(state, *args)` as the helper's request `name`."""

    def register(fn: Callable) -> Callable:
        HANDLERS[name] = fn
        return fn

    return register


@handler("encode")
def _encode(state: HelperState, q: Quantized, fmt: str, icc: bytes | None, effort: int = DEFAULT_EFFORT) -> bytes:
    return encode(q, fmt, icc_profile=icc, effort=effort)


@handler("estimate")
def _estimate(state: HelperState, sample: Quantized, icc: bytes | None, effort: int, pixels: int) -> int:
    """The PNG size of a sample of rows, packed the way the whole image of `pixels` pixels is."""
    from ..core.encoding import encode_png, packing_for

    packing = dataclasses.replace(packing_for(effort, pixels), bands=1)  # a few rows: not worth two processes
    return len(encode_png(sample, icc_profile=icc, effort=effort, packing=packing))


@handler("pack_band")
def _pack_band(state: HelperState, *job) -> bytes:
    return pack_band(*job)


@handler("fit")
def _fit(state: HelperState, req: Requirements) -> Fitted:
    from ..core.budget import fit

    return fit(state.source, req, histogram=state.histogram)


def handle(state: HelperState, request: tuple):
    """One request: (name, image, args) where image is None or (image_id, source, histogram)."""
    name, image, args = request
    if image is not None:
        state.image_id, state.source, state.histogram = image
    return HANDLERS[name](state, *args)


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    """The helper's loop: a request in (see `handle`), (ok, result | (kind, message)) out."""
    state = HelperState()
    while True:
        try:
            request = _receive(inp)
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply = (True, handle(state, request))
        except KMeansDesktopError as exc:
            reply = (False, ("user", str(exc)))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which logs it
            reply = (False, (type(exc).__name__, str(exc)))
        try:
            _send(out, reply)
        except (BrokenPipeError, OSError):
            return


class BandPacker:
    """Packs the bands of a large PNG (`core.encoding.set_band_packer`) here and in a second
    helper process at once: the first band here, the others there, so two cores share one image's
    packing. The second process is started with this object (its imports overlap other work) and
    ends when this process does (its pipe closes). Whatever goes wrong there, the bands are packed
    here instead: the same bytes, only later."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._proc: subprocess.Popen | None = None
        self.packed_there = 0  # bands the second process packed (tests read it)
        try:
            self._proc = _start(command or helper_command(), band_helper=True)
        except OSError:
            pass

    def __call__(self, jobs: list[tuple]) -> list[bytes]:
        proc, sent = self._proc, 0
        if proc is not None and proc.poll() is None:
            try:
                for job in jobs[1:]:  # sent whole before packing here: pyoxipng keeps the GIL
                    _send(proc.stdin, ("pack_band", None, job))
                    sent += 1
            except OSError:
                self.close()
        out = [pack_band(*jobs[0])]
        for i, job in enumerate(jobs[1:]):
            reply = None
            if i < sent and self._proc is not None:
                try:
                    reply = _receive(self._proc.stdout)
                except (EOFError, OSError, ValueError):
                    self.close()
            ok = reply is not None and reply[0]
            self.packed_there += ok
            out.append(reply[1] if ok else pack_band(*job))
        return out

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()  # (no error if it has ended)
            proc.wait()
            proc.stdin.close(), proc.stdout.close()


def main() -> None:
    """Entry point of the helper process."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the channel
    if os.environ.pop(_BAND_HELPER_ENV, None) is None:  # the band helper itself starts none
        packer = BandPacker()
        set_band_packer(packer)
    serve(sys.stdin.buffer, out)


def helper_command() -> list[str] | None:
    """How to start the helper: `python -m`, or the frozen app's own executable with HELPER_FLAG."""
    if getattr(sys, "frozen", False):
        return [sys.executable, HELPER_FLAG]
    return [sys.executable, "-m", "kmeans_desktop.gui.helper"]


#: Set in the environment of a `BandPacker`'s process, which packs bands only.
_BAND_HELPER_ENV = "KMEANS_DESKTOP_BAND_HELPER"


def _start(command: list[str], band_helper: bool = False) -> subprocess.Popen:
    """A helper process running `command`, talking over its stdin and stdout."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    if band_helper:
        env[_BAND_HELPER_ENV] = "1"
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, creationflags=flags)


# --------------------------------------------------------------------------------------------
# The window's side


class HelperGone(RuntimeError):
    """The helper process was stopped (window closed, request interrupted) or died."""


class _PriorityLock:
    """A lock granted lowest priority first, then first come first served."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._queue: list[tuple[int, int]] = []
        self._seq = itertools.count()

    def acquire(self, priority: int) -> None:
        with self._cond:
            ticket = (priority, next(self._seq))
            heapq.heappush(self._queue, ticket)
            while self._held or self._queue[0] != ticket:
                self._cond.wait()
            heapq.heappop(self._queue)
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


class HelperProcess:
    """The window's helper process (see the module docstring). Thread-safe."""

    def __init__(self, command: Callable[[], list[str] | None] | None = None, nice: int = 0) -> None:
        self._command = command or helper_command
        self._nice = nice
        self._lock = _PriorityLock()
        self._state_lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._closed = False
        self._image: tuple[int, SourceImage, ColorHistogram | None] | None = None
        self._sent_image_id: int | None = None  # the image the running process has
        self._running_owner: object = None
        self._running_name: str | None = None  # the request being served, for `running_request`
        self._local_state = HelperState()  # when no process can be started (frozen without a flag)
        self._threads: list[threading.Thread] = []  # `submit`'s
        #: Requests sent to the process, and bytes of image sent (tests and benchmarks read them).
        self.requests = 0
        self.images_sent = 0

    # -- what the window calls ----------------------------------------------------------------

    def set_image(self, image_id: int, source: SourceImage, histogram: ColorHistogram | None) -> None:
        """The current image (sent to the process with the first request that needs it)."""
        with self._state_lock:
            self._image = (image_id, source, histogram)

    def encode(self, q: Quantized, fmt: str, icc_profile: bytes | None, *, effort: int = DEFAULT_EFFORT,
               priority: int = PRIORITY_PREVIEW, owner: object = None) -> bytes:
        """The file bytes of `q` at the PNG packing `effort`."""
        return self.call("encode", q, fmt, icc_profile, effort, priority=priority, owner=owner)

    def fit(self, image_id: int, req: Requirements, *, owner: object = None) -> Fitted:
        """`core.budget.fit` of the current image (which must be `image_id`) in the helper."""
        return self.call("fit", req, image_id=image_id, priority=PRIORITY_FIT, owner=owner)

    def call(self, name: str, *args, image_id: int | None = None, priority: int = PRIORITY_PREVIEW,
             owner: object = None, wanted: Callable[[], bool] | None = None):
        """Run request `name` in the helper and return its result. With `image_id`, the request
        needs the current image, which must be that one (else HelperGone: it was replaced).
        `wanted` is asked when the request's turn comes: False drops it unrun (HelperGone)."""
        if self._closed:
            raise HelperGone("the helper was stopped")
        command = self._command()
        if command is None:  # no process possible: run here (holding the GIL)
            return handle(self._local_state, (name, self._image_for(image_id, None), args))
        self._lock.acquire(priority)
        try:
            if self._closed:
                raise HelperGone("the helper was stopped")
            if wanted is not None and not wanted():
                raise HelperGone("the request is no longer wanted")
            proc = self._ensure_started(command)
            image = self._image_for(image_id, self._sent_image_id)
            self._running_owner, self._running_name = owner, name
            try:
                _send(proc.stdin, (name, image, args))
                self.requests += 1
                if image is not None:
                    self._sent_image_id = image[0]
                    self.images_sent += 1
                ok, payload = _receive(proc.stdout)
            except (EOFError, OSError, ValueError) as exc:
                self._reset()
                raise HelperGone("the helper process ended") from exc
            finally:
                self._running_owner = self._running_name = None
        finally:
            self._lock.release()
        if ok:
            return payload
        kind, message = payload
        if kind == "user":
            raise KMeansDesktopError(message)
        raise RuntimeError(f"{kind}: {message}")

    def submit(self, requests: list[tuple], *, priority: int = PRIORITY_PREVIEW,
               wanted: Callable[[], bool] | None = None) -> list[Future]:
        """`call` each (name, *args) in `requests`, in order, on a thread of its own started now: they
        join the queue at once, so they run as soon as the process is free, and their outcomes
        arrive in the returned futures (the caller need not hold a thread meanwhile). `wanted` as
        in `call`, asked before each."""
        futures = [Future() for _ in requests]
        for future in futures:
            future.set_running_or_notify_cancel()

        def run() -> None:
            for (name, *args), future in zip(requests, futures):
                try:
                    future.set_result(self.call(name, *args, priority=priority, wanted=wanted))
                except BaseException as exc:  # noqa: BLE001 - the caller of result() gets it
                    future.set_exception(exc)

        thread = threading.Thread(target=run, name="helper-submit", daemon=True)
        with self._state_lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return futures

    def interrupt(self, owner: object) -> bool:
        """Kill the process if `owner`'s request is the one running (it raises HelperGone)."""
        if owner is None or self._running_owner is not owner:
            return False
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            return True
        return False

    def close(self) -> None:
        """Kill the helper at once (a running request ends with HelperGone) and refuse new work."""
        self._closed = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()  # unblocks a thread waiting for the reply: EOFError
        with self._state_lock:
            self._image = None
            threads, self._threads = self._threads, []
        self._reset()
        for thread in threads:  # their requests end at once now (HelperGone)
            thread.join(2.0)

    @property
    def running(self) -> bool:
        """Whether the process is alive (it may be idle between requests)."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def running_request(self) -> str | None:
        """The name of the request the process is serving now ("encode", "fit", …), or None."""
        return self._running_name

    # -- internal -----------------------------------------------------------------------------

    def _image_for(self, image_id: int | None, sent: int | None):
        """What to send with a request: the image when it needs it and the process lacks it."""
        if image_id is None:
            return None
        with self._state_lock:
            image = self._image
        if image is None or image[0] != image_id:
            raise HelperGone("the image was replaced")
        return None if sent == image_id else image

    def _ensure_started(self, command: list[str]) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._reset()
            self._proc = _start(command)
            if self._nice:
                try:
                    os.setpriority(os.PRIO_PROCESS, self._proc.pid, self._nice)
                except (AttributeError, OSError):  # not on Windows; never worth failing for
                    pass
        return self._proc

    def _reset(self) -> None:
        proc, self._proc = self._proc, None
        self._sent_image_id = None
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


if __name__ == "__main__":
    main()
