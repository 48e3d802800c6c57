"""Speckle removal on undithered index maps: a pixel whose four neighbours (at least three of
them) share an entry takes that entry too, when its error there is at most (1 + SPECKLE_SLACK) ×
its error at its nearest entry.

Why: along the boundary between two palette entries in a smooth area, and in texture, nearest
mapping leaves single pixels of one entry inside the other; each breaks a run in its row and a
match against the row above, so they cost deflate far more than they show. `runmap` already lets
runs bridge speckle along a row; this pass removes the speckle that the rows and columns around
agree on. Relative, like `runmap`'s rule: a pixel that is exactly its entry keeps it (an image with
at most K colours stays lossless), and a small distinct detail (a pixel far nearer its own entry
than its neighbours') stays.

Measured (7 photos: astronaut, chelsea, coffee, motorcycle, rocket, china, flower; K = 8…256,
undithered, against `pngquant --nofs`; after `runmap`; 2026-12-02), slack:
- none: bytes 0.869× / 0.865× at K = 8 / 16, SSIMULACRA2 +7.3 / +6.4 above it; bytes for equal
  SSIMULACRA2 over all K 0.782×.
- 2: 0.826× / 0.824× (+6.2 / +5.1); 6: 0.797× / 0.801× (+5.3 / +4.0); **8**: 0.791× / 0.797×
  (+5.1 / +3.8), 0.754× for equal score; 20: 0.778× / 0.785× (+4.4 / +3.2); any: 0.765× / 0.775×
  (+3.6 / +2.3), 0.751×. The score at equal K falls, the bytes for an equal score fall more: per
  photo 0.945, 0.988, 0.990, 0.980, 0.961, 1.017 (china, whose smooth sky likes the speckle as a
  dither) and 0.945.
- All four neighbours agreeing (instead of three): 0.857× / 0.849×, 0.813× for equal score.
  Only where the picture is textured (local luma sd above 3 or 6): 0.766× and 0.771× for equal score.
The worst 16×16 block stays better than `--nofs`'s on average (−0.69 / −1.26 ΔE×100 at K = 8 / 16;
the worst photo +0.46 / +0.42, before +0.33 / +0.33).

After `vruns` (images from 1 MP): 9 MP china at K=64 1,153,718 -> 1,139,525 bytes (0.884× -> 0.873×
`pngquant --nofs 64`'s), SSIMULACRA2 41.64 -> 41.53 (pngquant's 33.26); this pass alone 1,218,993, 42.90.

RGBA (errors on the composites over black and white, as `alpha` maps; an opaque pixel keeps an
opaque entry): bench_perceptual's RGBA images, undithered, K = 8…256: the translucent gradient
0.87× -> 0.83× pngquant's bytes at K=16 (score −0.01), 0.81× -> 0.76× at K=64; the icon sheets
within 2 %.

Issue 15's fourteenth helper: each band of rows is judged and written on its own thread (the
choices are elementwise, the error terms whole numbers: the same map, counts and error), so that
a band's final rows can be handed on at once (`rows_done`: the window's picture).
"""

from __future__ import annotations

import numpy as np

from .cancel import checkpoint
from .histogram import ColorHistogram
from .runmap import summed_bands

#: A pixel takes the entry that three of its four neighbours share when its squared working-space
#: error there is at most (1 + SPECKLE_SLACK) × its error at its nearest entry. 0 turns the pass off.
SPECKLE_SLACK = 8.0
#: ... and at most SPECKLE_CAP more than it (squared working-space units; None: no cap). RGB only
#: (RGBA's composites are another space, not measured). With `runmap.RUN_CAP` (its note has the
#: figures): 600 or 1000 gave rocket K=8's worst block −0.12 / −0.07 against `--nofs`, 1000 for
#: fewer bytes (0.999× for equal SSIMULACRA2 at K=8, 600: 1.001×).
SPECKLE_CAP: float | None = 1000.0
#: From this many pixels the search for candidates (a dozen passes over the whole index map) runs
#: in _PARTS bands of rows on up to two threads (numpy lets go of the GIL in them; 9 MP: 45 of the
#: pass's 60 ms CPU). Same result: every pixel is judged on the same input map.
_THREADED_PIXELS = 1_000_000
_PARTS = 4


def despeckle(indices: np.ndarray, hist: ColorHistogram, x: np.ndarray, centres: np.ndarray,
              labels: np.ndarray, palette: np.ndarray, counts: np.ndarray | None = None,
              rows_done=None, align: int = 1) -> tuple[np.ndarray, float]:
    """(H×W uint8 indices, change in the summed squared sRGB error); `counts` (pixels per entry of
    `indices`), when given, is brought up to date in place from the moved pixels. All pixels are judged
    against the same input map (no pixel's change affects another's), so the result doesn't
    depend on any order. `x`: working-space coordinates of the distinct colours; `centres`: of
    the palette entries; `labels`: each distinct colour's nearest entry; `palette`: the entries
    in sRGB (uint8).

    `rows_done(out, y0, y1)`, when given, is called (on the thread that made them) as soon as rows
    y0..y1-1 of the answer `out` are final, for every band of rows (the picture is built from
    them meanwhile: `pixelmap.final_rows`); bands then start at multiples of `align` rows."""
    if SPECKLE_SLACK <= 0 or indices.size == 0:
        if rows_done is not None and indices.size:
            rows_done(indices, 0, indices.shape[0])
        return indices, 0.0
    h, w = indices.shape
    rows = max(1, -(-h // _PARTS)) if indices.size >= _THREADED_PIXELS else h
    if rows_done is not None and rows < h:
        rows = -(-rows // align) * align
    parts = [(y, min(h, y + rows)) for y in range(0, h, rows)]
    out = np.empty_like(indices)
    flat_in, flat_out = indices.reshape(-1), out.reshape(-1)
    n = len(counts) if counts is not None else len(palette)
    pal = palette.astype(np.int32)

    def part(y0: int, y1: int) -> tuple[int, np.ndarray | None]:
        """Rows y0..y1-1 judged and written into `out`: their error change (a whole number) and
        change of counts. (Each band's candidates are judged on the band's thread: elementwise, the
        same choices as judging all at once; the error terms are whole numbers, exact in any order.)"""
        cand, other = _candidates(indices, y0, y1)
        checkpoint()
        out[y0:y1] = indices[y0:y1]
        moved = _judged(cand, other, hist, x, centres, labels, palette)
        if moved is None:
            if rows_done is not None:
                rows_done(out, y0, y1)
            return 0, None
        cand, other, colour = moved
        own = flat_in[cand]
        flat_out[cand] = other
        if rows_done is not None:
            rows_done(out, y0, y1)
        rgb = np.take(hist.colors, colour, axis=0).astype(np.int32)
        d_new, d_old = rgb - np.take(pal, other, axis=0), rgb - np.take(pal, own, axis=0)
        sse = int(np.einsum("ij,ij->", d_new, d_new, dtype=np.int64) - np.einsum("ij,ij->", d_old, d_old, dtype=np.int64))
        return sse, np.bincount(other, minlength=n)[:n] - np.bincount(own, minlength=n)[:n]

    delta = summed_bands(part, parts, counts, "despeckle")
    checkpoint()
    return out, delta


def _judged(cand: np.ndarray, other: np.ndarray, hist: ColorHistogram, x: np.ndarray, centres: np.ndarray,
            labels: np.ndarray, palette: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Of the candidates (flat positions, the entry their neighbours share), those that take it by
    the rule above: (positions, entries, their colours' indices into `hist.colors`), or None."""
    if len(cand) == 0:
        return None
    colour = _colour_numbers(hist, cand)
    xc = np.take(x, colour, axis=0)  # (np.take: 2-D fancy indexing is several times slower)
    e_best = ((xc - np.take(centres, labels[colour], axis=0)) ** 2).sum(axis=1)
    e_other = ((xc - np.take(centres, other, axis=0)) ** 2).sum(axis=1)
    take = e_other <= (1.0 + SPECKLE_SLACK) * e_best
    if SPECKLE_CAP is not None and palette.shape[1] == 3:  # (RGBA's composites: not measured)
        take &= e_other <= e_best + SPECKLE_CAP
    if palette.shape[1] == 4:  # RGBA: an opaque pixel keeps an opaque entry (transparent ones are
        # exact at their entry, so they never move)
        take &= (hist.colors[colour, 3] < 255) | (palette[other, 3] == 255)
    if not take.any():
        return None
    return cand[take], other[take], colour[take]


def _candidates(indices: np.ndarray, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of rows y0..y1-1 whose neighbours (three of four, the edge repeated beyond the
    image) share an entry other than theirs: flat positions (ascending) and that entry."""
    h, w = indices.shape
    block = indices[max(0, y0 - 1):min(h, y1 + 1)]
    p = np.pad(block, ((1 if y0 == 0 else 0, 1 if y1 == h else 0), (1, 1)), mode="edge")
    up, down, left, right = p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]
    # A value shared by 3 of 4 neighbours is `up` (matching 2 of the others) or else down = left = right.
    # (In place, and `major` picked with bit masks: np.where over uint8 took 17 of the 39 ms CPU
    # this took for 9 MP; now 29 ms, the same candidates.)
    e_ul, e_ur = up == left, up == right
    up_major = e_ul | e_ur
    up_major &= up == down
    e_ul &= e_ur
    up_major |= e_ul
    has = down == left
    has &= down == right
    has |= up_major
    major = up ^ down
    major &= np.negative(up_major.view(np.uint8))  # 0xff where `up` is shared, else 0
    major ^= down  # `up` there, else `down`
    has &= major != indices[y0:y1]
    cand = np.flatnonzero(has)
    return cand + y0 * w, major.reshape(-1)[cand]


def _colour_numbers(hist: ColorHistogram, flat: np.ndarray) -> np.ndarray:
    """Index into `hist.colors` of the pixels at flat positions `flat` (RGB histograms: colours
    are sorted by their packed code)."""
    kept = hist.pixel_colours()  # RGBA's inverse, or RGB's kept index (None above 25 MP)
    if kept is not None:
        return kept.reshape(-1)[flat].astype(np.int64)
    return np.searchsorted(hist._codes(), hist.codes[flat]).astype(np.int64)
