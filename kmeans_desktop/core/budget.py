"""Pixel and size requirements: the best-looking file that passes "≤ 100 KB, max 600 px".

`fit` applies the maximum dimensions first (Lanczos, aspect kept, never upscaling). With a byte
budget it makes the best-looking file that fits: core/best_fit.py chooses the size, K and dither
strength by SSIMULACRA2, running core/ksearch.py's search for the largest K that fits at each
candidate size. `format="auto"` compares PNG, WebP and JPEG. The requirements and the answer's
types live in core/ksearch.py and are re-exported here, where callers have always found them.
"""

from __future__ import annotations

import dataclasses
import time

from .best_fit import QualitySearch, at_least
from .encoding import check_effort
from .histogram import ColorHistogram
from .imageio import SourceImage
from .kmeans import check_k
from .ksearch import (  # noqa: F401 - re-exported: callers import these from core.budget
    JPEG_QUALITY_RANGE, BudgetError, Fitted, Requirements, _Job,
)
from .resize import fit_size, resize


def fit(
    source: SourceImage,
    req: Requirements,
    *,
    histogram: ColorHistogram | None = None,
) -> Fitted:
    """Make the file `req` asks for from `source`. `histogram` (of source.pixels) may be passed to
    reuse one; it is used only while the image is not resized. With a byte budget, the
    best-looking file that fits (core/best_fit.py); format "auto" compares PNG, WebP and JPEG."""
    t0 = time.perf_counter()
    if req.palette is not None:  # a fixed palette: K is its size; a byte budget may only shrink the image
        req = dataclasses.replace(req, k=len(req.palette), locked=())
    check_k(req.k)
    check_effort(req.effort)
    if req.max_bytes is not None and req.max_bytes <= 0:
        raise BudgetError(f"{source.name}: the size limit must be more than 0 bytes.")
    if req.format == "auto":
        return _fit_auto(source, req, histogram, t0)
    job = _Job(source, req)
    w0, h0 = source.width, source.height
    size = fit_size(w0, h0, req.max_width, req.max_height)
    smallest = _smallest_allowed(source, req, size)
    if req.max_bytes is None or _surely_fits(source, req, size):
        pixels = resize(source.pixels, size)
        hist = histogram if pixels is source.pixels and histogram is not None else None
        result = job.at_scale(pixels, hist)
    else:
        result = QualitySearch(job, size, smallest, dither_free=req.dither is None).run()
    return dataclasses.replace(result, scale=result.quantized.width / w0, candidates=job.tried,
                               seconds=time.perf_counter() - t0)


def _surely_fits(source: SourceImage, req: Requirements, size: tuple[int, int]) -> bool:
    """A PNG-8 can't exceed a byte a pixel plus a filter byte a row and its chunks (deflate adds
    under 0.1 %): such a budget needs no search."""
    if req.format != "png" or req.dither:
        return False
    extra = len(source.icc_profile or b"") + (len(source.exif or b"") if req.keep_metadata else 0)
    return req.max_bytes >= size[0] * size[1] * 1.01 + size[1] + 4096 + extra


def _smallest_allowed(source: SourceImage, req: Requirements, target: tuple[int, int]) -> tuple[int, int]:
    """The smallest output size the minimum allows (1×1 without one); a minimum that can't be met
    is one plain sentence."""
    mw, mh = req.min_width, req.min_height
    if not (mw or mh):
        return (1, 1) if req.allow_downscale else target
    want = f"{mw or 'any'}×{mh or 'any'}"
    if (mw and req.max_width and mw > req.max_width) or (mh and req.max_height and mh > req.max_height):
        raise BudgetError(f"{source.name}: the minimum size {want} is larger than the maximum size "
                          f"{req.max_width or 'any'}×{req.max_height or 'any'}; lower the minimum or raise the maximum.")
    if (mw and mw > source.width) or (mh and mh > source.height):
        raise BudgetError(f"{source.name}: the minimum size {want} is larger than the image "
                          f"({source.width}×{source.height}); images are never enlarged.")
    if (mw and mw > target[0]) or (mh and mh > target[1]):
        raise BudgetError(f"{source.name}: the largest size allowed is {target[0]}×{target[1]} (the aspect ratio "
                          f"is kept), smaller than the minimum {want}.")
    return at_least(target, (mw, mh)) if req.allow_downscale else target


#: Formats compared by format "auto", in order of preference on equal scores.
AUTO_FORMATS = ("png", "webp", "jpeg")


def _fit_auto(source, req, histogram, t0) -> Fitted:
    """The best-looking of PNG-8, lossless WebP and JPEG under the same requirements."""
    from .quality import file_score

    results, errors = [], []
    for fmt in AUTO_FORMATS:
        try:
            r = fit(source, dataclasses.replace(req, format=fmt), histogram=histogram)
        except BudgetError as exc:
            errors.append(exc)
            continue
        if r.score is None:
            target = fit_size(source.width, source.height, req.max_width, req.max_height)
            r = dataclasses.replace(r, score=round(file_score(resize(source.pixels, target), r.data), 3))
        results.append(r)
    if not results:
        raise errors[0]
    best = max(results, key=lambda r: (r.score, -AUTO_FORMATS.index(r.format)))
    others = tuple((r.format, r.score, r.size) for r in results if r is not best)
    reason = best.reason
    if others:
        runner = max(others, key=lambda o: o[1])
        why = f"{best.format.upper()} looks better than {runner[0].upper()} ({best.score:.1f} vs {runner[1]:.1f})"
        reason = f"{why}; {reason}" if reason else why
    return dataclasses.replace(best, alternatives=others, reason=reason,
                               candidates=sum(r.candidates for r in results), seconds=time.perf_counter() - t0)

