"""Large PNGs packed as bands of rows on two cores and joined (`core.png_join`, issue 13): the
joined file decodes to exactly the quantized pixels, its bytes don't depend on where the bands
were packed, and whatever can't be joined is packed whole."""

from __future__ import annotations

import io
import random
import zlib

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.core import encoding, png_join, quantize
from kmeans_desktop.core.encoding import Packing, band_bounds, encode_png, pack_band, set_band_packer

BANDED = Packing(("Entropy",), 10, palette_trials=False, bands=2)
WHOLE = Packing(("Entropy",), 10, palette_trials=False)


def _decoded(png: bytes) -> tuple[np.ndarray, np.ndarray]:
    with Image.open(io.BytesIO(png)) as im:
        assert im.mode == "P"
        return np.asarray(im), np.asarray(im.getpalette(), np.uint8).reshape(-1, 3)


@pytest.mark.parametrize("k", [4, 16, 64])
def test_banded_png_decodes_to_the_quantized_pixels(china, k):
    q = quantize(china[:300, :200], k)
    data = encode_png(q, packing=BANDED, icc_profile=None)
    indices, palette = _decoded(data)
    assert np.array_equal(indices, q.indices)
    assert np.array_equal(palette[: q.n_colors], q.palette[:, :3])
    assert data != encode_png(q, packing=WHOLE)  # really joined, not packed whole
    assert len(data) < 1.03 * len(encode_png(q, packing=WHOLE))


def test_the_bands_bytes_do_not_depend_on_where_they_are_packed(china):
    q = quantize(china[:300, :200], 32)
    calls = []

    def elsewhere(jobs):  # as a second process would: last band first, from copies
        calls.append(len(jobs))
        return [pack_band(*job) for job in reversed([tuple(jobs[i]) for i in range(len(jobs))])][::-1]

    serial = encode_png(q, packing=BANDED)
    old = set_band_packer(elsewhere)
    try:
        assert encode_png(q, packing=BANDED) == serial
    finally:
        set_band_packer(old)
    assert calls == [2]


def test_bands_that_cannot_be_joined_are_packed_whole(china, monkeypatch):
    q = quantize(china[:300, :200], 16)
    monkeypatch.setattr(encoding, "join_bands", lambda pngs, height: None)
    assert encode_png(q, packing=BANDED) == encode_png(q, packing=WHOLE)


def test_bands_of_different_palettes_are_not_joined(china):
    a, b = quantize(china[:150, :200], 8), quantize(china[150:300, :200], 8)
    pngs = [pack_band(a.indices, a.palette, ("Entropy",), 6, False), pack_band(b.indices, b.palette, ("Entropy",), 6, False)]
    assert png_join.join_bands(pngs, 300) is None


def test_band_bounds_share_the_work_of_busy_rows():
    flat = np.zeros((400, 64), np.uint8)
    flat[300:] = np.random.default_rng(1).integers(0, 16, (100, 64))  # the busy rows at the bottom
    bounds = band_bounds(flat, 2)
    assert bounds[0] == 0 and bounds[-1] == 400 and 300 < bounds[1] < 400
    assert band_bounds(np.zeros((400, 64), np.uint8), 2) == [0, 200, 400]


def _streams(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [bytes(rng.choice(b"abcdefgh\x01\x04" * (1 + i)) for _ in range(rng.randint(3000, 9000))) for i in range(n)]


def test_a_deflate_stream_made_not_final_is_followed_by_another():
    pads = set()
    for seed in range(12):
        first, second = _streams(2, seed)
        c1 = zlib.compressobj(9, zlib.DEFLATED, -15)
        s1 = c1.compress(first) + c1.flush()
        c2 = zlib.compressobj(9, zlib.DEFLATED, -15)
        s2 = c2.compress(second) + c2.flush()
        joined = png_join._not_final(s1, first)
        assert joined is not None, seed
        pads.add(len(joined) - len(s1))
        assert zlib.decompress(joined + s2, -15) == first + second
    assert pads == {4, 5}  # both cases met: the stored block's header in the padding, or a byte more


@pytest.mark.parametrize("kind, becomes", [(4, 1), (2, 0)])
def test_a_first_row_filter_that_reads_the_row_above_is_rewritten(kind, becomes):
    raw = bytes([kind]) + bytes(random.Random(kind).choice(b"\x00\x01\x02\x03\x04\x05") for _ in range(6000))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = c.compress(raw) + c.flush()
    fixed = png_join._first_row_prior_free(stream, raw)
    assert fixed is not None
    out, fixed_raw = fixed
    assert fixed_raw == bytes([becomes]) + raw[1:]
    assert zlib.decompress(out, -15) == fixed_raw
    assert png_join._first_row_prior_free(stream, bytes([3]) + raw[1:]) is None  # Average can't be


def test_compress_of_one_large_png_packs_a_band_in_a_second_process(tmp_path, china, monkeypatch):
    """`compress` of one large PNG starts a second process for half the rows; the file is the one
    the core packs alone, and the process is gone afterwards."""
    from kmeans_desktop import cli
    from kmeans_desktop.core.budget import Requirements, fit
    from kmeans_desktop.core.imageio import load_image

    src = tmp_path / "in.png"
    Image.fromarray(china[:300, :200]).save(src)
    monkeypatch.setattr(encoding, "_PACKING_LIMITS", (100, 200))  # it counts as large
    installed = []
    real = encoding.set_band_packer
    monkeypatch.setattr(encoding, "set_band_packer", lambda p: (installed.append(p), real(p))[1])
    assert cli.main(["compress", str(src), "-k", "16", "-o", str(tmp_path / "out.png")]) == 0
    packer = installed[0]
    assert packer.packed_there >= 1 and installed[-1] is None and packer._proc is None
    assert encoding._band_packer is encoding._serial
    alone = fit(load_image(src), Requirements(k=16)).data
    assert (tmp_path / "out.png").read_bytes() == alone


def test_compress_of_a_small_image_starts_no_second_process(tmp_path, china, monkeypatch):
    from kmeans_desktop import cli

    src = tmp_path / "in.png"
    Image.fromarray(china[:60, :80]).save(src)
    installed = []
    monkeypatch.setattr(encoding, "set_band_packer", installed.append)
    assert cli.main(["compress", str(src), "-k", "16", "-o", str(tmp_path / "out.png")]) == 0
    assert installed == []
