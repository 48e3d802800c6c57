"""Requirements: byte budgets are never exceeded, dimensions fit without upscaling, formats."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from kmeans_desktop.compress import parse_bytes, parse_dims
from kmeans_desktop.core import encode, quantize
from kmeans_desktop.core.budget import BudgetError, Requirements, fit
from kmeans_desktop.core.imageio import SourceImage
from kmeans_desktop.core.resize import fit_size, fit_within


def _src(pixels, name="test.png", **kw):
    return SourceImage(pixels=pixels, name=name, **kw)


@pytest.fixture(scope="module")
def photo(china=None):
    from sklearn.datasets import load_sample_image

    return load_sample_image("china.jpg")[::2, ::2].copy()  # 214×320, quick


@st.composite
def noisy_images(draw):
    h, w = draw(st.integers(8, 40)), draw(st.integers(8, 40))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (1, 1, 3))
    y, x = np.mgrid[0:h, 0:w]
    img = base + np.stack([x * draw(st.integers(0, 9)), y * 3, x + y], axis=2) + rng.integers(0, draw(st.integers(1, 120)), (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(img=noisy_images(), budget=st.integers(60, 6000), fmt=st.sampled_from(["png", "gif", "webp", "jpeg"]),
       downscale=st.booleans())
def test_budget_is_never_exceeded(img, budget, fmt, downscale):
    req = Requirements(max_bytes=budget, format=fmt, allow_downscale=downscale)
    try:
        result = fit(_src(img), req)
    except BudgetError as exc:
        assert "test.png" in str(exc)
        return
    assert result.size <= budget
    assert result.fits
    assert result.width <= img.shape[1] and result.height <= img.shape[0]
    if not downscale:
        assert (result.width, result.height) == (img.shape[1], img.shape[0])


@pytest.mark.parametrize("budget", [15_000, 30_000])
def test_budget_search_looks_better_than_the_largest_k_at_full_size(photo, budget):
    """The rule is the best-looking file that fits (issue 14), not the largest K that fits."""
    from kmeans_desktop.core.quality import file_score

    result = fit(_src(photo), Requirements(max_bytes=budget))
    assert result.size <= budget
    assert result.score == pytest.approx(file_score(photo, result.data), abs=1e-3)
    # At full size, the largest K whose file fits (bisection on real encodes), undithered.
    lo, hi = 2, 257
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if len(encode(quantize(photo, mid), "png")) <= budget else (lo, mid)
    largest_k = encode(quantize(photo, lo), "png")
    assert result.score >= file_score(photo, largest_k) - 0.5
    assert result.reason and f"{result.width}x{result.height} px" in result.reason


def test_budget_large_enough_for_every_k_keeps_k(photo):
    result = fit(_src(photo), Requirements(k=40, max_bytes=10_000_000))
    assert result.k == 40 and result.candidates == 1


def test_tiny_budget_downscales_or_says_what_fits(photo):
    shrunk = fit(_src(photo), Requirements(max_bytes=1500))
    assert shrunk.size <= 1500 and shrunk.scale < 1.0
    assert shrunk.width / shrunk.height == pytest.approx(320 / 214, rel=0.03)
    with pytest.raises(BudgetError, match=r"fits at \d+×\d+ or smaller"):
        fit(_src(photo), Requirements(max_bytes=1500, allow_downscale=False))


def test_jpeg_meets_its_target(photo):
    result = fit(_src(photo), Requirements(max_bytes=12_000, format="jpeg"))
    assert result.size <= 12_000
    assert result.quality is not None and 5 <= result.quality < 95
    assert Image.open(io.BytesIO(result.data)).format == "JPEG"
    better = fit(_src(photo), Requirements(max_bytes=30_000, format="jpeg"))
    assert better.quality > result.quality


def test_webp_is_lossless_palette(photo):
    result = fit(_src(photo), Requirements(k=32, format="webp"))
    with Image.open(io.BytesIO(result.data)) as im:
        back = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(back, result.quantized.to_array())


def test_max_dimensions_keep_aspect_and_never_upscale(photo):
    h, w = photo.shape[:2]
    assert fit_size(w, h, 160, 160) == (160, 107)
    assert fit_size(w, h, None, 50) == (75, 50)
    assert fit_size(w, h, 100, 66) == (99, 66)
    assert fit_size(w, h, 1000, 1000) == (w, h)
    assert fit_within(photo, 4000, 4000) is photo
    result = fit(_src(photo), Requirements(k=16, max_width=100, max_height=100))
    assert (result.width, result.height) == (100, 67)
    assert result.scale == pytest.approx(100 / 320)


def test_rgba_downscale_does_not_bleed_hidden_colours():
    img = np.zeros((20, 20, 4), np.uint8)
    img[:, :10] = (255, 0, 0, 0)  # invisible red
    img[:, 10:] = (0, 0, 255, 255)  # opaque blue
    small = fit_within(img, 10, 10)
    visible = small[small[..., 3] > 128]
    assert visible[:, 0].max() < 40, "hidden red must not tint the visible edge"


def test_metadata_exif_kept_only_when_asked(photo):
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    src = _src(photo, exif=exif.tobytes())
    for fmt in ("png", "jpeg", "webp"):
        stripped = Image.open(io.BytesIO(fit(src, Requirements(k=8, format=fmt)).data))
        kept = Image.open(io.BytesIO(fit(src, Requirements(k=8, format=fmt, keep_metadata=True)).data))
        assert stripped.getexif().get(0x010F) is None, fmt
        assert kept.getexif().get(0x010F) == "TestCam", fmt


@pytest.mark.parametrize(
    "text,expected",
    [("150000", 150000), ("150KB", 150000), ("150kB", 150000), ("1.5MB", 1_500_000), ("120KiB", 122880),
     ("2MiB", 2 * 1024 * 1024), ("150 kb", 150000), ("999B", 999)],
)
def test_byte_sizes_parse(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "12XB", "-5KB", "0", "1.5.2MB", "KB", "0.0001KB"])
def test_bad_byte_sizes_are_refused(text):
    with pytest.raises(ValueError):
        parse_bytes(text)


def test_dimensions_parse():
    assert parse_dims("600x400") == (600, 400)
    assert parse_dims("600x") == (600, None)
    assert parse_dims("x400") == (None, 400)
    for bad in ("600", "x", "0x10", "axb"):
        with pytest.raises(ValueError):
            parse_dims(bad)
