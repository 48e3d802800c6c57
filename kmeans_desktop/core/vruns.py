"""Byte-aware mapping, the vertical half: after `runmap` has made rows of runs, a pixel takes the
entry of the pixel above it when that costs it little, so consecutive rows repeat each other
and deflate stores a row as a copy of the one before (the PNG Up filter, or a match one row
back) instead of spelling out where a boundary wobbled by a pixel.

The rule, for each row from the top: a pixel whose entry differs from the final entry of the
pixel above takes that entry when its error there (squared distance in the working space) is at
most (1 + VRUN_SLACK) × its error at its nearest entry and at most VRUN_CAP more than it, and one
of the next VRUN_LOOKAHEAD pixels below has that entry as its nearest. As in `runmap`: relative,
so a pixel that is exactly an entry keeps it (an image with at most K colours stays lossless)
and only pixels about as far from both entries move; the look-ahead lets a column bridge the
flicker of a noisy boundary but not drag a boundary down as vertical streaks (without it the
score fell 4.7 points for the same bytes: 9 MP K=64, slack 1, 1,177,038 bytes at SSIMULACRA2
38.32); the cap keeps low K, where the nearest errors are large, from moving pixels far (china
K=16 without it: −4.7 points for −1.9 % bytes).

Measured 2026-12-02 (PNG at the default effort, SSIMULACRA2 by `core.quality.file_score`):
- 9 MP china (upscaled, as benchmarks/bench_speed.py), K=64: `runmap` alone 1,245,407 bytes,
  43.05; `pngquant --nofs 64` 1,305,300, 33.26. Slack / look-ahead / cap: 3 / 3 / 100 (the
  default) 1,153,718 (0.884× pngquant's), 41.64; 3 / 3 / none 1,148,251, 41.46; 3 / 3 / 49
  1,169,066, 42.01; 2 / 2 / none 1,183,870, 42.47; 2 / 4 / none 1,155,713, 40.78; 4 / 4 / none
  1,124,614, 39.60. The worst 16×16 block: 8.10 → 8.12 ΔE×100.
- Seven web-size photos (china, flower, five of scikit-image's), K = 8…256, with the pass on
  (VRUN_MIN_PIXELS = 0): bytes 0.93/0.91/0.93/0.94/0.94/0.96× at K = 8/16/32/64/128/256,
  SSIMULACRA2 at equal K −1.4/−2.1/−2.3/−1.8/−1.2/−1.0 (worst photo −3.4), bytes for equal
  SSIMULACRA2 0.967× (china 1.02×, the rest 0.94–0.99×); uncapped 0.966× but −3.5/−3.8 at
  K = 8/16. bench_perceptual's photos (against pngquant's default): mean ΔS2 −2.12 → −3.54,
  bytes for equal score 0.64× → 0.62× (against `--nofs` 0.74× → 0.71×); flat graphics the same.
- Only large images (VRUN_MIN_PIXELS, 1 MP): at web size the trade is small (bytes for equal
  score 0.967×) and every K loses 1–2 points at equal K, which the quality figures at equal K
  (benchmarks/bench_speed.py part 2, issue 12's comparisons with pngquant) count against it; a
  large photo is oversampled (consecutive rows nearly equal), and there it gains far more.
- By eye (china K=16, sky at 4×): a boundary between two sky tones shows short vertical steps
  where it showed short horizontal ones; 9 MP at 2×: no difference seen.
- 9 MP CPU: 0.2–0.3 s (of a 1–1.5 s quantize). Since issue 15's seventh helper the bands run on two
  threads (the waves within a band too; only the waves from the bands' first rows after) and the
  nearest entries come from `runmap`'s look-up: 9 MP china K = 16/64, 2026-12-02, load 2.5, wall
  127/190 -> 106/152 ms (CPU 152/241 -> 113/208 for the look-up alone); same indices, tested
  against stepping the rows. With the machine's cores busy, two threads gain nothing.
  Issue 15's ninth helper: the float32 colours and nearest errors come from `runmap.colour_errors`
  (made once for both passes) and the candidates' errors from np.take rows (2-D fancy indexing
  was 61 of 583k rows' 80 ms at K=64): CPU 161/257 -> 98-108/159-163 ms at K = 16/64 (bench_stages,
  load 4.5-5); same indices.
"""

from __future__ import annotations


import numpy as np

from .cancel import carried, checkpoint
from .crew import shared_map
from .histogram import ColorHistogram
from .runmap import ColourErrors, band_threads, colour_errors, squared_error, summed_bands

#: A pixel takes the entry of the pixel above when its error there is at most (1 + VRUN_SLACK)
#: × its error at its nearest entry ...
VRUN_SLACK = 3.0  # 0 turns the pass off
#: ... and at most VRUN_CAP more (squared working-space units: L × 255; None: no cap) ...
VRUN_CAP: float | None = 100.0
#: ... and one of the next VRUN_LOOKAHEAD pixels below has that entry as its nearest.
VRUN_LOOKAHEAD = 3
#: Only images of at least this many pixels (see "Only large images" above); 0: every image.
VRUN_MIN_PIXELS = 1_000_000

_BAND_PIXELS = 4_000_000  # pixels per band of rows (bounds the temporary arrays)
_MIN_JOBS = 4  # bands of rows at least for the first pass, so that two threads share them evenly
_LUT_PIXELS = 2_000_000  # from this many pixels a 64 MB table finds colours faster than a search


class _Image:
    """Per-pixel look-ups for bands of rows: the nearest entry, and the index into `hist.colors`.
    Through the histogram's kept pixel index where it has one, else through tables over the
    colour codes. The kept index spares a 16 MB and a 64 MB table per call: a 9 MP quantize at
    K=64 took 0.87–1.05 s CPU instead of 1.09–1.12 s (alternated, quiet), the same indices."""

    def __init__(self, hist: ColorHistogram, labels: np.ndarray, nearest: np.ndarray | None = None) -> None:
        self.hist = hist
        h, w = hist.shape
        self.near = nearest  # every pixel's nearest entry (H×W uint8), when the caller has it
        kept = hist.pixel_colours()  # RGBA's inverse, or RGB's kept pixel index up to 25 MP
        self.inverse = None if kept is None else kept.reshape(h, w)
        self.inverse_flat = kept
        if self.inverse is None:  # no kept index: tables over the packed colour codes
            if "codes" not in hist.cache:
                hist.cache["codes"] = hist._unique_codes()
            self.sorted_codes = hist.cache["codes"]
            self.lut = np.zeros(1 << 24, dtype=np.uint8)
            self.lut[self.sorted_codes] = labels
            self.codes = hist.codes.reshape(h, w)
            self.codes_flat = hist.codes
            self.lut32 = None
            if hist.n_pixels >= _LUT_PIXELS:  # a table beats a binary search over the codes there
                self.lut32 = np.zeros(1 << 24, dtype=np.int32)
                self.lut32[self.sorted_codes] = np.arange(hist.n_colors, dtype=np.int32)
        else:
            self.labels = np.asarray(labels, dtype=np.uint8)

    def nearest_flat(self, flat: np.ndarray) -> np.ndarray:
        """The nearest entry of the pixels at flat positions."""
        if self.near is not None:
            return self.near.reshape(-1)[flat]
        if self.inverse is None:
            return self.lut[self.codes_flat[flat]]
        return self.labels[self.inverse_flat[flat]]

    def nearest(self, top: int, bottom: int) -> np.ndarray:
        if self.near is not None:
            return self.near[top:bottom]
        if self.inverse is None:
            return self.lut[self.codes[top:bottom]]
        return self.labels[self.inverse[top:bottom]]

    def colour_flat(self, flat: np.ndarray) -> np.ndarray:
        """The index into `hist.colors` of the pixels at flat (row-major) positions."""
        if self.inverse is None:
            codes = self.codes_flat[flat]
            if self.lut32 is not None:
                return self.lut32[codes]
            return np.searchsorted(self.sorted_codes, codes)
        return self.inverse_flat[flat]


def vertical_runs(hist: ColorHistogram, indices: np.ndarray, x: np.ndarray, centres: np.ndarray,
                  labels: np.ndarray, palette: np.ndarray, counts: np.ndarray | None = None,
                  nearest: np.ndarray | None = None, errors: ColourErrors | None = None) -> tuple[np.ndarray, float]:
    """H×W uint8 indices by the rule above, starting from `indices` (not changed), and the change
    in the summed squared sRGB error against them. `counts` (pixels per entry of `indices`), when
    given, is brought up to date in place from the moved pixels (no pass over all the indices);
    `nearest`: `hist.indices_for(labels)`, when the caller has it (else looked up here); `errors`:
    `runmap.colour_errors(x, centres, labels)`, when the caller has it.

    `x`: working-space coordinates of the distinct colours; `centres`: of the palette entries;
    `labels`: each distinct colour's nearest entry; `palette`: the entries in sRGB (uint8).

    Every row depends on the final row above it, but a pixel's final entry is its own or the
    final one above, so each band of rows is decided at once as if the row above kept its
    entries, and then only the pixels below one that moved are decided again, wave by wave
    down the band (a wave moves one row; moves are rare, so this is about one pass over the
    pixels). Bands start as if the row above them kept its entries too, so they run on two
    threads; then each band's first row is decided again where the row above ended otherwise,
    with the waves that follow (few). Same answer as stepping the rows."""
    h, w = hist.shape
    if VRUN_SLACK <= 0 or VRUN_LOOKAHEAD < 1 or h < 2 or h * w < VRUN_MIN_PIXELS:
        return indices, 0.0
    err = colour_errors(x, centres, labels) if errors is None else errors
    limit = err.near * np.float32(1.0 + VRUN_SLACK)
    if VRUN_CAP is not None:
        limit = np.minimum(limit, err.near + np.float32(VRUN_CAP))
    img = _Image(hist, labels, nearest)
    src = np.asarray(indices, dtype=np.uint8)
    out = src.copy()
    src_flat, out_flat = src.reshape(-1), out.reshape(-1)
    look = VRUN_LOOKAHEAD
    # bands of rows for the first pass: two threads' worth at least (9 MP: four of 612 rows)
    band = max(1, min(-(-(h - 1) // _MIN_JOBS), _BAND_PIXELS // w))

    def accept(flat: np.ndarray, cand: np.ndarray) -> np.ndarray:
        c = img.colour_flat(flat)
        return squared_error(err, c, cand) <= limit[c]

    # Positions are flat (p = row × w + column) and move down a row by adding w: one index array
    # instead of two (np.nonzero of a 2-D mask and 2-D gathers cost 0.05–0.1 s of the 0.3 s this
    # pass took at 9 MP).
    def waves(p: np.ndarray, end: int) -> None:
        """Decide the pixels at `p` (ascending flat positions) again from the entry now above them,
        and in turn the pixels below each that changed, wave by wave down to flat position `end`."""
        while len(p):
            if p[-1] >= end:  # (ascending: most waves end above `end`, and keep every position)
                p = p[p < end]
            prev = out_flat[p - w]
            want = src_flat[p]  # the entry the pixel keeps unless it follows the one above
            new = want.copy()
            o = np.flatnonzero(prev != want)
            if len(o):  # of those, the ones with the entry above among the nearest of the next below
                po, prev_o = p[o], prev[o]
                ah = np.zeros(len(o), dtype=bool)
                for a in range(1, look + 1):
                    q = po + a * w
                    if q[-1] < h * w:  # (ascending: all of them fit, but near the bottom)
                        ah |= img.nearest_flat(q) == prev_o
                    else:
                        fits = q < h * w
                        ah[fits] |= img.nearest_flat(q[fits]) == prev_o[fits]
                o = o[ah]
                ok = accept(p[o], prev[o])
                new[o[ok]] = prev[o[ok]]
            changed = new != out_flat[p]
            p = p[changed]
            out_flat[p] = new[changed]
            p = p + w

    def band_pass(top: int, bottom: int) -> None:
        """Rows top..bottom-1, as if row top-1 kept its entries (`src`): every pixel decided at once
        as if the row above kept its entries (it differs from the pixel above, with that entry
        among the nearest of the next `look` below), then the pixels below those that moved, wave
        by wave down the band. Bands only read `src` and their own rows of `out`, so they run on
        threads (numpy lets go of the GIL in these steps)."""
        near_rows = img.nearest(top + 1, min(h, bottom + look))  # row y + a is near_rows[y - top + a - 1]
        above, cur = src[top - 1:bottom - 1], src[top:bottom]
        bh = bottom - top
        cand = cur != above
        ahead = np.zeros((bh, w), dtype=bool)
        eq = np.empty((bh, w), dtype=bool)
        for a in range(1, look + 1):
            n = min(bh, h - top - a)
            if n > 0:
                np.equal(near_rows[a - 1:a - 1 + n], above[:n], out=eq[:n])
                ahead[:n] |= eq[:n]
        cand &= ahead
        del ahead, eq, near_rows
        p = np.flatnonzero(cand) + top * w
        del cand
        prev = src_flat[p - w]
        ok = accept(p, prev)
        p = p[ok]
        out_flat[p] = prev[ok]
        waves(p + w, bottom * w)

    tops = list(range(1, h, band))
    threads = band_threads(len(tops))
    shared_map(carried(lambda top: band_pass(top, min(h, top + band))), tops, threads, "vruns")  # (cancellable)
    # Then across the bands, one after the other: the pixels of a band's first row whose pixel
    # above (the last row of the band before, now final) ended with another entry than it was
    # decided with, and the pixels below those that change. Rows depend only on the rows above,
    # so this ends with every pixel as stepping the rows decides it.
    checkpoint()
    for top in tops[1:]:
        row = np.arange(top * w, (top + 1) * w)
        waves(row[out_flat[row - w] != src_flat[row - w]], h * w)
    # The moved pixels' error change and counts, in two halves of the rows on two threads (whole
    # numbers: the same sums in any order; 9 MP: 20-25 ms CPU that ran alone).
    pal = palette[:, :3].astype(np.int32)
    n = len(counts) if counts is not None else len(palette)

    def moved_in(lo: int, hi: int) -> tuple[int, np.ndarray | None]:
        moved = np.flatnonzero(out_flat[lo:hi] != src_flat[lo:hi]) + lo
        if not len(moved):
            return 0, None
        now, was = out_flat[moved], src_flat[moved]
        # Squared differences of uint8 values are whole numbers, so summing them as integers gives
        # exactly the float64 sums this used to compute, in a third of the time.
        colours = np.take(hist.colors, img.colour_flat(moved), axis=0)[:, :3].astype(np.int32)
        d_new, d_old = colours - np.take(pal, now, axis=0), colours - np.take(pal, was, axis=0)
        sse = int(np.einsum("ij,ij->", d_new, d_new, dtype=np.int64) - np.einsum("ij,ij->", d_old, d_old, dtype=np.int64))
        return sse, np.bincount(now, minlength=n)[:n] - np.bincount(was, minlength=n)[:n]

    half = (h // 2) * w
    spans = [(0, half), (half, h * w)]
    return out, summed_bands(moved_in, spans, counts, "vruns")
