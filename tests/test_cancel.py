"""Cooperative cancellation (`core.cancel`): a cancelled quantize stops at a checkpoint, leaves
nothing half-built behind, and a quantize that isn't cancelled gives the same bytes as before."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.datasets import load_sample_image

from kmeans_desktop.core import KMeansDesktopError, build_histogram, colourspace, quantize
from kmeans_desktop.core.cancel import Cancelled, cancel_on, carried, checkpoint, current
from kmeans_desktop.core.halves import in_two


class SetAfter:
    """An event that reads as set from its `n`-th look on (0: at once); counts the looks."""

    def __init__(self, n: float):
        self.n, self.looks = n, 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > self.n


def digest(q) -> str:
    h = hashlib.sha256()
    for a in (q.palette, q.indices, q.counts):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr(q.mse).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.ascontiguousarray(load_sample_image("china.jpg")[::2, ::2])  # 214×320, ~40,000 colours


def test_checkpoint_raises_only_under_a_set_event():
    checkpoint()  # outside cancel_on: nothing
    event = threading.Event()
    with cancel_on(event):
        checkpoint()
        assert current() is event
        event.set()
        with pytest.raises(Cancelled):
            checkpoint()
    checkpoint()  # the event is gone with the block
    assert current() is None
    assert not issubclass(Cancelled, KMeansDesktopError)  # no failure: never shown to the user


def test_a_cancelled_quantize_raises_at_once():
    event = threading.Event()
    event.set()
    pixels = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    with cancel_on(event), pytest.raises(Cancelled):
        quantize(pixels, 8)


@pytest.mark.parametrize("k, dither", [(16, False), (64, True)])
def test_cancelled_at_any_checkpoint_leaves_nothing_half_done(photo, monkeypatch, k, dither):
    # Small chunks, so that the working-space conversion (cached per histogram) is cut too.
    monkeypatch.setattr(colourspace, "_CHUNK_ROWS", 4096)
    reference = digest(quantize(photo, k, dither=dither))
    count = SetAfter(np.inf)
    with cancel_on(count):
        assert digest(quantize(photo, k, dither=dither)) == reference  # not cancelled: the same bytes
    looks = count.looks
    assert looks > 20
    for n in sorted({0, 1, 2, looks // 7, looks // 3, looks // 2, 2 * looks // 3, looks - 2, looks - 1}):
        hist = build_histogram(photo)
        with cancel_on(SetAfter(n)), pytest.raises(Cancelled):
            quantize(photo, k, dither=dither, histogram=hist)
        # the histogram's caches (points, bins, importance) are whole or absent: the next call is unaffected
        assert digest(quantize(photo, k, dither=dither, histogram=hist)) == reference, n


def test_helper_threads_stop_with_their_caller():
    stopped = []

    def work(lo: int, hi: int) -> None:
        try:
            checkpoint()
        except Cancelled:
            stopped.append(lo)
            raise

    event = threading.Event()
    with cancel_on(event):
        in_two(work, 10)  # not set: both halves run
        event.set()
        with pytest.raises(Cancelled):
            in_two(work, 10)
    assert sorted(stopped) == [0, 5]  # the helper thread's half saw the caller's event too


def test_carried_takes_the_callers_event_to_a_pool_thread():
    event = threading.Event()
    fn = lambda: current()  # noqa: E731
    assert carried(fn) is fn  # outside cancel_on: unchanged
    with cancel_on(event):
        wrapped = carried(fn)
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(wrapped).result() is event
        event.set()
        with pytest.raises(Cancelled):
            pool.submit(wrapped).result()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("source", ["uint8", "float"])
def test_to_working_in_chunks_gives_the_same_numbers(monkeypatch, dtype, source):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (10_000, 3)).astype(np.uint8)
    if source == "float":
        rgb = rgb + rng.random((10_000, 3))
    whole = colourspace.to_working(rgb, dtype, 90.0)
    monkeypatch.setattr(colourspace, "_CHUNK_ROWS", 999)
    chunked = colourspace.to_working(rgb, dtype, 90.0)
    assert chunked.dtype == whole.dtype and np.array_equal(chunked, whole)
