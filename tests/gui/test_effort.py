"""File ▸ PNG Packing Effort (issue 13): kept in the settings, used by every encode, so the size on
show and what Save writes are the bytes of the chosen effort; the colours never change."""

from __future__ import annotations

from kmeans_desktop.core import encode
from kmeans_desktop.core.encoding import DEFAULT_EFFORT
from kmeans_desktop.gui.settings import AppSettings


def _wait_bytes(w, qtbot):
    qtbot.waitUntil(lambda: w.worker.cached_bytes(w.current_preview()) is not None, timeout=20_000)
    return w.worker.cached_bytes(w.current_preview())


def test_effort_menu_changes_the_bytes_and_is_remembered(opened, qtbot):
    w = opened
    menu = w.effort_menu
    assert menu.objectName() == "effortMenu"
    checked = [a for a in menu.actions() if a.isChecked()]
    assert [a.data() for a in checked] == [DEFAULT_EFFORT]
    first = _wait_bytes(w, qtbot)
    assert first.effort == DEFAULT_EFFORT
    palette = w.current_palette().copy()
    one = next(a for a in menu.actions() if a.objectName() == "effort1")
    one.trigger()
    assert w.worker.effort == 1 and AppSettings().effort() == 1
    enc = _wait_bytes(w, qtbot)
    q = w.current_preview().quantized
    assert enc.effort == 1
    assert enc.data == encode(q, "png", icc_profile=w.current_image().source.icc_profile, effort=1)
    assert (w.current_palette() == palette).all()  # the colours stay
