"""core.quality (the score of a written file, the OKLab error map, the worst block) and the
`ssimulacra2` key of `compress --json`."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from kmeans_desktop.core import load_image, quantize
from kmeans_desktop.core.encoding import encode
from kmeans_desktop.core.metrics import ssimulacra2
from kmeans_desktop.core.quality import decoded_at, delta_e_map, file_score, oklab, worst_block
from kmeans_desktop.core.resize import resize

from .images import jpeg_bytes, png_bytes
from .test_cli import run


def _png(arr: np.ndarray) -> bytes:
    return png_bytes(arr)


def test_file_score_of_a_lossless_copy_is_100(china):
    crop = china[:120, :160]
    assert file_score(crop, _png(crop)) == 100.0


def test_file_score_decodes_the_file_and_scores_it(china):
    crop = china[:120, :160]
    data = jpeg_bytes(crop)
    with Image.open(io.BytesIO(data)) as im:
        decoded = np.asarray(im.convert("RGB"))
    assert file_score(crop, data) == ssimulacra2(crop, decoded) < 100


def test_a_smaller_output_is_scaled_back_up_with_lanczos(china):
    crop = china[:120, :160]
    small = resize(crop, (80, 60))
    data = _png(small)
    assert decoded_at(crop, data).shape == crop.shape
    assert file_score(crop, data) == ssimulacra2(crop, resize(small, (160, 120)))
    assert file_score(crop, data) < file_score(crop, _png(crop))


def test_rgba_output_keeps_its_alpha_for_the_score(rgba_mixed):
    data = _png(rgba_mixed)
    assert decoded_at(rgba_mixed, data).shape == rgba_mixed.shape
    assert file_score(rgba_mixed, data) == 100.0
    q = quantize(rgba_mixed, 4)
    assert file_score(rgba_mixed, encode(q, "png")) < 100


def test_oklab_of_white_black_and_red():
    px = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0]]], np.uint8)
    lab = oklab(px)[0]
    np.testing.assert_allclose(lab[0], [1.0, 0.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(lab[1], [0.0, 0.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(lab[2], [0.62796, 0.22486, 0.12585], atol=1e-3)  # Ottosson's table


def test_delta_e_map_finds_the_changed_detail(china):
    crop = china[:64, :64].copy()
    dist = crop.copy()
    dist[40:48, 8:16] = (dist[40:48, 8:16] * 0.5).astype(np.uint8)
    err = delta_e_map(crop, dist)
    assert err.shape == (64, 64) and err.dtype == np.float32
    assert err[:40].max() == 0.0 and err[40:48, 8:16].min() > 1.0
    # the worst 16×16 block holds the 8×8 change: a quarter of its mean error
    assert worst_block(err) == pytest.approx(err[40:48, 8:16].sum() / 256, rel=1e-5)


def test_delta_e_map_with_alpha_is_the_worse_of_black_and_white():
    ref = np.zeros((8, 8, 4), np.uint8)
    ref[..., 3] = 255
    dist = ref.copy()
    dist[..., 3] = 128  # black turned half transparent: invisible on black, grey on white
    err = delta_e_map(ref, dist)
    grey = np.full((8, 8, 3), (255 * 127 + 127) // 255, np.uint8)
    np.testing.assert_allclose(err, delta_e_map(np.zeros((8, 8, 3), np.uint8), grey), rtol=1e-6)


def test_worst_block_counts_partial_edge_blocks_by_their_own_mean():
    err = np.zeros((20, 20), np.float32)
    err[16:, 16:] = 3.0
    assert worst_block(err) == pytest.approx(3.0)


def test_delta_e_map_refuses_different_sizes():
    with pytest.raises(ValueError, match="differ in size"):
        delta_e_map(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8))


def test_compress_json_has_the_ssimulacra2_of_the_written_file(tmp_path, china):
    src = tmp_path / "photo.jpg"
    src.write_bytes(jpeg_bytes(china[:200, :300]))
    out = tmp_path / "out.png"
    r = run("compress", src, "-k", "16", "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    original = load_image(src).pixels
    assert info["ssimulacra2"] == pytest.approx(file_score(original, out.read_bytes()), abs=1e-3)
    assert 0 < info["ssimulacra2"] < 90
    assert info["ssimulacra2_sampled"] is False


def test_compress_json_scores_a_downscaled_output_at_the_original_size(tmp_path, china):
    src = tmp_path / "photo.png"
    src.write_bytes(png_bytes(china[:200, :300]))
    out = tmp_path / "out.png"
    r = run("compress", src, "-k", "64", "--max-size", "150x", "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["width"] == 150
    assert info["ssimulacra2"] == pytest.approx(file_score(china[:200, :300], out.read_bytes()), abs=1e-3)
