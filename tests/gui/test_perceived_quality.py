"""SSIMULACRA2 in the window: the stats (with words), the difference map toggle in the compare
view (objectName diffMapToggle), and the K curve drawn in SSIMULACRA2 with PSNR on request."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QCheckBox, QLabel, QToolButton, QWidget

from kmeans_desktop.core import load_image
from kmeans_desktop.core.metrics import ssimulacra2
from kmeans_desktop.core.sampling import knee_k_ssimulacra2
from kmeans_desktop.gui import quality as quality_module
from kmeans_desktop.gui.analysis import CURVE_KS
from kmeans_desktop.gui.widgets.stats_panel import quality_word

from .conftest import runs_until_cancelled


@pytest.mark.parametrize("score, word", [(100, "visually lossless"), (90, "visually lossless"), (89.9, "high"),
                                         (70, "high"), (50, "medium"), (30, "low"), (29.9, "poor"), (-40, "poor")])
def test_quality_words(score, word):
    assert quality_word(score) == word


def _stat(window) -> QLabel:
    return window.findChild(QLabel, "stat_ssimulacra2")


def test_stats_show_ssimulacra2_beside_psnr_with_words(opened, qtbot):
    w = opened
    label = _stat(w)
    qtbot.waitUntil(lambda: "·" in label.text(), timeout=20_000)
    q = w.current_preview().quantized
    src = load_image(w.current_image().path).pixels
    expected = ssimulacra2(src, q.to_array())
    assert label.text() == f"{expected:.1f} · {quality_word(expected)}"
    assert "SSIMULACRA2" in label.toolTip() and "visually lossless" in label.toolTip()
    assert w.stats.caption_text("ssimulacra2") == "SSIMULACRA2"
    assert w.stats.value_text("psnr").endswith("dB")


def test_quality_is_measured_off_the_gui_thread_and_cached(opened, qtbot, monkeypatch):
    w = opened
    threads = []
    real = quality_module.measure_quality

    def spy(*args):
        threads.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(quality_module, "measure_quality", spy)
    label = _stat(w)
    k0 = w.k()
    with qtbot.waitSignal(w.previewReady, timeout=20_000):
        w.k_slider.setValue(5)
    qtbot.waitUntil(lambda: "·" in label.text(), timeout=20_000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    first = label.text()
    with qtbot.waitSignal(w.previewReady, timeout=20_000):
        w.k_slider.setValue(k0)
    qtbot.waitUntil(lambda: "·" in label.text(), timeout=20_000)
    started = w.quality.started
    with qtbot.waitSignal(w.previewReady, timeout=20_000):
        w.k_slider.setValue(5)
    assert label.text() == first  # from the cache, at once
    assert w.quality.started == started


def test_a_score_still_running_stops_when_another_result_is_wanted(opened, qtbot, monkeypatch):
    """A score that still runs when K changes stops at its next checkpoint, with no failure shown
    (else it shares the cores with the next final preview: about a second of one core at 9 MP), and
    the new result is measured once it is on screen."""
    w = opened
    label = _stat(w)
    qtbot.waitUntil(lambda: "·" in label.text(), timeout=20_000)
    real, began = quality_module.measure_quality, threading.Event()
    monkeypatch.setattr(quality_module, "measure_quality", runs_until_cancelled(began))
    with qtbot.waitSignal(w.previewReady, timeout=20_000):
        w.k_slider.setValue(5)
    qtbot.waitUntil(began.is_set, timeout=20_000)
    job = w.scheduler.lane("quality").running
    assert job is not None and not job.done.is_set()
    monkeypatch.setattr(quality_module, "measure_quality", real)
    with qtbot.waitSignal(w.previewReady, timeout=20_000):
        w.k_slider.setValue(7)
    qtbot.waitUntil(job.done.is_set, timeout=20_000)
    assert job.stopped
    qtbot.waitUntil(lambda: "·" in label.text(), timeout=20_000)
    src = load_image(w.current_image().path).pixels
    expected = ssimulacra2(src, w.current_preview().quantized.to_array())
    assert w.current_preview().k == 7 and label.text() == f"{expected:.1f} · {quality_word(expected)}"


def test_difference_map_toggle_shows_the_map_with_its_scale(opened, qtbot):
    w = opened
    view = w.compare_view
    toggle = w.findChild(QToolButton, "diffMapToggle")
    assert toggle is not None and toggle.isVisible() and toggle.isCheckable()
    assert not view.showing_diff_map()
    before = view.grab().toImage()
    toggle.click()
    qtbot.waitUntil(view.showing_diff_map, timeout=20_000)
    after = view.grab().toImage()
    x, y = int(view.width() * 0.75), int(view.height() * 0.5)  # the right side: the result, then the map
    assert before.pixelColor(x, y) != after.pixelColor(x, y)
    xl = int(view.width() * 0.25)  # the left side keeps the original
    assert before.pixelColor(xl, y) == after.pixelColor(xl, y)
    # the colour scale in the bottom right corner
    corner = after.pixelColor(view.width() - 30, view.height() - 40)
    assert corner != before.pixelColor(view.width() - 30, view.height() - 40)
    toggle.click()
    assert not view.showing_diff_map()


def test_difference_map_follows_k(opened, qtbot):
    w = opened
    view = w.compare_view
    w.findChild(QToolButton, "diffMapToggle").click()
    qtbot.waitUntil(view.showing_diff_map, timeout=20_000)
    first = view._diff
    with qtbot.waitSignal(w.previewReady, timeout=20_000):
        w.k_slider.setValue(3)
    qtbot.waitUntil(lambda: view.showing_diff_map() and view._diff is not first, timeout=20_000)


def test_difference_map_is_black_where_nothing_changed(qtbot, window, tmp_path):
    from PIL import Image

    flat = np.zeros((40, 60, 3), np.uint8)
    flat[:, 30:] = (200, 30, 30)  # two colours: K = 2 reproduces them exactly
    path = tmp_path / "two.png"
    Image.fromarray(flat).save(path)
    window.k_slider.setValue(2)
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(path)
    qtbot.waitUntil(lambda: "·" in _stat(window).text(), timeout=20_000)
    assert _stat(window).text() == "100.0 · visually lossless"


def test_k_curve_draws_ssimulacra2_and_psnr_on_request(window, qtbot, make_image):
    window.k_slider.setValue(8)
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(make_image("curve.png", 96, 64))
    panels = window.colour_space
    curve = panels.curve
    qtbot.waitUntil(panels.analysis.curve_complete, timeout=60_000)
    scores = curve.scores()
    assert set(CURVE_KS) <= set(scores)
    src = load_image(window.current_image().path).pixels
    from kmeans_desktop.core import quantize

    assert scores[16] == pytest.approx(ssimulacra2(src, quantize(src, 16).to_array()), abs=1e-6)
    assert curve.knee() == knee_k_ssimulacra2(CURVE_KS, [scores[k] for k in CURVE_KS])
    axis = curve.plot.getPlotItem().getAxis("left")
    assert "SSIMULACRA2" in axis.labelText
    y_s2 = [curve.point_position(k).y() for k in CURVE_KS]
    toggle = curve.findChild(QCheckBox, "kCurvePsnrToggle")
    assert toggle is not None and not toggle.isChecked()
    toggle.click()
    assert curve.showing_psnr() and "PSNR" in axis.labelText
    assert [curve.point_position(k).y() for k in CURVE_KS] != y_s2  # one point may land on the same row
    assert "SSIMULACRA2" in curve.status.text() or "Knee" in curve.status.text() or "knee" in curve.status.text()


def test_large_images_say_the_score_is_sampled(qtbot):
    from kmeans_desktop.gui.widgets.stats_panel import StatsPanel

    panel = StatsPanel()
    qtbot.addWidget(panel)
    panel.set_quality(71.26, sampled=True)
    assert panel.value_text("ssimulacra2") == "≈ 71.3 · high (estimated)"
    assert "sampled" in panel.findChild(QWidget, "stat_ssimulacra2").toolTip()


def test_k_curve_axes_show_no_numbers_until_they_have_points(qtbot):
    """An empty curve's axes said "1 bytes" and "0"; numbers come with the first point on each."""
    from kmeans_desktop.core.kcurve import CurvePoint
    from kmeans_desktop.gui.widgets.k_curve import KCurveView

    view = KCurveView()
    qtbot.addWidget(view)
    item = view.plot.getPlotItem()

    def shown(side):
        return item.getAxis(side).style["showValues"]

    view.start(1, False, "")
    assert not shown("left") and not shown("right")
    view.add_point(CurvePoint(1, 16, False, 30.0, None, False, 0.1, ssimulacra2=40.0))
    view._redraw()
    assert shown("left") and not shown("right")  # its size is still being encoded
    view.add_point(CurvePoint(1, 16, False, 30.0, 12_345, False, 0.2, ssimulacra2=40.0))
    view._redraw()
    assert shown("left") and shown("right")
    view.clear()
    assert not shown("left") and not shown("right")
