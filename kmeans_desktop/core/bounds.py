"""Lower bounds that wear by the centres' path lengths (the k-means in `seeding`, `kmeans` and
`colorbins.Candidates`).

Hamerly's k-means keeps, per point, a lower bound on its distance to every centre but its own (or
its few candidates); after the centres move it must fall by as much as any of those centres may
have come nearer. Taking off each step's largest move counts the centre that moves most at every
step, while it is a different centre from step to step: what a centre can have come nearer since a
bound was measured is its own path length since then, so the bound falls by the longest path
since its measurement. Exact either way (same labels); the bounds just stay tighter. Measured
2026-12-02: china.jpg K=256 polish, 7 steps: the bounds wear 3.2 instead of 4.4 units and 57,063
instead of 89,046 colours are searched again (flower 83,510 instead of 93,919).
"""

from __future__ import annotations

import numpy as np


class Wear:
    """Path lengths of k centres, marked at each step where some bounds were measured."""

    def __init__(self, k: int, n: int):
        self.drift = np.zeros(k)  # each centre's path length since the start
        self._marks = [self.drift]  # the path lengths when bounds were measured
        self.since = np.zeros(n, dtype=np.int16)  # the mark each point's bound was measured at
        self._fresh = False  # whether the last mark is the current path lengths

    def moved(self, step: np.ndarray, keep: np.ndarray | None = None) -> None:
        """The centres moved by `step` (after dropping those where `keep` is False, if given:
        dropping a centre never brings another nearer)."""
        if keep is not None and not keep.all():
            self.drift = self.drift[keep]
            self._marks = [m[keep] for m in self._marks]
        self.drift = self.drift + step
        self._fresh = False

    def worn(self, extra: np.ndarray | None = None) -> np.ndarray:
        """Per point, how far its bound has to fall now (plus each centre's `extra` move)."""
        drift = self.drift if extra is None else self.drift + extra
        return (drift[None, :] - np.array(self._marks)).max(axis=1)[self.since]

    def measured(self, which) -> None:
        """The bounds of points `which` (indices, a mask or a slice) were measured just now."""
        if not self._fresh:
            self._marks.append(self.drift)
            self._fresh = True
        self.since[which] = len(self._marks) - 1
