"""The numbers beside the preview: size, colours, the exact file size Save writes, SSIMULACRA2
(what people see, in words) beside PSNR, time."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

DASH = "—"


def human_bytes(n: int) -> str:
    """1,234,567 bytes -> '1.2 MB' (decimal units, as file managers show them)."""
    if n < 1000:
        return f"{n} bytes"
    for unit, size in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if n < size * 1000 or unit == "GB":
            value = n / size
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
    return f"{n} bytes"  # pragma: no cover


def ratio_text(new: int, old: int) -> str:
    r = new / old
    if r < 0.995:
        return f"{r:.0%} of the original ({human_bytes(old)})"
    if r < 1.005:
        return f"the same size as the original ({human_bytes(old)})"
    return f"{r:.2f}× the original ({human_bytes(old)})"


#: SSIMULACRA2 in words: (lowest score, word), best first.
QUALITY_WORDS = ((90.0, "visually lossless"), (70.0, "high"), (50.0, "medium"), (30.0, "low"))
SSIMULACRA2_TIP = ("SSIMULACRA2 against the original: how alike people find them (100 = identical; "
                   "≥ 90 visually lossless, ≥ 70 high, ≥ 50 medium, ≥ 30 low, below that poor). It "
                   "predicts human ratings far better than PSNR.")


def quality_word(score: float) -> str:
    for floor, word in QUALITY_WORDS:
        if score >= floor:
            return word
    return "poor"


def seconds_text(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


class StatsPanel(QWidget):
    """A two-column grid of captions and values; `value_text(key)` reads one (tests use it)."""

    ROWS = (
        ("image", "Image"),
        ("dimensions", "Dimensions"),
        ("colors", "Colours"),
        ("bytes", "PNG file"),
        ("ratio", "Ratio"),
        ("ssimulacra2", "SSIMULACRA2"),
        ("psnr", "PSNR"),
        ("time", "Compute time"),
    )

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("statsPanel")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        self._values: dict[str, QLabel] = {}
        self._captions: dict[str, QLabel] = {}
        for row, (key, caption) in enumerate(self.ROWS):
            cap = QLabel(caption)
            cap.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            muted = cap.palette()
            muted.setColor(QPalette.ColorRole.WindowText, muted.color(QPalette.ColorRole.PlaceholderText))
            cap.setPalette(muted)
            value = QLabel(DASH)
            value.setObjectName(f"stat_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            grid.addWidget(cap, row, 0)
            grid.addWidget(value, row, 1)
            self._values[key] = value
            self._captions[key] = cap
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        self._values["bytes"].setFont(bold)
        #: The exact size of the file Save would write for the result shown, once known.
        self.bytes_shown: int | None = None
        self._original_size: int | None = None
        self._original_format: str | None = None
        self._quantize_seconds: float | None = None

    def set_file_caption(self, caption: str) -> None:
        """Name the file row after the format Save writes ("PNG file", "JPEG file", …)."""
        self._captions["bytes"].setText(caption)

    def set_time(self, text: str, tooltip: str = "") -> None:
        self._set("time", text, tooltip)

    def caption_text(self, key: str) -> str:
        return self._captions[key].text()

    def value_text(self, key: str) -> str:
        return self._values[key].text()

    def _set(self, key: str, text: str, tooltip: str = "") -> None:
        self._values[key].setText(text)
        self._values[key].setToolTip(tooltip)

    def clear(self) -> None:
        for key in self._values:
            self._set(key, DASH)
        self.bytes_shown = None

    def set_image(self, name: str, width: int, height: int, distinct: int,
                  file_size: int | None, file_format: str | None) -> None:
        self.clear()
        self._set("image", name, name)
        mp = width * height / 1e6
        self._set("dimensions", f"{width} × {height} px ({mp:.1f} MP)" if mp >= 0.1 else f"{width} × {height} px")
        self._set("colors", f"{distinct:,} → …")
        self._original_size = file_size
        self._original_format = file_format

    def set_result(self, distinct: int, n_colors: int, psnr: float, seconds: float, final: bool) -> None:
        self._set("colors", f"{distinct:,} → {n_colors:,}")
        self._set("psnr", "lossless (∞)" if math.isinf(psnr) else f"{psnr:.2f} dB",
                  "Peak signal-to-noise ratio against the original: higher is closer.")
        self._quantize_seconds = seconds
        self._set("time", seconds_text(seconds) + ("" if final else " (quick preview)"))
        self.bytes_shown = None
        self._set("bytes", "encoding…" if final else "after the full result")
        self._set("ratio", DASH)

    def set_quality(self, score: float, sampled: bool = False) -> None:
        """Show a SSIMULACRA2 score with its meaning; `sampled`: estimated on tiles (large image)."""
        tip = SSIMULACRA2_TIP
        if sampled:
            tip += ("\nEstimated: the image is large, so its finest detail is scored on sampled "
                    "full-resolution tiles (typically within 0.5 of the whole image).")
        text = f"{score:.1f} · {quality_word(score)}"
        self._set("ssimulacra2", f"≈ {text} (estimated)" if sampled else text, tip)

    def set_quality_pending(self, text: str) -> None:
        self._set("ssimulacra2", text, SSIMULACRA2_TIP)

    def set_estimate(self, nbytes: int) -> None:
        """An estimate of the file's size, marked as one, until `set_encoded` gives the exact bytes
        (`bytes_shown` stays None: an estimate is never what Save is said to write)."""
        if self.bytes_shown is not None:
            return
        self._set("bytes", f"≈ {human_bytes(nbytes)} (estimate; exact size follows)",
                  "Estimated by packing an eighth of the rows; the exact size of the file that "
                  "File > Save compressed… writes is being computed.")
        if self._original_size:
            self._set("ratio", f"≈ {ratio_text(nbytes, self._original_size)}")

    def set_encoded(self, nbytes: int, encode_seconds: float) -> None:
        self.bytes_shown = int(nbytes)
        self._set("bytes", f"{nbytes:,} bytes ({human_bytes(nbytes)})",
                  "The exact size of the file that File > Save compressed… writes.")
        if self._original_size:
            fmt = f", {self._original_format}" if self._original_format else ""
            self._set("ratio", ratio_text(nbytes, self._original_size),
                      f"Original file: {self._original_size:,} bytes{fmt}")
        else:
            self._set("ratio", "no original file (pasted)")
        if self._quantize_seconds is not None:
            self._set("time", f"{seconds_text(self._quantize_seconds)} + encoding {seconds_text(encode_seconds)}")
