"""Error measures between an image and its quantized version."""

from __future__ import annotations

import math

import numpy as np

from .cancel import checkpoint


def _port():
    """The SSIMULACRA2 port, imported on first use: it brings scipy.ndimage (about 0.5 s), which
    a compress run without --json never needs."""
    from . import ssimulacra2_port

    return ssimulacra2_port


def __getattr__(name: str):
    if name == "SSIMULACRA2_EXACT_PIXELS":  # a module attribute that imports the port when read
        return _port().EXACT_PIXELS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
        checkpoint()
        d = (a[y : y + _ROWS_PER_CHUNK].astype(np.int64) - b[y : y + _ROWS_PER_CHUNK]).reshape(-1)
        total += int(np.dot(d, d))  # int64: a chunk of 255² terms overflows int32
    return total / a.size if a.size else 0.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return psnr_from_mse(mse(a, b))


# --- perceived quality ----------------------------------------------------------------------

_BACKGROUNDS = (0, 255)  # black and white pages


def _as_rgb_layers(pixels: np.ndarray) -> list[np.ndarray]:
    """The H×W×3 images a viewer can see: the image itself, or an RGBA image composited (in sRGB,
    as browsers do, rounded to 8 bits) on each background."""
    if pixels.ndim == 2:
        return [np.repeat(pixels[:, :, None], 3, axis=2)]
    if pixels.shape[2] == 3:
        return [pixels]
    rgb = pixels[:, :, :3].astype(np.uint16)
    a = pixels[:, :, 3:4].astype(np.uint16)
    return [((rgb * a + bg * (255 - a) + 127) // 255).astype(np.uint8) for bg in _BACKGROUNDS]


def _check_pair(reference: np.ndarray, distorted: np.ndarray) -> None:
    for name, arr in (("reference", reference), ("distorted", distorted)):
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"the {name} image must be a numpy array, not {type(arr).__name__}")
        if arr.dtype != np.uint8:
            raise ValueError(f"the {name} image must be 8-bit (uint8), not {arr.dtype}")
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
            raise ValueError(f"the {name} image must be H×W, H×W×3 or H×W×4, not {arr.shape}")
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(f"the {name} image is empty ({arr.shape[1]}×{arr.shape[0]} pixels)")
    if reference.shape[:2] != distorted.shape[:2]:
        raise ValueError(
            f"the images differ in size: {reference.shape[1]}×{reference.shape[0]} and "
            f"{distorted.shape[1]}×{distorted.shape[0]} pixels"
        )


def _pair_layers(reference: np.ndarray, distorted: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(reference, distorted) RGB pairs to score: one pair, or one per background when either image
    has alpha (the other one counts as opaque)."""
    def with_alpha(p):
        if p.ndim == 3 and p.shape[2] == 4:
            return p
        rgb = _as_rgb_layers(p)[0]
        return np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)

    if any(p.ndim == 3 and p.shape[2] == 4 for p in (reference, distorted)):
        reference, distorted = with_alpha(reference), with_alpha(distorted)
    return list(zip(_as_rgb_layers(reference), _as_rgb_layers(distorted)))


def ssimulacra2(reference: np.ndarray, distorted: np.ndarray) -> float:
    """SSIMULACRA2 of distorted against reference: sRGB uint8 arrays (H×W, H×W×3 or H×W×4) of the
    same size. 100 = identical, ≥ 90 visually lossless, ≥ 70 high, ≥ 50 medium, ≥ 30 low.

    - RGBA: both images are composited on black and on white and the worse score is returned (an
      error in alpha is invisible on one page and plain on the other).
    - Images above SSIMULACRA2_EXACT_PIXELS are scored with their finest scale(s) averaged over
      sampled tiles (see core/ssimulacra2_port.py); `ssimulacra2_sampled` tells when, so that whoever
      shows the number can say so.
    - Below 8 pixels in either direction the reference implementation measures no scale at all
      (libjxl then says 100, the Rust port refuses); here both images are first enlarged by pixel
      replication (an integer factor) until the short side is at least 8, which scores what a
      viewer sees when zooming in on the tiny image.
    Raises ValueError, in one plain sentence, for arrays of other types, shapes or different sizes.
    """
    _check_pair(reference, distorted)
    h, w = reference.shape[:2]
    factor = -(-_port().MIN_SIDE // min(h, w))
    scores = []
    for ref, dist in _pair_layers(reference, distorted):
        if factor > 1:
            ref = np.repeat(np.repeat(ref, factor, axis=0), factor, axis=1)
            dist = np.repeat(np.repeat(dist, factor, axis=0), factor, axis=1)
        scores.append(_port().score_srgb(np.ascontiguousarray(ref), np.ascontiguousarray(dist)))
    return float(min(scores))


def ssimulacra2_sampled(height: int, width: int) -> bool:
    """True when ssimulacra2() scores an image of this size on sampled tiles (an estimate)."""
    return _port().is_sampled(height, width)
