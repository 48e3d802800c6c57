"""The best-looking file under a byte budget (issue 14): size, colours and dithering together."""

from __future__ import annotations

import numpy as np
import pytest

from kmeans_desktop.core import encode, quantize
from kmeans_desktop.core.best_fit import at_least
from kmeans_desktop.core.budget import BudgetError, Requirements, fit
from kmeans_desktop.core.imageio import SourceImage
from kmeans_desktop.core.quality import file_score
from kmeans_desktop.core.resize import resize


def _src(pixels, name="photo.png"):
    return SourceImage(pixels=pixels, name=name)


@pytest.fixture(scope="module")
def photo():
    from sklearn.datasets import load_sample_image

    return load_sample_image("flower.jpg")[::2, ::2].copy()  # 214×320


@pytest.fixture(scope="module")
def tight(photo):
    """A tenth of the K=256 file: at full size only a few colours fit."""
    return len(encode(quantize(photo, 256), "png")) // 10


@pytest.fixture(scope="module")
def fitted(photo, tight):
    return fit(_src(photo), Requirements(max_bytes=tight))


def test_tight_budget_shrinks_and_beats_full_size(photo, tight, fitted):
    result = fitted
    assert result.size <= tight
    assert result.scale < 1.0
    assert result.target == (320, 214)
    assert result.full_k is not None and result.k > result.full_k
    assert result.score > result.full_score + 5
    assert f"looks better than 320x214 with {result.full_k}" in result.reason
    # the score is the one definition: the file scaled back up to the largest allowed size
    assert result.score == pytest.approx(file_score(photo, result.data), abs=1e-3)


def test_no_downscale_searches_k_and_dithering_only(photo, tight):
    result = fit(_src(photo), Requirements(max_bytes=tight, allow_downscale=False))
    assert (result.width, result.height) == (320, 214)
    assert result.size <= tight
    kept = fit(_src(photo), Requirements(max_bytes=tight, allow_downscale=False, max_width=200))
    assert (kept.width, kept.height) == (200, 134)


def test_user_dithering_is_kept(photo, tight):
    off = fit(_src(photo), Requirements(max_bytes=tight * 2, dither=False))
    assert not off.quantized.dither
    on = fit(_src(photo), Requirements(max_bytes=tight * 2, dither=True, dither_strength=0.7))
    assert on.quantized.dither and on.quantized.dither_strength == pytest.approx(0.7)
    assert on.size <= tight * 2


def test_search_may_choose_dithering_when_free(photo):
    # measured: dithered at 0.5 wins at an eighth, an eleventh and a twelfth of the K=256 file;
    # undithered at a quarter, a sixth, a ninth, a tenth and a fourteenth (since the speckle pass,
    # core/despeckle.py, 2026-12-02; before it a ninth and a tenth were dithered). The budget is a
    # tuned parameter: the assertions are what counts
    budget = len(encode(quantize(photo, 256), "png")) // 11
    free = fit(_src(photo), Requirements(max_bytes=budget))
    off = fit(_src(photo), Requirements(max_bytes=budget, dither=False))
    assert free.quantized.dither  # dithering gains up to 5–15 points at equal K on photos
    assert free.score >= off.score
    assert ", dithered at 0.5" in free.reason or ", dithered at 1" in free.reason


def test_same_input_gives_identical_bytes(photo, tight, fitted):
    a = fitted
    b = fit(_src(photo), Requirements(max_bytes=tight))
    assert a.data == b.data and a.reason == b.reason


def test_min_size_is_respected(photo, tight):
    result = fit(_src(photo), Requirements(max_bytes=tight, min_width=250))
    assert result.width >= 250 and result.size <= tight
    assert at_least((320, 214), (250, None))[0] == 250
    assert at_least((320, 214), (None, 200)) == (299, 200)


def test_min_size_errors_say_what_is_wrong(photo, tight):
    with pytest.raises(BudgetError, match=r"photo.png: the minimum size 400×any is larger than the image \(320×214\)"):
        fit(_src(photo), Requirements(max_bytes=tight, min_width=400))
    with pytest.raises(BudgetError, match=r"minimum size 300×300 is larger than the maximum size 200×200"):
        fit(_src(photo), Requirements(max_bytes=tight, min_width=300, min_height=300, max_width=200, max_height=200))
    with pytest.raises(BudgetError, match=r"fits at \d+×\d+ or smaller"):
        fit(_src(photo), Requirements(max_bytes=600, min_width=300))


def test_budget_below_every_size_says_what_would_fit(photo):
    with pytest.raises(BudgetError, match=r"photo.png: even 2 colours need [\d,]+ bytes at 320×214"):
        fit(_src(photo), Requirements(max_bytes=250, allow_downscale=False))


def test_format_auto_picks_the_best_looking(photo, tight):
    result = fit(_src(photo), Requirements(max_bytes=tight * 2, format="auto"))
    assert result.format in ("png", "webp", "jpeg")
    others = {fmt: score for fmt, score, _size in result.alternatives}
    assert len(others) == 2 and result.format not in others
    assert all(result.score >= s for s in others.values())
    assert result.size <= tight * 2


def test_proxy_scores_on_crops_rank_like_the_real_score(monkeypatch):
    """Above PROXY_PIXELS the coarse scores come from crops; they must order two clearly
    different candidates as the full score does. (The limit is lowered here to keep the test
    small: a 1 MP test image raises the test process's peak memory, which a later test measures.)"""
    from sklearn.datasets import load_sample_image

    from kmeans_desktop.core import best_fit
    from kmeans_desktop.core.budget import _Job

    monkeypatch.setattr(best_fit, "PROXY_PIXELS", 100_000)
    monkeypatch.setattr(best_fit, "_CROP", 160)
    big = load_sample_image("china.jpg")
    job = _Job(_src(big), Requirements(max_bytes=10**6))
    search = best_fit.QualitySearch(job, (640, 427), (1, 1), dither_free=True)
    assert search._crops is not None and len(search._crops) == 4
    small = resize(big, (320, 214))
    poor, good = quantize(small, 4).to_array(), quantize(small, 64).to_array()
    assert search._proxy(good) > search._proxy(poor) + 10
    assert np.sign(search._proxy(good) - search._proxy(poor)) == np.sign(
        file_score(big, encode(quantize(small, 64), "png")) - file_score(big, encode(quantize(small, 4), "png")))
