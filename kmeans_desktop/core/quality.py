"""Perceived quality of an output: one definition for the CLI, the window and the benchmarks.

- The score of a written file is SSIMULACRA2 of the decoded file against the original at the
  original's size; a smaller output is scaled back up (Lanczos) first.
- Where it differs: the per-pixel error in OKLab (Björn Ottosson's perceptual space; ΔE_OK × 100,
  so 1 is about a just-noticeable difference and a colour swap is 20 and more). RGBA is composited on
  black and on white and the larger error kept, as for the score.
- A worst-region figure: the largest mean ΔE over 16×16 blocks (SSIMULACRA2 is an average and
  hardly moves when one small detail changes colour; this does).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .metrics import ssimulacra2, ssimulacra2_sampled
from .resize import resize

WORST_BLOCK = 16


def decoded_at(reference: np.ndarray, data: bytes) -> np.ndarray:
    """The encoded image `data` as uint8 pixels at the reference's size and channel count
    (RGBA when the reference has alpha), scaled up with Lanczos when it is smaller."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        alpha = reference.ndim == 3 and reference.shape[2] == 4
        pixels = np.asarray(im.convert("RGBA" if alpha else "RGB"))
    h, w = reference.shape[:2]
    if pixels.shape[:2] != (h, w):
        pixels = resize(pixels, (w, h))
    return pixels


def file_score(reference: np.ndarray, data: bytes) -> float:
    """SSIMULACRA2 of an encoded output against the original pixels (see the module note)."""
    ref = reference if reference.ndim == 3 else np.repeat(reference[:, :, None], 3, axis=2)
    return ssimulacra2(ref, decoded_at(ref, data))


def file_score_is_sampled(reference: np.ndarray) -> bool:
    """True when file_score is an estimate from sampled tiles (a large original)."""
    return ssimulacra2_sampled(*reference.shape[:2])


# --- OKLab error map --------------------------------------------------------------------------

_M1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                [0.2119034982, 0.6806995451, 0.1073969566],
                [0.0883024619, 0.2817188376, 0.6299787005]], dtype=np.float32)
_M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                [1.9779984951, -2.4285922050, 0.4505937099],
                [0.0259040371, 0.7827717662, -0.8086757660]], dtype=np.float32)
_LUT = np.where(np.arange(256) / 255.0 <= 0.04045, np.arange(256) / 255.0 / 12.92,
                ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4).astype(np.float32)


def oklab(rgb: np.ndarray) -> np.ndarray:
    """H×W×3 sRGB uint8 -> H×W×3 float32 OKLab (L in 0..1)."""
    lms = _LUT[rgb] @ _M1.T
    return np.cbrt(lms) @ _M2.T


def _views(pixels: np.ndarray) -> list[np.ndarray]:
    if pixels.ndim == 2:
        return [np.repeat(pixels[:, :, None], 3, axis=2)]
    if pixels.shape[2] == 3:
        return [pixels]
    rgb, a = pixels[:, :, :3].astype(np.uint16), pixels[:, :, 3:4].astype(np.uint16)
    return [((rgb * a + bg * (255 - a) + 127) // 255).astype(np.uint8) for bg in (0, 255)]


def _opaque(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        return pixels
    rgb = _views(pixels)[0]
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


def delta_e_map(reference: np.ndarray, distorted: np.ndarray, rows: int = 512) -> np.ndarray:
    """Per-pixel OKLab distance × 100 (H×W float32) between two uint8 images of one size; with
    alpha on either side, the larger of the errors on a black and on a white page."""
    if reference.shape[:2] != distorted.shape[:2]:
        raise ValueError(
            f"the images differ in size: {reference.shape[1]}×{reference.shape[0]} and "
            f"{distorted.shape[1]}×{distorted.shape[0]} pixels")
    out = np.empty(reference.shape[:2], np.float32)
    for y in range(0, reference.shape[0], rows):  # in strips: a 50 MP image needs no 50 MP float copy
        ref, dist = reference[y : y + rows], distorted[y : y + rows]
        if any(p.ndim == 3 and p.shape[2] == 4 for p in (ref, dist)):
            ref, dist = _opaque(ref), _opaque(dist)
        strip = None
        for r, d in zip(_views(ref), _views(dist)):
            e = np.linalg.norm(oklab(r) - oklab(d), axis=2) * 100.0
            strip = e if strip is None else np.maximum(strip, e)
        out[y : y + rows] = strip
    return out


def worst_block(error_map: np.ndarray, block: int = WORST_BLOCK) -> float:
    """The largest mean of error_map over block×block tiles (on a grid; partial edge tiles count
    by their own mean)."""
    h, w = error_map.shape
    ph, pw = -(-h // block) * block, -(-w // block) * block
    sums = np.zeros((ph, pw), np.float64)
    counts = np.zeros((ph, pw), np.float64)
    sums[:h, :w] = error_map
    counts[:h, :w] = 1.0
    s = sums.reshape(ph // block, block, pw // block, block).sum(axis=(1, 3))
    c = counts.reshape(ph // block, block, pw // block, block).sum(axis=(1, 3))
    return float((s / c).max())


# --- the difference map as a picture ------------------------------------------------------------

#: The colour scale: (ΔE_OK × 100, RGB). Below the first stop the result shows through, muted;
#: from DIFF_FULL on the colour covers it.
DIFF_STOPS = ((0.0, (40, 60, 200)), (2.0, (30, 140, 255)), (5.0, (0, 200, 120)), (10.0, (255, 215, 0)),
              (20.0, (235, 30, 30)))
DIFF_FULL = 5.0


def diff_colours(err: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(RGB float32 H×W×3, coverage H×W in 0..1) of the colour scale for ΔE values."""
    xs = np.array([s[0] for s in DIFF_STOPS], np.float32)
    cs = np.array([s[1] for s in DIFF_STOPS], np.float32)
    rgb = np.stack([np.interp(err, xs, cs[:, c]) for c in range(3)], axis=-1).astype(np.float32)
    cover = np.clip(err / DIFF_FULL, 0.0, 1.0) ** 0.6 * 0.92
    return rgb, cover.astype(np.float32)


def diff_map_rgb(reference: np.ndarray, distorted: np.ndarray, rows: int = 512) -> np.ndarray:
    """The difference map over the result: H×W×3 uint8, the result in muted grey with the OKLab
    error laid over it in DIFF_STOPS' colours (more opaque where the error is larger)."""
    err = delta_e_map(reference, distorted, rows)
    out = np.empty(reference.shape[:2] + (3,), np.uint8)
    for y in range(0, err.shape[0], rows):
        d = distorted[y : y + rows]
        rgb = _views(_opaque(d) if d.ndim == 3 and d.shape[2] == 4 else d)
        grey = np.mean([v.astype(np.float32).mean(axis=2) for v in rgb], axis=0)  # RGBA: black/white mean
        base = (grey * 0.45 + 30.0)[..., None]
        colour, cover = diff_colours(err[y : y + rows])
        cover = cover[..., None]
        out[y : y + rows] = np.clip(base * (1 - cover) + colour * cover + 0.5, 0, 255).astype(np.uint8)
    return out
