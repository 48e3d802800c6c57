"""The main window's central area and status bar.

The central area is a stack: the drop zone while no image is open, then the editor (the
before/after comparison above the palette row). The status bar carries the busy indicator and
the zoom. The widgets are stored on the window (`drop_zone`, `compare_view`, `palette_strip`,
`palette_caption`, `stack`, `busy_bar`, `zoom_label`); the side panel is in `side_panel`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from .widgets.busy_indicator import BusyIndicator
from .widgets.compare_view import CompareView
from .widgets.drop_zone import DropZone
from .widgets.palette_strip import PaletteStrip

if TYPE_CHECKING:
    from .main_window import MainWindow


def build_central(window: MainWindow) -> None:
    w = window
    w.drop_zone = DropZone()
    w.drop_zone.openRequested.connect(w.open_dialog)
    w.drop_zone.sampleRequested.connect(w.open_sample)

    w.compare_view = CompareView()
    w.compare_view.zoomChanged.connect(w._on_zoom_changed)
    w.palette_strip = PaletteStrip()
    w.palette_caption = QLabel("")
    w.palette_caption.setObjectName("paletteCaption")
    w.palette_caption.setMinimumWidth(90)
    w.palette_caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    palette_row = QHBoxLayout()
    palette_row.setContentsMargins(10, 8, 10, 10)
    palette_row.setSpacing(10)
    palette_row.addWidget(w.palette_strip, 1)
    palette_row.addWidget(w.palette_caption)

    editor = QWidget()
    editor.setObjectName("editor")
    box = QVBoxLayout(editor)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(0)
    box.addWidget(w.compare_view, 1)
    box.addLayout(palette_row)

    w.stack = QStackedWidget()
    w.stack.addWidget(w.drop_zone)
    w.stack.addWidget(editor)
    w.setCentralWidget(w.stack)


def build_status_bar(window: MainWindow) -> None:
    w = window
    status = w.statusBar()
    status.setSizeGripEnabled(True)
    w.zoom_label = QLabel("")
    w.zoom_label.setObjectName("zoomLabel")
    w.zoom_label.setMinimumWidth(70)
    w.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    w.busy_bar = BusyIndicator()  # not an animated QProgressBar: see busy_indicator
    w.busy_bar.setVisible(False)
    status.addPermanentWidget(w.busy_bar)
    status.addPermanentWidget(w.zoom_label)


#: The window's size on a first start, when the screen has room for it.
FIRST_RUN_SIZE = QSize(1280, 820)
#: Room for the window manager's frame before the window is shown (title bar and borders are
#: only known once it is on screen; then the real margins are used).
FRAME_GUESS = QSize(16, 40)


def fit_to_screen(window: QWidget, screen: QScreen | None = None) -> QRect:
    """Shrink and move a top-level window so that all of it (frame included) is on the screen it
    opens on: the screen under its centre, else the primary one (restored geometry from a
    monitor that is gone). Maximized and full-screen windows are left alone. Returns the frame
    geometry it aimed for."""
    if window.isMaximized() or window.isFullScreen():
        return window.frameGeometry()
    geometry = window.geometry()
    screen = screen or QGuiApplication.screenAt(geometry.center()) or QGuiApplication.primaryScreen()
    if screen is None:
        return window.frameGeometry()
    avail = screen.availableGeometry()
    frame = window.frameGeometry()
    extra = QSize(frame.width() - geometry.width(), frame.height() - geometry.height())
    if not window.isVisible():
        extra = extra.expandedTo(FRAME_GUESS)
    minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
    width = max(minimum.width(), min(geometry.width(), avail.width() - extra.width()))
    height = max(minimum.height(), min(geometry.height(), avail.height() - extra.height()))
    if (width, height) != (geometry.width(), geometry.height()):
        window.resize(width, height)
    outer_w, outer_h = width + extra.width(), height + extra.height()
    x = min(max(frame.x(), avail.left()), max(avail.left(), avail.right() + 1 - outer_w))
    y = min(max(frame.y(), avail.top()), max(avail.top(), avail.bottom() + 1 - outer_h))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)  # move() places the frame's top-left corner
    return QRect(x, y, outer_w, outer_h)
