"""The window's pixel and size requirements: the Requirements panel wired to a `FitWorker`.

While any requirement is active (a target size, a maximum width or height, or a format other
than PNG), the window's settled K requests go here instead of to the preview worker: the slider
is then the most colours allowed, and the fit chooses the K (and scale, and JPEG quality). The
result is shown like a preview (compare view, palette, stats, colour cloud), its K is marked on
the slider and on the K curve, and Save writes exactly `Fitted.data`. With nothing active the
window works as before.

Kept out of `main_window` so that it stays about the preview; the window calls `set_image`,
`request`, `encoded_for_save` and `shutdown`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..core.encoding import EXTENSIONS
from .fitting import FitResult, FitWorker
from .widgets.requirements_panel import FORMATS, RequirementsPanel
from .widgets.stats_panel import human_bytes, seconds_text
from .compute import dither_value
from .worker import Encoded, LoadedImage, Preview

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger("kmeans_desktop.gui")


class RequirementsControl(QObject):
    """Drives the Requirements panel and the fits for one `MainWindow`."""

    #: A fitted file is on screen (its K, its exact bytes).
    fitShown = Signal(int, int)
    #: The requirements can't be met (the plain sentence shown in the panel).
    fitFailed = Signal(str)

    def __init__(self, window: MainWindow, panel: RequirementsPanel):
        super().__init__(window)
        self.window = window
        self.panel = panel
        self.worker = FitWorker(self)
        self.shown: FitResult | None = None  # the fitted file on screen, while it is current
        self._image: LoadedImage | None = None
        self._k_max = window.k()
        panel.restore(window.settings.q)
        panel.changed.connect(self._on_changed)
        self.worker.fitReady.connect(self._on_fit)
        self.worker.fitFailed.connect(self._on_failed)
        self.worker.busyChanged.connect(window._on_busy)

    # -- from the window ----------------------------------------------------------------------

    def active(self) -> bool:
        return self.panel.is_active()

    @property
    def busy(self) -> bool:
        return self.worker.busy

    def ready(self) -> bool:
        """Whether the fitted file on screen is the one the current requirements ask for."""
        return self.shown is not None

    def set_image(self, image: LoadedImage) -> None:
        self._image = image
        self.shown = None
        self.worker.set_image(image)
        self._mark(None)

    def request(self, k: int, dither: bool, settled: bool) -> None:
        """The slider (at most K colours) or dithering changed; fits run for settled values only."""
        if not settled or self._image is None:
            return
        req = self.panel.requirements(k, dither)
        if req is None:
            return
        req = dataclasses.replace(req, effort=self.window.settings.effort())  # File ▸ PNG Packing Effort
        self._k_max = k
        self.shown = None
        self.panel.show_working(k)
        self.worker.request(req)
        self.window._update_actions()

    def suggested_extension(self) -> str:
        return EXTENSIONS.get(self.panel.format(), ".png")

    def encoded_for_save(self, fmt: str) -> tuple[Encoded | None, str | None]:
        """The bytes the panel shows, for a file of format `fmt` (or why they can't be saved)."""
        shown = self.shown
        if shown is None:
            return None, "The result is still being computed; save again when it is shown."
        fitted = shown.fitted
        if fmt != fitted.format:
            name = dict(FORMATS).get(fitted.format, fitted.format.upper())
            return None, (f"The requirements ask for {name}: save with the extension "
                          f"{EXTENSIONS[fitted.format]}, or choose another format under Requirements.")
        q = fitted.quantized
        return Encoded(shown.image_id, fitted.k, dither_value(q), fitted.format, fitted.data, shown.seconds), None

    def shutdown(self) -> bool:
        self.panel.save(self.window.settings.q)
        return self.worker.shutdown(1000)

    # -- internal -----------------------------------------------------------------------------

    def _on_changed(self) -> None:
        self.panel.save(self.window.settings.q)
        w = self.window
        if self.active():
            w._schedule_request()
            return
        # Back to the plain preview of the K on the slider.
        self.worker.cancel()
        self.shown = None
        self._mark(None)
        w.stats.set_file_caption("PNG file")
        w._shown = None
        w._dispatch_request()

    def _on_fit(self, result: FitResult) -> None:
        w = self.window
        image = self._image
        if not self.active() or image is None or result.image_id != image.image_id:
            return
        self.shown = result
        fitted = result.fitted
        q = fitted.quantized
        preview = Preview(image.image_id, fitted.k, dither_value(q), q, result.pyramid, True, q.seconds)
        w._shown = preview
        label = f"K = {fitted.k}" + (", dithered" if q.dither else "")
        label += f" · {dict(FORMATS).get(fitted.format, fitted.format)} · {human_bytes(fitted.size)}"
        if fitted.scale < 1:
            label += f" · {fitted.width} × {fitted.height}"
        w.compare_view.set_result(result.pyramid, label)
        w.palette_strip.set_palette(q.palette, q.counts)
        n = q.n_colors
        w.palette_caption.setText(f"{n} colour{'s' if n != 1 else ''}")
        w.colour_space.show_preview(preview)
        w.stats.set_result(image.distinct_colors, n, q.psnr, q.seconds, True)
        w.stats.set_file_caption(f"{fitted.format.upper()} file")
        w.stats.set_encoded(fitted.size, 0.0)
        w.quality.show_fitted(q, fitted.data)
        tries = f"{fitted.candidates} candidate{'s' if fitted.candidates != 1 else ''}"
        w.stats.set_time(f"{seconds_text(result.seconds)} to fit ({tries})",
                         "Finding the best-looking size, K and dithering (or JPEG quality) that meet the requirements")
        self.panel.show_result(fitted, (image.source.width, image.source.height), self._k_max)
        self.panel.show_suggestion(result.suggestion)
        full = (image.source.width, image.source.height) if fitted.target is None else fitted.target
        self._mark(fitted.k, None if (fitted.width, fitted.height) == full else (fitted.width, fitted.height))
        w._update_actions()
        log.info("fitted %s: K=%d, %d bytes, %d×%d, %s", image.name, fitted.k, fitted.size, fitted.width,
                 fitted.height, fitted.format)
        w.sizeReady.emit(fitted.k, fitted.size)
        self.fitShown.emit(fitted.k, fitted.size)
        w.previewReady.emit(fitted.k)  # a final result is on screen, fitted or not

    def _on_failed(self, message: str) -> None:
        if not self.active():
            return
        self.shown = None
        self.panel.show_error(message)
        self._mark(None)
        self.window._update_actions()
        self.fitFailed.emit(message)

    def _mark(self, k: int | None, size: tuple[int, int] | None = None) -> None:
        """Mark the chosen K on the slider and the K curve; `size` when it was chosen at a smaller
        size than the curve's (whose points are for the full size)."""
        self.window.k_slider.set_marker(k)
        curve = getattr(self.window.colour_space, "curve", None)
        if curve is not None and hasattr(curve, "set_fitted_k"):
            curve.set_fitted_k(k, size)
