"""The compare view, the palette strip and the stats panel on their own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from kmeans_desktop.gui.render import pyramid_from_pixels
from kmeans_desktop.gui.widgets.compare_view import CompareView
from kmeans_desktop.gui.widgets.palette_strip import PaletteStrip, hex_color, share_text, swatch_edges
from kmeans_desktop.gui.widgets.stats_panel import StatsPanel, human_bytes, ratio_text

pytestmark = pytest.mark.timeout(60)


def solid(w, h, rgb):
    img = np.zeros((h, w, 3), np.uint8)
    img[...] = rgb
    return img


@pytest.fixture
def view(qtbot):
    v = CompareView()
    qtbot.addWidget(v)
    v.resize(400, 300)
    v.show()
    qtbot.waitExposed(v)
    return v


def colour_at(widget, x, y):
    c = widget.grab().toImage().pixelColor(x, y)
    return (c.red(), c.green(), c.blue())


# -- compare view -----------------------------------------------------------------------------


def test_before_left_of_the_divider_after_right_of_it(view):
    view.set_image(pyramid_from_pixels(solid(400, 300, (200, 0, 0))))
    view.set_result(pyramid_from_pixels(solid(400, 300, (0, 0, 200))), "K = 2")
    assert view.is_fit() and view.scale() == pytest.approx(1.0)
    assert colour_at(view, 100, 250) == (200, 0, 0)
    assert colour_at(view, 300, 250) == (0, 0, 200)
    view.set_split(0.9)
    assert colour_at(view, 300, 250) == (200, 0, 0)
    view.set_split(0.1)
    assert colour_at(view, 100, 250) == (0, 0, 200)


def test_dragging_the_divider_moves_it(view, qtbot):
    view.set_image(pyramid_from_pixels(solid(400, 300, (10, 10, 10))))
    x = round(view.split_x())
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(x, 40))
    qtbot.mouseMove(view, QPoint(300, 40))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 40))
    assert view.split() == pytest.approx(300 / view.width(), abs=0.01)


def test_zoomed_in_shows_exact_pixels_and_both_sides_stay_in_sync(view):
    checker = np.zeros((30, 40, 3), np.uint8)
    checker[::2, ::2] = checker[1::2, 1::2] = 255
    view.set_image(pyramid_from_pixels(checker))
    view.set_result(pyramid_from_pixels(255 - checker))
    view.actual_size()
    view.zoom_by(8.0)
    assert view.scale() == pytest.approx(8.0)
    img = view.grab().toImage()
    rect = view.image_rect()  # 320×240 in the middle of the view
    assert (rect.width(), rect.height()) == (320, 240)
    xs = range(int(rect.left()) + 1, int(view.split_x()) - 20, 3)  # clear of the divider's handle
    ys = range(60, int(rect.bottom()) - 1, 3)  # below the side labels
    colours = {img.pixelColor(x, y).red() for x in xs for y in ys}
    assert colours == {0, 255}  # nearest neighbour: no blended pixels
    # The same image point on both sides of the divider: the result is the inverse there.
    p = view.widget_to_image(QPointF(150, 150))
    q = view.widget_to_image(QPointF(250, 150))
    assert p.y() == q.y() and q.x() - p.x() == pytest.approx(100 / 8.0)
    left, right = img.pixelColor(150, 150).red(), img.pixelColor(250, 150).red()
    assert left in (0, 255) and right in (0, 255)
    parity = (int(p.x()) + int(p.y())) % 2, (int(q.x()) + int(q.y())) % 2
    assert (left == 255) == (parity[0] == 0)  # the original's pixel at that point
    assert (right == 255) == (parity[1] == 1)  # the inverted result's pixel at that point


def test_pan_moves_both_sides_and_stays_inside_the_image(view, qtbot):
    view.set_image(pyramid_from_pixels(solid(1600, 1200, (0, 90, 0))))
    view.actual_size()
    before = view.widget_to_image(QPointF(50, 50))
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    qtbot.mouseMove(view, QPoint(90, 80))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(90, 80))
    after = view.widget_to_image(QPointF(50, 50))
    assert (before - after).x() == pytest.approx(40) and (before - after).y() == pytest.approx(30)
    for _ in range(5):  # far beyond the edge: clamped
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
        qtbot.mouseMove(view, QPoint(390, 290))
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(390, 290))
    rect = view.image_rect()
    assert rect.left() == pytest.approx(0) and rect.top() == pytest.approx(0)


def test_wheel_zooms_around_the_cursor(view):
    view.set_image(pyramid_from_pixels(solid(1600, 1200, (0, 0, 90))))
    anchor = QPointF(120, 90)
    before = view.widget_to_image(anchor)
    event = QWheelEvent(anchor, view.mapToGlobal(anchor), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, event)
    assert view.scale() > view.fit_scale() and not view.is_fit()
    after = view.widget_to_image(anchor)
    assert after.x() == pytest.approx(before.x(), abs=1e-6) and after.y() == pytest.approx(before.y(), abs=1e-6)


def test_double_click_toggles_fit_and_actual_size(view, qtbot):
    view.set_image(pyramid_from_pixels(solid(1600, 1200, (0, 0, 90))))
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(60, 60))
    assert view.scale() == pytest.approx(1.0)
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(60, 60))
    assert view.is_fit()


def test_resize_keeps_fit(view, qtbot):
    view.set_image(pyramid_from_pixels(solid(1600, 1200, (1, 2, 3))))
    assert view.scale() == pytest.approx(0.25)
    view.resize(800, 600)
    assert view.scale() == pytest.approx(0.5) and view.is_fit()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(factor=st.floats(1.01, 6.0), x=st.floats(0, 399), y=st.floats(0, 299), start=st.floats(0.3, 2.0))
def test_zooming_in_keeps_the_point_under_the_cursor(qapp, factor, x, y, start):
    v = CompareView()
    v.resize(400, 300)
    v.set_image(pyramid_from_pixels(solid(2000, 1500, (5, 5, 5))))
    v.actual_size()
    v.zoom_by(start)
    anchor = QPointF(x, y)
    before = v.widget_to_image(anchor)
    v.zoom_by(factor, anchor)
    after = v.widget_to_image(anchor)
    assert after.x() == pytest.approx(before.x(), abs=1e-6)
    assert after.y() == pytest.approx(before.y(), abs=1e-6)
    v.deleteLater()


# -- palette strip ----------------------------------------------------------------------------------


@given(counts=st.lists(st.integers(0, 10**7), min_size=1, max_size=256), width=st.integers(1, 3000))
def test_swatch_edges_cover_the_strip_in_order(counts, width):
    edges = swatch_edges(np.array(counts), width)
    assert edges[0] == 0 and edges[-1] == width and len(edges) == len(counts) + 1
    assert np.all(np.diff(edges) >= 0)
    if len(counts) * 3 < width and sum(counts) > 0:
        assert np.all(np.diff(edges) >= 2)  # every colour stays visible
        big = int(np.argmax(counts))
        assert np.diff(edges)[big] >= np.diff(edges).max() - 1  # widths follow the counts (±1 px rounding)


def test_palette_strip_tooltips_and_hit_testing(qtbot):
    strip = PaletteStrip()
    qtbot.addWidget(strip)
    strip.resize(402, 40)
    strip.show()
    palette = np.array([[255, 0, 0], [0, 128, 255], [16, 16, 16]], np.uint8)
    counts = np.array([600, 300, 100])
    strip.set_palette(palette, counts)
    assert strip.objectName() == "paletteView" and strip.count() == 3
    edges = strip.edges()
    assert [strip.swatch_at(x) for x in (edges[0] + 1, edges[1] + 1, edges[3] - 2)] == [0, 1, 2]
    assert strip.tooltip_for(0) == "#FF0000 — 60.00% of the pixels (600)"
    assert strip.tooltip_for(1).startswith("#0080FF — 30.00%")
    widths = np.diff(edges)
    assert widths[0] > widths[1] > widths[2]
    img = strip.grab().toImage()
    c = img.pixelColor(int(edges[0] + 3), 5)
    assert (c.red(), c.green(), c.blue()) == (255, 0, 0)


def test_colour_texts():
    assert hex_color(np.array([1, 2, 255])) == "#0102FF"
    assert hex_color(np.array([1, 2, 3, 128])) == "#010203 (alpha 128)"
    assert share_text(0.5) == "50%" and share_text(0.012) == "1.2%" and share_text(0.0001) == "<0.1%"


# -- stats -------------------------------------------------------------------------------------------


def test_stats_texts():
    assert human_bytes(999) == "999 bytes"
    assert human_bytes(29_162) == "29.2 kB"
    assert human_bytes(651_298) == "651 kB"
    assert human_bytes(2_021_418) == "2.0 MB"
    assert ratio_text(20, 100) == "20% of the original (100 bytes)"
    assert ratio_text(455_000, 100_000) == "4.55× the original (100 kB)"


def test_stats_panel_shows_bytes_and_ratio(qtbot):
    panel = StatsPanel()
    qtbot.addWidget(panel)
    panel.set_image("x.jpg", 640, 427, 62_941, 143_000, "JPEG")
    assert panel.value_text("dimensions") == "640 × 427 px (0.3 MP)"
    panel.set_result(62_941, 16, 29.56, 0.05, final=True)
    assert panel.value_text("colors") == "62,941 → 16"
    assert panel.value_text("bytes") == "encoding…" and panel.bytes_shown is None
    panel.set_encoded(29_162, 0.07)
    assert panel.bytes_shown == 29_162
    assert panel.value_text("bytes") == "29,162 bytes (29.2 kB)"
    assert panel.value_text("ratio") == "20% of the original (143 kB)"
    assert panel.value_text("psnr") == "29.56 dB"
    assert panel.value_text("time") == "50 ms + encoding 70 ms"
    panel.set_result(62_941, 62_941, float("inf"), 1.5, final=True)
    assert panel.value_text("psnr").startswith("lossless")
