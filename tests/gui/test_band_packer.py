"""The helper process packs a large PNG's bands of rows in a second process at once (issue 13)."""

from __future__ import annotations

import numpy as np

from kmeans_desktop.core import quantize
from kmeans_desktop.core.encoding import band_bounds, pack_band
from kmeans_desktop.gui.helper import BandPacker


def test_bands_are_packed_in_a_second_process_and_here_when_it_is_gone(china):
    q = quantize(china[:300, :200], 32)
    b = band_bounds(q.indices, 3)
    jobs = [(np.ascontiguousarray(q.indices[lo:hi]), q.palette, ("Entropy",), 8, False) for lo, hi in zip(b, b[1:])]
    expected = [pack_band(*job) for job in jobs]
    packer = BandPacker()
    try:
        assert packer(jobs) == expected
        assert packer.packed_there == 2  # all but the first band
        packer._proc.kill()
        packer._proc.wait()
        assert packer(jobs) == expected  # the same bytes, packed here
        assert packer.packed_there == 2
    finally:
        packer.close()
    assert packer._proc is None
