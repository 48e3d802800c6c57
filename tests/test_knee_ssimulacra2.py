"""The K curve's knee in SSIMULACRA2 points per doubling (core.sampling.knee_k_ssimulacra2)."""

from __future__ import annotations

import math

from kmeans_desktop.core.sampling import KNEE_GAIN_S2, knee_k_ssimulacra2

KS = (2, 4, 8, 16, 32, 64, 128, 256)


def test_knee_on_measured_photo_curves():
    assert knee_k_ssimulacra2(KS, [-64.2, -35.9, -4.8, 17.4, 33.5, 50.7, 62.6, 72.7]) == 64  # china.jpg
    assert knee_k_ssimulacra2(KS, [-68.2, -62.5, -49.7, -17.2, 0.7, 29.9, 51.0, 61.6]) == 128  # flower.jpg
    assert knee_k_ssimulacra2(KS, [-64.1, 14.8, 53.4, 74.3, 85.1, 87.8, 91.6, 92.7]) == 16  # tank


def test_no_knee_while_the_last_doubling_still_pays():
    assert knee_k_ssimulacra2(KS, [-68.1, -65.4, -63.9, -57.1, -43.1, -21.9, -1.1, 25.8]) is None


def test_doublings_from_visually_lossless_do_not_count():
    # gains of 15 and 20 points from 90 and up are invisible: the knee is where 90 is reached
    assert knee_k_ssimulacra2(KS, [10, 40, 70, 90, 93, 96, 98, 100]) == 16
    assert knee_k_ssimulacra2(KS, [10, 40, 70, 89.9, 93, 96, 98, 100]) == 16  # 89.9 -> 93 gains 3


def test_the_gain_threshold_is_inclusive_and_order_free():
    curve = [0, 30, 60, 60 + KNEE_GAIN_S2, 60 + KNEE_GAIN_S2 + 1, 60 + KNEE_GAIN_S2 + 2, 75, 76]
    assert knee_k_ssimulacra2(KS, curve) == 16
    assert knee_k_ssimulacra2(KS[::-1], curve[::-1]) == 16


def test_missing_scores_give_no_knee():
    assert knee_k_ssimulacra2(KS, [math.nan] * 8) is None
    assert knee_k_ssimulacra2([16], [50.0]) is None
