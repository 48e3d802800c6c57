"""Issue 16 through the main window's contract: open_images / save_all / batchFinished,
compressed_mime_data and Copy Compressed, lock_color / locked_colors with swatches and the
eyedropper, Export Palette."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QWidget

from kmeans_desktop.batch import REPLACE

from .conftest import message_boxes

pytestmark = pytest.mark.timeout(180)


def _settle(window, qtbot):
    qtbot.waitUntil(lambda: not window.files_colours.many.controller.running(), timeout=90_000)


def test_open_images_and_save_all(window, qtbot, make_image, tmp_path):
    files = [make_image(f"p{i}.png", seed=i) for i in range(3)]
    (tmp_path / "sub").mkdir()
    dup = make_image("sub/p0.png", seed=9)
    assert window.open_images([*files, dup])
    view = window.findChild(QWidget, "batchView")
    assert view.isVisible() and view.rowCount() == 4
    save_all = window.findChild(QAction, "actionSaveAll")
    assert save_all is not None and save_all.isEnabled()
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(window.batchFinished, timeout=90_000) as sig:
        assert window.save_all(out)
    assert sig.args == [4, 0]
    assert sorted(p.name for p in out.iterdir()) == ["p0-2.png", "p0.png", "p1.png", "p2.png"]
    # existing files: asked once; replace all
    window.files_colours.many.ask_policy = lambda clash: REPLACE
    with qtbot.waitSignal(window.batchFinished, timeout=90_000) as sig:
        assert window.save_all(out)
    assert sig.args == [4, 0]
    # clicking a row opens it in the single-image view
    with qtbot.waitSignal(window.imageOpened, timeout=20_000):
        view.rowOpened.emit(str(files[1]))
    assert window.current_image().path == files[1]
    qtbot.waitSignal(window.previewReady, timeout=20_000, raising=False).wait()


def test_batch_uses_the_window_k_and_a_bad_file_fails_alone(window, qtbot, make_image, tmp_path):
    window.session.set_k(5)
    good = make_image("g.png", seed=1)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    window.open_images([good, bad])
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(window.batchFinished, timeout=90_000) as sig:
        window.save_all(out)
    assert sig.args == [1, 1]
    from PIL import Image

    with Image.open(out / "g.png") as im:
        assert len(im.getcolors()) <= 5
    view = window.findChild(QWidget, "batchView")
    assert "bad.png" in view.status(1)


def test_a_folder_with_no_images_is_one_sentence(window, qtbot, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    with qtbot.waitSignal(window.messageShown) as sig:
        assert not window.open_images([empty])
    assert "has no images" in sig.args[0] and str(empty) in sig.args[0]
    for box in message_boxes(window):
        box.close()


def test_compressed_mime_data_is_exactly_the_saved_file(opened, qtbot, tmp_path):
    qtbot.waitUntil(lambda: opened.session.encoded is not None, timeout=20_000)
    mime = opened.compressed_mime_data()
    [url] = mime.urls()
    path = Path(url.toLocalFile())
    k = opened.k()
    assert path.name == f"opened-k{k}.png"
    out = tmp_path / "saved.png"
    opened.ask_save_path = lambda suggested: str(out)
    with qtbot.waitSignal(opened.saved, timeout=20_000):
        opened.save_compressed()
    assert path.read_bytes() == out.read_bytes() == bytes(mime.data("image/png"))
    assert not mime.imageData().isNull()
    handle = opened.findChild(QWidget, "dragOut")
    assert handle.isVisible() and handle.isEnabled()
    assert handle.make_drag().mimeData().urls()[0].fileName() == f"opened-k{k}.png"
    # Edit > Copy Compressed (Ctrl+Shift+C)
    action = opened.findChild(QAction, "actionCopyCompressed")
    assert action.shortcut() == QKeySequence("Ctrl+Shift+C")
    action.trigger()
    clip = QGuiApplication.clipboard().mimeData()
    assert clip.hasUrls() and Path(clip.urls()[0].toLocalFile()).read_bytes() == out.read_bytes()
    root = opened.files_colours.compressed.files.root
    assert root is not None and root.exists()
    opened.close()
    assert not root.exists()  # temporary files go with the app


def test_lock_color_stays_in_the_palette_for_every_k(opened, qtbot):
    red = (200, 16, 46)
    with qtbot.waitSignal(opened.previewReady, timeout=20_000):
        assert opened.lock_color(red)
    assert opened.locked_colors() == [red]
    assert red in {tuple(int(v) for v in c[:3]) for c in opened.current_palette()}
    for k in (3, 40):
        with qtbot.waitSignal(opened.previewReady, timeout=20_000):
            opened.session.set_k(k)
        assert red in {tuple(int(v) for v in c[:3]) for c in opened.current_palette()}
    # a click on its swatch unlocks it
    strip = opened.palette_strip
    i = [tuple(int(v) for v in c[:3]) for c in strip.palette_array()].index(red)
    x = int((strip.edges()[i] + strip.edges()[i + 1]) // 2)
    with qtbot.waitSignal(opened.previewReady, timeout=20_000):
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(x, strip.height() // 2))
    assert opened.locked_colors() == []


def test_more_locked_colours_than_k_is_refused(opened, qtbot):
    with qtbot.waitSignal(opened.previewReady, timeout=20_000):
        opened.session.set_k(2)
    with qtbot.waitSignal(opened.previewReady, timeout=20_000):
        opened.lock_color((0, 0, 0))
        opened.lock_color((255, 255, 255))
    with qtbot.waitSignal(opened.messageShown) as sig:
        assert not opened.lock_color((1, 2, 3))
    assert "raise K" in sig.args[0]
    assert opened.locked_colors() == [(0, 0, 0), (255, 255, 255)]
    for box in message_boxes(opened):
        box.close()


def test_eyedropper_locks_the_original_pixel(opened, qtbot):
    pick = opened.findChild(QWidget, "pickColour")
    pick.click()
    view = opened.compare_view
    assert view.eyedropper_on()
    rect = view.image_rect()
    pos = (rect.topLeft() + QPoint(3, 3)).toPoint()
    img_pt = view.widget_to_image(pos.toPointF())
    want = tuple(int(v) for v in opened.current_image().source.pixels[int(img_pt.y()), int(img_pt.x()), :3])
    with qtbot.waitSignal(opened.previewReady, timeout=20_000):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=pos)
    assert opened.locked_colors() == [want]
    assert want in {tuple(int(v) for v in c[:3]) for c in opened.current_palette()}
    assert not pick.isChecked()


def test_export_palette_and_hex_codes(opened, qtbot, tmp_path):
    action = opened.findChild(QAction, "actionExportPalette")
    assert action is not None and action.isEnabled()
    path = tmp_path / "pal.css"
    assert opened.files_colours.export_palette(path) is None
    text = path.read_text()
    assert text.count("--color-") == len(opened.current_palette())
    error = opened.files_colours.export_palette(tmp_path / "pal.txt")
    assert error and ".gpl, .css or .json" in error and not (tmp_path / "pal.txt").exists()
    opened.findChild(QAction, "actionCopyHex").trigger()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert len(lines) == len(opened.current_palette()) and all(x.startswith("#") for x in lines)
    assert np.asarray(opened.current_palette()).shape[0] > 0
