"""Small window operations on 2-D grids for the dithering's masks (numpy only): edge padding,
boolean dilation by a square, and where a square window holds more than one value."""

from __future__ import annotations

import numpy as np


def pad(a: np.ndarray, r: int) -> np.ndarray:
    """`a` with its edge rows and columns repeated `r` times (scipy.ndimage's mode "nearest")."""
    return np.pad(a, r, mode="edge")


def spread(m: np.ndarray, r: int) -> np.ndarray:
    """Boolean dilation by a (2r+1)×(2r+1) square."""
    p = np.pad(m, r)
    h, w = m.shape
    rows = p[:, : w].copy()
    for i in range(1, 2 * r + 1):
        rows |= p[:, i : i + w]
    out = rows[:h].copy()
    for i in range(1, 2 * r + 1):
        out |= rows[i : i + h]
    return out


def varies(a: np.ndarray, r: int) -> np.ndarray:
    """Where the (2r+1)×(2r+1) window (edges repeated) holds more than one value of `a`: a
    window is constant exactly when each of its rows is and its centre column is."""
    p = pad(a, r)
    h, w = a.shape
    same_h = p[:, 1:] == p[:, :-1]  # (h+2r) × (w+2r-1): a pixel equals its right neighbour
    row_const = same_h[:, :w].copy()
    for i in range(1, 2 * r):
        row_const &= same_h[:, i : i + w]  # (h+2r) × w: row window around x constant
    col = p[:, r : r + w]
    same_v = col[1:] == col[:-1]
    const = row_const[:h].copy()
    for i in range(1, 2 * r + 1):
        const &= row_const[i : i + h]
    for i in range(2 * r):
        const &= same_v[i : i + h]
    return ~const
