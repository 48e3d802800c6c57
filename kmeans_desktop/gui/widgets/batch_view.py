"""The batch list (objectName `batchView`): one row per file with a thumbnail, its dimensions, the
K or fit chosen, bytes before → after, SSIMULACRA2 and status. Clicking a row opens that file in
the single-image view (`rowOpened`).

A view only: the batch controller fills it. Thumbnails are read a few at a time from the event
loop with a scaled decode (QImageReader), so a long list never freezes the window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImageReader, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from .stats_panel import human_bytes

COLUMNS = ("File", "Dimensions", "Colours", "Bytes before → after", "SSIMULACRA2", "Status")
FILE, DIMS, COLOURS, BYTES, SCORE, STATUS = range(len(COLUMNS))
THUMB = 40


def _bytes(n: int | None) -> str:
    return "…" if n is None else human_bytes(n)  # the one formatting the stats panel uses too


class BatchView(QTableWidget):
    rowOpened = Signal(str)  # the path of the row clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("batchView")
        self.setAccessibleName("Files in the batch")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIconSize(QSize(THUMB, THUMB))
        self.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        for col in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # the status (and an error's sentence) takes the rest
        self.setAlternatingRowColors(True)
        self._paths: list[Path] = []
        self._thumbs_left: list[int] = []
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setInterval(0)
        self._thumb_timer.timeout.connect(self._next_thumbnail)
        self.cellClicked.connect(lambda row, _col: self.rowOpened.emit(str(self._paths[row])))

    def paths(self) -> list[Path]:
        return list(self._paths)

    def set_files(self, paths: list[Path], sizes: list[int | None]) -> None:
        """A row per file: name and bytes before now, the thumbnail and dimensions soon after."""
        self._paths = list(paths)
        self.setRowCount(len(paths))
        for i, (p, size) in enumerate(zip(paths, sizes)):
            name = QTableWidgetItem(p.name)
            name.setToolTip(str(p))
            self.setItem(i, FILE, name)
            self.setItem(i, DIMS, QTableWidgetItem("…"))
            self.setItem(i, COLOURS, QTableWidgetItem(""))
            self.setItem(i, BYTES, QTableWidgetItem(f"{_bytes(size)} → …"))
            self.setItem(i, SCORE, QTableWidgetItem(""))
            self.setItem(i, STATUS, QTableWidgetItem("waiting"))
            self.item(i, BYTES).setData(Qt.ItemDataRole.UserRole, size)
        self._thumbs_left = list(range(len(paths)))
        self._thumb_timer.start()

    def _next_thumbnail(self) -> None:
        if not self._thumbs_left:
            self._thumb_timer.stop()
            return
        i = self._thumbs_left.pop(0)
        reader = QImageReader(str(self._paths[i]))
        reader.setAutoTransform(True)
        size = reader.size()
        if size.isValid():
            self.item(i, DIMS).setText(f"{size.width()} × {size.height()}")
            reader.setScaledSize(size.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if not image.isNull():
            self.item(i, FILE).setIcon(QIcon(QPixmap.fromImage(image)))
        elif not size.isValid():
            self.item(i, DIMS).setText("—")

    def thumbnails_done(self) -> bool:
        return not self._thumbs_left

    def set_result(self, i: int, stats: dict, status: str) -> None:
        """A row's numbers from a compress result (compress.compute_job's stats)."""
        fit = f"K = {stats['k']}"
        if stats.get("scale", 1.0) < 1.0:
            fit += f" at {stats['width']} × {stats['height']}"
        if stats.get("quality"):
            fit += f", quality {stats['quality']}"
        self.item(i, COLOURS).setText(fit)
        if stats.get("reason"):
            self.item(i, COLOURS).setToolTip(stats["reason"])
        before = self.item(i, BYTES).data(Qt.ItemDataRole.UserRole)
        self.item(i, BYTES).setText(f"{_bytes(before)} → {_bytes(stats['bytes_out'])}")
        if stats.get("ssimulacra2") is not None:
            self.item(i, SCORE).setText(f"{stats['ssimulacra2']:.1f}")
        self.set_status(i, status)

    def set_status(self, i: int, status: str, error: str | None = None) -> None:
        item = self.item(i, STATUS)
        item.setText(status if error is None else f"failed: {error}")
        item.setToolTip(error or "")
        item.setForeground(QColor(200, 40, 40) if error else self.palette().text().color())
        pending = self.item(i, BYTES)
        if (error is not None or status in ("cancelled", "skipped (exists)")) and pending.text().endswith(" → …"):
            pending.setText(pending.text()[: -len(" → …")])  # no "after" is coming

    def status(self, i: int) -> str:
        return self.item(i, STATUS).text()

    def cell_text(self, i: int, column: int) -> str:
        return self.item(i, column).text()
