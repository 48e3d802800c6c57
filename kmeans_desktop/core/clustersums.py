"""Per-centre sums of a weighted Lloyd step (`kmeans._lloyd`), kept up to date from the points that
change centre instead of summed over every point at every step.

Why: after the first polish steps only a few per cent of the colours change centre, yet four
`np.bincount`s over all of them (the weights and the three weighted coordinates) made a fifth of
the polish's time (measured: see `kmeans._lloyd`). The sums then differ from a fresh `bincount` by float rounding
only (about 1e-16 of their size: the centres agree to ~1e-11 of a unit, the palettes are
rounded to whole sRGB values); the counts are integers, so an emptied centre is found exactly.
"""

from __future__ import annotations

import numpy as np


class ClusterSums:
    """Point count, weight and weighted coordinate sums of each centre's points. Needs positive
    weights (a centre is empty exactly when it has no points)."""

    def __init__(self, lab: np.ndarray, w: np.ndarray, wx: list[np.ndarray], k: int):
        self.w, self.wx = w, wx
        self.count = np.bincount(lab, minlength=k)
        self.sw = np.bincount(lab, weights=w, minlength=k)
        self.sums = np.stack([np.bincount(lab, weights=c, minlength=k) for c in wx], 1)

    def moved(self, which: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        """Points `which` went from centres `old` to centres `new` (all of them changed centre)."""
        if not len(which):
            return
        k = len(self.sw)
        both = np.concatenate([new, old])
        self.count += np.bincount(new, minlength=k)
        self.count -= np.bincount(old, minlength=k)
        ww = self.w[which]
        self.sw += np.bincount(both, weights=np.concatenate([ww, -ww]), minlength=k)
        for d, c in enumerate(self.wx):
            cw = c[which]
            self.sums[:, d] += np.bincount(both, weights=np.concatenate([cw, -cw]), minlength=k)
        empty = self.count == 0  # exactly zero, as a fresh sum would be
        if empty.any():
            self.sw[empty] = 0.0
            self.sums[empty] = 0.0

    def changed(self, old_lab: np.ndarray, new_lab: np.ndarray, which: np.ndarray | None = None) -> None:
        """The labels of points `which` (all when None) went from `old_lab` to `new_lab` (same
        length as `which`); only those that differ are counted."""
        diff = np.flatnonzero(old_lab != new_lab)
        self.moved(diff if which is None else which[diff], old_lab[diff], new_lab[diff])

    def drop(self, keep: np.ndarray) -> None:
        """Centres where `keep` is False are gone (they were empty)."""
        self.count, self.sw, self.sums = self.count[keep], self.sw[keep], self.sums[keep]
