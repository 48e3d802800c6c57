"""Whole-image table look-ups (core/lookup.py): the same values as numpy's indexing."""

from __future__ import annotations

import numpy as np
import pytest

from kmeans_desktop.core import lookup


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (7, 4), (300, 257), (2, 40_001)])
@pytest.mark.parametrize("n", [1, 13, 256])
def test_two_entries_a_look_up_give_each_pixel_its_own_entry(shape, n):
    # Pairs of uint8 indices read as one uint16: the pixel order (first index in the low half) and
    # an odd pixel count, one left over, must come out as table[index] does.
    rng = np.random.default_rng(n + shape[1])
    table = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)
    index = rng.integers(0, n, shape).astype(np.uint8)
    out = np.empty(shape, np.uint32)
    lookup.gather_pairs(lookup.pair_table(table), index, out)
    np.testing.assert_array_equal(out, table[index])
    big = np.concatenate([index, index[::-1]])  # rows of a larger array, as the picture's bands are
    dst = np.empty(big.shape, np.uint32)
    lookup.gather_pairs(lookup.pair_table(table), big[shape[0]:], dst[shape[0]:])
    np.testing.assert_array_equal(dst[shape[0]:], table[index[::-1]])


def test_gather_chunks_give_numpys_answer(monkeypatch):
    monkeypatch.setattr(lookup, "CHUNK", 7)
    rng = np.random.default_rng(1)
    table = rng.integers(0, 255, 50).astype(np.uint8)
    index = rng.integers(0, 50, (9, 11)).astype(np.int32)
    np.testing.assert_array_equal(lookup.gather(table, index), table[index])
