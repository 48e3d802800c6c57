"""Issue 16's widgets on their own: the batch list and its controller (a real process pool), the
drag-out handle and its mime data, swatch locking and the eyedropper."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from kmeans_desktop.batch import REPLACE, SKIP
from kmeans_desktop.compress import Job
from kmeans_desktop.gui.batch_controller import BatchController
from kmeans_desktop.gui.compressed_mime import DragFiles, compressed_mime
from kmeans_desktop.gui.render import pyramid_from_pixels
from kmeans_desktop.gui.widgets.batch_view import BYTES, COLOURS, DIMS, SCORE, BatchView
from kmeans_desktop.gui.widgets.compare_view import CompareView
from kmeans_desktop.gui.widgets.drag_out import DragOutHandle
from kmeans_desktop.gui.widgets.palette_strip import PaletteStrip

pytestmark = pytest.mark.timeout(120)


def template(**kw):
    base = dict(input=Path("x"), output=Path("x"), k=8, format="png", max_bytes=None, max_width=None,
                max_height=None, keep_metadata=False, dither=False, seed=0, force=False, allow_downscale=True)
    return Job(**{**base, **kw})


@pytest.fixture
def batch(qtbot):
    view = BatchView()
    qtbot.addWidget(view)
    view.resize(700, 300)
    view.show()
    answers = []
    ctl = BatchController(view, template, lambda clash: answers.pop(0) if answers else None, workers=2)
    yield view, ctl, answers
    ctl.shutdown()


def test_open_measures_every_row_and_a_bad_file_shows_its_error(batch, qtbot, make_image, tmp_path):
    view, ctl, _ = batch
    a, b = make_image("a.png", seed=1), make_image("b.png", w=80, h=40, seed=2)
    (tmp_path / "bad.png").write_bytes(b"junk")
    ctl.open([a, b, tmp_path / "bad.png"])
    assert view.objectName() == "batchView" and view.rowCount() == 3
    qtbot.waitUntil(lambda: not ctl.running() and view.thumbnails_done(), timeout=60_000)
    assert view.cell_text(1, DIMS) == "80 × 40"
    assert view.cell_text(0, COLOURS) == "K = 8" and "→" in view.cell_text(0, BYTES)
    assert float(view.cell_text(0, SCORE)) > -100  # a number: the file was scored
    assert view.status(0) == "ready" and view.status(2).startswith("failed: ") and "bad.png" in view.status(2)
    assert view.cell_text(2, BYTES) == "4 bytes"  # no "→ …": nothing is coming
    with qtbot.waitSignal(view.rowOpened) as sig:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.visualItemRect(view.item(1, 0)).center())
    assert sig.args == [str(b)]


def test_save_all_writes_files_numbers_equal_stems_and_asks_once(batch, qtbot, make_image, tmp_path):
    view, ctl, answers = batch
    (tmp_path / "x").mkdir()
    a = make_image("a.png", seed=1)
    a2 = make_image("x/a.png", seed=2)
    ctl.open([a, a2])
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(ctl.batchFinished, timeout=60_000) as sig:
        assert ctl.save_all(out)
    assert sig.args == [2, 0]
    assert sorted(p.name for p in out.iterdir()) == ["a-2.png", "a.png"]
    first = (out / "a.png").read_bytes()
    (out / "a.png").write_bytes(b"old")
    (out / "a-2.png").unlink()
    answers.append(SKIP)
    with qtbot.waitSignal(ctl.batchFinished, timeout=60_000) as sig:
        assert ctl.save_all(out)
    assert sig.args == [1, 0] and (out / "a.png").read_bytes() == b"old"
    assert view.status(0) == "skipped (exists)"
    answers.append(REPLACE)
    with qtbot.waitSignal(ctl.batchFinished, timeout=60_000) as sig:
        assert ctl.save_all(out)
    assert sig.args == [2, 0] and (out / "a.png").read_bytes() == first
    assert not ctl.save_all(out)  # the question answered with Cancel: nothing starts


def test_cancel_marks_the_rest_cancelled(batch, qtbot, make_image, tmp_path):
    view, ctl, _ = batch
    files = [make_image(f"f{i}.png", w=200, h=150, seed=i) for i in range(6)]
    ctl.open(files)
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(ctl.batchFinished, timeout=60_000) as sig:
        ctl.save_all(out)
        ctl.cancel()
    saved, failed = sig.args
    assert failed == 0 and saved == len(list(out.iterdir())) < 6
    assert sum(view.status(i) == "cancelled" for i in range(6)) == 6 - saved


def test_compressed_mime_has_file_url_bytes_and_image(qtbot, tmp_path):
    files = DragFiles()
    arr = np.zeros((4, 6, 3), np.uint8)
    arr[:, 3:] = (200, 16, 46)
    import io

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    data = buf.getvalue()
    mime = compressed_mime(data, "photo-k8.png", "png", files)
    [url] = mime.urls()
    path = Path(url.toLocalFile())
    assert path.name == "photo-k8.png" and path.read_bytes() == data
    assert bytes(mime.data("image/png")) == data
    assert isinstance(mime.imageData(), QImage) and mime.imageData().width() == 6
    files.cleanup()
    assert not path.exists()


def test_drag_handle_starts_a_drag_with_the_mime(qtbot):
    files = DragFiles()
    made = []

    def source():
        m = compressed_mime(b"\x89PNG-not-really", "a-k2.png", "png", files)
        made.append(m)
        return m

    handle = DragOutHandle(source)
    qtbot.addWidget(handle)
    assert handle.objectName() == "dragOut"
    drag = handle.make_drag()
    assert drag is not None and drag.mimeData() is made[0]
    assert DragOutHandle(lambda: None).make_drag() is None
    files.cleanup()


def test_swatch_click_emits_its_colour_and_locked_swatches_are_marked(qtbot):
    strip = PaletteStrip()
    qtbot.addWidget(strip)
    strip.resize(300, 40)
    strip.show()
    strip.set_palette(np.array([[0, 0, 0], [200, 16, 46]], np.uint8), np.array([1, 1]))
    with qtbot.waitSignal(strip.swatchClicked) as sig:
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(225, 20))
    assert sig.args == [(200, 16, 46)]
    before = strip.grab().toImage()
    strip.set_locked([(200, 16, 46)])
    assert strip.is_locked(1) and not strip.is_locked(0)
    assert "Locked" in strip.hover_text(1) and "Click to lock" in strip.hover_text(0)
    assert strip.grab().toImage() != before  # the mark is drawn


def test_eyedropper_picks_an_image_pixel_once(qtbot):
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_image(pyramid_from_pixels(np.zeros((30, 40, 3), np.uint8)))
    view.set_eyedropper(True)
    rect = view.image_rect()
    with qtbot.waitSignal(view.pointPicked) as sig:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=rect.topLeft().toPoint() + QPoint(2, 2))
    assert sig.args == [0, 0]
    assert not view.eyedropper_on()


def test_save_all_writes_measured_bytes_without_computing_again(batch, qtbot, make_image, tmp_path):
    view, ctl, _ = batch
    files = [make_image(f"m{i}.png", seed=i) for i in range(2)]
    ctl.open(files)
    qtbot.waitUntil(lambda: all(view.status(i) == "ready" for i in range(2)), timeout=60_000)
    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(ctl.batchFinished, timeout=60_000) as sig:
        assert ctl.save_all(out)
        assert ctl._run._pool is None  # nothing to compute: the measured files are only written
    assert sig.args == [2, 0]
    from kmeans_desktop.compress import compute_job

    for i, f in enumerate(files):
        _, data = compute_job(template(input=f, output=out / f.name))
        assert (out / f.name).read_bytes() == data
