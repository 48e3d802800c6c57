"""The window's pixel and size requirements: the Requirements panel wired to a `FitWorker`.

While any requirement is active (a target size, a maximum width or height, or a format other
than PNG), the window's settled K requests go here instead of to the preview worker: the slider
is then the most colours allowed, and the fit chooses the K (and scale, and JPEG quality). The
fitted file goes to the session as a result (`Preview.fit` set), which the window shows like any
other result; its K is marked on the slider and on the K curve (through `mark`), and Save writes
exactly `Fitted.data`. With nothing active the window works as before.

It knows the session, the panel and the settings, never the window.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..core.encoding import EXTENSIONS
from .compute import Encoded, LoadedImage, Preview, dither_value
from .fitting import FitResult, FitWorker
from .helper import HelperProcess
from .scheduler import Scheduler
from .session import Session
from .settings import AppSettings
from .widgets.requirements_panel import FORMATS, RequirementsPanel

log = logging.getLogger("kmeans_desktop.gui")


class RequirementsControl(QObject):
    """Drives the Requirements panel and the fits for one `MainWindow`."""

    #: A fitted file is on screen (its K, its exact bytes).
    fitShown = Signal(int, int)
    #: The requirements can't be met (the plain sentence shown in the panel).
    fitFailed = Signal(str)

    def __init__(self, session: Session, panel: RequirementsPanel, settings: AppSettings, scheduler: Scheduler,
                 helper: HelperProcess, mark: Callable[[int | None, tuple[int, int] | None], None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.panel = panel
        self.settings = settings
        self.mark = mark
        self.worker = FitWorker(self, scheduler, helper)
        self.shown: FitResult | None = None  # the fitted file on screen, while it is current
        self._k_max = session.k
        panel.restore(settings)
        session.set_requirements_active(panel.is_active())
        panel.changed.connect(self._on_changed)
        session.imageChanged.connect(self._on_image)
        self.worker.fitReady.connect(self._on_fit)
        self.worker.fitFailed.connect(self._on_failed)
        self.worker.busyChanged.connect(lambda busy: session.set_busy("fit", busy))

    # -- from the window ----------------------------------------------------------------------

    def active(self) -> bool:
        return self.panel.is_active()

    @property
    def busy(self) -> bool:
        return self.worker.busy

    @property
    def _image(self) -> LoadedImage | None:
        return self.session.image

    def ready(self) -> bool:
        """Whether the fitted file on screen is the one the current requirements ask for."""
        return self.shown is not None

    def _on_image(self, image: LoadedImage | None) -> None:
        self.shown = None
        self.worker.set_image(image)
        self.mark(None, None)

    def request(self, k: int, dither: bool | float, settled: bool) -> None:
        """The slider (at most K colours) or dithering changed; fits run for settled values only."""
        if not settled or self._image is None:
            return
        req = self.panel.requirements(k, dither)
        if req is None:
            return
        req = dataclasses.replace(req, effort=self.settings.effort(),  # File ▸ PNG Packing Effort
                                  locked=self.session.locked)
        self._k_max = k
        self.shown = None
        self.session.clear_result()
        self.panel.show_working(k)
        self.worker.request(req)

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
        return _encoded(shown), None

    def shutdown(self) -> bool:
        self.panel.save(self.settings)
        return self.worker.shutdown(1000)

    # -- internal -----------------------------------------------------------------------------

    def _on_changed(self) -> None:
        self.panel.save(self.settings)
        active = self.active()
        self.session.set_requirements_active(active)
        if active:
            self.session.schedule()
            return
        # Back to the plain preview of the K on the slider.
        self.worker.cancel()
        self.shown = None
        self.mark(None, None)
        self.session.dispatch()

    def _on_fit(self, result: FitResult) -> None:
        image = self._image
        if not self.active() or image is None or result.image_id != image.image_id:
            return
        self.shown = result
        fitted = result.fitted
        q = fitted.quantized
        self.panel.show_result(fitted, (image.source.width, image.source.height), self._k_max)
        self.panel.show_suggestion(result.suggestion)
        full = (image.source.width, image.source.height) if fitted.target is None else fitted.target
        self.mark(fitted.k, None if (fitted.width, fitted.height) == full else (fitted.width, fitted.height))
        log.info("fitted %s: K=%d, %d bytes, %d×%d, %s", image.name, fitted.k, fitted.size, fitted.width,
                 fitted.height, fitted.format)
        self.session.show_result(Preview(image.image_id, fitted.k, dither_value(q), q, result.pyramid, True,
                                         q.seconds, fit=result), _encoded(result))
        self.fitShown.emit(fitted.k, fitted.size)

    def _on_failed(self, message: str) -> None:
        if not self.active():
            return
        self.shown = None
        self.session.clear_result()
        self.panel.show_error(message)
        self.mark(None, None)
        self.fitFailed.emit(message)


def _encoded(result: FitResult) -> Encoded:
    """A fitted file as the bytes Save writes."""
    fitted = result.fitted
    return Encoded(result.image_id, fitted.k, dither_value(fitted.quantized), fitted.format, fitted.data,
                   result.seconds)
