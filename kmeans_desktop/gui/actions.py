"""The main window's actions and menus: what each does, its shortcut, where it sits.

The functions here build actions and menus onto a `MainWindow` (as its `action_*`, `recent_menu`
and `view_menu` attributes) and connect them to the window's slots; the slots themselves stay on
the window.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from .main_window import MainWindow


def shortcut_keys(*specs: QKeySequence.StandardKey | str) -> list[QKeySequence]:
    """The platform's bindings for standard keys, plus explicit ones, without duplicates."""
    keys: list[QKeySequence] = []
    for spec in specs:
        found = QKeySequence.keyBindings(spec) if isinstance(spec, QKeySequence.StandardKey) else [QKeySequence(spec)]
        keys.extend(k for k in found if not k.isEmpty() and k not in keys)
    return keys


def add_action(window: MainWindow, text: str, slot, keys: list[QKeySequence] | None = None, name: str = "",
               tip: str = "") -> QAction:
    action = QAction(text, window)
    if name:
        action.setObjectName(name)
    if keys:
        action.setShortcuts(keys)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)  # shortcuts work even when the menu bar is hidden
    return action


def build_actions(window: MainWindow) -> None:
    S = QKeySequence.StandardKey
    w = window
    w.action_open = add_action(w, "&Open…", w.open_dialog, shortcut_keys(S.Open), "actionOpen",
                               "Open an image file")
    w.action_sample = add_action(w, "Open &Sample Image", w.open_sample, None, "actionOpenSample",
                                 "Open the photo that comes with the app")
    w.action_save = add_action(w, "&Save Compressed…", w.save_compressed, shortcut_keys(S.Save),
                               "actionSaveCompressed",
                               "Save the compressed image (PNG-8, GIF, lossless WebP or JPEG, by its extension)")
    w.action_quit = add_action(w, "&Quit", w.close, shortcut_keys(S.Quit) or shortcut_keys("Ctrl+Q"),
                               "actionQuit")
    w.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
    w.action_paste = add_action(w, "&Paste Image", w.paste_image, shortcut_keys(S.Paste), "actionPaste",
                                "Open the image (or image file) on the clipboard")
    w.action_fit = add_action(w, "&Fit to Window", lambda _=False: w.compare_view.fit_to_window(), shortcut_keys("Ctrl+0"),
                              "actionFitToWindow")
    w.action_actual = add_action(w, "&Actual Size (100%)", lambda _=False: w.compare_view.actual_size(), shortcut_keys("Ctrl+1"),
                                 "actionActualSize")
    w.action_zoom_in = add_action(w, "Zoom &In", lambda _=False: w.compare_view.zoom_in(), shortcut_keys(S.ZoomIn, "Ctrl+="),
                                  "actionZoomIn")
    w.action_zoom_out = add_action(w, "Zoom &Out", lambda _=False: w.compare_view.zoom_out(), shortcut_keys(S.ZoomOut, "Ctrl+-"),
                                   "actionZoomOut")
    w.action_about = add_action(w, "&About kmeans-desktop", w.show_about, None, "actionAbout")
    w.action_about.setMenuRole(QAction.MenuRole.AboutRole)
    w.action_clear_recent = QAction("&Clear Menu", w)
    w.action_clear_recent.setObjectName("actionClearRecent")
    w.action_clear_recent.triggered.connect(lambda _=False: clear_recent(w))


def build_menus(window: MainWindow) -> None:
    w = window
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(w.action_open)
    w.recent_menu = QMenu("Open &Recent", w)
    w.recent_menu.setObjectName("recentMenu")
    file_menu.addMenu(w.recent_menu)
    file_menu.addAction(w.action_sample)
    file_menu.addSeparator()
    file_menu.addAction(w.action_save)
    build_effort_menu(w, file_menu)
    file_menu.addSeparator()
    file_menu.addAction(w.action_quit)
    edit_menu = bar.addMenu("&Edit")
    edit_menu.addAction(w.action_paste)
    w.view_menu = bar.addMenu("&View")
    for a in (w.action_fit, w.action_actual, w.action_zoom_in, w.action_zoom_out):
        w.view_menu.addAction(a)
    w.view_menu.addSeparator()
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(w.action_about)
    rebuild_recent_menu(w)


EFFORT_LABELS = {1: "fastest", 3: "default", 5: "smallest, slowest"}


def build_effort_menu(window: MainWindow, parent: QMenu) -> None:
    """File ▸ PNG Packing Effort: 1 (fastest) to 5 (smallest file, slowest), kept in the settings
    and used by every encode, so Save writes exactly the bytes the stats show."""
    from ..core.encoding import EFFORT_MAX, EFFORT_MIN

    w = window
    w.effort_menu = QMenu("PNG Packing &Effort", w)
    w.effort_menu.setObjectName("effortMenu")
    w.effort_menu.setToolTip("How hard the PNG is packed: the colours never change, only the bytes and the time.")
    group = QActionGroup(w.effort_menu)
    current = w.settings.effort()
    for e in range(EFFORT_MIN, EFFORT_MAX + 1):
        label = f"&{e}" + (f" – {EFFORT_LABELS[e]}" if e in EFFORT_LABELS else "")
        action = QAction(label, w.effort_menu, checkable=True, checked=e == current)
        action.setObjectName(f"effort{e}")
        action.setData(e)
        group.addAction(action)
        w.effort_menu.addAction(action)
    group.triggered.connect(lambda a: _set_effort(w, int(a.data())))
    w.worker.set_effort(current)
    parent.addMenu(w.effort_menu)


def _set_effort(window: MainWindow, effort: int) -> None:
    window.settings.set_effort(effort)
    window.worker.set_effort(effort)


def rebuild_recent_menu(window: MainWindow) -> None:
    """Fill File ▸ Open Recent from the settings."""
    menu = window.recent_menu
    menu.clear()
    files = window.settings.recent_files()
    for i, f in enumerate(files, 1):
        action = menu.addAction(f"&{i} {Path(f).name}" if i < 10 else Path(f).name)
        action.setToolTip(f)
        action.setStatusTip(f)
        action.setData(f)
        action.triggered.connect(lambda _=False, f=f: window.open_image(f))
    if files:
        menu.addSeparator()
    menu.addAction(window.action_clear_recent)
    window.action_clear_recent.setEnabled(bool(files))
    menu.setEnabled(True)


def about_text() -> str:
    """Help ▸ About: the version, what the app does, the Qt versions and where the log is."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    from .. import __version__
    from ..logs import log_file

    return (f"<h3>kmeans-desktop {__version__}</h3>"
            "<p>Compress images by k-means colour quantization: choose how many colours to keep, "
            "compare before and after, and save it as PNG-8, GIF, lossless WebP or JPEG.</p>"
            f"<p>Qt {qVersion()} · PySide6 {pyside_version}<br>Log file: {log_file()}</p>")


def clear_recent(window: MainWindow) -> None:
    window.settings.clear_recent_files()
    rebuild_recent_menu(window)
