"""Many files in the window: the batch dock (the `batchView` list, a progress bar and Cancel) and
File > Save All… (`actionSaveAll`).

Built from narrow callbacks, never the main window: `template()` gives a `compress.Job` with the
window's K, dithering, requirements and locked colours; `open_single(path)` shows a file in the
single-image view; `message(title, text)` shows a sentence. The work runs in a process pool
(`BatchController`), so the window stays responsive and the single-image view keeps its helper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar, QPushButton,
    QVBoxLayout, QWidget,
)

from ..batch import REPLACE, SKIP, BatchError
from .batch_controller import BatchController
from .widgets.batch_view import BatchView

log = logging.getLogger("kmeans_desktop.gui")


class ManyFiles(QObject):
    batchFinished = Signal(int, int)  # saved, failed
    REFRESH_MS = 500

    def __init__(self, host: QMainWindow, template: Callable[[], object], open_single: Callable[[str], None],
                 message: Callable[[str, str], object], last_folder: Callable[[], str] = lambda: ""):
        super().__init__(host)
        self.host, self.message, self.last_folder = host, message, last_folder
        self.view = BatchView()
        self.progress = QProgressBar()
        self.progress.setObjectName("batchProgress")
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("batchCancel")
        self.summary = QLabel("")
        self.summary.setObjectName("batchSummary")
        body = QWidget()
        col = QVBoxLayout(body)
        col.setContentsMargins(4, 4, 4, 4)
        col.addWidget(self.view)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.progress)
        row.addWidget(self.cancel_button)
        col.addLayout(row)
        self.dock = QDockWidget("Files", host)
        self.dock.setObjectName("batchDock")
        self.dock.setWidget(body)
        host.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.controller = BatchController(self.view, template, lambda clash: self.ask_policy(clash))
        self.controller.progress.connect(self._on_progress)
        self.controller.batchFinished.connect(self._on_finished)
        self.cancel_button.clicked.connect(self.controller.cancel)
        self.view.rowOpened.connect(open_single)
        self.action_save_all = QAction("Save &All…", host)
        self.action_save_all.setObjectName("actionSaveAll")
        self.action_save_all.setStatusTip("Save every file of the list into a folder")
        self.action_save_all.setEnabled(False)
        self.action_save_all.triggered.connect(lambda _=False: self.save_all_dialog())
        host.addAction(self.action_save_all)
        self._refresh = QTimer(self)  # the K slider moves in steps: measure once it rests
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(self.REFRESH_MS)
        self._refresh.timeout.connect(self._measure_again)
        self._set_idle()

    # -- opening ------------------------------------------------------------------------------

    def open_images(self, paths) -> bool:
        """Show these files (folders expanded) in the list and measure them with the current
        settings; False (and one sentence) when there is nothing to open."""
        try:
            files = self.controller.open(list(paths))
        except BatchError as exc:
            self.message("Nothing to open", str(exc))
            return False
        if not self.dock.isVisible():
            self._tab_with_bottom_docks()
        self.dock.show()
        self.dock.raise_()
        self.action_save_all.setEnabled(True)
        self.summary.setText(f"{len(files)} files")
        return True

    def _tab_with_bottom_docks(self) -> None:
        """Share a tab with the first dock along the bottom (the colour space), so the list gets
        the full width instead of squeezing the docks beside it."""
        host, bottom = self.host, Qt.DockWidgetArea.BottomDockWidgetArea
        others = [d for d in host.findChildren(QDockWidget)
                  if d is not self.dock and d.isVisible() and not d.isFloating() and host.dockWidgetArea(d) == bottom]
        if others:
            host.tabifyDockWidget(others[0], self.dock)

    def refresh(self) -> None:
        """The settings changed: measure the list again once they rest (unless a save runs)."""
        if self.controller.files:
            self._refresh.start()

    def _measure_again(self) -> None:
        if not self.controller.saving():
            self.controller.measure()

    # -- saving -------------------------------------------------------------------------------

    def ask_policy(self, clash: list[Path]) -> str | None:
        """Asked once per Save All when files exist: replace all, skip existing, or cancel."""
        names = ", ".join(p.name for p in clash[:3]) + (f" and {len(clash) - 3} more" if len(clash) > 3 else "")
        box = QMessageBox(QMessageBox.Icon.Question, "Files exist",
                          f"{len(clash)} of the files already exist in that folder ({names}).", parent=self.host)
        replace = box.addButton("Replace All", QMessageBox.ButtonRole.DestructiveRole)
        skip = box.addButton("Skip Existing", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return REPLACE if clicked is replace else SKIP if clicked is skip else None

    def ask_folder(self) -> str:
        return QFileDialog.getExistingDirectory(self.host, "Save all into folder", self.last_folder())

    def save_all_dialog(self) -> None:
        folder = self.ask_folder()
        if folder:
            self.save_all(folder)

    def save_all(self, folder) -> bool:
        folder = Path(folder)
        if not folder.is_dir():
            self.message("Can't save", f"{folder}: this folder does not exist.")
            return False
        if not self.controller.files:
            self.message("Nothing to save", "Open several files first (drop them, or a folder, on the window).")
            return False
        started = self.controller.save_all(folder)
        if started:
            self.summary.setText(f"Saving into {folder}…")
            self.cancel_button.setEnabled(True)
            self.progress.show()
        return started

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_finished(self, saved: int, failed: int) -> None:
        self._set_idle()
        text = f"{saved} saved" + (f", {failed} failed" if failed else "")
        self.summary.setText(text + ".")
        log.info("batch saved %d, failed %d", saved, failed)
        self.batchFinished.emit(saved, failed)

    def _set_idle(self) -> None:
        self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        self._refresh.stop()
        self.controller.shutdown()
