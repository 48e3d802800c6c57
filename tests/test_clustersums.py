"""`clustersums.ClusterSums`: per-centre sums kept from the points that change centre."""

import numpy as np
import pytest

from kmeans_desktop.core import colorbins, kmeans
from kmeans_desktop.core.clustersums import ClusterSums


def _fresh(lab, w, x, k):
    return (np.bincount(lab, minlength=k), np.bincount(lab, weights=w, minlength=k),
            np.stack([np.bincount(lab, weights=w * x[:, d], minlength=k) for d in range(x.shape[1])], 1))


def test_sums_follow_moved_points_and_an_emptied_centre_is_exactly_empty():
    rng = np.random.default_rng(3)
    x, w, k = rng.uniform(0, 255, (5000, 3)), rng.uniform(0.4, 30, 5000), 12
    lab = rng.integers(0, k, len(x))
    lab[lab == 7] = 6  # centre 7 starts empty
    acc = ClusterSums(lab, w, [w * x[:, d] for d in range(3)], k)
    for step in range(6):
        which = rng.choice(len(x), 400, replace=False)
        new = rng.integers(0, k, len(which))
        if step == 3:  # empty centre 2: all its points leave
            which = np.union1d(which, np.flatnonzero(lab == 2))
            new = rng.integers(3, k, len(which))
        new[(new == 2) | (new == 7)] = 3  # neither empty centre gets points
        old = lab[which].copy()
        lab[which] = new
        acc.changed(old, new, which)
        count, sw, sums = _fresh(lab, w, x, k)
        np.testing.assert_array_equal(acc.count, count)
        np.testing.assert_allclose(acc.sw, sw, rtol=1e-12)
        np.testing.assert_allclose(acc.sums, sums, rtol=1e-12)
    assert acc.sw[2] == 0.0 and (acc.sums[2] == 0.0).all() and acc.sw[7] == 0.0
    keep = acc.count > 0
    acc.drop(keep)
    assert len(acc.sw) == keep.sum() == k - 2


@pytest.mark.parametrize("k", [16, 32, 200])
def test_polish_with_kept_sums_gives_the_labels_of_fresh_sums(k, monkeypatch):
    """Positive weights take the kept sums, a zero weight anywhere the fresh ones: same labels
    (the zero-weight point is far away and alone, so it changes nothing else)."""
    rng = np.random.default_rng(k)
    # 18,000 points: unbinned (a zero weight would make an empty bin)
    x = np.concatenate([rng.normal(m, 9, (1800, 3)) for m in rng.uniform(30, 220, (10, 3))])
    w = rng.uniform(1, 20, len(x))
    start = x[rng.choice(len(x), k, replace=False)]
    got = kmeans._lloyd(start.copy(), colorbins.Points(x, w, integer=False), max_iter=8)
    created = []
    monkeypatch.setattr(kmeans, "ClusterSums", lambda *a: created.append(1) or ClusterSums(*a))
    x0, w0 = np.concatenate([x, [[600.0, 600, 600]]]), np.concatenate([w, [0.0]])
    want = kmeans._lloyd(start.copy(), colorbins.Points(x0, w0, integer=False), max_iter=8)
    assert not created  # the fresh sums ran
    np.testing.assert_allclose(got, want[:len(got)], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(colorbins.assign(got, colorbins.Points(x, w)),
                                  colorbins.assign(want, colorbins.Points(x, w)))
