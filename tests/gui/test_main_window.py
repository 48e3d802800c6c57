"""The main window as a user drives it: open, drop, slider, save, paste, settings, close."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QThreadPool, QUrl
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QSlider, QWidget

from kmeans_desktop.core import ImageLoadError, encode, load_image
from kmeans_desktop.gui import MainWindow
from kmeans_desktop.gui import worker as worker_module
from kmeans_desktop.gui.worker import wait_for_pool

pytestmark = pytest.mark.timeout(60)


def k_is(k):
    return lambda value: value == k


def message_boxes(window):
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


# -- the testability contract ------------------------------------------------------------------


def test_contract_names_and_empty_state(window):
    slider = window.findChild(QSlider, "kSlider")
    assert slider is not None and (slider.minimum(), slider.maximum()) == (2, 256)
    assert window.findChild(QWidget, "previewView") is window.compare_view
    assert window.findChild(QWidget, "paletteView") is window.palette_strip
    action_open = window.findChild(QAction, "actionOpen")
    assert action_open.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    save = window.findChild(QAction, "actionSaveCompressed")
    assert save.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert not save.isEnabled()  # nothing to save yet
    # Empty state: the drop zone with a button for the sample image.
    assert window.drop_zone.isVisible()
    sample = window.findChild(QPushButton, "sampleButton")
    assert sample.isVisible() and sample.text() == "Open sample image"
    assert window.current_palette().shape == (0, 3)


def test_sample_button_opens_the_sample(window, qtbot):
    with qtbot.waitSignal(window.previewReady, timeout=30_000):
        window.findChild(QPushButton, "sampleButton").click()
    assert window.current_image().name == "sample.jpg"
    assert window.compare_view.isVisible() and not window.drop_zone.isVisible()


def test_open_image_shows_final_preview(window, qtbot, make_image):
    path = make_image("photo.png", 64, 48)
    window.k_slider.setValue(8)
    with qtbot.waitSignal(window.imageOpened, timeout=20_000) as opened:
        with qtbot.waitSignal(window.previewReady, timeout=20_000, check_params_cb=k_is(8)):
            window.open_image(path)
    assert opened.args == ["photo.png"]
    palette = window.current_palette()
    assert palette.dtype == np.uint8 and palette.ndim == 2 and palette.shape[1] == 3
    assert 1 <= len(palette) <= 8
    assert window.stats.value_text("dimensions").startswith("64 × 48")
    assert window.windowTitle().startswith("photo.png")
    assert window.action_save.isEnabled()


def test_slider_gives_previews_with_at_most_k_colours(opened, qtbot):
    w = opened
    for k in (3, 40, 5):
        with qtbot.waitSignal(w.previewReady, timeout=20_000, check_params_cb=k_is(k)):
            w.k_slider.setValue(k)
        assert w.k_spin.value() == k
        assert 1 <= len(w.current_palette()) <= k
        assert w.palette_strip.count() == len(w.current_palette())
        assert w.compare_view.result_label() == f"K = {k}"


def test_spin_box_drives_the_slider(opened, qtbot):
    with qtbot.waitSignal(opened.previewReady, timeout=20_000, check_params_cb=k_is(7)):
        opened.k_spin.setValue(7)
    assert opened.k_slider.value() == 7


@pytest.mark.parametrize("slider", ["k_slider", "dither_strength"])
def test_letting_go_of_a_slider_asks_for_the_result_at_once(opened, qtbot, slider):
    # A mouse drag's last value is final when the button is released: no debounce wait for it.
    opened.dither_check.setChecked(True)
    opened.session.dispatch()
    asked = []
    opened.session.requestWanted.connect(asked.append)
    widget = getattr(opened, slider)
    widget.setSliderDown(True)  # the user holds the handle ...
    widget.setValue(widget.value() - 3)  # ... and drags it
    assert opened.session.request_pending() and asked == []
    widget.setSliderDown(False)  # ... and lets go: sliderReleased
    assert asked == [True] and not opened.session.request_pending()
    widget.setSliderDown(True)  # held and let go without a change: nothing more to ask
    widget.setSliderDown(False)
    assert asked == [True]
    k = opened.k()
    qtbot.waitUntil(lambda: opened.current_preview() is not None and opened.current_preview().k == k
                    and opened.current_preview().final, timeout=20_000)


def test_dither_toggle_recomputes(opened, qtbot):
    k = opened.k()
    with qtbot.waitSignal(opened.previewReady, timeout=20_000, check_params_cb=k_is(k)):
        opened.dither_check.setChecked(True)
    assert opened.current_preview().dither
    assert "dithered" in opened.compare_view.result_label()
    assert len(opened.current_palette()) <= k


def test_rgba_image_keeps_alpha(window, qtbot, make_image):
    path = make_image("alpha.png", 64, 48, channels=4)
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(path)
    assert window.current_palette().shape[1] == 4


# -- drag and drop --------------------------------------------------------------------------------


def test_drop_opens_the_file(window, qtbot, make_image, drop):
    path = make_image("dropped.png")
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        event = drop(window, [path])
    assert event.isAccepted()
    assert window.current_image().path == path


def test_drop_on_a_child_widget_reaches_the_window(opened, qtbot, make_image):
    # A real drag finds the nearest ancestor that accepts drops: for every child that is the window.
    path = make_image("second.png", seed=3)
    assert not opened.compare_view.acceptDrops() and not opened.k_spin.lineEdit().acceptDrops()
    assert opened.acceptDrops()
    with qtbot.waitSignal(opened.imageOpened, timeout=20_000):
        opened.dropEvent(_drop_event_for([path]))
    assert opened.current_image().name == "second.png"


def _drop_event_for(paths):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    event._mime = mime  # keep the data alive as long as the event
    return event


def test_drop_several_files_opens_them_as_a_batch(window, qtbot, make_image, drop):
    # Issue 16 replaced "opens the first and says so": several files open as a batch list.
    first, second = make_image("one.png", seed=1), make_image("two.png", seed=2)
    event = drop(window, [first, second])
    assert event.isAccepted()
    view = window.findChild(QWidget, "batchView")
    assert view is not None and view.isVisible() and view.paths() == [first, second]
    qtbot.waitUntil(lambda: not window.files_colours.many.controller.running(), timeout=60_000)


def test_drop_of_non_local_urls_is_refused(window, drop):
    event = drop(window, [], urls=[QUrl("https://example.com/x.png")])
    assert not event.isAccepted()
    assert window.current_image() is None
    assert window.worker.is_idle()


def test_bad_file_dropped_keeps_the_current_image(opened, qtbot, tmp_path, drop):
    bad = tmp_path / "broken.png"
    bad.write_text("this is not an image")
    with pytest.raises(ImageLoadError) as info:
        load_image(bad)
    before = opened.current_image()
    palette = opened.current_palette().copy()
    with qtbot.waitSignal(opened.messageShown, timeout=20_000) as shown:
        drop(opened, [bad])
    assert shown.args == [str(info.value)]  # the core's plain sentence, as is
    boxes = message_boxes(opened)
    assert len(boxes) == 1 and boxes[0].text() == str(info.value)
    assert opened.current_image() is before
    assert np.array_equal(opened.current_palette(), palette)
    assert opened.windowTitle().startswith("opened.png")
    boxes[0].close()


def test_missing_file_gives_a_dialog(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.messageShown, timeout=20_000) as shown:
        window.open_image(tmp_path / "nope.jpg")
    assert "nope.jpg" in shown.args[0] and "no such file" in shown.args[0]
    assert window.drop_zone.isVisible()


# -- save --------------------------------------------------------------------------------------------


def test_save_writes_exactly_the_bytes_the_stats_show(opened, qtbot, tmp_path, monkeypatch):
    w = opened
    if w.stats.bytes_shown is None:
        with qtbot.waitSignal(w.sizeReady, timeout=20_000):
            pass
    shown = w.stats.bytes_shown
    assert f"{shown:,} bytes" in w.stats.value_text("bytes")
    suggested = []
    out = tmp_path / "out" / "result.png"
    out.parent.mkdir()

    def ask(path):
        suggested.append(path)
        return str(out)

    monkeypatch.setattr(w, "ask_save_path", ask)
    with qtbot.waitSignal(w.saved, timeout=20_000):
        w.action_save.trigger()
    assert suggested == [w.current_image().path.with_name(f"opened-k{w.k()}.png")]
    data = out.read_bytes()
    assert len(data) == shown
    q = w.current_preview().quantized
    assert data == encode(q, "png", icc_profile=w.current_image().source.icc_profile)
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), q.to_array())
    assert not list(out.parent.glob("*.part"))  # atomic: no temporary file left


def test_save_before_encoding_finished_waits_for_the_bytes(opened, qtbot, tmp_path, monkeypatch):
    w = opened
    with qtbot.waitSignal(w.previewReady, timeout=20_000, check_params_cb=k_is(9)):
        w.k_slider.setValue(9)
    out = tmp_path / "early.png"
    monkeypatch.setattr(w, "ask_save_path", lambda p: str(out))
    with qtbot.waitSignal(w.saved, timeout=20_000):
        w.save_compressed()  # possibly before the PNG size is shown: the same bytes either way
    qtbot.waitUntil(lambda: w.stats.bytes_shown is not None, timeout=20_000)
    assert out.stat().st_size == w.stats.bytes_shown


def test_save_as_gif(opened, qtbot, tmp_path, monkeypatch):
    out = tmp_path / "result.gif"
    monkeypatch.setattr(opened, "ask_save_path", lambda p: str(out))
    with qtbot.waitSignal(opened.saved, timeout=20_000):
        opened.save_compressed()
    assert out.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    assert opened.statusBar().currentMessage().startswith("Saved result.gif")


def test_save_with_unknown_extension_explains(opened, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(opened, "ask_save_path", lambda p: str(tmp_path / "result.xyz"))
    with qtbot.waitSignal(opened.messageShown, timeout=5_000) as shown:
        opened.save_compressed()
    assert "result.xyz" in shown.args[0] and ".png" in shown.args[0]
    assert not (tmp_path / "result.xyz").exists()


def test_save_error_is_a_dialog(opened, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "missing-folder" / "result.png"
    monkeypatch.setattr(opened, "ask_save_path", lambda p: str(target))
    with qtbot.waitSignal(opened.messageShown, timeout=20_000) as shown:
        opened.save_compressed()
    assert "does not exist" in shown.args[0]
    assert not target.exists()


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="needs a folder the user can't write to (root can write anywhere)")
def test_save_into_read_only_folder_is_a_dialog(opened, qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        monkeypatch.setattr(opened, "ask_save_path", lambda p: str(folder / "x.png"))
        with qtbot.waitSignal(opened.messageShown, timeout=20_000) as shown:
            opened.save_compressed()
        assert "permission denied" in shown.args[0]
    finally:
        folder.chmod(0o700)


def test_save_over_the_original_asks_first(window, qtbot, make_image, monkeypatch):
    original = make_image("keep.png")
    before = original.read_bytes()
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        window.open_image(original)
    asked = []
    monkeypatch.setattr(window, "ask_save_path", lambda p: str(original))
    monkeypatch.setattr(window, "confirm", lambda title, text: asked.append(text) or False)
    window.save_compressed()
    assert len(asked) == 1 and "original" in asked[0]
    assert original.read_bytes() == before
    monkeypatch.setattr(window, "confirm", lambda title, text: True)
    with qtbot.waitSignal(window.saved, timeout=20_000):
        window.save_compressed()
    assert original.read_bytes() != before


def test_cancelled_save_dialog_writes_nothing(opened, monkeypatch, tmp_path):
    monkeypatch.setattr(opened, "ask_save_path", lambda p: "")
    opened.save_compressed()
    assert not list(tmp_path.glob("*-k*.png"))


# -- paste ---------------------------------------------------------------------------------------


def test_paste_image_from_clipboard(window, qtbot, pattern):
    pixels = np.ascontiguousarray(pattern(40, 30, 5))
    image = QImage(pixels.data, 40, 30, pixels.strides[0], QImage.Format.Format_RGB888).copy()
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.imageOpened, timeout=20_000) as opened:
        with qtbot.waitSignal(window.previewReady, timeout=20_000):
            window.action_paste.trigger()
    assert opened.args == ["pasted image"]
    src = window.current_image().source
    assert src.path is None and (src.width, src.height) == (40, 30)
    assert np.array_equal(src.pixels, pixels)
    assert window.suggested_save_path().name == f"pasted-k{window.k()}.png"


def test_paste_file_url_from_clipboard(window, qtbot, make_image):
    path = make_image("copied.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    QGuiApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(window.imageOpened, timeout=20_000):
        window.paste_image()
    assert window.current_image().path == path
    qtbot.waitSignal(window.previewReady, timeout=20_000, raising=False).wait()


def test_paste_without_image_says_so(window):
    QGuiApplication.clipboard().setText("just text")
    window.paste_image()
    assert "no image" in window.statusBar().currentMessage()
    assert window.current_image() is None


# -- settings, recent files ---------------------------------------------------------------------


def test_settings_are_remembered_across_windows(qtbot, make_image):
    path = make_image("remember.png")
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    with qtbot.waitSignal(first.previewReady, timeout=20_000):
        first.open_image(path)
    with qtbot.waitSignal(first.previewReady, timeout=20_000, check_params_cb=k_is(37)):
        first.k_slider.setValue(37)
    first.dither_check.setChecked(True)
    first.resize(1000, 700)
    first.close()

    second = MainWindow()
    qtbot.addWidget(second)
    assert second.k_slider.value() == 37 and second.k_spin.value() == 37
    assert second.dither_check.isChecked()
    assert (second.width(), second.height()) == (1000, 700)
    assert second.settings.recent_files() == [str(path.resolve())]
    assert second.settings.last_folder() == str(path.parent)
    recent = [a for a in second.recent_menu.actions() if a.data()]
    assert [a.data() for a in recent] == [str(path.resolve())]
    second.close()


def test_open_recent_and_clear(window, qtbot, make_image):
    a, b = make_image("a.png", seed=1), make_image("b.png", seed=2)
    for p in (a, b):
        with qtbot.waitSignal(window.imageOpened, timeout=20_000):
            window.open_image(p)
    qtbot.waitUntil(window.worker.is_idle, timeout=20_000)
    entries = [x for x in window.recent_menu.actions() if x.data()]
    assert [x.data() for x in entries] == [str(b.resolve()), str(a.resolve())]
    with qtbot.waitSignal(window.imageOpened, timeout=20_000):
        entries[1].trigger()
    assert window.current_image().name == "a.png"
    window.action_clear_recent.trigger()
    assert not [x for x in window.recent_menu.actions() if x.data()]
    assert window.settings.recent_files() == []
    qtbot.waitUntil(window.worker.is_idle, timeout=20_000)


# -- view, help ----------------------------------------------------------------------------------


def test_view_actions_fit_and_actual_size(opened):
    view = opened.compare_view
    assert view.is_fit()
    opened.action_actual.trigger()
    assert view.scale() == 1.0 and not view.is_fit()
    assert opened.zoom_label.text() == "100%"
    opened.action_zoom_in.trigger()
    assert view.scale() > 1.0
    opened.action_zoom_out.trigger()
    opened.action_zoom_out.trigger()
    assert view.scale() < 1.0 or view.scale() == view.min_scale()
    opened.action_fit.trigger()
    assert view.is_fit() and opened.zoom_label.text().startswith("Fit")
    assert opened.action_fit.shortcut() == QKeySequence("Ctrl+0")
    assert opened.action_actual.shortcut() == QKeySequence("Ctrl+1")


def test_about_shows_the_version(window, qtbot):
    from kmeans_desktop import __version__

    with qtbot.waitSignal(window.messageShown, timeout=5_000) as shown:
        window.action_about.trigger()
    assert __version__ in shown.args[0]
    for box in message_boxes(window):
        box.close()


def test_busy_indicator_shows_while_working(window, qtbot, make_image, monkeypatch):
    import threading

    release = threading.Event()
    real = worker_module.compute_preview

    def slow(*args):
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(worker_module, "compute_preview", slow)
    window.open_image(make_image())
    qtbot.waitUntil(window.busy_bar.isVisible, timeout=20_000)
    with qtbot.waitSignal(window.previewReady, timeout=20_000):
        release.set()
    qtbot.waitUntil(lambda: not window.busy_bar.isVisible(), timeout=20_000)


# -- closing ---------------------------------------------------------------------------------------


def test_close_while_working_exits_quickly(qtbot, make_image, monkeypatch):
    """Close doesn't wait for a job to finish (its wait for the pool is bounded); the job then ends
    by itself and leaves no thread behind. No wall-clock bound here: bench_gui.py times close."""
    import threading

    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    real = worker_module.compute_preview

    def held(*args):
        started.set()
        release.wait(60)  # mid-way when the window closes, until the test lets it go
        try:
            return real(*args)
        finally:
            finished.set()

    monkeypatch.setattr(worker_module, "compute_preview", held)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.open_image(make_image("busy.png", 200, 150))
    qtbot.waitUntil(started.is_set, timeout=20_000)
    assert w.worker.busy
    w.close()
    assert not finished.is_set()  # close returned while the job was still held: it didn't wait for it
    assert not w.isVisible()
    release.set()
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=30_000)
    assert finished.is_set()


def test_result_arriving_after_close_is_ignored(qtbot, make_image, monkeypatch):
    import threading

    started, release = threading.Event(), threading.Event()
    real = worker_module.compute_preview

    def stuck(*args):
        started.set()
        release.wait(10)  # longer than close waits
        return real(*args)

    monkeypatch.setattr(worker_module, "compute_preview", stuck)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.open_image(make_image("late.png"))
    qtbot.waitUntil(started.is_set, timeout=20_000)
    w.worker.shutdown = lambda timeout_ms=1000, real=w.worker.shutdown: real(50)  # keep the test short
    w.close()
    seen = []
    w.previewReady.connect(seen.append)
    release.set()
    assert wait_for_pool(QThreadPool.globalInstance(), 10_000)
    QApplication.processEvents()  # deliver the late result: it must go nowhere
    assert seen == []
    assert w.current_preview() is None


def test_closing_an_idle_window_is_clean(window, qtbot):
    window.close()
    assert window.worker.is_idle()
    assert not window.isVisible()


def test_quit_action_closes(window, qtbot):
    window.action_quit.trigger()
    assert not window.isVisible()

