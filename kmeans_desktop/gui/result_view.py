"""Showing a result, written once: the compare view's right side, the palette strip and its
caption, and the stats, whatever made the result (a quick or final preview, or a fitted file
when `Preview.fit` is set). The window calls it on the session's `resultChanged` and
`encodedChanged`; it gets the widgets it fills, never the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel

from .compute import Encoded, LoadedImage, Preview, SizeEstimate
from .widgets.compare_view import CompareView
from .widgets.palette_strip import PaletteStrip
from .widgets.requirements_panel import FORMATS
from .widgets.stats_panel import StatsPanel, human_bytes, seconds_text

if TYPE_CHECKING:
    from .session import Session


@dataclass(frozen=True)
class ResultViews:
    compare_view: CompareView
    palette_strip: PaletteStrip
    palette_caption: QLabel
    stats: StatsPanel

    def show(self, result: Preview | None, image: LoadedImage | None, requirements_active: bool) -> None:
        """Show `result` (None: what was shown no longer answers the question asked)."""
        if result is None or image is None:
            if not requirements_active:
                self.stats.set_file_caption("PNG file")
            return
        q = result.quantized
        label = f"K = {result.k}" + (", dithered" if q.dither else "")
        fit = result.fit
        if fit is not None:
            fitted = fit.fitted
            label += f" · {dict(FORMATS).get(fitted.format, fitted.format)} · {human_bytes(fitted.size)}"
            if fitted.scale < 1:
                label += f" · {fitted.width} × {fitted.height}"
        elif not result.final:
            label += " · preview"
        self.compare_view.set_result(result.pyramid, label)
        self.palette_strip.set_palette(q.palette, q.counts)
        n = q.n_colors
        self.palette_caption.setText(f"{n} colour{'s' if n != 1 else ''}")
        self.stats.set_result(image.distinct_colors, n, q.psnr, result.seconds, result.final)
        self.stats.set_file_caption("PNG file" if fit is None else f"{fit.fitted.format.upper()} file")

    def show_encoded(self, encoded: Encoded, result: Preview) -> None:
        """The exact bytes Save writes for `result`; for a fitted file, also how it was found."""
        fit = result.fit
        self.stats.set_encoded(len(encoded.data), 0.0 if fit is not None else encoded.seconds)
        if fit is not None:
            fitted = fit.fitted
            tries = f"{fitted.candidates} candidate{'s' if fitted.candidates != 1 else ''}"
            self.stats.set_time(f"{seconds_text(fit.seconds)} to fit ({tries})",
                                "Finding the best-looking size, K and dithering (or JPEG quality) that meet the "
                                "requirements")

    def show_estimate(self, estimate: SizeEstimate, session: Session) -> None:
        """An estimate of the PNG size of the result on show (marked as one), while its exact bytes
        are packed; dropped when it is for another result or the exact bytes are known."""
        r = session.result
        if (r is None or not r.final or r.fit is not None or session.requirements_active or session.encoded is not None
                or estimate.image_id != r.image_id or estimate.key != r.key):
            return
        self.stats.set_estimate(estimate.nbytes)
