"""Message boxes that don't block: the window's warnings and notes open window-modal (a sheet where
the platform has them) and delete themselves when closed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def open_message(parent: QWidget, title: str, text: str, icon: QMessageBox.Icon) -> QMessageBox:
    """Open `text` over `parent` without waiting for it (objectName `messageBox`, which tests find)."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("messageBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box
