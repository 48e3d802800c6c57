"""The colour-space views: the 3-D colour cloud (and its 2-D fallback) and the K-choice curve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton, QWidget

from kmeans_desktop.gui import analysis as analysis_module
from kmeans_desktop.gui.analysis import CURVE_KS, AnalysisWorker

from .conftest import runs_until_cancelled

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]


def k_is(k):
    return lambda value: value == k


def gl_scatters(cloud: QWidget):
    from pyqtgraph.opengl import GLScatterPlotItem
    from pyqtgraph.opengl.GLViewWidget import GLViewMixin

    views = [w for w in cloud.findChildren(QWidget) if isinstance(w, GLViewMixin)]
    return views, [i for v in views for i in v.items if isinstance(i, GLScatterPlotItem)]


def rgba_set(colors: np.ndarray) -> set[tuple[int, int, int]]:
    return {tuple(int(round(c * 255)) for c in row[:3]) for row in np.asarray(colors)}


@pytest.fixture
def sampled(window, qtbot, make_image):
    """A window at K=8 with an image open, its final preview and the cloud's points on screen."""
    window.k_slider.setValue(8)
    with qtbot.waitSignal(window.previewReady, timeout=20_000, check_params_cb=k_is(8)):
        window.open_image(make_image("cloud.png", 96, 64))
    cloud = window.findChild(QWidget, "colorScatter")
    qtbot.waitUntil(lambda: cloud.sample is not None, timeout=20_000)
    return window


# -- the colour cloud ----------------------------------------------------------------------------


def test_cloud_is_a_gl_scatter_of_at_least_20000_points_in_their_own_colours(sampled):
    cloud = sampled.findChild(QWidget, "colorScatter")
    assert cloud is sampled.colour_space.cloud and cloud.isVisible()
    views, scatters = gl_scatters(cloud)
    assert len(views) == 1 and views[0].isVisible()
    points = max(scatters, key=lambda s: 0 if s.pos is None else len(s.pos))
    assert len(points.pos) >= 20_000
    sample = cloud.sample
    # Each point in its own colour, at its own place in the RGB cube.
    assert np.allclose(points.color[:, :3] * 255, sample.colors, atol=0.01)
    assert np.allclose((points.pos + 0.5) * 255, sample.colors, atol=0.01)
    image_colors = {tuple(c) for c in sampled.current_image().source.pixels.reshape(-1, 3)}
    assert {tuple(c) for c in sample.colors[:2000]} <= image_colors


def test_after_preview_ready_8_there_are_exactly_8_centroids_in_the_palette_colours(sampled, qtbot):
    cloud = sampled.colour_space.cloud
    palette = sampled.current_palette()
    assert len(palette) == 8
    markers = cloud.view.centroids
    assert len(markers.pos) == 8 and markers.visible()
    assert rgba_set(markers.color) == {tuple(int(v) for v in c) for c in palette}
    assert np.allclose((markers.pos + 0.5) * 255, palette, atol=0.01)  # at the palette colours
    sizes = np.asarray(markers.size)
    counts = sampled.current_preview().quantized.counts
    assert sizes[np.argmax(counts)] == sizes.max() and sizes[np.argmin(counts)] == sizes.min()
    # A new K moves the centroids: exactly 3 now.
    with qtbot.waitSignal(sampled.previewReady, timeout=20_000, check_params_cb=k_is(3)):
        sampled.k_slider.setValue(3)
    assert len(markers.pos) == len(sampled.current_palette()) == 3


def test_the_cloud_draws_a_new_results_centroids_after_previewready_not_in_its_repaint(sampled, qtbot):
    """The window's repaint before previewReady paints every widget then marked for update; the 3-D
    cloud's paint (a render and read-back) is left for after it, its centroids already set."""
    cloud = sampled.colour_space.cloud
    assert cloud.is_3d
    gl_view = cloud.view.view
    frames = []
    gl_view.frameSwapped.connect(lambda: frames.append(len(cloud.view.centroids.pos)))
    at_ready = []
    # (a frame of the earlier result may still be swapped meanwhile: only frames of the new one count)
    sampled.previewReady.connect(lambda k: at_ready.append((k, frames.count(3), len(cloud.view.centroids.pos))))
    with qtbot.waitSignal(sampled.previewReady, timeout=20_000, check_params_cb=k_is(3)):
        sampled.k_slider.setValue(3)
    k, painted, centroids = at_ready[-1]
    assert centroids == 3  # set before previewReady ...
    assert painted == 0  # ... and not painted in the window's repaint before it
    qtbot.waitUntil(lambda: len(frames) > 0 and frames[-1] == 3, timeout=5000)  # ... but soon after


def test_toggle_recolours_the_points_with_their_centroids(sampled, qtbot):
    cloud = sampled.colour_space.cloud
    q = sampled.current_preview().quantized
    qtbot.waitUntil(lambda: cloud.assignment is not None and cloud.assignment.key is q, timeout=20_000)
    points = cloud.view.points
    original = points.color.copy()
    qtbot.mouseClick(cloud.findChild(QPushButton, "cloudReducedColors"), Qt.MouseButton.LeftButton)
    assert cloud.reduced
    reduced = points.color
    assert rgba_set(reduced) <= {tuple(int(v) for v in c) for c in q.palette}
    assert len(rgba_set(reduced)) == 8
    # Each point took its nearest centroid's colour (the k-means assignment step).
    rgb = cloud.sample.colors.astype(int)
    d = ((rgb[:, None, :] - q.palette[None, :, :].astype(int)) ** 2).sum(axis=2)
    chosen = ((rgb - np.round(reduced[:, :3] * 255).astype(int)) ** 2).sum(axis=1)
    assert np.array_equal(chosen, d.min(axis=1))
    qtbot.mouseClick(cloud.findChild(QPushButton, "cloudOriginalColors"), Qt.MouseButton.LeftButton)
    assert not cloud.reduced and np.array_equal(points.color, original)


def test_reduced_colours_follow_a_new_k(sampled, qtbot):
    cloud = sampled.colour_space.cloud
    cloud.set_reduced(True)
    with qtbot.waitSignal(sampled.previewReady, timeout=20_000, check_params_cb=k_is(4)):
        sampled.k_slider.setValue(4)
    q = sampled.current_preview().quantized
    qtbot.waitUntil(lambda: cloud.assignment is not None and cloud.assignment.key is q, timeout=20_000)
    assert rgba_set(cloud.view.points.color) <= {tuple(int(v) for v in c) for c in q.palette}


def test_mouse_rotates_and_reset_view_restores_the_camera(sampled, qtbot):
    cloud = sampled.colour_space.cloud
    view = cloud.view.view
    start = dict(view.cameraParams())
    centre = view.rect().center()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=centre)
    for dx in (10, 40, 80):
        qtbot.mouseMove(view, centre + type(centre)(dx, dx // 4))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=centre + type(centre)(80, 20))
    assert view.cameraParams()["azimuth"] != start["azimuth"]
    qtbot.mouseClick(cloud.findChild(QPushButton, "cloudResetView"), Qt.MouseButton.LeftButton)
    assert view.cameraParams()["azimuth"] == start["azimuth"]
    assert view.cameraParams()["elevation"] == start["elevation"]


def test_cloud_still_draws_in_a_floating_dock(sampled, qtbot):
    """pyqtgraph keeps shader programs per class: a new GL context (floating dock) must work."""
    view = sampled.colour_space.cloud.view.view
    background = view.grabFramebuffer().pixelColor(1, 1)

    def coloured_pixels():
        image = view.grabFramebuffer()
        return sum(image.pixelColor(x, y) != background for x in range(0, image.width(), 4)
                   for y in range(0, image.height(), 4))

    docked = coloured_pixels()
    assert docked > 50
    dock = sampled.colour_space.cloud_dock
    dock.setFloating(True)
    qtbot.waitUntil(lambda: dock.isFloating() and view.isVisible() and coloured_pixels() > docked // 3, timeout=10_000)
    dock.setFloating(False)
    qtbot.waitUntil(lambda: not dock.isFloating() and coloured_pixels() > docked // 3, timeout=10_000)


def test_flat_view_can_be_chosen_in_the_view_menu_and_is_remembered(sampled, qtbot):
    from kmeans_desktop.gui import MainWindow

    action = sampled.findChild(QAction, "actionFlatColorCloud")
    assert action.isEnabled() and not action.isChecked()
    action.trigger()
    cloud = sampled.colour_space.cloud
    assert not cloud.is_3d
    assert not gl_scatters(cloud)[0] or not any(v.isVisible() for v in gl_scatters(cloud)[0])
    assert len(cloud.view.plots) == 3
    qtbot.waitUntil(lambda: not cloud.view.is_drawing(), timeout=5000)
    assert all(len(item.data) == min(len(cloud.sample.colors), cloud.FLAT_POINTS) for item in cloud.view.point_items)
    assert all(len(item.data) == 8 for item in cloud.view.centroid_items)
    sampled.save_settings()
    other = MainWindow()
    qtbot.addWidget(other)
    try:
        assert other.findChild(QAction, "actionFlatColorCloud").isChecked()
        assert not other.colour_space.cloud.is_3d
    finally:
        other.close()
    action.trigger()
    assert cloud.is_3d


PROBE = r"""
import json, sys
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[2])
app = QApplication([])
from kmeans_desktop.gui import MainWindow
from kmeans_desktop.logs import setup_logging
setup_logging()

def wait(predicate, seconds=60):
    for _ in range(int(seconds * 20)):
        if predicate():
            return True
        loop = QEventLoop(); QTimer.singleShot(50, loop.quit); loop.exec()
    return False

w = MainWindow(); w.show()
w.k_slider.setValue(8)
w.open_image(sys.argv[1])
cloud = w.findChild(QWidget, "colorScatter")
ok = wait(lambda: w.current_preview() is not None and w.current_preview().final and cloud.sample is not None)
ok = ok and wait(lambda: not cloud.view.is_drawing())
cloud.set_reduced(True)
ok = ok and wait(lambda: cloud.assignment is not None and not cloud.view.is_drawing())
import pyqtgraph as pg
view = cloud.view
print(json.dumps({
    "ok": ok, "is_3d": cloud.is_3d,
    "plots": len(cloud.findChildren(pg.PlotWidget)),
    "points": [len(i.data) for i in view.point_items],
    "centroids": [len(i.data) for i in view.centroid_items],
    "palette": len(w.current_palette()),
    "reduced_brushes": len({b.color().rgb() for b in view.point_items[0].data["brush"]}),
}))
w.close()
"""


def test_offscreen_platform_falls_back_to_three_2d_projections(tmp_path, make_image):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KMEANS_DESKTOP_LOG_DIR=str(tmp_path / "logs"))
    env.pop("DISPLAY", None)
    r = subprocess.run([sys.executable, "-c", PROBE, str(make_image("flat.png", 96, 64)), str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["ok"] and not result["is_3d"]
    assert result["plots"] == 3
    assert result["centroids"] == [8, 8, 8] and result["palette"] == 8
    assert all(n >= 1000 for n in result["points"])
    assert result["reduced_brushes"] <= 8  # the toggle works there too
    log = (tmp_path / "logs").rglob("*.log")
    text = "".join(p.read_text() for p in log)
    assert "2-D projections, because the 'offscreen' platform has no OpenGL" in text


# -- the K curve ---------------------------------------------------------------------------------


def test_curve_points_arrive_for_every_k_and_the_current_one(sampled, qtbot):
    panels = sampled.colour_space
    curve = sampled.findChild(QWidget, "kCurve")
    assert curve is panels.curve and curve.isVisible()
    qtbot.waitUntil(panels.analysis.curve_complete, timeout=60_000)
    points = curve.points()
    assert set(CURVE_KS) <= set(points)
    assert all(b is not None and b > 0 for _, b in points.values())
    psnr = [points[k][0] for k in CURVE_KS]
    assert all(b >= a - 0.5 for a, b in zip(psnr, psnr[1:]))  # more colours, less error
    # The current K's point matches what the preview shows (a small image: exact values).
    q = sampled.current_preview().quantized
    assert points[8][0] == pytest.approx(q.psnr, abs=1e-6)
    preview = sampled.current_preview()
    qtbot.waitUntil(lambda: sampled.worker.cached_bytes(preview) is not None, timeout=20_000)
    assert points[8][1] == len(sampled.worker.cached_bytes(preview).data)  # the bytes Save writes
    with qtbot.waitSignal(sampled.previewReady, timeout=20_000, check_params_cb=k_is(40)):
        sampled.k_slider.setValue(40)
    qtbot.waitUntil(lambda: 40 in curve.points() and curve.points()[40][1] is not None, timeout=30_000)
    assert curve.current_line.isVisible() and curve.current_line.value() == pytest.approx(np.log2(40))


def test_clicking_a_curve_point_sets_k(sampled, qtbot):
    panels = sampled.colour_space
    curve = panels.curve
    qtbot.waitUntil(panels.analysis.curve_complete, timeout=60_000)
    for k, which in ((32, "psnr"), (4, "bytes")):
        pos = curve.point_position(k, which)
        with qtbot.waitSignal(curve.kChosen, timeout=5000) as chosen:
            qtbot.mouseClick(curve.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        assert chosen.args == [k]
        assert sampled.k_slider.value() == k and sampled.k_spin.value() == k


class CurveGate:
    """Wraps analysis.curve_quality: records calls and holds the first until released."""

    def __init__(self, monkeypatch):
        self.real = analysis_module.curve_quality
        self.calls: list[tuple[int, int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        monkeypatch.setattr(analysis_module, "curve_quality", self)

    def __call__(self, inp, k, dither):
        self.calls.append((inp.image_id, k))
        if len(self.calls) == 1:
            self.entered.set()
            self.release.wait(20)
        return self.real(inp, k, dither)


def test_a_new_image_cancels_the_old_curve(window, qtbot, make_image, monkeypatch):
    gate = CurveGate(monkeypatch)
    panels = window.colour_space
    emitted = []
    panels.analysis.curvePoint.connect(lambda p: emitted.append(p.image_id))
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(make_image("first.png", 80, 60, seed=1))
    first = window.current_image().image_id
    qtbot.waitUntil(gate.entered.is_set, timeout=20_000)
    with qtbot.waitSignal(window.imageOpened, timeout=20_000):
        window.open_image(make_image("second.png", 80, 60, seed=2))
    second = window.current_image().image_id
    n_before = len(emitted)
    gate.release.set()
    qtbot.waitUntil(panels.analysis.curve_complete, timeout=60_000)
    assert [i for i, _ in gate.calls].count(first) == 1  # only the job that was already running
    assert all(i == second for i in emitted[n_before:])
    assert set(CURVE_KS) <= set(panels.curve.points())
    assert panels.curve._image_id == second


def test_curve_waits_while_the_preview_computes(qtbot, make_image):
    from kmeans_desktop.gui.worker import load_source

    busy = [True]
    worker = AnalysisWorker(preview_busy=lambda: busy[0])
    try:
        worker.set_image(load_source(make_image("busy.png", 40, 30), None, 1))
        qtbot.waitUntil(lambda: worker.sample is not None, timeout=20_000)
        assert worker.started["prepare"] == 0 and worker.started["curve"] == 0
        busy[0] = False
        worker.on_preview_idle()
        qtbot.waitUntil(worker.curve_complete, timeout=60_000)
        assert worker.started["curve"] == len(CURVE_KS)
    finally:
        worker.shutdown()
        qtbot.waitUntil(worker.is_idle, timeout=20_000)


def test_a_curve_point_stops_when_the_preview_moves_and_is_computed_again_later(qtbot, make_image, monkeypatch):
    """A curve point still being computed when K changes stops at its next checkpoint (it took a core
    from the new final preview), with no failure, and that K is computed again once the preview is idle."""
    from kmeans_desktop.gui.worker import load_source

    real, began = analysis_module.curve_quality, threading.Event()
    monkeypatch.setattr(analysis_module, "curve_quality", runs_until_cancelled(began))
    failed = []
    worker = AnalysisWorker()
    worker.SETTLE_MS = 0
    worker.curveFailed.connect(failed.append)
    try:
        worker.set_image(load_source(make_image("moved.png", 40, 30), None, 1))
        qtbot.waitUntil(began.is_set, timeout=20_000)
        job = worker._lanes["curve"].running
        monkeypatch.setattr(analysis_module, "curve_quality", real)
        worker.preview_moved()
        qtbot.waitUntil(job.done.is_set, timeout=20_000)
        assert job.stopped
        worker.on_preview_idle()
        qtbot.waitUntil(worker.curve_complete, timeout=60_000)
        assert not failed and set(CURVE_KS) <= set(worker.curve())
    finally:
        worker.shutdown()
        qtbot.waitUntil(worker.is_idle, timeout=20_000)


@pytest.mark.parametrize("computed", [False, True])
def test_the_curve_settles_after_a_computation_not_after_packing_bytes(qtbot, make_image, computed):
    """The window's repaint follows a computation; the bytes of the result on show are packed in the
    helper process, so once they are, the curve goes on at once (it used to wait SETTLE_MS more)."""
    from kmeans_desktop.gui.worker import load_source

    busy, computing = [True], [computed]
    worker = AnalysisWorker(preview_busy=lambda: busy[0], preview_computing=lambda: computing[0])
    worker.SETTLE_MS = 600_000  # (never over within this test)
    try:
        worker.set_image(load_source(make_image("packing.png", 40, 30), None, 1))
        qtbot.waitUntil(lambda: worker.sample is not None, timeout=20_000)
        assert worker.started["prepare"] == 0
        busy[0] = computing[0] = False
        worker.on_preview_idle()
        assert worker.started["prepare"] == (0 if computed else 1)
    finally:
        worker.shutdown()
        qtbot.waitUntil(worker.is_idle, timeout=20_000)


def test_large_images_get_an_estimated_curve_that_says_so(sampled, qtbot):
    panels = sampled.colour_space
    panels.analysis.exact_max = 1000  # the 96×64 image counts as large now
    panels.analysis.set_image(sampled.current_image())
    qtbot.waitUntil(panels.analysis.curve_complete, timeout=60_000)
    assert all(p.estimated for p in panels.analysis.curve().values())
    assert "Estimated" in panels.curve.status.toolTip()
    assert panels.curve.status.text().endswith("estimated")


def test_flat_setting_is_read_from_settings(qtbot, isolated_settings):
    from kmeans_desktop.gui import MainWindow
    from kmeans_desktop.gui.colour_space import FLAT_KEY
    from kmeans_desktop.gui.settings import APPLICATION, ORGANIZATION

    q = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
    q.setValue(FLAT_KEY, True)
    q.sync()
    w = MainWindow()
    qtbot.addWidget(w)
    try:
        assert not w.colour_space.cloud.is_3d
    finally:
        w.close()


def test_curve_follows_dithering_and_keeps_both(sampled, qtbot):
    panels = sampled.colour_space
    a = panels.analysis
    qtbot.waitUntil(a.curve_complete, timeout=60_000)
    plain = a.curve(False)
    with qtbot.waitSignal(sampled.previewReady, timeout=20_000):
        sampled.dither_check.setChecked(True)
    qtbot.waitUntil(a.curve_complete, timeout=60_000)
    dithered = a.curve(True)
    assert set(CURVE_KS) <= set(dithered) and all(p.dither for p in dithered.values())
    assert panels.curve._dither and panels.curve.points()[8] == (dithered[8].psnr, dithered[8].nbytes)
    assert dithered[8].psnr != plain[8].psnr  # dithering changes the error
    started = a.started["curve"]
    with qtbot.waitSignal(sampled.previewReady, timeout=20_000):
        sampled.dither_check.setChecked(False)
    assert panels.curve.points()[8] == (plain[8].psnr, plain[8].nbytes)  # from the cache, at once
    assert a.curve_complete() and a.started["curve"] == started


def test_cloud_is_on_the_screen(sampled, qtbot):
    """What a user sees, from the screen: the dark view with coloured points in it."""
    view = sampled.colour_space.cloud.view.view
    qtbot.waitUntil(lambda: view.isVisible() and view.width() > 100, timeout=5000)

    def shot():
        origin = view.mapToGlobal(view.rect().topLeft())
        return view.screen().grabWindow(0, origin.x(), origin.y(), view.width(), view.height()).toImage()

    def looks_right() -> bool:
        image = shot()
        pixels = [image.pixelColor(x, y) for x in range(0, image.width(), 5) for y in range(0, image.height(), 5)]
        dark = sum(abs(p.red() - 38) < 6 and abs(p.green() - 40) < 6 and abs(p.blue() - 44) < 6 for p in pixels)
        coloured = sum(max(p.red(), p.green(), p.blue()) - min(p.red(), p.green(), p.blue()) > 40 for p in pixels)
        return dark > len(pixels) // 3 and coloured > 20

    qtbot.waitUntil(looks_right, timeout=10_000)


def test_transparent_pixels_stay_out_of_the_cloud(window, qtbot, make_image):
    window.k_slider.setValue(6)
    with qtbot.waitSignal(window.previewReady, timeout=20_000, check_params_cb=k_is(6)):
        window.open_image(make_image("alpha.png", 64, 48, channels=4))  # top quarter fully transparent
    cloud = window.colour_space.cloud
    qtbot.waitUntil(lambda: cloud.sample is not None, timeout=20_000)
    src = window.current_image().source.pixels
    visible = {tuple(c) for c in src[src[..., 3] > 0][:, :3]}
    hidden_only = {tuple(c) for c in src[src[..., 3] == 0][:, :3]} - visible
    sampled = {tuple(c) for c in cloud.sample.colors}
    assert sampled <= visible and not (sampled & hidden_only)
    palette = window.current_palette()
    assert palette.shape[1] == 4
    assert len(cloud.view.centroids.pos) == int((palette[:, 3] > 0).sum())


def _opengl_or_skip():
    from kmeans_desktop.gui.widgets.color_cloud import opengl_support

    ok, why = opengl_support()
    if not ok:
        pytest.skip(f"no OpenGL here: {why}")


def _pixels(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 4].reshape(image.height(), image.width(), 4)[..., :3].copy()


def test_new_colours_repaint_through_the_index_picture_as_the_points_would_draw(qtbot):
    """While the camera rests, new colours are drawn by looking each pixel's point up (gl_points):
    the picture is the one drawing the points gives; a moved camera draws them directly."""
    _opengl_or_skip()
    from kmeans_desktop.gui.widgets.gl_cloud import GLCloudView

    view = GLCloudView()
    qtbot.addWidget(view)
    view.resize(420, 300)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (20_000, 3)).astype(np.uint8)
    rgba = np.concatenate([rgb / 255, np.ones((len(rgb), 1))], axis=1).astype(np.float32)
    view.set_points(rgb.astype(np.float32) / 255 - 0.5, rgba)
    points = view.points
    view.view.grabFramebuffer()  # drawn directly: the camera's first picture
    assert points.indexed_paints == 0
    palette = rng.integers(0, 256, (6, 3))
    recoloured = np.concatenate([palette[rng.integers(0, 6, len(rgb))] / 255, np.ones((len(rgb), 1))], axis=1)
    view.set_colors(recoloured.astype(np.float32))
    indexed = _pixels(view.view.grabFramebuffer())
    assert points.indexed_paints == 1
    points.use_index = False
    direct = _pixels(view.view.grabFramebuffer())
    assert points.indexed_paints == 1
    differ = (indexed != direct).any(axis=-1)
    assert differ.mean() < 0.001, differ.sum()  # (a point exactly as deep as another may win the tie)
    assert len(np.unique(indexed.reshape(-1, 3), axis=0)) >= 6  # the new colours, not the old ones
    points.use_index = True
    view.view.grabFramebuffer()
    view.view.orbit(25, 5)
    view.view.grabFramebuffer()  # a new camera: drawn directly
    assert points.indexed_paints == 2
    # the R label, drawn over the picture by the raster painter
    red = np.abs(indexed.astype(int) - [255, 110, 110]).sum(axis=-1) < 40
    assert red.sum() > 5


def test_the_window_is_never_composed_by_opengl(sampled):
    """The 3-D view renders offscreen (gl_offscreen): with a QOpenGLWidget in it, Qt would compose
    the whole window with OpenGL on every repaint (on llvmpipe ~14 ms of CPU a frame)."""
    from PySide6.QtOpenGLWidgets import QOpenGLWidget

    _opengl_or_skip()
    assert sampled.colour_space.cloud.is_3d
    assert not sampled.findChildren(QOpenGLWidget)
