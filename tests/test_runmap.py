"""The byte-aware mapping of undithered pixels (core/runmap.py)."""

from __future__ import annotations

import numpy as np

from kmeans_desktop.core import build_histogram, encode, histogram, mse, quantize, runmap
from kmeans_desktop.core.colourspace import chroma_for_k, to_working
from kmeans_desktop.core.kmeans import palette_for_histogram


def _left_equal(indices: np.ndarray) -> float:
    return float((indices[:, 1:] == indices[:, :-1]).mean())


def test_runs_make_smaller_files_and_the_stats_describe_them(china, monkeypatch):
    q = quantize(china, 64)
    assert np.array_equal(q.counts, np.bincount(q.indices.reshape(-1), minlength=q.n_colors))
    assert abs(q.mse - mse(china, q.to_array())) < 1e-9 * q.mse
    monkeypatch.setattr(runmap, "RUN_SLACK", 0.0)
    nearest = quantize(china, 64)
    np.testing.assert_array_equal(q.palette, nearest.palette)
    assert (q.indices != nearest.indices).any()
    assert _left_equal(q.indices) > _left_equal(nearest.indices) + 0.02  # measured 0.78 against 0.74
    assert len(encode(q, "png")) < 0.97 * len(encode(nearest, "png"))  # measured 0.95×
    assert q.mse > nearest.mse


def test_a_pixel_far_from_every_entry_does_not_drift_further():
    # Grey 40 lies between entries 0 and 100 (squared working-space errors 4984 and 3332): the
    # relative slack alone lets it take its left neighbour's entry 0 although that costs it 1650
    # more (issue 12: the worst 16×16 block at K=8); the cap keeps it on its nearest.
    row = np.array([0, 0, 40, 0, 0], np.uint8)
    px = np.repeat(np.tile(row, (3, 1))[:, :, None], 3, axis=2)
    palette = np.array([[0, 0, 0], [100, 100, 100]], np.uint8)
    hist = build_histogram(px)
    x, centres = to_working(hist.colors), to_working(palette)
    labels = np.argmin(((x[:, None] - centres[None]) ** 2).sum(2), axis=1)
    e = ((to_working(px[0, 2:3]) - centres) ** 2).sum(1)  # grey 40's error at entry 0 and 1
    assert e[0] <= (1 + runmap.RUN_SLACK) * e[1] and e[0] > e[1] + 1000  # (so the cap decides)
    nearest = hist.indices_for(labels)
    assert nearest[0, 2] == 1
    out, extra = runmap.run_indices(hist, x, centres, labels, palette)
    np.testing.assert_array_equal(out, nearest)
    assert extra == 0.0


def test_a_noisy_boundary_becomes_one_run_and_a_clean_one_stays():
    # Colours just either side of the middle between two entries: the nearest entry flips with
    # the noise, the runs follow the first pixel of each row; where a row then turns clearly to
    # the other entry, its boundary stays where it was.
    grey = np.tile(np.where(np.arange(50) % 2, 127, 129), (4, 1))
    grey[:, 40:] = 150
    px = np.repeat(grey[:, :, None], 3, axis=2).astype(np.uint8)
    palette = np.array([[100, 100, 100], [156, 156, 156]], np.uint8)  # 127 and 129 fall either side
    hist = build_histogram(px)
    x, centres = to_working(hist.colors), to_working(palette)
    labels = np.argmin(((x[:, None] - centres[None]) ** 2).sum(2), axis=1)
    nearest = hist.indices_for(labels)
    assert len(np.unique(nearest[:, :40])) == 2  # the noise flips the nearest entry
    out, _ = runmap.run_indices(hist, x, centres, labels, palette)
    assert (out[:, :40] == nearest[:, :1]).all()
    assert (out[:, 40:] == nearest[:, 40:]).all()


def _reference(px: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Row by row, pixel by pixel: the rule as the module doc states it."""
    x, c = to_working(px.reshape(-1, 3)).reshape(px.shape), to_working(palette)
    d = ((x[:, :, None, :] - c[None, None]) ** 2).sum(3)
    out = np.argmin(d, axis=2)
    nearest = out.copy()
    for r in range(px.shape[0]):
        for j in range(1, px.shape[1]):
            left = out[r, j - 1]
            near = d[r, j, out[r, j]]
            close = d[r, j, left] <= (1 + runmap.RUN_SLACK) * near
            if runmap.RUN_CAP is not None:
                close &= d[r, j, left] <= near + runmap.RUN_CAP
            if close and left in nearest[r, j + 1:j + 1 + runmap.RUN_LOOKAHEAD]:
                out[r, j] = left
    return out


def test_sweep_in_bands_gives_the_row_by_row_answer(monkeypatch):
    rng = np.random.default_rng(3)
    px = (np.linspace(0, 255, 90)[None, :, None] + rng.normal(0, 6, (12, 90, 3))).clip(0, 255).astype(np.uint8)
    hist = build_histogram(px)
    palette, labels = palette_for_histogram(hist, 6)
    monkeypatch.setattr(runmap, "_BAND_PIXELS", 200)  # bands of two rows
    monkeypatch.setattr(runmap, "_MIN_STRIP", 1000)  # one strip per row
    out, extra = runmap.run_indices(hist, to_working(hist.colors), to_working(palette), labels, palette)
    np.testing.assert_array_equal(out, _reference(px, palette))
    nearest = palette[hist.indices_for(labels)].astype(float)
    moved = palette[out].astype(float)
    assert abs(extra - (((moved - px) ** 2).sum() - ((nearest - px) ** 2).sum())) < 1e-6


def test_strips_only_restart_runs(monkeypatch):
    # Cut into strips (a run restarts where a strip starts), each pixel still keeps its nearest
    # entry or its left neighbour's, within the slack.
    rng = np.random.default_rng(4)
    px = (np.linspace(0, 255, 300)[None, :, None] + rng.normal(0, 6, (20, 300, 3))).clip(0, 255).astype(np.uint8)
    hist = build_histogram(px)
    palette, labels = palette_for_histogram(hist, 8)
    monkeypatch.setattr(runmap, "_MIN_STRIP", 50)
    monkeypatch.setattr(runmap, "_STEP_PIXELS", 100)  # 5 strips of 60 columns
    out, _ = runmap.run_indices(hist, to_working(hist.colors), to_working(palette), labels, palette)
    x, c = to_working(px.reshape(-1, 3)).reshape(px.shape), to_working(palette)
    d = ((x[:, :, None, :] - c[None, None]) ** 2).sum(3)
    best = d.min(axis=2)
    chosen = np.take_along_axis(d, out[:, :, None].astype(np.int64), axis=2)[:, :, 0]
    assert (chosen <= (1 + runmap.RUN_SLACK) * best + 1e-4).all()
    assert (chosen <= best + runmap.RUN_CAP + 1e-3).all()
    moved = chosen > best + 1e-9
    assert moved.any()
    assert (out[:, 1:][moved[:, 1:]] == out[:, :-1][moved[:, 1:]]).all()
    assert not moved[:, ::60].any()  # each strip's first column keeps its nearest entries
    assert _left_equal(out) > _left_equal(np.argmin(d, axis=2))


def test_rgba_and_fixed_palettes_keep_nearest_entries(china, monkeypatch):
    # The run mapping is for clustered RGB only (the speckle pass, which RGBA has too, is off
    # here: tests/test_despeckle.py).
    from kmeans_desktop.core import despeckle

    monkeypatch.setattr(despeckle, "SPECKLE_SLACK", 0.0)
    rgba = np.concatenate([china[:100, :100], np.full((100, 100, 1), 255, np.uint8)], axis=2)
    rgba[:10, :, 3] = 0
    q = quantize(rgba, 16)
    chroma = chroma_for_k(16)  # the weight a palette of 16 is clustered and mapped with
    pal = to_working(q.palette[:, :3], chroma=chroma)
    opaque = rgba[..., 3] == 255
    x = to_working(rgba[..., :3][opaque], chroma=chroma)
    chosen = ((x - pal[q.indices[opaque]]) ** 2).sum(1)
    best = ((x[:, None] - pal[q.palette[:, 3] == 255][None]) ** 2).sum(2).min(1)
    np.testing.assert_allclose(chosen, best, atol=1e-9)
    fixed = quantize(china[:80, :80], 4, palette=np.array([[0, 0, 0], [255, 255, 255], [200, 0, 0], [0, 90, 0]], np.uint8))
    xf = to_working(china[:80, :80].reshape(-1, 3))
    pf = to_working(fixed.palette)
    d = ((xf[:, None] - pf[None]) ** 2).sum(2)
    np.testing.assert_allclose(d[np.arange(len(xf)), fixed.indices.reshape(-1)], d.min(1), atol=1e-9)


def _column_sweep(hist, x, centres, labels, palette):
    """The sweep as it was before the wave version (ba5409a): column by column, every row's
    strips at once. The reference the faster `_sweep` must match to the bit."""
    h, w = hist.shape
    cf = np.asarray(centres, dtype=np.float32)
    x_cols = [x[:, i].astype(np.float32) for i in range(3)]
    c_cols = [np.ascontiguousarray(cf[:, i]) for i in range(3)]
    limit = np.zeros(len(x), dtype=np.float32)
    for xc, cc in zip(x_cols, c_cols):
        t = xc - cc[labels]
        t *= t
        limit += t
    if runmap.RUN_CAP is not None:  # (the cap came after this sweep: the same float32 rule)
        limit = np.minimum(limit * np.float32(1.0 + runmap.RUN_SLACK), limit + np.float32(runmap.RUN_CAP))
    else:
        limit *= np.float32(1.0 + runmap.RUN_SLACK)
    lab8 = labels.astype(np.uint8)
    out = np.empty((h, w), dtype=np.uint8)
    band = max(1, min(h, runmap._BAND_PIXELS // w))
    changed_sse = 0.0
    pal_f = palette.astype(np.float64)
    codes = hist._unique_codes()
    for top in range(0, h, band):
        rows = slice(top, min(h, top + band))
        idx = np.searchsorted(codes, hist.codes.reshape(h, w)[rows]).astype(np.int32)
        bh = idx.shape[0]
        strips = max(1, min(w // runmap._MIN_STRIP, runmap._STEP_PIXELS // bh))
        sw = -(-w // strips)
        pad = sw * strips - w
        if pad:
            idx = np.pad(idx, ((0, 0), (0, pad)), mode="edge")
        cols = np.ascontiguousarray(idx.reshape(bh, strips, sw).transpose(2, 1, 0).reshape(sw, strips * bh))
        best = lab8[cols]
        res = best.copy()
        for j in range(1, sw):
            prev, cur = res[j - 1], res[j]
            open_ = np.flatnonzero(prev != cur)
            c = cols[j][open_]
            cand = prev[open_]
            e = x_cols[0][c] - c_cols[0][cand]
            e *= e
            for i in (1, 2):
                t = x_cols[i][c] - c_cols[i][cand]
                t *= t
                e += t
            ok = e <= limit[c]
            near, cand = open_[ok], cand[ok]
            ahead = np.zeros(len(near), dtype=bool)
            for a in range(j + 1, min(j + 1 + runmap.RUN_LOOKAHEAD, sw)):
                ahead |= best[a][near] == cand
            take = near[ahead]
            cur[take] = prev[take]
        moved = np.flatnonzero(res != best)
        if len(moved):
            src = hist.colors[cols.reshape(-1)[moved]].astype(np.float64)
            new = src - pal_f[res.reshape(-1)[moved]]
            old = src - pal_f[best.reshape(-1)[moved]]
            changed_sse += float((new * new).sum() - (old * old).sum())
        back = res.reshape(sw, strips, bh).transpose(2, 1, 0).reshape(bh, strips * sw)
        out[rows] = back[:, :w]
    return out, changed_sse


def _noisy(rng, h, w, noise, flip=False):
    px = np.linspace(0, 255, w)[None, :, None] + np.linspace(0, 60, h)[:, None, None] + rng.normal(0, noise, (h, w, 3))
    if flip:  # a fine checkerboard of two colours either side of an entry boundary: long chains of waves
        px[::2, ::2] += 9
        px[1::2, 1::2] += 9
    return px.clip(0, 255).astype(np.uint8)


def test_the_wave_sweep_matches_the_column_sweep_to_the_bit(monkeypatch):
    # Strips, bands, a padded last strip, look-ahead 1-3, the colour table, the sorted search and
    # the histogram's kept pixel colour indices (lut 0 / 1 / 2):
    # the same indices and the same error change (summed in the same order) as the old sweep.
    rng = np.random.default_rng(11)
    cases = [(_noisy(rng, 37, 301, 7), 6, 0, 3), (_noisy(rng, 20, 257, 2, flip=True), 12, 1, 2),
             (_noisy(rng, 9, 130, 12), 40, 0, 1), (_noisy(rng, 64, 70, 5), 3, 2, 2),
             (_noisy(rng, 5, 1, 5), 3, 0, 2), (_noisy(rng, 3, 2, 9), 3, 2, 2),
             (_noisy(rng, 41, 263, 6), 9, 2, 2)]
    moved_any = False
    for px, k, lut, lookahead in cases:
        monkeypatch.setattr(runmap, "RUN_LOOKAHEAD", lookahead)
        monkeypatch.setattr(runmap, "_BAND_PIXELS", 2000)  # several bands, of differing heights
        monkeypatch.setattr(runmap, "_MIN_STRIP", 16)
        monkeypatch.setattr(runmap, "_STEP_PIXELS", 200)
        monkeypatch.setattr(runmap, "_LUT_PIXELS", 0 if lut else 1 << 40)
        monkeypatch.setattr(histogram, "PIXEL_INDEX_MAX", 0 if lut < 2 else 1 << 40)
        monkeypatch.setattr(runmap, "THREADS", 1 + lookahead % 2)  # bands one after the other, or on two threads
        hist = build_histogram(px)
        palette, labels = palette_for_histogram(hist, k)
        x, centres = to_working(hist.colors), to_working(palette)
        out, extra, counts = runmap.run_mapping(hist, x, centres, labels, palette)
        ref, ref_extra = _column_sweep(hist, x, centres, labels, palette)
        np.testing.assert_array_equal(out, ref)
        assert extra == ref_extra  # bit for bit: the MSE a result reports stays the same
        np.testing.assert_array_equal(counts, np.bincount(out.reshape(-1), minlength=len(palette)))
        moved_any |= bool((out != hist.indices_for(labels)).any())
    assert moved_any
