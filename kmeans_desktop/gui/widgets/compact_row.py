"""Buttons whose text shortens when the widget that holds their row is narrow.

Why: at the window's minimum size (1024×600, issue 15) the colour cloud's header ("Original
colours", "Reduced colours", the space, "Reset view": 438 px) took so much of the bottom dock that
the playback controls beside it were cut off ("Ste", half of "Run again"). With the short texts
("Original", "Reduced"; "Reset view" is no narrower as "Reset", a push button's least width, and
the playback panel has a "Reset" of its own) the header needs 375 px, and the controls get their
whole width: the window's minimum width is 992 px.

The owner's minimum width is set to what the row needs with the short texts; while the owner is
narrower than the row with the long texts, the short ones are shown. The tooltips keep the full
meaning, and the objectNames are untouched.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QAbstractButton, QLayout, QWidget


class CompactRow(QObject):
    """Switches `texts` ((button, long, short), …) of `row` (a layout of `owner`) by the owner's width."""

    def __init__(self, owner: QWidget, row: QLayout, texts: list[tuple[QAbstractButton, str, str]]):
        super().__init__(owner)
        self.owner, self.row, self.texts = owner, row, texts
        self.compact = False
        self._apply(False)
        self.full_width = self._row_width()
        self._apply(True)
        self.compact_width = self._row_width()
        owner.setMinimumWidth(self.compact_width)
        self._apply(owner.width() < self.full_width)
        owner.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.owner and event.type() == QEvent.Type.Resize:
            self._apply(self.owner.width() < self.full_width)
        return False

    def _row_width(self) -> int:
        self.row.invalidate()  # (its minimum is cached until the texts' layout requests are handled)
        return self.row.minimumSize().width()

    def _apply(self, compact: bool) -> None:
        self.compact = compact
        for button, long, short in self.texts:
            button.setText(short if compact else long)
