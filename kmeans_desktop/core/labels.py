"""A palette's labels: the exact nearest entry of every distinct colour, once the clustering has
made the palette (`kmeans.palette_for_histogram`).

Two ways cheaper than searching every colour: from the last polish step's bounds, when the palette
is the polished centres rounded (`mapped_from_polish`); or, without such bounds (images above
`kmeans._EXACT_LLOYD_LIMIT` colours polish on bin means), searched on the call's other thread while
the detail pass (`detail.keep_details`, K ≤ 16) decides whether to move the palette at all
(`assigned`, spawned as a `crew` part): kept when it does not move it. 9 MP china, K=16: the pass
keeps the palette, and the search (31 ms wall that ran after the pass) is done beside it; palette
stage 121-141 -> 95-103 ms wall (bench_stages, three alternated rounds, 2026-12-03); K=8, where the
pass moves the palette and the search is stopped, within ±15 ms either way. Same labels either way.
"""

from __future__ import annotations

import numpy as np

from .colorbins import BOUND_MARGIN, Points, assign, nearest
from .colourspace import from_working, to_working


def opaque_palette(centres: np.ndarray, chroma: float) -> np.ndarray:
    """Working-space centres -> distinct uint8 sRGB entries."""
    return round_palette(from_working(centres, chroma))


def round_palette(centres: np.ndarray) -> np.ndarray:
    return np.unique(np.clip(np.rint(centres), 0, 255).astype(np.uint8), axis=0)


def assigned(centres: np.ndarray, chroma: float, pts: Points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(palette of the centres, its working-space entries, each colour's nearest entry by `assign`)."""
    palette = opaque_palette(centres, chroma)
    pal_w = to_working(palette, chroma=chroma)
    return palette, pal_w, assign(pal_w, pts)


def mapped_from_polish(state: dict, centres: np.ndarray, palette: np.ndarray, pal_w: np.ndarray, pts: Points,
                       chroma: float) -> np.ndarray | None:
    """Every colour's exact nearest palette entry, from the last polish step's bounds (`_lloyd`'s
    `state`): each entry is a centre rounded, moved from where the bounds were measured by at most
    its shift, so only the colours whose bounds cross are searched (as in a polish step). Same
    labels as `assign` up to exact ties (tested); china K=32: 12 ms CPU of a full search saved. At
    large K each colour's candidates (`Candidates.nearest_after`) with bounds worn by the centres'
    path lengths: the 4 web photos at K=256, 132 -> 68 ms CPU in all against `assign`.
    None when the palette isn't the centres' rounding entry for entry (then `assign`)."""
    rounded = np.clip(np.rint(from_working(centres, chroma)), 0, 255).astype(np.uint8)
    again_palette, inv = np.unique(rounded, axis=0, return_inverse=True)
    if not np.array_equal(again_palette, palette):
        return None
    inv = inv.reshape(-1)
    shift = np.sqrt(((pal_w[inv] - state["centres"]) ** 2).sum(axis=1))
    if state["cands"] is not None:  # large K: each colour's candidates from the polish
        return state["cands"].nearest_after(pal_w, inv, shift)
    lab, x = state["lab"], pts.x
    upper = state["upper"] + shift[lab]
    lower = state["lower"] - state["wear"].worn(shift)  # merged entries only put the others farther
    lab = inv[lab]
    again = np.flatnonzero(upper >= lower - BOUND_MARGIN)
    if len(again):
        d = np.take(x, again, axis=0) - np.take(pal_w, lab[again], axis=0)  # (`take`: as `_lloyd`)
        again = again[np.sqrt(np.einsum("ij,ij->i", d, d)) >= lower[again] - BOUND_MARGIN]
        lab[again] = nearest(pal_w, np.take(x, again, axis=0))
    return lab
