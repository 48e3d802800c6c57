"""The K curve's numerics: SSIMULACRA2, PSNR and PNG bytes of an image at one K, exact or
estimated. Plain numpy and the core, no Qt; the window's `gui/analysis.py` runs these on pool
threads (and encodes in its helper process) and `gui/widgets/k_curve.py` draws the points.

Exact values cost too much on large images (a 9 MP PNG encode takes 1–6 s per K), so above
`CURVE_EXACT_MAX` pixels the curve is *estimated*: PSNR from quantizing a strided sample of the
whole image (within 0.2 dB of the full image on photos), bytes from PNG-encoding full-resolution
tiles with that palette and scaling (see `sampling.tile_mosaic`), and SSIMULACRA2 of those tiles
(full resolution, so dithering and banding show as they do in the image).
"""

from __future__ import annotations

import dataclasses
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import runmap
from .colorbins import nearest
from .colourspace import chroma_for_k, to_working
from .dither import dither_indices
from .histogram import ColorHistogram, build_histogram
from .kmeans import Quantized, quantize
from .metrics import mse, psnr, ssimulacra2
from .sampling import estimate_png_bytes, nearest_palette, strided_sample, tile_mosaic

CURVE_KS = (2, 4, 8, 16, 32, 64, 128, 256)
CURVE_EXACT_MAX = 1_000_000  # pixels; larger images get an estimated curve
CURVE_SAMPLE_PIXELS = 250_000  # the strided sample for PSNR (within 0.15 dB of 9 MP; twice as fast as 0.5 MP)
CURVE_TILE_PIXELS = 500_000  # the tiles for PNG bytes


@dataclass(frozen=True)
class CurvePoint:
    image_id: int
    k: int
    dither: bool
    psnr: float
    nbytes: int | None  # None until the encode lane has it
    estimated: bool
    seconds: float  # compute time so far (quantizing, then encoding)
    ssimulacra2: float = math.nan  # of the whole image, or of the tiles when estimated

    @property
    def complete(self) -> bool:
        return self.nbytes is not None


@dataclass(frozen=True, eq=False)
class CurveInput:
    """What every K of the curve needs, prepared once per image."""

    image_id: int
    pixels: np.ndarray
    histogram: ColorHistogram
    icc_profile: bytes | None
    sample: np.ndarray | None  # None: exact curve on the full image
    sample_histogram: ColorHistogram | None
    mosaic: np.ndarray | None
    mosaic_histogram: ColorHistogram | None

    @property
    def estimated(self) -> bool:
        return self.sample is not None

    @property
    def note(self) -> str:
        if not self.estimated:
            return "Exact values for the whole image."
        mp = self.mosaic.shape[0] * self.mosaic.shape[1] / 1e6
        return (f"Estimated: PSNR from a {self.sample.shape[0] * self.sample.shape[1] / 1e6:.1f} MP sample of the "
                f"image (typically within 0.2 dB), size and SSIMULACRA2 from {mp:.1f} MP of "
                f"full-resolution tiles (size typically within 10%).")


def prepare_curve_input(image_id: int, pixels: np.ndarray, histogram: ColorHistogram, icc_profile: bytes | None,
                        proxy: np.ndarray | None = None, proxy_histogram: ColorHistogram | None = None,
                        exact_max: int = CURVE_EXACT_MAX) -> CurveInput:
    """What every K needs: the image itself when small, else a sample and tiles (`proxy`, a
    strided sample with its histogram made already, is used when it is about the right size)."""
    h, w = pixels.shape[:2]
    if w * h <= exact_max:
        return CurveInput(image_id, pixels, histogram, icc_profile, None, None, None, None)
    if proxy is not None and proxy.shape[0] * proxy.shape[1] <= 1.25 * CURVE_SAMPLE_PIXELS:
        sample, sample_hist = proxy, proxy_histogram
    else:
        sample = strided_sample(pixels, CURVE_SAMPLE_PIXELS)
        sample_hist = build_histogram(sample)
    mosaic = tile_mosaic(pixels, CURVE_TILE_PIXELS)
    return CurveInput(image_id, pixels, histogram, icc_profile, sample, sample_hist, mosaic, build_histogram(mosaic))


def curve_quality(inp: CurveInput, k: int, dither: bool) -> tuple[CurvePoint, Quantized]:
    """PSNR at K (exact, or estimated from the sample; see the module doc) and the result whose
    PNG size `curve_bytes` measures: the whole image, or the tiles with the sample's palette."""
    t0 = time.perf_counter()
    if not inp.estimated:
        q = quantize(inp.pixels, k, dither=dither, histogram=inp.histogram)
        s2 = ssimulacra2(inp.pixels, q.to_array())
        return CurvePoint(inp.image_id, k, dither, q.psnr, None, False, time.perf_counter() - t0, s2), q
    qs = quantize(inp.sample, k, histogram=inp.sample_histogram)
    mosaic, mh = inp.mosaic, inp.mosaic_histogram
    if qs.has_alpha:  # nearest-colour mapping doesn't follow the alpha rules: quantize the tiles
        qm = quantize(mosaic, k, dither=dither, histogram=mh)
        s2 = ssimulacra2(mosaic, qm.to_array())
        return CurvePoint(inp.image_id, k, dither, qm.psnr, None, True, time.perf_counter() - t0, s2), qm
    palette = qs.palette
    value = qs.psnr
    if not dither and len(palette) > 1 and runmap.RUN_SLACK > 0:  # the tiles mapped as Save maps
        chroma = chroma_for_k(k)
        x, centres = to_working(mh.colors, chroma=chroma), to_working(palette, chroma=chroma)
        indices, _ = runmap.run_indices(mh, x, centres, nearest(centres, x), palette)
    else:
        indices = mh.indices_for(nearest_palette(mh.colors, palette))
    if dither and len(palette) < mh.n_colors:
        indices = dither_indices(mosaic, palette, indices, chroma=chroma_for_k(k))
        value = psnr(mosaic, palette[indices])  # dithering's error shows in the tiles only
    counts = np.bincount(indices.reshape(-1), minlength=len(palette)).astype(np.int64)
    mapped = palette[indices]
    qm = Quantized(palette, indices, k, dither, 0, counts, mse(mosaic, mapped), time.perf_counter() - t0)
    s2 = ssimulacra2(mosaic, mapped)
    return CurvePoint(inp.image_id, k, dither, value, None, True, time.perf_counter() - t0, s2), qm


def curve_bytes(inp: CurveInput, point: CurvePoint, q: Quantized,
                encode_png: Callable[[Quantized, bytes | None], bytes]) -> CurvePoint:
    """The point with its PNG size: `q` encoded by `encode_png(q, icc_profile)`, and for an
    estimate scaled from the tiles to the whole image."""
    t0 = time.perf_counter()
    if not inp.estimated:
        nbytes = len(encode_png(q, inp.icc_profile))
    else:
        sample_bytes = len(encode_png(q, None))
        h, w = inp.pixels.shape[:2]
        nbytes = estimate_png_bytes(sample_bytes, q.width * q.height, h * w, q.n_colors, q.has_alpha)
        if inp.icc_profile:
            nbytes += len(zlib.compress(inp.icc_profile, 9)) + 26  # iCCP chunk: framing and name
    return dataclasses.replace(point, nbytes=nbytes, seconds=point.seconds + time.perf_counter() - t0)
