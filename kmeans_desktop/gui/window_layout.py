"""The main window's central area and status bar.

The central area is a stack: the drop zone while no image is open, then the editor (the
before/after comparison above the palette row). The status bar carries the busy indicator and
the zoom. The widgets are stored on the window (`drop_zone`, `compare_view`, `palette_strip`,
`palette_caption`, `stack`, `busy_bar`, `zoom_label`); the side panel is in `side_panel`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
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
