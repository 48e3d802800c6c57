"""The Requirements section of the side panel (objectName ``requirementsPanel``): what the file
must meet (max width/height, a target size, the format, metadata) and whether the result does.

The panel only collects values and shows outcomes; `requirements(k, dither)` turns the values
into a `core.budget.Requirements` (None while nothing is asked for), and the window runs the fit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.budget import Requirements

FORMATS = (("png", "PNG-8"), ("gif", "GIF"), ("webp", "WebP (lossless)"), ("jpeg", "JPEG"))
UNITS = (("KB", 1000), ("MB", 1000 * 1000))
MAX_SIDE = 65535
FITS_COLOR = QColor(30, 130, 60)
TOO_BIG_COLOR = QColor(200, 40, 40)
JPEG_NOTE = ("JPEG spreads the colours out again when it compresses, so it keeps only part of the "
             "palette's benefit. Use it when a form accepts only JPEG.")


def fit_sentence(fitted) -> str:
    """The panel's headline for a `Fitted`, e.g. "Fits: 39.7 kB at 370 × 250 px, 110 colours — at
    full size only 7 colours would fit"."""
    size = f"{fitted.size / 1000:.1f} kB" if fitted.size < 10**6 else f"{fitted.size / 10**6:.2f} MB"
    what = f"{fitted.quantized.n_colors} colours" if fitted.format != "jpeg" else f"JPEG quality {fitted.quality}"
    if fitted.quantized.dither:
        what += ", dithered"
    head = f"{size} at {fitted.width} × {fitted.height} px, {what}"
    if fitted.max_bytes is None:
        return head
    if not fitted.fits:
        return f"Too big: {head} (limit {fitted.max_bytes / 1000:.1f} kB)"
    text = f"Fits: {head}"
    if fitted.target is not None and (fitted.width, fitted.height) != fitted.target and fitted.format != "jpeg":
        if fitted.full_k is None:
            text += " — at full size not even 2 colours would fit"
        else:
            text += f" — at full size only {fitted.full_k} colours would fit"
    return text


class RequirementsPanel(QWidget):
    """Inputs for pixel and size requirements, and the line that says whether the file meets them."""

    #: Any requirement changed.
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("requirementsPanel")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)

        self.toggle = QToolButton()
        self.toggle.setObjectName("requirementsToggle")
        self.toggle.setText("Requirements")
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.setStyleSheet("QToolButton { border: none; background: transparent; padding: 0; }")
        font = self.toggle.font()
        font.setWeight(font.Weight.DemiBold)
        font.setPointSizeF(font.pointSizeF() * 1.08)
        self.toggle.setFont(font)
        self.toggle.setToolTip("Show or hide the requirements")
        self.toggle.toggled.connect(self._on_expanded)
        outer.addWidget(self.toggle)

        self.body = QWidget()
        form = QFormLayout(self.body)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.max_width = self._side_spin("maxWidthSpin", "Maximum width (0 = no limit)")
        self.max_height = self._side_spin("maxHeightSpin", "Maximum height (0 = no limit)")
        form.addRow("Max size", _width_by_height(self.max_width, self.max_height))
        self.min_width = self._side_spin("minWidthSpin", "Minimum width (0 = no minimum)")
        self.min_height = self._side_spin("minHeightSpin", "Minimum height (0 = no minimum)")
        form.addRow("Min size", _width_by_height(self.min_width, self.min_height))

        self.target_check = QCheckBox()
        self.target_check.setObjectName("targetCheck")
        self.target_check.setToolTip("Make the file no larger than this")
        self.target_check.setAccessibleName("Limit the file size")
        self.target_value = QDoubleSpinBox()
        self.target_value.setObjectName("targetSpin")
        self.target_value.setRange(0.1, 1_000_000)
        self.target_value.setDecimals(1)
        self.target_value.setValue(100)
        self.target_value.setKeyboardTracking(False)
        self.target_value.setAccessibleName("Target file size")
        self.target_value.lineEdit().setAcceptDrops(False)
        self.target_unit = QComboBox()
        self.target_unit.setObjectName("targetUnit")
        for unit, size in UNITS:
            self.target_unit.addItem(unit, size)
        self.target_unit.setToolTip("KB = 1,000 bytes, MB = 1,000,000 bytes")
        target = QHBoxLayout()
        target.setSpacing(6)
        target.addWidget(self.target_check)
        target.addWidget(self.target_value, 1)
        target.addWidget(self.target_unit)
        form.addRow("Target size", target)

        self.format_combo = QComboBox()
        self.format_combo.setObjectName("formatCombo")
        for fmt, label in FORMATS:
            self.format_combo.addItem(label, fmt)
        self.format_combo.setToolTip("The file format to write")
        form.addRow("Format", self.format_combo)

        self.keep_full_size = QCheckBox("Keep full size")
        self.keep_full_size.setObjectName("keepFullSizeCheck")
        self.keep_full_size.setChecked(False)
        self.keep_full_size.setToolTip("Keep the dimensions (the max size's, or the original's) and choose only the "
                                       "colours and dithering. Off: a smaller size with more colours is chosen "
                                       "when it looks better under the target size.")
        self.keep_metadata = QCheckBox("Keep metadata (EXIF)")
        self.keep_metadata.setObjectName("keepMetadataCheck")
        self.keep_metadata.setToolTip("EXIF may hold where a photo was taken; it is left out unless this is on. "
                                      "The colour profile (ICC) is always kept.")
        form.addRow("", self.keep_full_size)
        form.addRow("", self.keep_metadata)
        outer.addWidget(self.body)

        self.jpeg_note = QLabel(JPEG_NOTE)
        self.jpeg_note.setObjectName("jpegNote")
        self.jpeg_note.setWordWrap(True)
        self._mute(self.jpeg_note)
        outer.addWidget(self.jpeg_note)

        self.status = QLabel("")
        self.status.setObjectName("requirementsStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bold = self.status.font()
        bold.setWeight(bold.Weight.DemiBold)
        self.status.setFont(bold)
        self.details = QLabel("")
        self.details.setObjectName("requirementsDetails")
        self.details.setWordWrap(True)
        self.details.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        outer.addWidget(self.status)
        outer.addWidget(self.details)

        # "JPEG would look clearly better under the same limit (53.1 vs 47.9)" and a button to switch
        self.suggestion = QLabel("")
        self.suggestion.setObjectName("formatSuggestion")
        self.suggestion.setWordWrap(True)
        self.suggestion.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.switch_button = QPushButton("")
        self.switch_button.setObjectName("switchFormatButton")
        self.switch_button.clicked.connect(self._on_switch)
        self._suggested: str | None = None
        outer.addWidget(self.suggestion)
        outer.addWidget(self.switch_button)
        self.show_suggestion(None)

        for spin in (self.max_width, self.max_height, self.min_width, self.min_height):
            spin.valueChanged.connect(self._on_changed)
        self.target_check.toggled.connect(self._on_changed)
        self.target_value.valueChanged.connect(self._on_target_value)
        self.target_unit.currentIndexChanged.connect(self._on_target_value)
        self.format_combo.currentIndexChanged.connect(self._on_changed)
        self.keep_full_size.toggled.connect(self._on_changed)
        self.keep_metadata.toggled.connect(self._on_changed)
        self._sync()

    def _side_spin(self, name: str, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(0, MAX_SIDE)
        spin.setSpecialValueText("any")
        spin.setSuffix(" px")
        spin.setToolTip(tip)
        spin.setAccessibleName(tip)
        spin.setKeyboardTracking(False)
        spin.lineEdit().setAcceptDrops(False)
        spin.setMinimumWidth(70)
        return spin

    def _mute(self, label: QLabel) -> None:
        muted = label.palette()
        muted.setColor(QPalette.ColorRole.WindowText, muted.color(QPalette.ColorRole.PlaceholderText))
        label.setPalette(muted)

    # -- values -------------------------------------------------------------------------------

    def format(self) -> str:
        return self.format_combo.currentData()

    def set_format(self, fmt: str) -> None:
        index = self.format_combo.findData(fmt)
        if index >= 0:
            self.format_combo.setCurrentIndex(index)

    def target_bytes(self) -> int | None:
        if not self.target_check.isChecked():
            return None
        return max(1, int(self.target_value.value() * self.target_unit.currentData()))

    def set_target(self, nbytes: int | None, unit: str = "KB") -> None:
        """Set the target size (None switches it off); `unit` is KB or MB."""
        index = max(0, self.target_unit.findText(unit))
        self.target_unit.setCurrentIndex(index)
        if nbytes is not None:
            self.target_value.setValue(nbytes / self.target_unit.itemData(index))
        self.target_check.setChecked(nbytes is not None)

    def is_active(self) -> bool:
        """Whether anything is asked for beyond the plain PNG of the K on the slider."""
        return (self.target_check.isChecked() or self.max_width.value() > 0 or self.max_height.value() > 0
                or self.format() != "png")

    def requirements(self, k: int, dither: bool) -> Requirements | None:
        """The requirements with `k` as the most colours, or None while none is active."""
        if not self.is_active():
            return None
        return Requirements(
            k=int(k),
            max_bytes=self.target_bytes(),
            max_width=self.max_width.value() or None,
            max_height=self.max_height.value() or None,
            format=self.format(),
            allow_downscale=not self.keep_full_size.isChecked(),
            keep_metadata=self.keep_metadata.isChecked(),
            # dithering switched on is kept as set; off, a byte budget's search may choose it
            dither=True if dither else (None if self.target_check.isChecked() else False),
            dither_strength=float(dither) if dither else 1.0,
            min_width=self.min_width.value() or None,
            min_height=self.min_height.value() or None,
        )

    # -- outcomes -----------------------------------------------------------------------------

    def clear_result(self) -> None:
        self.status.setText("")
        self.details.setText("")
        self.status.setVisible(False)
        self.details.setVisible(False)

    def show_working(self, k: int) -> None:
        self._status("Finding the best file that meets the requirements…", None)
        self._details(f"Up to K = {k}.")

    def show_result(self, fitted, source_size: tuple[int, int], k_max: int) -> None:
        """A `core.budget.Fitted`: fits or not, in colour and words, with what was chosen and why."""
        self._status(fit_sentence(fitted), None if fitted.max_bytes is None else
                     FITS_COLOR if fitted.fits else TOO_BIG_COLOR)
        parts = []
        if fitted.max_bytes is not None:
            parts.append(f"{fitted.size:,} bytes {'≤' if fitted.fits else '>'} {fitted.max_bytes:,}")
        parts.append(f"K = {fitted.k}" + (f" (max {k_max})" if fitted.k != k_max else ""))
        if (fitted.width, fitted.height) != source_size:
            parts.append(f"{fitted.scale:.0%} of {source_size[0]} × {source_size[1]}")
        label = dict(FORMATS).get(fitted.format, fitted.format.upper())
        parts.append(label + (f", quality {fitted.quality}" if fitted.quality is not None else ""))
        if fitted.score is not None:
            parts.append(f"SSIMULACRA2 {fitted.score:.1f}")
        text = " · ".join(parts)
        if fitted.reason:
            text += f"\nWhy: {fitted.reason}."
        self._details(text)

    def show_suggestion(self, suggestion: tuple[str, float, float] | None) -> None:
        """(format, its score, ours): another format looks clearly better under the same limit."""
        self._suggested = suggestion[0] if suggestion else None
        if suggestion is None:
            self.suggestion.setVisible(False)
            self.switch_button.setVisible(False)
            return
        fmt, theirs, ours = suggestion
        name = dict(FORMATS).get(fmt, fmt.upper())
        self.suggestion.setText(f"{name} would look clearly better under the same limit "
                                f"(SSIMULACRA2 {theirs:.1f} vs {ours:.1f}).")
        self.switch_button.setText(f"Use {name}")
        self.suggestion.setVisible(True)
        self.switch_button.setVisible(True)

    def suggestion_text(self) -> str:
        return self.suggestion.text() if self.suggestion.isVisibleTo(self) else ""

    def show_error(self, message: str) -> None:
        self._status(message, TOO_BIG_COLOR)
        self._details("")
        self.show_suggestion(None)

    def status_text(self) -> str:
        return self.status.text()

    def details_text(self) -> str:
        return self.details.text()

    def _status(self, text: str, color: QColor | None) -> None:
        palette = self.palette()
        if color is not None:
            palette.setColor(QPalette.ColorRole.WindowText, color)
        self.status.setPalette(palette)
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _details(self, text: str) -> None:
        self.details.setText(text)
        self.details.setVisible(bool(text))

    # -- settings -----------------------------------------------------------------------------

    def restore(self, settings) -> None:
        """Take the remembered values from `settings` (an `AppSettings`: it owns the keys)."""
        self.set_state(settings.requirements_state())

    def save(self, settings) -> None:
        settings.set_requirements_state(self.state())

    def state(self) -> dict:
        """The inputs' values, by the names `AppSettings.requirements_state` uses."""
        return {"maxWidth": self.max_width.value(), "maxHeight": self.max_height.value(),
                "targetOn": self.target_check.isChecked(), "target": self.target_value.value(),
                "unit": self.target_unit.currentText(), "format": self.format(),
                "minWidth": self.min_width.value(), "minHeight": self.min_height.value(),
                "keepFullSize": self.keep_full_size.isChecked(), "keepMetadata": self.keep_metadata.isChecked(),
                "expanded": self.toggle.isChecked()}

    def set_state(self, state: dict) -> None:
        widgets = (self.max_width, self.max_height, self.min_width, self.min_height, self.target_check,
                   self.target_value, self.target_unit, self.format_combo, self.keep_full_size, self.keep_metadata,
                   self.toggle)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.max_width.setValue(state["maxWidth"])
            self.max_height.setValue(state["maxHeight"])
            self.target_unit.setCurrentIndex(max(0, self.target_unit.findText(state["unit"])))
            self.target_value.setValue(state["target"])
            self.target_check.setChecked(state["targetOn"])
            self.set_format(state["format"])
            self.min_width.setValue(state["minWidth"])
            self.min_height.setValue(state["minHeight"])
            self.keep_full_size.setChecked(state["keepFullSize"])
            self.keep_metadata.setChecked(state["keepMetadata"])
            self.toggle.setChecked(state["expanded"])
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._on_expanded(self.toggle.isChecked())
        self._sync()

    # -- internal -----------------------------------------------------------------------------

    def _on_expanded(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)
        self._sync()

    def _on_target_value(self, *_args) -> None:
        if not self.target_check.isChecked():
            self.target_check.setChecked(True)  # typing a size means "use it" (emits changed)
            return
        self._on_changed()

    def _on_switch(self) -> None:
        if self._suggested is not None:
            fmt = self._suggested
            self.show_suggestion(None)
            self.set_format(fmt)  # emits changed: a new fit in that format

    def _on_changed(self, *_args) -> None:
        self._sync()
        self.changed.emit()

    def _sync(self) -> None:
        self.keep_full_size.setEnabled(self.target_check.isChecked())
        self.min_width.setEnabled(self.target_check.isChecked())
        self.min_height.setEnabled(self.target_check.isChecked())
        self.jpeg_note.setVisible(self.format() == "jpeg" and self.body.isVisibleTo(self))
        if not self.is_active():
            self.clear_result()


def _width_by_height(width: QWidget, height: QWidget) -> QHBoxLayout:
    """A "W × H" row of two spin boxes."""
    row = QHBoxLayout()
    row.setSpacing(6)
    row.addWidget(width, 1)
    row.addWidget(QLabel("×"))
    row.addWidget(height, 1)
    return row
