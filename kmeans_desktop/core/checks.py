"""The checks `quantize` makes of its arguments: one plain sentence for what is wrong."""

from __future__ import annotations

import numpy as np

K_MIN, K_MAX = 1, 256


def check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"K must be a whole number from {K_MIN} to {K_MAX}, not {k!r}.")
    if not K_MIN <= int(k) <= K_MAX:
        raise ValueError(f"K must be from {K_MIN} to {K_MAX} colours, not {int(k)}.")
    return int(k)


def check_strength(strength) -> float:
    if isinstance(strength, bool) or not isinstance(strength, (int, float, np.integer, np.floating)):
        raise ValueError(f"the dithering strength must be a number from 0 to 1, not {strength!r}.")
    if not 0.0 <= float(strength) <= 1.0:
        raise ValueError(f"the dithering strength must be from 0 to 1, not {float(strength):g}.")
    return float(strength)


def check_pixels(pixels) -> np.ndarray:
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        raise TypeError("pixels must be a numpy uint8 array of shape H×W×3 or H×W×4.")
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"pixels must have shape H×W×3 or H×W×4, not {pixels.shape}.")
    return pixels
