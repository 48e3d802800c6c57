"""A handle on the result to drag the compressed file out of the window (objectName `dragOut`)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolButton, QWidget


class DragOutHandle(QToolButton):
    """Press and drag: a drag carrying what `mime_source()` gives (None: nothing to drag yet)."""

    def __init__(self, mime_source: Callable[[], QMimeData | None], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dragOut")
        self.setText("⇲ Drag out")
        self.setAccessibleName("Drag the compressed file")
        self.setToolTip("Drag the compressed file into a folder, a browser's upload field or a chat.")
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self._mime_source = mime_source
        self._press: QPoint | None = None
        self.last_drag: QDrag | None = None  # for tests: the drag that was started

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None or not (event.buttons() & Qt.MouseButton.LeftButton):
            return super().mouseMoveEvent(event)
        if (event.position().toPoint() - self._press).manhattanLength() < QApplication.startDragDistance():
            return
        self._press = None
        self.setDown(False)
        self.start_drag()

    def make_drag(self) -> QDrag | None:
        mime = self._mime_source()
        if mime is None:
            return None
        drag = QDrag(self)
        drag.setMimeData(mime)
        if mime.hasImage():
            from PySide6.QtGui import QPixmap

            pix = QPixmap.fromImage(mime.imageData())
            drag.setPixmap(pix.scaled(96, 96, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation))
        self.last_drag = drag
        return drag

    def start_drag(self) -> None:
        drag = self.make_drag()
        if drag is not None:
            drag.exec(Qt.DropAction.CopyAction)
