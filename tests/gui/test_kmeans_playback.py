"""Watching k-means in the colour-space dock: Play / Step / Reset, starts and seeds, runs, spaces,
follow in preview, the 2-D fallback, bad input, and Help ▸ What is k-means?"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QCheckBox, QComboBox, QListWidget, QPushButton, QSlider, QSpinBox

from kmeans_desktop.gui.playback import PLAYBACK_LABEL, follow_level


def control(window, cls, name):
    widget = window.findChild(cls, name)
    assert widget is not None, name
    return widget


@pytest.fixture
def sampled(opened, qtbot):
    """The opened window with its cloud sampled, K = 5, fastest playback."""
    qtbot.waitUntil(lambda: opened.colour_space.analysis.sample is not None, timeout=20_000)
    if opened.k() != 5:
        with qtbot.waitSignal(opened.previewReady, timeout=20_000):
            opened.k_slider.setValue(5)
    control(opened, QSlider, "kmeansSpeed").setValue(30)
    return opened


def play_to_end(window, qtbot) -> list[int]:
    shown: list[int] = []
    window.iterationShown.connect(shown.append)
    player = window.colour_space.player
    assert window.play_kmeans()
    qtbot.waitUntil(lambda: bool(shown) and not player.is_playing(), timeout=60_000)
    window.iterationShown.disconnect(shown.append)
    return shown


def test_play_runs_lloyd_to_convergence_and_the_error_never_increases(sampled, qtbot):
    player = sampled.colour_space.player
    shown = play_to_end(sampled, qtbot)
    assert shown == list(range(len(shown)))  # every iteration, in order, from the start
    errors = player.errors()
    assert len(errors) == len(shown) >= 2
    assert all(b <= a for a, b in zip(errors, errors[1:])), errors
    np.testing.assert_array_equal(sampled.colour_space.kmeans_controls.plot.errors(), errors)  # the plot shows them
    last = player.shown()
    assert last.converged and last.changes == 0
    status = control(sampled, type(sampled.colour_space.kmeans_controls.status), "kmeansStatus").text()
    n = shown[-1]
    assert status.startswith(f"Converged after {n} iteration")
    # The cloud shows the run: points in their centre's colour, K centroids at the unrounded centres.
    cloud = sampled.colour_space.cloud
    assert cloud.playing
    if cloud.is_3d:
        np.testing.assert_array_equal(cloud.view.point_colors(), last.point_rgba)
        assert len(cloud.view.centroid_colors()) == 5


def test_follow_in_preview_recolours_but_never_touches_the_result(sampled, qtbot):
    palette = sampled.current_palette().copy()
    ready: list[int] = []
    sampled.previewReady.connect(ready.append)
    control(sampled, QCheckBox, "kmeansFollowPreview").setChecked(True)
    view = sampled.compare_view
    label = view.result_label()
    shown: list[int] = []
    sampled.iterationShown.connect(shown.append)
    assert sampled.play_kmeans()
    qtbot.waitUntil(lambda: PLAYBACK_LABEL in view._after_label, timeout=30_000)
    qtbot.waitUntil(lambda: not sampled.colour_space.player.is_playing(), timeout=60_000)
    assert view._after is not sampled.current_preview().pyramid
    # The picture is the image's preview-size level, in the run's K colours.
    picture = view._after.levels[0].convertToFormat(QImage.Format.Format_RGB32)
    assert picture.size() == follow_level(sampled.current_image().pyramid).size()
    assert view._after.size == sampled.current_image().pyramid.size
    pixels = np.frombuffer(picture.constBits(), np.uint32, count=picture.sizeInBytes() // 4)
    assert len(np.unique(pixels.reshape(picture.height(), -1)[:, :picture.width()])) <= 5
    assert ready == []
    np.testing.assert_array_equal(sampled.current_palette(), palette)
    control(sampled, QPushButton, "resetKMeans").click()
    assert view._after is sampled.current_preview().pyramid and view.result_label() == label
    assert not sampled.colour_space.cloud.playing
    assert ready == []


def test_step_shows_one_iteration_at_a_time_and_reset_goes_back(sampled, qtbot):
    step = control(sampled, QPushButton, "stepKMeans")
    for expected in (0, 1, 2):
        with qtbot.waitSignal(sampled.iterationShown, timeout=20_000) as blocker:
            step.click()
        assert blocker.args == [expected]
    assert not sampled.colour_space.player.is_playing()
    control(sampled, QPushButton, "resetKMeans").click()
    assert sampled.colour_space.player.errors() == []
    with qtbot.waitSignal(sampled.iterationShown, timeout=20_000) as blocker:
        step.click()
    assert blocker.args == [0]


def test_play_button_pauses_and_resumes(sampled, qtbot):
    play = control(sampled, QPushButton, "playKMeans")
    control(sampled, QSlider, "kmeansSpeed").setValue(2)
    with qtbot.waitSignal(sampled.iterationShown, timeout=20_000):
        play.click()
    assert play.text() == "Pause"
    play.click()
    assert play.text() == "Play" and not sampled.colour_space.player.is_playing()


def test_starts_seeds_and_run_again_list_runs_with_error_and_ssimulacra2(sampled, qtbot):
    player = sampled.colour_space.player
    start = control(sampled, QComboBox, "kmeansStart")
    assert [start.itemData(i) for i in range(start.count())] == ["kmeans++", "random", "median_cut"]
    start.setCurrentIndex(1)
    control(sampled, QSpinBox, "kmeansSeed").setValue(3)
    play_to_end(sampled, qtbot)
    again = control(sampled, QPushButton, "kmeansRunAgain")
    again.click()
    qtbot.waitUntil(lambda: len(player.runs()) == 2, timeout=60_000)
    runs = player.runs()
    assert [(r.start, r.seed) for r in runs] == [("random", 3), ("random", 4)]
    assert control(sampled, QSpinBox, "kmeansSeed").value() == 4
    assert all(r.score is not None and -100 < r.score <= 100 for r in runs)
    rows = control(sampled, QListWidget, "kmeansRuns")
    assert rows.count() == 2
    texts = [rows.item(i).text() for i in range(2)]
    assert all("error" in t and "SSIMULACRA2" in t for t in texts)
    assert texts[0].startswith(f"#{min(runs, key=lambda r: r.error).number} ")  # lowest error first


def test_clustering_space_can_be_rgb_or_the_engines(sampled, qtbot):
    space = control(sampled, QComboBox, "kmeansSpace")
    assert space.currentData() == "engine"
    space.setCurrentIndex([space.itemData(i) for i in range(space.count())].index("rgb"))
    assert sampled.colour_space.player.space == "rgb"
    shown = play_to_end(sampled, qtbot)
    errors = sampled.colour_space.player.errors()
    assert len(shown) >= 2 and all(b <= a for a, b in zip(errors, errors[1:]))


@pytest.mark.parametrize("space", ["oklab", "hsv"])
def test_cloud_can_be_shown_in_oklab_and_hsv(sampled, qtbot, space):
    cloud = sampled.colour_space.cloud
    combo = control(sampled, QComboBox, "cloudSpace")
    combo.setCurrentIndex([combo.itemData(i) for i in range(combo.count())].index(space))
    assert cloud.space == space
    pos = cloud.positions()
    assert pos.shape == cloud.sample.positions.shape and not np.allclose(pos, cloud.sample.positions)
    if cloud.is_3d:
        np.testing.assert_array_equal(cloud.view.points.pos, pos)
    assert play_to_end(sampled, qtbot)


def test_the_2d_fallback_plays_too(sampled, qtbot):
    from kmeans_desktop.gui.widgets.flat_cloud import FlatCloudView

    cloud = sampled.colour_space.cloud
    cloud.set_flat(True)
    assert isinstance(cloud.view, FlatCloudView)
    shown = play_to_end(sampled, qtbot)
    assert shown[-1] >= 1
    qtbot.waitUntil(lambda: not cloud.view.is_drawing(), timeout=10_000)
    last = sampled.colour_space.player.shown()
    centroids = cloud.view.centroid_items[0]
    assert len(centroids.data) == len(last.centre_rgb)
    raster = cloud.view.raster_items[0]
    assert raster.isVisible() and not cloud.view.point_items[0].isVisible()
    assert len(np.unique(raster.image.reshape(-1, 4), axis=0)) >= len(last.centre_rgb)  # cluster colours (+ empty)
    control(sampled, QPushButton, "resetKMeans").click()
    assert not raster.isVisible() and cloud.view.point_items[0].isVisible()


def test_k_above_the_samples_colours_disables_the_controls_and_says_why(window, qtbot, tmp_path):
    pixels = np.zeros((30, 30, 3), np.uint8)
    pixels[:, 10:20] = (200, 30, 30)
    pixels[:, 20:] = (30, 30, 200)
    path = tmp_path / "three.png"
    Image.fromarray(pixels).save(path)
    window.k_slider.setValue(8)
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(path)
    qtbot.waitUntil(lambda: window.colour_space.analysis.sample is not None, timeout=20_000)
    play = control(window, QPushButton, "playKMeans")
    qtbot.waitUntil(lambda: not play.isEnabled())
    assert "3 different colours" in play.toolTip() and "K = 3 or less" in play.toolTip()
    assert "3 different colours" in window.colour_space.kmeans_controls.status.text()
    assert not control(window, QPushButton, "stepKMeans").isEnabled()
    assert window.play_kmeans() is False
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.k_slider.setValue(3)
    assert play.isEnabled()
    assert play_to_end(window, qtbot)


def test_an_empty_sample_disables_the_controls_and_says_why(window, qtbot, tmp_path):
    path = tmp_path / "clear.png"
    Image.fromarray(np.zeros((20, 20, 4), np.uint8)).save(path)
    with qtbot.waitSignal(window.imageOpened, timeout=20_000):
        window.open_image(path)
    qtbot.waitUntil(lambda: window.colour_space.analysis.sample is not None, timeout=20_000)
    play = control(window, QPushButton, "playKMeans")
    qtbot.waitUntil(lambda: "fully transparent" in play.toolTip())
    assert not play.isEnabled() and window.play_kmeans() is False


def test_help_what_is_kmeans_has_its_pictures(window, qtbot):
    action = window.findChild(type(window.action_about), "actionWhatIsKMeans")
    assert action in window.help_menu.actions()
    action.trigger()
    page = window.colour_space.show_help()
    assert page.isVisible() and page.objectName() == "kmeansHelp"
    qtbot.waitUntil(page.pictures_ready, timeout=60_000)
    html = page.browser.toHtml()
    for name in ("assignment", "update", "k_strip", "bytes_chart", "dithering"):
        assert f"help:{name}.png" in html
    for word in ("Assignment", "Update", "K: how many colours", "cost bytes", "dithering"):
        assert word in page.browser.toPlainText()
    page.close()


def test_error_plot_draws_the_errors_falling_from_left_to_right(qtbot):
    from kmeans_desktop.gui.widgets.error_plot import CURVE, ErrorPlot, short_number

    plot = ErrorPlot()
    qtbot.addWidget(plot)
    plot.resize(240, plot.fixed_height())
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_errors([9.0e6, 5.0e6, 4.5e6, 4.4e6])
    points, area = plot.curve_points(), plot.plot_rect()
    assert len(points) == 4
    assert np.all(np.diff(points[:, 0]) > 0) and np.all(np.diff(points[:, 1]) > 0)  # rightwards, down the screen
    assert points[0, 1] == pytest.approx(area.top()) and points[-1, 1] == pytest.approx(area.bottom())
    assert points[0, 0] == pytest.approx(area.left()) and points[-1, 0] == pytest.approx(area.right())
    image = plot.grab().toImage()
    x, y = (points[0] + points[1]) / 2
    near = [image.pixelColor(int(x) + dx, int(y) + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    assert any(abs(c.red() - CURVE.red()) + abs(c.green() - CURVE.green()) + abs(c.blue() - CURVE.blue()) < 60
               for c in near)
    plot.set_errors([])
    assert len(plot.curve_points()) == 0
    assert short_number(4_400_000) == "4.4M" and short_number(12_345) == "12.3k" and short_number(7) == "7"


def test_error_plot_shows_without_scrolling_in_a_1360x860_window(window, qtbot, make_image):
    window.resize(1360, 860)
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(make_image("fit.png"))
    plot = window.colour_space.kmeans_controls.plot
    qtbot.waitUntil(lambda: plot.isVisible() and window.colour_space.cloud_dock.height() > 200, timeout=5000)
    # its whole rectangle is on screen, not under the fold of the controls' scroll area
    qtbot.waitUntil(lambda: plot.visibleRegion().boundingRect() == plot.rect(), timeout=5000)
