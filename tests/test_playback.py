"""core.playback: starts, Lloyd frames (error never increases, convergence), spaces, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmeans_desktop.core import playback as pb
from kmeans_desktop.core.colourspace import to_working


def photo_like(n: int = 4000, seed: int = 1) -> np.ndarray:
    """Colours in a few smeared blobs, like a photo's cloud (uint8 n×3)."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(20, 235, size=(6, 3))
    pts = centres[rng.integers(0, 6, n)] + rng.normal(0, 18, (n, 3))
    return np.clip(np.rint(pts), 0, 255).astype(np.uint8)


def frames_of(colors, k, method="kmeans++", seed=0, space="engine", max_iterations=pb.MAX_ITERATIONS):
    x = pb.to_cluster_space(colors, space)
    return list(pb.lloyd_frames(x, pb.start_centres(x, k, method, seed), max_iterations))


@pytest.mark.parametrize("method", list(pb.STARTS))
@pytest.mark.parametrize("space", list(pb.CLUSTER_SPACES))
def test_error_never_increases_and_run_converges(method, space):
    frames = frames_of(photo_like(), 12, method, seed=3, space=space)
    errors = [f.error for f in frames]
    assert all(b <= a for a, b in zip(errors, errors[1:])), errors
    assert errors[-1] < errors[0]  # it did something
    assert frames[-1].converged and frames[-1].changes == 0
    assert not any(f.converged for f in frames[:-1])
    assert [f.iteration for f in frames] == list(range(len(frames)))
    assert frames[0].changes == 4000


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(1, 9), n=st.integers(9, 200),
       method=st.sampled_from(list(pb.STARTS)), space=st.sampled_from(list(pb.CLUSTER_SPACES)),
       levels=st.integers(2, 256))
def test_error_never_increases_property(seed, k, n, method, space, levels):
    """Any colours (few levels: many ties and duplicates; many: generic), any start, any K."""
    rng = np.random.default_rng(seed)
    colors = (rng.integers(0, levels, (n, 3)) * (255 // max(1, levels - 1))).clip(0, 255).astype(np.uint8)
    if pb.distinct_count(colors) < k:
        with pytest.raises(ValueError, match="different colours"):
            pb.start_centres(pb.to_cluster_space(colors, space), k, method, seed)
        return
    frames = frames_of(colors, k, method, seed, space)
    errors = [f.error for f in frames]
    assert all(b <= a for a, b in zip(errors, errors[1:])), errors
    assert frames[-1].converged or frames[-1].iteration == pb.MAX_ITERATIONS


def test_error_is_the_squared_distance_to_unrounded_centres_in_the_clustered_space():
    colors = photo_like(500)
    frames = frames_of(colors, 5, space="engine")
    last = frames[-1]
    x = to_working(colors)
    expected = ((x - last.centres[last.labels]) ** 2).sum()
    assert last.error == pytest.approx(expected, rel=1e-12)
    # The centres are the clusters' means, not rounded to colours.
    for j in range(5):
        np.testing.assert_allclose(last.centres[j], x[last.labels == j].mean(axis=0), rtol=1e-9)
    assert np.any(last.centres != np.rint(last.centres))
    # Each point is in its nearest centre's cluster.
    d = ((x[:, None, :] - last.centres[None]) ** 2).sum(axis=2)
    assert np.all(d[np.arange(len(x)), last.labels] <= d.min(axis=1) + 1e-9)


def test_same_seed_same_run_and_other_seeds_other_minima():
    colors = photo_like(3000, seed=5)
    a = frames_of(colors, 16, "kmeans++", seed=7)
    b = frames_of(colors, 16, "kmeans++", seed=7)
    assert len(a) == len(b)
    np.testing.assert_array_equal(a[-1].centres, b[-1].centres)
    finals = {round(frames_of(colors, 16, "random", seed=s)[-1].error, 6) for s in range(6)}
    assert len(finals) > 1  # different starts end in different local minima


def test_starts_give_k_distinct_centres():
    colors = photo_like(2000)
    x = pb.to_cluster_space(colors, "rgb")
    for method in pb.STARTS:
        c = pb.start_centres(x, 10, method, seed=2)
        assert c.shape == (10, 3)
        assert len(np.unique(c, axis=0)) == 10
    # Random pixels and k-means++ pick points of the sample; median cut takes box means.
    rows = {tuple(p) for p in x}
    assert all(tuple(p) in rows for p in pb.start_centres(x, 10, "random", 4))
    assert all(tuple(p) in rows for p in pb.start_centres(x, 10, "kmeans++", 4))
    np.testing.assert_array_equal(pb.start_centres(x, 10, "median_cut", 1), pb.start_centres(x, 10, "median_cut", 9))


def test_k_equal_to_the_distinct_colours_works_and_converges_at_zero_error():
    colors = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]] * 50, np.uint8)
    for method in pb.STARTS:
        last = frames_of(colors, 4, method, seed=1)[-1]
        assert last.converged and last.error < 1e-12


def test_empty_cluster_centre_moves_to_a_far_point():
    # Start with one centre far from everything: its cluster is empty at once.
    x = pb.to_cluster_space(photo_like(300), "rgb")
    start = np.vstack([x[:3], [[1e4, 1e4, 1e4]]])
    frames = list(pb.lloyd_frames(x, start))
    assert np.all(np.bincount(frames[-1].labels, minlength=4) > 0)
    errors = [f.error for f in frames]
    assert all(b <= a for a, b in zip(errors, errors[1:]))


def test_max_iterations_stops_and_says_so():
    frames = frames_of(photo_like(3000, seed=2), 24, "random", seed=1, max_iterations=2)
    assert len(frames) <= 3
    if not frames[-1].converged:
        assert "Stopped after 2 iterations" in pb.describe_end(frames[-1], 2)
    done = frames_of(photo_like(300), 3)
    assert pb.describe_end(done[-1]).startswith(f"Converged after {done[-1].iteration} iteration")


def test_bad_input_is_one_sentence():
    assert "fully transparent" in pb.why_not_playable(0, 0, 8)
    text = pb.why_not_playable(100, 3, 8)
    assert "K = 8" in text and "3 different colours" in text and "K = 3 or less" in text
    assert pb.why_not_playable(100, 8, 8) is None
    with pytest.raises(ValueError, match="fully transparent"):
        pb.start_centres(np.zeros((0, 3)), 4)
    with pytest.raises(ValueError, match="unknown start"):
        pb.start_centres(pb.to_cluster_space(photo_like(50), "rgb"), 2, "nonsense")


@pytest.mark.parametrize("space", list(pb.DISPLAY_SPACES))
def test_display_positions_stay_in_the_box(space):
    grid = np.stack(np.meshgrid(*[np.arange(0, 256, 15)] * 3, indexing="ij"), -1).reshape(-1, 3).astype(np.uint8)
    p = pb.display_positions(grid, space)
    assert p.dtype == np.float32 and p.shape == grid.shape
    assert np.all(np.abs(p) <= 0.5 + 1e-5)
    # Float input (unrounded centres) lands where the rounded colour does.
    np.testing.assert_allclose(pb.display_positions(grid.astype(np.float64), space), p, atol=1e-5)


def test_display_spaces_put_lightness_or_value_up():
    black, white, red = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0]], np.uint8)
    for space in ("oklab", "hsv"):
        p = pb.display_positions(np.array([black, white, red]), space)
        assert p[0, 2] == pytest.approx(-0.5, abs=1e-3) and p[1, 2] == pytest.approx(0.5, abs=1e-3)
        assert abs(p[1, 0]) < 1e-3 and abs(p[1, 1]) < 1e-3  # white on the axis
        assert np.hypot(p[2, 0], p[2, 1]) > 0.3  # red far from it
    np.testing.assert_allclose(pb.display_positions(np.array([red]), "rgb"), [[0.5, -0.5, -0.5]])


def test_recolour_maps_pixels_to_nearest_centre():
    img = np.zeros((4, 5, 3), np.uint8)
    img[:, :2] = (250, 10, 10)
    img[:, 2:] = (10, 10, 240)
    centres = pb.to_cluster_space(np.array([[255, 0, 0], [0, 0, 255]], np.float64), "engine")
    palette, idx = pb.recolour(img, centres, "engine")
    assert palette.tolist() == [[255, 0, 0], [0, 0, 255]]
    assert idx.shape == (4, 5) and (idx[:, :2] == 0).all() and (idx[:, 2:] == 1).all()


@pytest.mark.parametrize("space", ["engine", "rgb"])
@pytest.mark.parametrize("k", [3, 40, 90])
def test_prepared_recolour_gives_the_same_picture(space, k):
    """Follow in preview's per-frame recolouring (prepared once, float32 below 65 centres, the k-d
    tree above) gives `recolour`'s picture; only a pixel all but equally near two centres may differ."""
    rng = np.random.default_rng(k)
    img = photo_like(60 * 70).reshape(60, 70, 3)
    img[::7] = rng.integers(0, 256, (len(img[::7]), 70, 3), dtype=np.uint8)  # some rows of noise
    centres = pb.start_centres(pb.to_cluster_space(img.reshape(-1, 3), space), k, "kmeans++", 1)
    prepared = pb.picture_colours(img, space)
    for _ in range(2):  # prepared once, used for more than one frame
        palette, idx = pb.recolour(img, centres, space)
        palette2, idx2 = pb.recolour_prepared(prepared, centres)
        assert palette2.tolist() == palette.tolist() and idx2.shape == idx.shape and idx2.dtype == np.uint8
        differ = idx2 != idx
        assert differ.mean() < 0.002
        if differ.any():  # a tie: both centres as near, to float32 precision
            x = pb.to_cluster_space(img[differ], space)
            d1 = ((x - centres[idx[differ]]) ** 2).sum(axis=1)
            d2 = ((x - centres[idx2[differ]]) ** 2).sum(axis=1)
            np.testing.assert_allclose(d1, d2, rtol=1e-3, atol=1e-2)
        centres = centres + 0.5


def test_run_to_end():
    colors = photo_like(800)
    x = pb.to_cluster_space(colors, "engine")
    last, errors = pb.run_to_end(x, 6, "median_cut", 0)
    assert last.converged and errors[-1] == last.error and len(errors) == last.iteration + 1


def test_help_pictures_are_drawn_from_the_photo():
    from kmeans_desktop.core.help_pictures import make_help_pictures

    rng = np.random.default_rng(0)
    photo = np.clip(rng.normal(120, 50, (90, 120, 3)), 0, 255).astype(np.uint8)
    hp = make_help_pictures(photo)
    for name in ("assignment", "update", "k_strip", "bytes_chart", "dithering"):
        a = getattr(hp, name)
        assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3 and a.shape[0] > 50
        assert len(np.unique(a.reshape(-1, 3), axis=0)) > 5  # something is drawn
    assert hp.ks == (2, 4, 16, 64, 256)
    assert all(b > a for a, b in zip(hp.png_bytes, hp.png_bytes[1:]))  # more colours cost bytes
    np.testing.assert_array_equal(make_help_pictures(photo).update, hp.update)
