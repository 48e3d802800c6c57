"""The effort setting (issue 13): it changes only the PNG packing, never the pixels; the same
input, K, seed and effort give the same bytes; the CLI takes --effort and reports `effort`."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.core import encode, quantize
from kmeans_desktop.core.budget import Requirements, fit
from kmeans_desktop.core.encoding import DEFAULT_EFFORT, EFFORT_MAX, EFFORT_MIN, packing_for
from kmeans_desktop.core.imageio import load_image

from .images import jpeg_bytes
from .test_cli import run


def _pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB"))


def test_every_effort_decodes_to_the_same_pixels_and_is_deterministic(china):
    q = quantize(china[:160, :240], 48)
    files = {e: encode(q, "png", effort=e) for e in range(EFFORT_MIN, EFFORT_MAX + 1)}
    for e, data in files.items():
        assert np.array_equal(_pixels(data), q.to_array()), e
        assert encode(quantize(china[:160, :240].copy(), 48), "png", effort=e) == data
    assert len(files[EFFORT_MAX]) <= len(files[DEFAULT_EFFORT]) < len(files[EFFORT_MIN])


@pytest.mark.parametrize("bad", [0, 6, 2.5, True, "3"])
def test_a_bad_effort_is_one_sentence(china, bad):
    q = quantize(china[:20, :20], 4)
    with pytest.raises(ValueError, match="effort"):
        encode(q, "png", effort=bad)


def test_packing_follows_the_image_size():
    assert packing_for(DEFAULT_EFFORT, 300_000) != packing_for(DEFAULT_EFFORT, 9_000_000)
    assert packing_for(EFFORT_MAX, 9_000_000).deflate >= packing_for(DEFAULT_EFFORT, 9_000_000).deflate


def test_large_images_skip_oxipngs_palette_orderings_and_keep_their_pixels(china, monkeypatch):
    """The default packing of large images doesn't try oxipng's reordered palettes (0.6-0.7x the
    CPU at 9 MP, bytes within 0.1 %); the file still decodes to exactly the quantized pixels."""
    from kmeans_desktop.core import encoding

    assert not packing_for(DEFAULT_EFFORT, 9_000_000).palette_trials
    assert packing_for(DEFAULT_EFFORT, 300_000).palette_trials and packing_for(EFFORT_MAX, 9_000_000).palette_trials
    seen = []
    real = encoding._pack
    monkeypatch.setattr(encoding, "_pack", lambda raw, *a: (seen.append(a), real(raw, *a))[1])
    monkeypatch.setattr(encoding, "_PACKING_LIMITS", (100, 200))  # china's corner counts as large
    q = quantize(china[:160, :240], 48)
    data = encode(q, "png")
    assert seen == [(("Entropy",), 10, False, False)] * 2  # two bands of rows (core.png_join)
    assert np.array_equal(_pixels(data), q.to_array())


def test_fit_writes_what_the_effort_packs(tmp_path, china):
    p = tmp_path / "c.jpg"
    p.write_bytes(jpeg_bytes(china[:120, :160]))
    src = load_image(p)
    for e in (1, 5):
        r = fit(src, Requirements(k=32, effort=e))
        assert r.data == encode(r.quantized, "png", icc_profile=src.icc_profile, effort=e)


def test_cli_effort_flag_json_and_bad_value(tmp_path, china):
    p = tmp_path / "photo.jpg"
    p.write_bytes(jpeg_bytes(china[:120, :160]))
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    r = run("compress", p, "-k", "32", "--effort", "1", "-o", a, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["effort"] == 1
    r = run("compress", p, "-k", "32", "-o", b, "--json")
    assert json.loads(r.stdout)["effort"] == DEFAULT_EFFORT
    assert np.array_equal(_pixels(a.read_bytes()), _pixels(b.read_bytes()))
    bad = run("compress", p, "--effort", "9", "-o", tmp_path / "c.png")
    assert bad.returncode == 2 and "--effort must be from 1 to 5" in bad.stderr
    assert bad.stderr.count("\n") == 1 and not (tmp_path / "c.png").exists()


def test_a_small_image_tries_every_filter_on_the_whole_image(monkeypatch):
    """Up to `_WHOLE_TRIALS_UPTO` pixels the default packs the whole image with each filter and
    keeps the smallest (a sample of rows misjudged icon sheets): never larger than either alone."""
    from kmeans_desktop.core import encoding

    rng = np.random.default_rng(5)
    px = np.repeat(rng.integers(0, 256, (300, 40, 3), dtype=np.uint8), 8, axis=1)  # 300×320
    px[::7] = 255
    q = quantize(px, 16)
    assert q.width * q.height <= encoding._WHOLE_TRIALS_UPTO
    pack = packing_for(DEFAULT_EFFORT, q.width * q.height)
    assert pack.sample_choice and len(pack.filters) > 1
    alone = [len(encoding.encode_png(q, packing=encoding.Packing((f,), pack.deflate))) for f in pack.filters]
    calls = []
    real = encoding._pack
    monkeypatch.setattr(encoding, "_pack", lambda raw, *a: calls.append(id(raw)) or real(raw, *a))
    assert len(encode(q, "png")) == min(alone)
    assert len(calls) == len(pack.filters) and len(set(calls)) == 1  # the whole image, once a filter


def test_a_close_call_on_the_sample_packs_the_whole_image_both_ways(monkeypatch):
    """Up to 1 MP, when the sample's choice beats unfiltered rows by less than `_CLOSE_CALL`, the
    whole image is packed with both and the smaller kept (the sample underrates unfiltered rows:
    coffee dithered at K=8 took Entropy, 42,030 bytes, where unfiltered packs 40,655); otherwise
    the whole image is packed once, with the sample's choice."""
    from kmeans_desktop.core import encoding

    rng = np.random.default_rng(7)
    px = np.repeat(rng.integers(0, 256, (400, 50, 3), dtype=np.uint8), 8, axis=1)  # 400×400
    px[::5] = 255
    q = quantize(px, 16)
    n = q.width * q.height
    assert encoding._WHOLE_TRIALS_UPTO < n <= 1_000_000 and q.height >= 2 * encoding._SAMPLE_STEP
    pack = packing_for(DEFAULT_EFFORT, n)
    assert pack.filters == ("Entropy", "NoOp") and pack.close_call == encoding._CLOSE_CALL > 0
    assert packing_for(DEFAULT_EFFORT, 2_000_000).close_call == 0
    alone = {f: encoding.encode_png(q, packing=encoding.Packing((f,), pack.deflate)) for f in pack.filters}
    real = encoding._pack
    sample = 1000 * (1 + encoding._CLOSE_CALL)
    for entropy, noop, whole in ((1000, sample - 5, ("Entropy", "NoOp")), (1000, sample + 5, ("Entropy",)),
                                 (1010, 1000, ("NoOp",))):
        calls = []

        def fake(raw, filters, *a):
            calls.append(filters[0])
            if len(calls) <= 2:  # the sample: sizes as given
                return b"x" * int({"Entropy": entropy, "NoOp": noop}[filters[0]])
            return real(raw, filters, *a)

        monkeypatch.setattr(encoding, "_pack", fake)
        data = encode(q, "png")
        assert tuple(calls[2:]) == whole
        assert data == min((alone[f] for f in whole), key=len)
