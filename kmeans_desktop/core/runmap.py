"""Byte-aware mapping of undithered pixels: a pixel takes its left neighbour's entry instead of its
nearest one when that costs it little, so rows hold longer runs and deflate packs them smaller.

Why: at equal K our index map packed 13 % larger than pngquant's (9 MP china, K=64: 74 % of pixels
equal their left neighbour against its 80 %). Along the boundary between two palette entries the
nearest entry flips back and forth with the pixels' noise; any choice there is about as close, and
a run is cheaper to store.

The rule, for each row from left to right: a pixel whose nearest entry differs from the entry its
left neighbour ended with takes that entry when its error there (squared distance in the working
space, `colourspace`) is at most (1 + RUN_SLACK) × its error at the nearest entry, and one of the
next RUN_LOOKAHEAD pixels has that entry as its nearest. Relative, so only pixels that lie about
as far from both entries move and a pixel that is exactly an entry keeps it (an image with at most
K colours stays lossless); an absolute tolerance also moved pixels that sit close to an entry,
and cost SSIMULACRA2 more than it saved bytes. The look-ahead lets a run bridge the speckle of a
noisy boundary but not push on into the other side: without it, runs dragged every boundary in a
smooth gradient to the right as horizontal streaks (visible at 4× zoom on china's sky), and
SSIMULACRA2 at equal K fell further for the same bytes.

Measured (china.jpg, flower.jpg at K = 16…256; bytes to reach the same SSIMULACRA2 as exact
nearest mapping, interpolated across K; 2026-12-02), slack / look-ahead:
- 1 / none: china 1.00×, flower 0.90×; 2 / 2 (the default): china 0.99×, flower 0.89×, with
  about the same bytes at equal K (china K=64 94,099 against 98,864 nearest, flower 51,006
  against 60,021) and a higher score than 1 / none (china K=64 59.2 against 58.6; nearest 61.6);
  3 / 4: china 0.99×, flower 0.86×, more saved at equal K (china 92,399, flower 48,765) for a
  lower score (58.3, 55.2). An absolute tolerance: china 1.02–1.18×.
- SSIMULACRA2 at equal K is lower than with nearest mapping; the same score costs fewer bytes.
  benchmarks/bench_perceptual.py against pngquant's default: photos 0.73× -> 0.68× its bytes for
  its score (mean ΔS2 at equal K −0.4 -> −2.7); flat graphics 0.62× -> 0.62× (+2.2 -> +2.1).
- 9 MP china (upscaled), K=64: nearest 1,353,345 bytes, SSIMULACRA2 47.05; 2 / 2 1,276,987
  (0.944×), 46.50; 3 / 4 1,232,440 (0.911×), 44.70; 1 / none 1,242,938, 42.60. `pngquant --nofs
  64`: 1,305,300 bytes, 33.26. Its 0.90× at K=64 would take a slack that costs more score than a
  smaller K does (3 / none: 0.902×, 32.95, where our K=40 gives 0.88× at 35.8).
Every row is a chain (each pixel depends on its left neighbour's final entry), but a pixel's
final entry is always the nearest entry of itself or of one of the next RUN_LOOKAHEAD pixels, so
all pixels are decided at once as if their left neighbour kept its nearest entry, and only the
few whose left neighbour did not are decided again, wave by wave (`_sweep`). Rows are cut into
strips where a run restarts, as the column-by-column sweep that came before had them (it stepped
the strips of all rows at once); the layout is kept so that the output stays the same to the bit.
Issue 12's eighth helper: the rule is also capped in absolute terms (RUN_CAP), and `despeckle`'s
(SPECKLE_CAP): relative alone, a pixel already far from every entry (low K, a small detail of its
own hue) could drift much further, and those pixels made the worst 16×16 blocks. Seven photos
(china, flower, scikit-image's astronaut, coffee, rocket, chelsea, immunohistochemistry), seeds
0…3, K = 8 / 16, undithered, against `pngquant --nofs` (worst block ours − its, ΔE×100), before ->
RUN_CAP 200 + SPECKLE_CAP 1000: worst photo +0.04 (rocket) -> −0.07 / −0.06 -> −0.08, mean −1.18
-> −1.27 / −1.80 -> −1.88; SSIMULACRA2 lead +4.97 -> +5.60 / +2.78 -> +3.21; bytes 0.771× ->
0.777× / 0.781× -> 0.783× its (bytes for equal SSIMULACRA2, along each photo's K=8…16 curve,
0.999× / 0.996×). RUN_CAP alone: 100: 0.782× (+5.86), worst −0.01; 300: 0.773× (+5.23), −0.00.
SPECKLE_CAP alone costs bytes for its score (300: 1.011× at K=8 for equal score; 100: 1.021×).
bench_perceptual: photos −3.90 -> −3.49 (0.62× both), flat +2.85 -> +2.99 (0.58× both; against
`--nofs` 0.79× -> 0.80×), dithered unchanged (no run mapping there).
9 MP china, 2026-12-02: 0.25-0.45 s CPU for that sweep, 0.16-0.24 s now (K = 16/64/256). Bands of
rows bound the memory. Deterministic: same input gives the same indices.
Later the same day: pixels find their colour through the histogram's kept pixel colour indices
(no 16 + 64 MB tables per call), the pixels per entry come from the colours' counts and the few
moved pixels (no pass over 9 M indices), and the error change is summed from the moved pixels'
positions sorted into the sweep's order (no transposed copy of the band): run_indices at 9 MP
0.18/0.23/0.25 s -> 0.11/0.13/0.21 s CPU (K = 16/64/256), identical output.
Issue 15's seventh helper: the error change is summed as integers (exact, so in any order: no sort
of the moved pixels), and each band's rows are mapped in two parts (rows are independent; the
strips stay the band's), so two threads share 9 MP's three bands evenly; identical output.
Issue 15's ninth helper: the per-colour float32 table and nearest errors are made once for this
pass and `vruns` (`colour_errors`), rows are gathered with np.take (2-D fancy indexing with int32
indices was several times slower), and the pixels' nearest entries are looked up in chunks
(`lookup.gather`); 9 MP china, one thread, CPU: 194/219 -> 122/176 ms at K = 16/64 (with the
shared table, which it now makes); identical output.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .cancel import carried
from .crew import shared_map
from .histogram import ColorHistogram
from .lookup import gather

#: A pixel takes its left neighbour's entry when its error there (squared working-space
#: distance) is at most (1 + RUN_SLACK) × its error at its nearest entry ...
RUN_SLACK = 2.0  # 0 turns the pass off (exact nearest entries)
#: ... and at most RUN_CAP more than it (squared working-space units, L × 255; None: no cap;
#: measured above: 100 / 200 / 300 all meet issue 12's K=8 worst blocks, 200 with the speckle cap) ...
RUN_CAP: float | None = 200.0
#: ... and one of the next RUN_LOOKAHEAD pixels in the row has that entry as its nearest.
RUN_LOOKAHEAD = 2
_BAND_PIXELS = 4_000_000  # pixels per band of rows (bounds the temporary arrays)
_STEP_PIXELS = 32_768  # rows × strips at most per band: where runs restart (the old sweep's step)
_MIN_STRIP = 64  # columns per strip at least
#: Each band's rows are mapped in this many parts (rows are independent), so that two threads
#: share 9 MP's three bands (1088, 1088 and 273 rows) evenly.
_SPLIT = 2
#: Bands are mapped on up to this many threads at once (numpy lets go of the GIL in their large
#: steps): 9 MP has three bands. One in a process of a pool that runs one per core
#: (`colorbins.set_workers(1)`).
THREADS = 2
#: Smaller images are mapped on one thread: a hand-off to another thread (0.1-1 ms) costs about what
#: their rows take (an icon's), and since session 14 the first one starts the call's helper (`crew`).
THREAD_MIN_PIXELS = 65_536
_LUT_PIXELS = 2_000_000  # (no pixel colour indices kept) from here a table finds colours faster than a search


class _Colours:
    """Each pixel's nearest entry (uint8) and, for the few pixels the rule looks at, its index
    into `hist.colors`: through the histogram's kept pixel colour indices
    (`ColorHistogram.pixel_colours`), or, for images too large to keep them, through tables
    indexed by packed code built per call (16 MB for the entries; 64 MB for the colour indices,
    only for large images, where a binary search over the sorted codes would cost more)."""

    def __init__(self, hist: ColorHistogram, labels: np.ndarray) -> None:
        self.hist = hist
        self.lab8 = labels.astype(np.uint8)
        self.inv = hist.pixel_colours()
        self.lut8 = self.lut32 = None
        if self.inv is None:
            codes = hist._codes()
            self.lut8 = np.zeros(1 << 24, dtype=np.uint8)
            self.lut8[codes] = self.lab8
            if hist.n_pixels >= _LUT_PIXELS:
                self.lut32 = np.zeros(1 << 24, dtype=np.int32)
                self.lut32[codes] = np.arange(hist.n_colors, dtype=np.int32)

    def nearest(self, rows: slice) -> np.ndarray:
        """The nearest entry of every pixel in a band of rows (H'×W uint8)."""
        h, w = self.hist.shape
        if self.inv is not None:
            return gather(self.lab8, self.inv.reshape(h, w)[rows])
        return gather(self.lut8, self.hist.codes.reshape(h, w)[rows])

    def colour(self, flat: np.ndarray) -> np.ndarray:
        """The index into `hist.colors` of the pixels at flat (row-major) positions."""
        if self.inv is not None:
            return self.inv[flat]
        codes = self.hist.codes[flat]
        if self.lut32 is not None:
            return self.lut32[codes]
        return np.searchsorted(self.hist._codes(), codes).astype(np.int32)


class ColourErrors(NamedTuple):
    """What the mapping passes (`runmap`, `vruns`) measure against, per distinct colour, made once per
    result: float32 working-space coordinates, the palette's, and each colour's squared distance to
    its nearest entry (summed over the channels in order, as the passes always summed it). Made
    once instead of in each pass: 9 MP china (1.2 M colours), 80 -> 30 ms CPU."""

    x32: np.ndarray  # N×3 float32
    c32: np.ndarray  # n×3 float32
    near: np.ndarray  # N float32


def colour_errors(x: np.ndarray, centres: np.ndarray, labels: np.ndarray) -> ColourErrors:
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    c32 = np.ascontiguousarray(centres, dtype=np.float32)
    d = x32 - np.take(c32, labels, axis=0)  # (np.take: 2-D fancy indexing is several times slower)
    return ColourErrors(x32, c32, _summed_squares(d))


def colour_counts(labels: np.ndarray, hist: ColorHistogram, n: int) -> np.ndarray:
    """Pixels per entry when every colour takes its entry `labels` (int64, length n)."""
    return np.bincount(labels, weights=hist.counts, minlength=n).astype(np.int64)


def squared_error(err: ColourErrors, colour: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Squared working-space distances of colours (indices into `hist.colors`) to palette entries,
    float32, summed as `colour_errors` sums them."""
    d = np.take(err.x32, colour, axis=0)
    d -= np.take(err.c32, entry, axis=0)
    return _summed_squares(d)


def _summed_squares(d: np.ndarray) -> np.ndarray:
    """(d0² + d1²) + d2² of each row of an N×3 float32 array: what `np.einsum("ij,ij->i", d, d)`
    and the passes' column sums gave, to the bit, in half einsum's time (1.2 M rows: 13 -> 6 ms)."""
    d *= d
    out = d[:, 0] + d[:, 1]
    out += d[:, 2]
    return out


def band_threads(bands: int, pixels: int | None = None) -> int:
    """How many threads to map `bands` bands of rows on (THREADS at most; one in a process of a
    pool that runs one per core, or for fewer than THREAD_MIN_PIXELS `pixels`). `vruns` and
    `despeckle` ask it too."""
    from . import colorbins

    if pixels is not None and pixels < THREAD_MIN_PIXELS:
        return 1
    return max(1, min(bands, THREADS, colorbins.lanes()))


def summed_bands(work, spans: list[tuple[int, int]], counts: np.ndarray | None, name: str) -> float:
    """`work(a, b)` -> (error change, change of counts or None) for each span, on up to two threads
    (`band_threads`; each span cancellable, `core.cancel`): the count changes are added to `counts`
    in place and the error changes summed (whole numbers: the same total in any order). `vruns`'
    and `despeckle`'s band-wise passes end so."""
    threads = band_threads(len(spans))
    found = shared_map(carried(lambda span: work(*span)), spans, threads, name)
    total = 0
    for sse, dc in found:
        total += sse
        if dc is not None and counts is not None:
            counts += dc
    return float(total)


def run_indices(hist: ColorHistogram, x: np.ndarray, centres: np.ndarray, labels: np.ndarray,
                palette: np.ndarray) -> tuple[np.ndarray, float]:
    """H×W uint8 indices by the rule above, and the change in the summed squared sRGB error
    against the nearest mapping (so the caller's MSE describes these indices).

    `x`: working-space coordinates of the distinct colours; `centres`: of the palette entries;
    `labels`: each distinct colour's nearest entry; `palette`: the entries in sRGB (uint8)."""
    mapped = run_mapping(hist, x, centres, labels, palette)
    return mapped.indices, mapped.extra_sse


class RunMapping(NamedTuple):
    indices: np.ndarray  # H×W uint8
    extra_sse: float  # summed squared sRGB error against the nearest mapping, the change
    counts: np.ndarray  # pixels per palette entry (int64)


def run_mapping(hist: ColorHistogram, x: np.ndarray, centres: np.ndarray, labels: np.ndarray,
                palette: np.ndarray, nearest_out: np.ndarray | None = None,
                errors: ColourErrors | None = None, base_counts=None) -> RunMapping:
    """`run_indices`, with the pixels per entry (from the colours' counts and the few pixels that
    moved: no pass over the indices). `nearest_out` (H×W uint8), when given, is filled with every
    pixel's nearest entry, looked up here anyway (`vruns` reads it: 9 MP, 30 ms CPU saved there).
    `errors`: `colour_errors(x, centres, labels)`, when the caller has it; `base_counts()`: returns
    `colour_counts(labels, hist, len(palette))` (a new array), asked for at the end (the caller may
    count on another thread meanwhile)."""
    h, w = hist.shape
    err = colour_errors(x, centres, labels) if errors is None else errors
    near = err.near
    if RUN_CAP is not None:
        limit = np.minimum(near * np.float32(1.0 + RUN_SLACK), near + np.float32(RUN_CAP))
    else:
        limit = near * np.float32(1.0 + RUN_SLACK)
    colours = _Colours(hist, labels)
    n = len(palette)
    out = np.empty((h, w), dtype=np.uint8)
    band = max(1, min(h, _BAND_PIXELS // w))

    pal_i = palette[:, :3].astype(np.int32)

    def map_rows(top: int, bottom: int, sw: int) -> tuple[float, np.ndarray | None]:
        """Map rows top..bottom-1 into `out` with runs restarting every `sw` columns (every row is
        mapped on its own, so a band's rows may be split between threads): the error change and
        the change of counts."""
        rows = slice(top, bottom)
        best = colours.nearest(rows)
        if nearest_out is not None:
            nearest_out[rows] = best
        moved, new = _sweep(best, sw, lambda flat: colours.colour(flat + top * w), err, limit)
        if not len(moved):
            out[rows] = best
            return 0.0, None
        flat_best = best.reshape(-1)
        old = flat_best[moved]
        # Squared differences of uint8 values are whole numbers, and their float64 sums (below
        # 2**53) were exact in any order: summed as integers they are the same to the bit, with no
        # sort of the moved pixels into the column sweep's order (which this summed in until then).
        src = np.take(hist.colors, colours.colour(moved + top * w), axis=0)[:, :3].astype(np.int32)
        d_new = src - pal_i[new]
        d_old = src - pal_i[old]
        flat_best[moved] = new
        out[rows] = best
        sse = int(np.einsum("ij,ij->", d_new, d_new, dtype=np.int64) - np.einsum("ij,ij->", d_old, d_old, dtype=np.int64))
        return float(sse), np.bincount(new, minlength=n) - np.bincount(old, minlength=n)

    jobs = []  # (top, bottom, sw): each band's strip width, from its height (the old sweep's layout)
    for top in range(0, h, band):
        bh = min(h, top + band) - top
        strips = max(1, min(w // _MIN_STRIP, _STEP_PIXELS // bh))
        sw = -(-w // strips)  # a run restarts every sw columns (the last strip is padded with its edge)
        step = -(-bh // _SPLIT)
        jobs += [(y, min(top + bh, y + step), sw) for y in range(top, top + bh, step)]
    threads = band_threads(len(jobs), h * w)
    parts = shared_map(carried(lambda job: map_rows(*job)), jobs, threads, "runmap")  # (`carried`: cancellable)
    counts = colour_counts(labels, hist, n) if base_counts is None else base_counts()
    changed_sse = 0
    for sse, dc in parts:
        changed_sse += int(sse)  # whole numbers: exact in any order
        if dc is not None:
            counts += dc
    changed_sse = float(changed_sse)
    return RunMapping(out, changed_sse, counts)


def _sweep(best: np.ndarray, sw: int, colour_of, err: ColourErrors,
           limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rule along every row of a band at once (runs restart every `sw` columns), without
    stepping column by column: the flat positions (ascending) of the pixels that do not keep
    their nearest entry, and the entries they take.

    A pixel ends with its nearest entry or its left neighbour's final one, and takes the
    latter only when one of the next RUN_LOOKAHEAD pixels has it as nearest; so its final entry
    is the nearest entry of itself or of one of those: `best[j + s]`, s = 0…RUN_LOOKAHEAD.
    Each pixel's choice, taken as if its left neighbour kept its nearest entry (s = 0), is
    decided for all pixels at once; then only pixels whose left neighbour did not (s > 0), and
    in turn those whose left neighbour's choice changed, are decided again, wave by wave. A wave
    moves one pixel to the right, and runs of changes are short (on photos a few tens of waves,
    each over a few thousand pixels), so the work is about one pass over the pixels; a picture
    where every choice flips the next one's (a fine checkerboard) takes as many waves as the
    column sweep took steps. Same answer as stepping the columns, to the bit
    (tests/test_runmap.py checks it against that sweep).
    """
    bh, w = best.shape
    flat_best = best.reshape(-1)
    n = flat_best.size
    col = np.arange(w, dtype=np.int32)
    room_row = (sw - 1 - col % sw).astype(np.int32)  # pixels after each in its strip (padding too)
    room_row = np.minimum(room_row, RUN_LOOKAHEAD)

    def ahead(p: np.ndarray, a: int) -> np.ndarray:
        """Flat position of the a-th pixel to the right (the padding repeats the last column)."""
        c = p % w
        return p - c + np.minimum(c + a, w - 1)

    def decide(p: np.ndarray, prev: np.ndarray, hits: list | None = None) -> np.ndarray:
        """s for pixels `p` (flat, not the first of a strip) whose left neighbour ended with
        `prev`; `hits[a - 1]`: whether the a-th pixel ahead has `prev` as nearest (if known)."""
        s = np.zeros(len(p), dtype=np.uint8)
        if hits is None:
            room = room_row[p % w]
            hits = []
            for a in range(1, RUN_LOOKAHEAD + 1):
                hit = room >= a
                hit[hit] = flat_best[ahead(p[hit], a)] == prev[hit]
                hits.append(hit)
            o = np.flatnonzero(np.logical_or.reduce(hits) & (prev != flat_best[p]))
        else:
            o = np.arange(len(p))
        if not len(o):
            return s
        c = colour_of(p[o])
        o = o[squared_error(err, c, prev[o]) <= limit[c]]
        for a in range(RUN_LOOKAHEAD, 0, -1):  # the nearest ahead wins: written last
            s[o[hits[a - 1][o]]] = a
        return s

    state = np.zeros(n, dtype=np.uint8)  # s: the final entry of pixel p is that of the s-th to its right
    if not RUN_LOOKAHEAD or w < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    # every pixel as if its left neighbour kept its nearest entry: a pixel that differs from its
    # left neighbour, not the first of its strip, with that neighbour's entry among the next ones
    padded = np.empty((bh, w + RUN_LOOKAHEAD), dtype=np.uint8)  # the padding repeats the last column
    padded[:, :w] = best
    padded[:, w:] = best[:, -1:]
    left = best[:, :-1]
    candidate = best[:, 1:] != left
    candidate[:, sw - 1::sw] = False  # column j = 1 + index here: strip starts are j ≡ 0 (mod sw)
    hits2d = []
    for a in range(1, RUN_LOOKAHEAD + 1):
        hit = padded[:, 1 + a:w + a] == left
        hit[:, room_row[1:] < a] = False  # a strip's last columns only (not a pass over the band)
        hits2d.append(hit)
    any_hit = hits2d[0].copy()  # (np.logical_or.reduce of a list copies it into one array first)
    for hit in hits2d[1:]:
        any_hit |= hit
    candidate &= any_hit
    del any_hit
    q = np.flatnonzero(candidate)
    r, j = np.divmod(q, w - 1)
    p = r * w + j + 1
    state[p] = decide(p, flat_best[p - 1], [hit.reshape(-1)[q] for hit in hits2d])
    starts = np.zeros(w, dtype=bool)
    starts[::sw] = True
    p = p[state[p] != 0] + 1  # then those whose left neighbour did not, wave by wave
    while len(p):
        p = p[p < n]
        p = p[~starts[p % w]]
        left = p - 1
        prev = flat_best[left]
        sl = state[left]
        for a in range(1, RUN_LOOKAHEAD + 1):
            m = np.flatnonzero(sl == a)
            prev[m] = flat_best[ahead(left[m], a)]
        new = decide(p, prev)
        changed = np.flatnonzero(new != state[p])
        p = p[changed]
        state[p] = new[changed]
        p = p + 1
    moved = np.flatnonzero(state != 0)
    steps = state[moved]
    new = np.empty(len(moved), dtype=np.uint8)
    for a in range(1, RUN_LOOKAHEAD + 1):
        m = steps == a
        new[m] = flat_best[ahead(moved[m], a)]
    return moved, new
