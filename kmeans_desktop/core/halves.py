"""Row-wise work on two threads: the first part of the rows on the calling thread, the rest on a
helper thread of the call's own (joined before it returns, so no thread outlives it).

Why: on a 9 MP photo the palette stage's nearest-centre searches (the detail pass's samples, the
polish steps on the bin means, `cellsearch`'s open colours) ran on one core of two (issue 15).
Each row's answer depends on that row alone, and the split falls on a whole number of the
caller's blocks, so every row is computed exactly as in one pass: the same bits either way
(tested). Numpy lets go of the GIL in its array loops and BLAS products, so the halves overlap.
"""

from __future__ import annotations

import threading
from typing import Callable

from .cancel import cancel_on, current


def in_two(work: Callable[[int, int], object], n: int, step: int = 1) -> tuple[object, object]:
    """(work(0, h), work(h, n)), the second on a helper thread; h is about n / 2, a multiple of `step`."""
    h = min(n, max(step, n // 2 // step * step))
    result: list[object] = [None]
    errors: list[BaseException] = []
    event = current()  # (cancelled, both halves stop)

    def second() -> None:
        try:
            with cancel_on(event):
                result[0] = work(h, n)
        except BaseException as e:  # noqa: BLE001 (raised again in the calling thread)
            errors.append(e)

    helper = threading.Thread(target=second, name="kmeans-half", daemon=True)
    helper.start()
    try:
        first = work(0, h)
    finally:
        helper.join()
    if errors:
        raise errors[0]
    return first, result[0]
