"""After the palette: the pixels of an undithered RGB result and what `Quantized` reports of them.

`map_rgb` gives every pixel its nearest entry and then lets the byte-aware passes move the few that
sit about as near another one: runs along the rows (`runmap`), rows that repeat the row above
(`vruns`, large images), speckle that its neighbours agree on (`despeckle`). The pixels per entry
follow the pixels the passes move (no count over every pixel), and the error changes they make
are summed from the moved pixels alone. `colour_sse` is the error of the nearest mapping, from the
distinct colours.

Why a module of its own: this is the part of a 9 MP final preview that runs after the palette, and
the window waits for all of it (issue 15: 0.25-0.37 s wall of a 0.7-0.8 s final preview); its steps
share their per-colour measures (`runmap.colour_errors`) and are timed together
(benchmarks/bench_stages.py). While the last pass runs, its final rows may be handed on band by band
(`final_rows`: the window builds its picture from them meanwhile).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from . import histogram as histogram_module, runmap, vruns
from .cancel import checkpoint
from .crew import spawn
from .despeckle import despeckle
from .histogram import ColorHistogram


#: Where the undithered RGB passes hand their final rows while they run (`final_rows`).
_FINAL_ROWS: ContextVar = ContextVar("final_rows", default=None)


@contextmanager
def final_rows(sink):
    """Within this block (on this thread), a `quantize` that maps RGB pixels by the byte-aware
    passes calls `sink.start(palette, (h, w))` once the palette is known, which returns the row
    multiple its bands should start at, and then `sink.rows(indices, y0, y1)` for every band of
    rows of the final indices as soon as they are final, from the threads that made them (all
    rows, each once; `indices` is the array the result will hold). Other results never call it.

    Why: the window's picture of a 9 MP result (a look-up of 9 M pixels and a halving, 14 ms CPU)
    was built after quantize returned, 18-31 ms of the wait for the final preview; built band by
    band beside the last pass, it costs that pass's threads a few ms (`render.IndexedPicture`)."""
    token = _FINAL_ROWS.set(sink)
    try:
        yield sink
    finally:
        _FINAL_ROWS.reset(token)


def colour_sse(hist: ColorHistogram, palette: np.ndarray, labels: np.ndarray) -> float:
    """The summed squared error of mapping every pixel to its colour's entry `labels`, over all
    channels. Summed as integers: each term (a whole number, count × squared uint8 differences) and
    every partial sum stay below 2**53 up to 10**10 pixels, so the float64 sum this replaced was
    exact in any order and equals this to the bit. 9 MP china (1.2 M colours): 37 -> 15 ms CPU."""
    d = hist.colors.astype(np.int32)
    d -= np.take(palette.astype(np.int32), labels, axis=0)  # (2-D fancy indexing: several times slower)
    d *= d
    per_colour = d[:, 0] + d[:, 1]  # at most 4 × 255² (by columns: einsum over rows of 3 is slower)
    for i in range(2, d.shape[1]):
        per_colour += d[:, i]
    return float(np.dot(per_colour.astype(np.int64), hist.counts.astype(np.int64)))


def map_rgb(hist: ColorHistogram, x: np.ndarray, centres: np.ndarray, labels: np.ndarray,
            palette: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(H×W uint8 indices, their summed squared sRGB error, pixels per entry as int64). `x`: the
    distinct colours in the working space; `centres`: the palette's; `labels`: each colour's
    nearest entry; `palette`: uint8 sRGB. The colours' pixels per entry and the nearest mapping's
    error (`colour_sse`) are made on a second thread meanwhile (numpy lets go of the GIL; 7 + 15 ms
    CPU at 9 MP that ran alone before the passes)."""
    if runmap.band_threads(2, hist.n_pixels) > 1:
        counted = spawn(lambda: runmap.colour_counts(labels, hist, len(palette)), "colour-sse")  # (7 ms that ran alone)
        sse = spawn(lambda: colour_sse(hist, palette, labels), "colour-sse")
        try:
            indices, extra, counts = _passes(hist, x, centres, labels, palette, counted.join)
        except BaseException:
            counted.drop()
            sse.drop()
            raise
        return indices, sse.join() + extra, counts
    indices, extra, counts = _passes(hist, x, centres, labels, palette)
    return indices, colour_sse(hist, palette, labels) + extra, counts


def _passes(hist: ColorHistogram, x: np.ndarray, centres: np.ndarray, labels: np.ndarray,
            palette: np.ndarray, base_counts=None) -> tuple[np.ndarray, float, np.ndarray]:
    """`map_rgb`'s indices and counts, and the error change the passes made (whole numbers)."""
    # each pixel's nearest entry, kept by runmap for vruns (up to the size whose pixel index the
    # histogram keeps: no full-size map more at 150 MP, bench_memory's)
    near = (np.empty(hist.shape, np.uint8)
            if vruns.VRUN_MIN_PIXELS <= hist.n_pixels <= histogram_module.PIXEL_INDEX_MAX else None)
    checkpoint()
    errors = runmap.colour_errors(x, centres, labels)  # what both passes measure against
    mapped, extra, counts = runmap.run_mapping(hist, x, centres, labels, palette, near, errors, base_counts)
    # the counts follow the pixels the vertical and speckle passes move (no bincount over every
    # pixel: 9 MP 50-70 ms CPU, all of it holding the GIL)
    checkpoint()
    indices, extra_v = vruns.vertical_runs(hist, mapped, x, centres, labels, palette, counts, near, errors)
    checkpoint()
    sink = _FINAL_ROWS.get()
    if sink is None:
        indices, extra_s = despeckle(indices, hist, x, centres, labels, palette, counts)
    else:
        indices, extra_s = despeckle(indices, hist, x, centres, labels, palette, counts, rows_done=sink.rows,
                                     align=sink.start(palette, hist.shape))
    return indices, extra + extra_v + extra_s, counts
