"""The vertical half of the byte-aware mapping (core/vruns.py)."""

from __future__ import annotations

import numpy as np
import pytest

from kmeans_desktop.core import build_histogram, encode, mse, quantize, runmap, vruns
from kmeans_desktop.core.colourspace import chroma_for_k, to_working
from kmeans_desktop.core.kmeans import palette_for_histogram


def _up_equal(indices: np.ndarray) -> float:
    return float((indices[1:] == indices[:-1]).mean())


def test_rows_repeat_more_files_are_smaller_and_the_stats_describe_them(china, monkeypatch):
    monkeypatch.setattr(vruns, "VRUN_MIN_PIXELS", 0)  # china is web size: as if it were large
    q = quantize(china, 64)
    assert np.array_equal(q.counts, np.bincount(q.indices.reshape(-1), minlength=q.n_colors))
    assert abs(q.mse - mse(china, q.to_array())) < 1e-9 * q.mse
    monkeypatch.setattr(vruns, "VRUN_SLACK", 0.0)
    rows_only = quantize(china, 64)
    np.testing.assert_array_equal(q.palette, rows_only.palette)
    assert _up_equal(q.indices) > _up_equal(rows_only.indices) + 0.005
    assert len(encode(q, "png")) < 0.99 * len(encode(rows_only, "png"))  # measured 0.974×
    assert q.mse > rows_only.mse


def test_web_size_images_keep_the_row_mapping(china, monkeypatch):
    q = quantize(china, 64)
    monkeypatch.setattr(vruns, "VRUN_SLACK", 0.0)
    np.testing.assert_array_equal(q.indices, quantize(china, 64).indices)


def test_exact_entries_never_move(monkeypatch):
    monkeypatch.setattr(vruns, "VRUN_MIN_PIXELS", 0)
    rng = np.random.default_rng(1)
    palette = rng.integers(0, 256, (6, 3)).astype(np.uint8)
    px = palette[rng.integers(0, 6, (40, 50))]
    q = quantize(px, 8)
    np.testing.assert_array_equal(q.to_array(), px)


def _reference(hist, start, x, centres, labels) -> np.ndarray:
    """Row by row, pixel by pixel: the rule as the module doc states it."""
    h, w = hist.shape
    xf, cf = x.astype(np.float32), centres.astype(np.float32)
    d = ((xf[:, None, :] - cf[None]) ** 2).sum(2)
    near = d[np.arange(len(x)), labels]
    limit = near * np.float32(1 + vruns.VRUN_SLACK)
    if vruns.VRUN_CAP is not None:
        limit = np.minimum(limit, near + np.float32(vruns.VRUN_CAP))
    colour = np.searchsorted(hist._unique_codes(), hist.codes).reshape(h, w)
    nearest = labels[colour]
    out = start.copy()
    for r in range(1, h):
        for j in range(w):
            above = out[r - 1, j]
            if above == out[r, j] or above not in nearest[r + 1:r + 1 + vruns.VRUN_LOOKAHEAD, j]:
                continue
            c = colour[r, j]
            if d[c, above] <= limit[c]:
                out[r, j] = above
    return out


@pytest.mark.parametrize("case", ["photo", "noise", "stripes"])
def test_the_band_and_wave_decisions_match_stepping_the_rows(case, china, monkeypatch):
    rng = np.random.default_rng(5)
    if case == "photo":
        px = china[150:214, 300:372]
    elif case == "noise":  # colours near the middle between entries: many moves and long chains
        px = np.repeat(rng.integers(118, 138, (50, 40))[:, :, None], 3, axis=2).astype(np.uint8)
    else:
        px = np.repeat(np.tile(np.where(np.arange(30) % 2, 126, 130), (45, 1))[:, :, None], 3, axis=2)
        px = (px + rng.integers(-2, 3, px.shape)).clip(0, 255).astype(np.uint8)
    k = 8 if case == "photo" else 3
    hist = build_histogram(px)
    chroma = chroma_for_k(k)
    palette, labels = palette_for_histogram(hist, k)
    x, centres = to_working(hist.colors, chroma=chroma), to_working(palette, chroma=chroma)
    start, _ = runmap.run_indices(hist, x, centres, labels, palette)
    want = _reference(hist, start, x, centres, labels)
    assert (want != start).any()
    monkeypatch.setattr(vruns, "VRUN_MIN_PIXELS", 0)
    monkeypatch.setattr(vruns, "_BAND_PIXELS", 7 * px.shape[1])  # bands of 7 rows
    for lut in (10**9, 0):  # colours found by binary search, then by table
        monkeypatch.setattr(vruns, "_LUT_PIXELS", lut)
        got, extra = vruns.vertical_runs(hist, start, x, centres, labels, palette)
        np.testing.assert_array_equal(got, want)
        src = px.astype(np.float64)
        moved = ((src - palette[got]) ** 2).sum() - ((src - palette[start]) ** 2).sum()
        assert extra == pytest.approx(moved)


def test_the_kept_pixel_index_and_the_code_tables_agree(china, monkeypatch):
    # Up to histogram.PIXEL_INDEX_MAX pixels the pass reads the histogram's kept pixel index;
    # above it, tables over the colour codes. Same indices and error either way.
    from kmeans_desktop.core import histogram

    monkeypatch.setattr(vruns, "VRUN_MIN_PIXELS", 0)
    kept = quantize(china, 32)
    monkeypatch.setattr(histogram, "PIXEL_INDEX_MAX", 0)
    coded = quantize(china, 32)
    np.testing.assert_array_equal(kept.indices, coded.indices)
    assert kept.mse == coded.mse
