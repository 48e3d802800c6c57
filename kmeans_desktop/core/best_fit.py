"""The best-looking file under a byte budget: size, colours and dithering chosen together.

Fewer colours at full size is often far worse than more colours at a smaller size scaled back up
(a 741×500 photo under 40 KB: K=7 at full size scores −41, 370×250 with 110 colours +50). So the
search compares candidates by perceived quality: SSIMULACRA2 of the file, scaled back up (Lanczos)
to the largest allowed size, against the original at that size (`core.quality.file_score`).

How, without encoding and scoring everything at full resolution:

1. Coarse, on cheap proxies. For each width of a grid (100, 75, 50, 35, 25 % of the largest allowed
   size, none below the smallest allowed), the most colours believed to fit (byte estimates: an
   eighth of the rows for large PNGs, interpolation in log K); the quantized pixels are scored
   directly (a palette format decodes to exactly them), on a few full-resolution crops when the
   allowed size is large.
2. Refine around the best width (the geometric midpoints with its neighbours), then, unless the
   user set dithering, try dither strengths there and one step smaller (dithering costs bytes,
   so its best width is often a little smaller).
   Above a megapixel, steps 1–2 run on a copy scaled to one megapixel with the budget scaled as
   bytes scale (pixels^0.85); its two best candidates are then searched at full resolution at the
   same fraction of the size, beside the full size itself.
3. Confirm the finalists: real encodes (the K steps down until the real file fits) and real scores;
   the best real score wins. Every step is deterministic: no wall-clock cut-offs.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from .histogram import build_histogram
from .ksearch import JPEG_QUALITY_RANGE, BudgetError, Fitted, _Job, _KSearch
from .metrics import ssimulacra2
from .quality import file_score
from .resize import resize, scaled_size

GRID = (1.0, 0.75, 0.5, 0.35, 0.25)
DITHER_STRENGTHS = (0.5, 1.0)  # 1.0 only when 0.5 gained clearly
FINALISTS = 2
PROXY_PIXELS = 1_000_000  # above this the coarse scores use crops of the allowed size
COARSE_PIXELS = 1_000_000  # above this the coarse search runs on a copy scaled to this size
_CROP = 448
_CONFIRM_TOLERANCE = 0.05  # K within 5 % when confirming (about 0.2 points)
_FIRST_K = 16
_COARSE_PROBES = 4  # quantizes per candidate in the coarse phase
_CLEAR_LEAD = 5.0  # a proxy lead this large leaves the runner-up unconfirmed
_DITHER_MARGIN = 3.0  # a dither strength must gain this much before a stronger one is tried
_SHRINK = 0.7  # step below the grid when nothing fits on it
_PIXEL_EXPONENT = 0.85  # PNG bytes at one K grow about as pixels^0.85 (photos)
_DITHER_BYTES = 0.2  # dithering at strength s adds about 20·s % bytes at one K (photos: 5–40 %)
#: Dithering is searched only at sizes up to this many pixels: masked error diffusion adds about
#: 0.8 s a megapixel to each quantize, and the search must stay within 4× a fixed-K save. A
#: photo's best dithered candidate gains up to 5–15 points at equal K.
DITHER_MAX_PIXELS = 2_500_000


def at_least(target: tuple[int, int], min_size: tuple[int | None, int | None]) -> tuple[int, int]:
    """The smallest size with the target's aspect ratio that is at least min_size."""
    tw, th = target
    mw, mh = min_size
    s = max((mw or 0) / tw, (mh or 0) / th)
    if s <= 0:
        return 1, 1
    w, h = scaled_size(tw, th, s)
    if (mw and w < mw) or (mh and h < mh):
        s = max(((mw or 0) + 0.5) / tw, ((mh or 0) + 0.5) / th)
        w, h = scaled_size(tw, th, s)
    return w, h


@dataclass
class _Cand:
    size: tuple[int, int]
    strength: float | None  # None: no dithering
    search: object  # _KSearch or _JpegSearch
    setting: int | None  # K (or JPEG quality) believed to fit; None: nothing does
    proxy: float = -math.inf
    fitted: object = None  # Fitted after confirmation
    score: float | None = None  # real score of the confirmed file

    @property
    def key(self):
        return (self.size, self.strength)


class QualitySearch:
    def __init__(self, job, target: tuple[int, int], smallest: tuple[int, int], dither_free: bool):
        self.job, self.target, self.smallest = job, target, smallest
        self.dither_free = dither_free  # the search may choose a dither strength
        self.req = job.req
        self.ref = resize(job.source.pixels, target)
        self.levels: dict[tuple[int, int], tuple[np.ndarray, object]] = {}
        self.cands: dict[tuple, _Cand] = {}
        self._crops = self._crop_boxes()

    # -- candidates --------------------------------------------------------------------------

    def level(self, size):
        if size not in self.levels:
            pixels = resize(self.job.source.pixels, size)
            self.levels[size] = (pixels, build_histogram(pixels))
        return self.levels[size]

    def base_strength(self) -> float | None:
        return (self.req.dither_strength if self.req.dither else None) if not self.dither_free else None

    def cand(self, size, strength, k_max=None, start=None) -> _Cand:
        key = (size, strength)
        if key not in self.cands:

            pixels, hist = self.level(size)
            if self.req.format == "jpeg":
                search = _JpegSearch(self.job, pixels, hist)
                setting = search.by_estimate()
            else:
                search = _KSearch(self.job, pixels, hist, strength, k_max)
                first = min(start, search.k_max) if start else self._start(size, strength, search)
                setting = search.by_estimate(start=first, probes=_COARSE_PROBES)
            c = _Cand(size, strength, search, setting)
            if c.setting is not None:
                c.proxy = self._proxy(search.preview(c.setting) if self.req.format == "jpeg"
                                      else search.q(c.setting).to_array())
            self.cands[key] = c
        return self.cands[key]

    def _start(self, size, strength, search) -> int | None:
        """A first K for a new candidate from the nearest size already searched, by the model
        bytes ≈ c·log K with c growing as pixels^0.85 (dithering: c from the undithered search at
        this size, a quarter more)."""
        same = self.cands.get((size, None))
        if strength is not None and same is not None and same.setting is not None:
            c = same.search.bytes_per_log_k(same.setting) * (1 + _DITHER_BYTES * strength)
        else:
            known = [o for o in self.cands.values() if o.strength == strength and o.setting is not None]
            if not known:  # a cheap first probe (k-means costs grow with K); K=k_max only if it fits
                return min(search.k_max, _FIRST_K)
            near = min(known, key=lambda o: abs(math.log(o.size[0] * o.size[1] / (size[0] * size[1]))))
            c = near.search.bytes_per_log_k(near.setting) * (
                (size[0] * size[1]) / (near.size[0] * near.size[1])) ** _PIXEL_EXPONENT
        return max(2, min(search.k_max, round(math.exp(self.req.max_bytes / c))))

    def sizes(self) -> list[tuple[int, int]]:
        if not self.req.allow_downscale:
            return [self.target]
        tw, th = self.target
        out = [self.target]
        for s in GRID[1:]:
            size = scaled_size(tw, th, s)
            if size[0] >= self.smallest[0] and size[1] >= self.smallest[1] and size not in out:
                out.append(size)
        if self.smallest != (1, 1) and self.smallest not in out and self.smallest[0] < out[-1][0]:
            out.append(self.smallest)
        return out

    # -- scoring -----------------------------------------------------------------------------

    def _crop_boxes(self):
        tw, th = self.target
        if tw * th <= PROXY_PIXELS:
            return None
        cw, ch = min(_CROP, tw), min(_CROP, th)
        boxes = []
        for fy in (0.25, 0.75):
            for fx in (0.25, 0.75):
                x0 = min(tw - cw, max(0, round(fx * tw - cw / 2)))
                y0 = min(th - ch, max(0, round(fy * th - ch / 2)))
                boxes.append((x0, y0, x0 + cw, y0 + ch))
        return boxes

    def _proxy(self, pixels: np.ndarray) -> float:
        """The score of candidate pixels (exact below PROXY_PIXELS, else the mean over crops, each
        scaled up on its own from the matching box of the candidate)."""
        if self._crops is None:
            return ssimulacra2(self.ref, resize(pixels, self.target))
        h, w = pixels.shape[:2]
        fx, fy = w / self.target[0], h / self.target[1]
        scores = []
        for x0, y0, x1, y1 in self._crops:
            box = (x0 * fx, y0 * fy, x1 * fx, y1 * fy)
            up = _resize_box(pixels, (x1 - x0, y1 - y0), box)
            scores.append(ssimulacra2(self.ref[y0:y1, x0:x1], up))
        return float(np.mean(scores))

    def confirm(self, c: _Cand) -> None:
        if c.fitted is not None or c.setting is None:
            return
        search = c.search
        if isinstance(search, _JpegSearch) or search.sampled:
            search.tolerance = _CONFIRM_TOLERANCE
            result = search.run()
        else:  # small images: the estimates were real encodes; only narrow K down
            k = search.by_estimate(_CONFIRM_TOLERANCE)
            result = self.job._fitted(search.q(k), search.data(k))
        if isinstance(result, Fitted):
            c.fitted = result
            c.score = file_score(self.ref, result.data)

    # -- the search --------------------------------------------------------------------------

    def run(self):
        if self.req.allow_downscale and self.target[0] * self.target[1] > COARSE_PIXELS and self.req.format != "jpeg":
            self._coarse_on_a_smaller_copy()
        else:
            self.coarse()
        return self.finish()

    def _coarse_on_a_smaller_copy(self) -> None:
        """Large images: the coarse search runs on a copy scaled to COARSE_PIXELS with the budget
        scaled as bytes scale (pixels^0.85); its two best candidates, at the same fraction of the
        full size and with the same dithering and (as a first guess) K, are then searched at full
        resolution, beside the full size itself (which the reason and the window quote)."""
        from .imageio import SourceImage

        p = math.sqrt(COARSE_PIXELS / (self.target[0] * self.target[1]))
        small_target = scaled_size(*self.target, p)
        budget = max(1, round(self.req.max_bytes * (p * p) ** _PIXEL_EXPONENT))
        copy = SourceImage(pixels=resize(self.job.source.pixels, small_target), name=self.job.source.name)
        job = _Job(copy, replace(self.req, max_bytes=budget), lambda _msg: None)
        smallest = (max(1, math.floor(self.smallest[0] * p)), max(1, math.floor(self.smallest[1] * p)))
        sub = QualitySearch(job, small_target, smallest, self.dither_free)
        sub.coarse()
        self.job.tried += job.tried
        base = self.base_strength()
        self.cand(self.target, base)
        ranked = sorted((c for c in sub.cands.values() if c.setting is not None), key=self._rank, reverse=True)
        for c in ranked[:FINALISTS]:
            size = scaled_size(*self.target, c.size[0] / small_target[0])
            size = (max(size[0], self.smallest[0]), max(size[1], self.smallest[1]))
            if c.strength is not None and (size, None) not in self.cands:
                self.cand(size, None, start=c.setting)  # the dithered K is bounded by the undithered one
            bound = self.cands[(size, None)].setting if c.strength is not None and (size, None) in self.cands else None
            if c.strength is None or bound:
                self.cand(size, c.strength, k_max=bound, start=c.setting)
        if not any(c.setting is not None for c in self.cands.values()):
            self.coarse()  # the copy misled us: search at full resolution after all

    def coarse(self) -> None:
        """Candidates on the grid of sizes (and below it when nothing fits), a midpoint, dithering."""
        base = self.base_strength()
        sizes = self.sizes()
        for size in sizes:  # largest first; once all of K fits, a smaller size can only look worse
            if self.cand(size, base).setting == self._k_max():
                break
        fitting = [c for c in self.cands.values() if c.setting is not None]
        if not fitting and self.req.allow_downscale:
            for size in self._below(sizes[-1]):
                if size[0] < self.smallest[0] or size[1] < self.smallest[1]:
                    break
                c = self.cand(size, base)
                if c.setting is not None:
                    fitting.append(c)
                    smaller = next(self._below(size), size)
                    if smaller[0] >= self.smallest[0] and smaller[1] >= self.smallest[1]:
                        self.cand(smaller, base)
                    break
        if not fitting:
            raise BudgetError(self._what_would_fit())
        self._refine(base)
        if self.dither_free and self.req.format != "jpeg":
            self._try_dither()

    def finish(self):
        """Confirm the finalists with real encodes and real scores; the best-looking one."""
        ranked = sorted((c for c in self.cands.values() if c.setting is not None), key=self._rank, reverse=True)
        # The undithered finalists are confirmed too, whatever the dithered ones' proxies say: the
        # proxy can favour dithering by a point or two that the real files don't show, and then a
        # search free to dither must not end below the same search without it.
        undithered = [c for c in ranked if c.strength is None]
        for group in (ranked, undithered):
            for c in group[:FINALISTS]:
                if c.score is None and (c is group[0] or c.proxy > group[0].proxy - _CLEAR_LEAD):
                    self.confirm(c)
        done = [c for c in ranked if c.score is not None]
        for c in ranked[FINALISTS:]:  # a finalist's real file may not fit at all: take the next one
            if done:
                break
            self.confirm(c)
            done = [c for c in ranked if c.score is not None]
        if not done:
            raise BudgetError(f"{self.job.source.name}: can't be made as small as {self.req.max_bytes:,} bytes.")
        best = max(done, key=lambda c: (c.score, c.size, c.setting))
        return self._result(best)

    def _below(self, size: tuple[int, int]):
        """Smaller and smaller sizes (by _SHRINK) below `size`, each different, down to 1×1."""
        scale = max(size[0] / self.target[0], size[1] / self.target[1])
        while size != (1, 1):
            scale *= _SHRINK
            smaller = scaled_size(*self.target, scale)
            if smaller != size:
                size = smaller
                yield size

    def _k_max(self):
        return 95 if self.req.format == "jpeg" else self.req.k

    @staticmethod
    def _rank(c: _Cand):
        return (c.proxy, c.size, c.setting or 0)

    def _refine(self, base) -> None:
        """Geometric midpoints between the best width and its neighbours on the grid."""
        if not self.req.allow_downscale:
            return
        tried = sorted({c.size for c in self.cands.values()}, reverse=True)
        best = max((c for c in self.cands.values() if c.setting is not None), key=self._rank)
        i = tried.index(best.size)
        near = [j for j in (i - 1, i + 1) if 0 <= j < len(tried) and (tried[j], base) in self.cands]
        if not near:
            return
        j = max(near, key=lambda j: self._rank(self.cands[(tried[j], base)]))  # toward the better neighbour
        size = scaled_size(*self.target, math.sqrt(tried[i][0] * tried[j][0]) / self.target[0])
        if size not in tried and size[0] >= self.smallest[0] and size[1] >= self.smallest[1]:
            self.cand(size, base)

    def _try_dither(self) -> None:
        """Dither strengths at the best undithered size; when one helps there, also at the next
        smaller size (dithering adds bytes, so its best size is often a little smaller). The K of a
        dithered candidate is bounded by the undithered K at its size."""
        undithered = sorted((c for c in self.cands.values() if c.strength is None and c.setting is not None),
                            key=self._rank, reverse=True)
        if not undithered:
            return
        best = undithered[0]
        if best.size[0] * best.size[1] > DITHER_MAX_PIXELS:
            return
        helped = []
        for strength in DITHER_STRENGTHS:  # the stronger one only when the milder one helped
            c = self.cand(best.size, strength, k_max=best.setting) if best.setting > 2 else None
            if c is None or c.setting is None or c.proxy <= best.proxy + _DITHER_MARGIN:
                break
            helped.append(c)
        smaller = [c for c in undithered if c.size[0] < best.size[0]]
        if helped and smaller:
            nxt = max(smaller, key=lambda c: c.size)
            if nxt.setting > 2 and nxt.size[0] * nxt.size[1] <= DITHER_MAX_PIXELS:
                self.cand(nxt.size, max(helped, key=self._rank).strength, k_max=nxt.setting)

    # -- the answer --------------------------------------------------------------------------

    def _result(self, best: _Cand):
        full = self.cands.get((self.target, best.strength if best.size == self.target else self.base_strength()))
        full_k = full.setting if full is not None else None
        full_score = None
        if full is not None and full.setting is not None:
            full_score = full.score if full.score is not None else full.proxy
        reason = self._reason(best, full, full_score)
        return replace(best.fitted, score=round(best.score, 3), reason=reason, target=self.target,
                       full_k=full_k, full_score=None if full_score is None else round(full_score, 3))

    def _describe(self, c: _Cand, with_px: bool = True) -> str:
        w, h = c.size
        px = f"{w}x{h} px" if with_px else f"{w}x{h}"
        if self.req.format == "jpeg":
            return f"{px} at JPEG quality {c.fitted.quality if c.fitted else c.setting}"
        k = c.fitted.k if c.fitted else c.setting
        dither = f", dithered at {c.strength:g}" if c.strength is not None and self.dither_free else ""
        return f"{px} with {k}{' colours' if with_px else ''}{dither}"

    def _reason(self, best: _Cand, full: _Cand | None, full_score: float | None) -> str:
        def score(c):
            return c.score if c.score is not None else c.proxy

        s = best.score
        if best.size != self.target:
            if full is None or full.setting is None:
                what = f"{min(self.job.k_floor, self.req.k)} colours" if self.req.format != "jpeg" else "the lowest JPEG quality"
                w, h = self.target
                return f"{self._describe(best)} ({s:.1f}); at {w}x{h} not even {what} would fit"
            return f"{self._describe(best)} looks better than {self._describe(full, False)} ({s:.1f} vs {full_score:.1f})"
        others = [c for c in self.cands.values() if c is not best and c.setting is not None]
        if not others:
            return f"{self._describe(best)}, the best that fits ({s:.1f})"
        runner = max(others, key=lambda c: (score(c), c.size))
        return (f"{self._describe(best)} looks better than {self._describe(runner, False)} "
                f"({s:.1f} vs {score(runner):.1f})")

    def _what_would_fit(self) -> str:
        """Every allowed size is over the budget even at the smallest setting: say what fits."""
        name, budget = self.job.source.name, self.req.max_bytes
        small = min(self.cands.values(), key=lambda c: c.size)
        nbytes = small.search.smallest_bytes()
        w, h = small.size
        what = f"even {min(self.job.k_floor, self.req.k)} colours need" if self.req.format != "jpeg" else "even the lowest JPEG quality needs"
        where = "the size asked for" if not self.req.allow_downscale or small.size == self.target \
            else "the smallest size allowed"
        fits = "it doesn't fit at any size"
        for size in self._below(small.size):
            if self.job._smallest(resize(self.job.source.pixels, size)) is None:
                fits = f"it fits at {size[0]}×{size[1]} or smaller"
                break
        return (f"{name}: {what} {nbytes:,} bytes at {w}×{h} ({where}), over the {budget:,}-byte limit; "
                f"{fits}.")


def _resize_box(pixels: np.ndarray, size: tuple[int, int], box: tuple[float, float, float, float]) -> np.ndarray:
    """Lanczos resize of one box of the pixels (as core.resize does it: RGBA premultiplied); the
    filter reads the pixels around the box too, so a crop matches the whole image scaled up."""
    if pixels.shape[2] == 4:
        im = Image.fromarray(np.ascontiguousarray(pixels), "RGBA").convert("RGBa")
        return np.asarray(im.resize(size, Image.Resampling.LANCZOS, box=box).convert("RGBA"))
    im = Image.fromarray(np.ascontiguousarray(pixels), "RGB")
    return np.asarray(im.resize(size, Image.Resampling.LANCZOS, box=box))


class _JpegSearch:
    """One size, JPEG: the highest quality that fits (at the K asked for; real encodes are cheap)."""

    def __init__(self, job, pixels, hist):
        self.job = job
        self.q = job._quantize(pixels, hist, job.req.k)
        self.data: dict[int, bytes] = {}

    def _data(self, quality: int) -> bytes:
        if quality not in self.data:
            self.data[quality] = self.job._encode(self.q, quality)
        return self.data[quality]

    def by_estimate(self) -> int | None:
        lo, hi = JPEG_QUALITY_RANGE
        budget = self.job.req.max_bytes
        if len(self._data(lo)) > budget:
            return None
        if len(self._data(hi)) <= budget:
            return hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if len(self._data(mid)) <= budget:
                lo = mid
            else:
                hi = mid
        return lo

    def preview(self, quality: int) -> np.ndarray:
        with Image.open(io.BytesIO(self._data(quality))) as im:
            return np.asarray(im.convert("RGBA" if self.q.has_alpha else "RGB"))

    def run(self):
        quality = self.by_estimate()
        return self.job._fitted(self.q, self._data(quality), quality)

    def smallest_bytes(self) -> int:
        return len(self._data(JPEG_QUALITY_RANGE[0]))
