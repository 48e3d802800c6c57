"""The search for the largest K whose file fits a byte budget at one size, and the types it
answers with (`Requirements`, `Fitted`, `BudgetError`).

`core.best_fit` runs it per candidate size; `core.budget.fit` is the entry point. Bytes grow with K
but not perfectly monotonically, so it works on estimates, interpolating in log K between a K that
fits and one that doesn't, and every answer is confirmed by a real encode:

- the image's histogram is built once per size and shared by every candidate K;
- a candidate is quantized and encoded at most once (results are memoised by K);
- large PNG candidates are estimated by encoding an eighth of the rows, scaled up and calibrated
  against the real encodes as they come in; small images and other formats are encoded for real.

JPEG keeps K and searches its quality instead.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .encoding import DEFAULT_EFFORT, JPEG_QUALITY, encode, encode_png, packing_for
from .errors import KMeansDesktopError
from .histogram import ColorHistogram, build_histogram
from .imageio import SourceImage
from .kmeans import Quantized, quantize

#: Stop refining once the K that fits and the K that doesn't are this close (relative). Photos
#: gain about 2.5 dB per doubling of K, so 1% of K is worth about 0.04 dB.
K_TOLERANCE = 0.01
#: JPEG qualities searched with a byte budget.
JPEG_QUALITY_RANGE = (5, 95)
_MAX_CANDIDATES = 14
_ESTIMATE_FULL_LIMIT = 1_500_000  # pixels; larger PNGs are estimated from an eighth of the rows
_SAMPLE_BIAS = 1.03
_NEAR_MISS = 0.015  # an estimate this far over the budget may still fit: check with a real encode


class BudgetError(KMeansDesktopError):
    """The requirements can't be met; the message says what would fit."""


@dataclass(frozen=True)
class Requirements:
    k: int = 256  # the most colours allowed
    max_bytes: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    format: str = "png"  # png, gif, webp or jpeg
    allow_downscale: bool = True  # may shrink below the max dimensions to meet max_bytes
    keep_metadata: bool = False  # keep EXIF (the ICC profile is always kept)
    dither: bool | None = None  # None: with a byte budget the search chooses (off without one)
    seed: int = 0
    dither_strength: float = 1.0  # with dither: 0..1
    min_width: int | None = None  # the output must be at least this big (forms that demand 600×600)
    min_height: int | None = None
    locked: tuple = ()  # (r, g, b) colours kept exactly in every palette; they count toward k
    palette: tuple | None = None  # map to exactly these colours ((r, g, b[, a]) each); k is its size
    effort: int = DEFAULT_EFFORT  # PNG packing effort, 1..5 (core.encoding); never changes the colours


@dataclass(frozen=True, eq=False)
class Fitted:
    """An encoded file that meets the requirements, and how it was made."""

    quantized: Quantized
    data: bytes
    format: str
    scale: float  # output width / source width (1.0 = full size)
    quality: int | None  # JPEG quality, None for other formats
    max_bytes: int | None
    candidates: int  # distinct K (or quality) values tried
    seconds: float
    #: SSIMULACRA2 of the file at the largest allowed size (core.quality.file_score), when a byte
    #: budget made the search compare candidates; None otherwise.
    score: float | None = None
    reason: str = ""  # one line: why this size, K and dithering (empty without a budget)
    target: tuple[int, int] | None = None  # the largest allowed size (what "full size" means)
    full_k: int | None = None  # the most colours that fit at the target size (None: not even 2; JPEG: quality)
    full_score: float | None = None  # the score of that full-size candidate
    alternatives: tuple = ()  # (format, score, bytes) of the other formats compared (format "auto")

    @property
    def k(self) -> int:
        return self.quantized.k

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def fits(self) -> bool:
        return self.max_bytes is None or self.size <= self.max_bytes

    @property
    def width(self) -> int:
        return self.quantized.width

    @property
    def height(self) -> int:
        return self.quantized.height


@dataclass
class _Miss:
    """Even the smallest setting (K=2, or the lowest JPEG quality) is over the budget."""

    size: tuple[int, int]
    nbytes: int


class _Job:
    def __init__(self, source: SourceImage, req: Requirements):
        self.source, self.req = source, req
        self.icc = source.icc_profile
        self.exif = source.exif if req.keep_metadata else None
        self.tried = 0
        # The fewest colours a search may try: the locked ones, or the whole fixed palette.
        self.k_floor = len(req.palette) if req.palette is not None else max(2, len(req.locked))

    # -- one scale -------------------------------------------------------------------------

    def at_scale(self, pixels: np.ndarray, hist: ColorHistogram | None) -> Fitted | _Miss:
        hist = hist if hist is not None else build_histogram(pixels)
        if self.req.format == "jpeg":
            return self._jpeg(pixels, hist)
        if self.req.max_bytes is None:
            q = self._quantize(pixels, hist, self.req.k)
            del hist  # codes and bins are not needed to encode: free them first (50 MP: ~0.3 GB)
            return self._fitted(q, self._encode(q))
        return _KSearch(self, pixels, hist).run()

    def _quantize(self, pixels: np.ndarray, hist: ColorHistogram, k: int, strength: float | None = -1.0) -> Quantized:
        """`strength`: None = no dithering, a number = dither that strongly, -1 = as req says."""
        self.tried += 1
        if strength is not None and strength < 0:
            strength = self.req.dither_strength if self.req.dither else None
        return quantize(pixels, max(k, len(self.req.locked)), dither=strength is not None, seed=self.req.seed,
                        histogram=hist, dither_strength=1.0 if strength is None else strength,
                        locked=self.req.locked or None, palette=self.req.palette)

    def _encode(self, q: Quantized, quality: int | None = None) -> bytes:
        return encode(q, self.req.format, icc_profile=self.icc, exif=self.exif, quality=quality,
                      effort=self.req.effort)

    def _fitted(self, q: Quantized, data: bytes, quality: int | None = None) -> Fitted:
        return Fitted(q, data, self.req.format, 1.0, quality, self.req.max_bytes, self.tried, 0.0)

    def _jpeg(self, pixels: np.ndarray, hist: ColorHistogram) -> Fitted | _Miss:
        q = self._quantize(pixels, hist, self.req.k)
        budget = self.req.max_bytes
        if budget is None:
            return self._fitted(q, self._encode(q, JPEG_QUALITY), JPEG_QUALITY)
        lo_q, hi_q = JPEG_QUALITY_RANGE
        sizes: dict[int, bytes] = {}

        def data(quality: int) -> bytes:
            if quality not in sizes:
                sizes[quality] = self._encode(q, quality)
            return sizes[quality]

        if len(data(lo_q)) > budget:
            return _Miss((q.width, q.height), len(data(lo_q)))
        if len(data(hi_q)) <= budget:
            return self._fitted(q, data(hi_q), hi_q)
        while hi_q - lo_q > 1:  # lo_q fits, hi_q doesn't
            mid = (lo_q + hi_q) // 2
            if len(data(mid)) <= budget:
                lo_q = mid
            else:
                hi_q = mid
        self.tried += len(sizes) - 1
        return self._fitted(q, data(lo_q), lo_q)

    # -- what fits when even the smallest setting is too big ------------------------------

    def _smallest(self, pixels: np.ndarray) -> _Miss | None:
        """None when the smallest setting fits at this size, else how far over it is."""
        hist = build_histogram(pixels)
        if self.req.format == "jpeg":
            q = self._quantize(pixels, hist, self.req.k)
            nbytes = len(self._encode(q, JPEG_QUALITY_RANGE[0]))
        else:
            nbytes = len(self._encode(self._quantize(pixels, hist, min(self.k_floor, self.req.k))))
        assert self.req.max_bytes is not None
        return None if nbytes <= self.req.max_bytes else _Miss((pixels.shape[1], pixels.shape[0]), nbytes)


class _KSearch:
    """The largest K ≤ req.k whose file fits, at one scale."""

    def __init__(self, job: _Job, pixels: np.ndarray, hist: ColorHistogram, strength: float | None = -1.0,
                 k_max: int | None = None):
        self.job, self.pixels, self.hist = job, pixels, hist
        self.strength = strength  # as _Job._quantize takes it
        self.k_max = k_max or job.req.k
        self.tolerance = K_TOLERANCE  # for run()
        self.bracket: tuple[int, int] | None = None  # (fits, doesn't) by estimate, from by_estimate
        self.budget = job.req.max_bytes
        self.quantized: dict[int, Quantized] = {}
        self.raw_estimate: dict[int, float] = {}
        self.final: dict[int, bytes] = {}
        # final bytes / estimated bytes, from the real encodes once there are some; before that
        # a prior: the row sample came out 1–5% under the real size on photos (0.95–0.99).
        self.ratio = _SAMPLE_BIAS
        self.sampled = job.req.format == "png" and pixels.shape[0] * pixels.shape[1] > _ESTIMATE_FULL_LIMIT

    def q(self, k: int) -> Quantized:
        if k not in self.quantized:
            self.quantized[k] = self.job._quantize(self.pixels, self.hist, k, self.strength)
        return self.quantized[k]

    def estimate(self, k: int) -> float:
        if k in self.final:
            return float(len(self.final[k]))
        if not self.sampled:  # small images: the real encode is cheap enough to be the estimate
            return float(len(self.data(k)))
        if k not in self.raw_estimate:
            self.raw_estimate[k] = _estimate_bytes(self.q(k), self.job)
        return self.raw_estimate[k] * self.ratio

    def data(self, k: int) -> bytes:
        if k not in self.final:
            self.final[k] = self.job._encode(self.q(k))
            if k in self.raw_estimate:
                ratios = [len(self.final[j]) / self.raw_estimate[j] for j in self.final if j in self.raw_estimate]
                self.ratio = float(np.median(ratios))
        return self.final[k]

    def fits(self, k: int) -> bool:
        """Confirmed by a real encode, which is only made when the estimate is near or under."""
        if self.estimate(k) > self.budget * (1 + _NEAR_MISS):
            return False
        return len(self.data(k)) <= self.budget

    def by_estimate(self, tolerance: float = 0.25, start: int | None = None, probes: int = _MAX_CANDIDATES) -> int | None:
        """The largest K believed to fit from the estimates alone (no confirming encode), within
        `tolerance` of K; None when not even the smallest K is believed to fit. `start` is a first
        guess (from another size); later guesses use the model bytes ∝ log K until a K that fits
        and one that doesn't bound the answer, then interpolate between them."""
        k_max, k_min = self.k_max, min(self.job.k_floor, self.k_max)
        lo = hi = None  # the largest K believed to fit, the smallest believed not to
        k = k_max if start is None else start
        if self.bracket is not None:  # a second call (a finer tolerance) goes on from the first
            lo, hi = self.bracket
            k = self._guess(lo, hi) if lo is not None and hi is not None else (lo or hi)
        while True:
            k = min(k_max, max(k_min, k))
            if self.estimate(k) <= self.budget:
                lo = k
                if k == k_max:
                    return k
            else:
                hi = k
                if k == k_min:
                    return None
            if lo is not None and hi is not None and (hi - lo <= max(1, round(lo * tolerance))
                                                      or len(self.quantized) >= probes):
                self.bracket = (lo, hi)
                return lo
            if lo is not None and hi is not None:
                k = self._guess(lo, hi)
            else:
                known = lo if lo is not None else hi
                k = round(math.exp(self.budget * math.log(max(known, 2)) / self.estimate(known)))
                # at least a tolerance away, so the next answer either moves on or settles it
                k = max(lo + 1, round(lo * (1 + tolerance)), k) if lo is not None else \
                    min(hi - 1, round(hi / (1 + tolerance)), k)

    def bytes_per_log_k(self, k: int) -> float:
        """The model's constant c in bytes ≈ c·log K, from the estimate at k."""
        return self.estimate(k) / math.log(max(k, 2))

    def run(self) -> Fitted | _Miss:
        k_max = self.k_max
        k_min = min(self.job.k_floor, k_max)
        if self.fits(k_max):
            return self._result(k_max)
        # Second probe from the model bytes ∝ log K: K = k_max^(budget / bytes at k_max).
        e_max = self.estimate(k_max)
        k1 = round(k_max ** (self.budget / e_max)) if e_max > self.budget else k_max - 1
        k1 = min(k_max - 1, max(k_min, k1))
        confirmed: int | None = None  # the largest K a real encode showed to fit
        if self.estimate(k1) <= self.budget:
            lo, hi = k1, k_max
        else:
            if not self.fits(k_min):
                return self._miss(k_min)
            confirmed, lo, hi = k_min, k_min, k1
        while True:
            while hi - lo > max(1, round(lo * self.tolerance)) and len(self.quantized) < _MAX_CANDIDATES:
                k = self._guess(lo, hi)
                if self.estimate(k) <= self.budget:
                    lo = k
                else:
                    hi = k
            if lo == confirmed:
                # The K just above was ruled out by its estimate alone; a near miss gets a real encode.
                if hi > lo and hi not in self.final and self.estimate(hi) <= self.budget * (1 + _NEAR_MISS):
                    if len(self.data(hi)) <= self.budget:
                        confirmed = lo = hi
                        hi = max(hi + 1, min(k_max, round(hi * 1.1)))
                        continue
                break
            if len(self.data(lo)) <= self.budget:  # also recalibrates the estimates
                confirmed = lo
                continue
            # A real miss: it bounds from above, and the search resumes from the largest K
            # still believed to fit under the recalibrated estimates.
            hi = lo
            below = [k for k in self.quantized if k < hi and self.estimate(k) <= self.budget]
            if below:
                lo = max(below)
            else:
                if not self.fits(k_min):
                    return self._miss(k_min)
                confirmed = lo = k_min
        return self._result(confirmed)

    def preview(self, k: int) -> np.ndarray:
        return self.q(k).to_array()

    def smallest_bytes(self) -> int:
        return len(self.data(min(self.job.k_floor, self.k_max)))

    def _miss(self, k: int) -> _Miss:
        q = self.q(k)
        return _Miss((q.width, q.height), len(self.data(k)))

    def _guess(self, lo: int, hi: int) -> int:
        """Interpolate the budget between lo and hi in log K (bytes grow roughly with log K),
        kept away from the ends so that a poor guess still halves the interval soon."""
        e_lo, e_hi = self.estimate(lo), self.estimate(hi)
        a, b = math.log(lo), math.log(hi)
        t = 0.5 if e_hi <= e_lo else (self.budget - e_lo) / (e_hi - e_lo)
        t = min(0.75, max(0.25, t))
        k = int(round(math.exp(a + t * (b - a))))
        return min(hi - 1, max(lo + 1, k))

    def _result(self, k: int) -> Fitted:
        job = self.job
        job.tried = len(self.quantized)
        return job._fitted(self.q(k), self.data(k))


def _estimate_bytes(q: Quantized, job: _Job) -> float:
    """Cheap stand-in for the real encode of a large PNG: the same encoder on bands of 32 rows
    out of every 256 (an eighth of the image), scaled up; within a few per cent of the real size
    on photos, and calibrated against the real encodes as they come in."""
    band, step = 32, 256
    rows = np.concatenate([np.arange(y, min(y + band, q.height)) for y in range(0, q.height, step)])
    part = dataclasses.replace(q, indices=q.indices[rows])
    overhead = len(job.icc or b"") + len(job.exif or b"")
    body = len(encode_png(part, packing=packing_for(job.req.effort, q.width * q.height)))  # the full size's packing
    return overhead + body * q.height / len(rows)
