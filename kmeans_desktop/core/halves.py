"""Row-wise work on two threads: the first part of the rows on the calling thread, the rest on a
helper thread (the call's crew's, `crew`, else one of its own), joined before it returns, so no thread
outlives it.

Why: on a 9 MP photo the palette stage's nearest-centre searches (the detail pass's samples, the
polish steps on the bin means, `cellsearch`'s open colours) ran on one core of two (issue 15).
Each row's answer depends on that row alone, and the split falls on a whole number of the
caller's blocks, so every row is computed exactly as in one pass: the same bits either way
(tested). Numpy lets go of the GIL in its array loops and BLAS products, so the halves overlap.
"""

from __future__ import annotations

from typing import Callable

from .crew import beside


def in_two(work: Callable[[int, int], object], n: int, step: int = 1) -> tuple[object, object]:
    """(work(0, h), work(h, n)), the second on another thread (`crew.beside`); h is about n / 2, a
    multiple of `step`."""
    h = min(n, max(step, n // 2 // step * step))
    return beside(lambda: work(h, n), lambda: work(0, h), "kmeans-half")  # (both under this thread's cancel event)
