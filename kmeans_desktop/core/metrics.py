"""Error measures between an image and its quantized version."""

from __future__ import annotations

import math

import numpy as np

_ROWS_PER_CHUNK = 256


def psnr_from_mse(mse: float) -> float:
    """Peak signal-to-noise ratio in dB for 8-bit channels; infinite for an exact copy."""
    if mse <= 0:
        return math.inf
    return 10.0 * math.log10(255.0 * 255.0 / mse)


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error per channel between two uint8 images of the same shape, in row chunks
    so that a 50 MP image needs no float copy of itself."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    total = 0
    for y in range(0, a.shape[0], _ROWS_PER_CHUNK):
        d = (a[y : y + _ROWS_PER_CHUNK].astype(np.int64) - b[y : y + _ROWS_PER_CHUNK]).reshape(-1)
        total += int(np.dot(d, d))  # int64: a chunk of 255² terms overflows int32
    return total / a.size if a.size else 0.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return psnr_from_mse(mse(a, b))
