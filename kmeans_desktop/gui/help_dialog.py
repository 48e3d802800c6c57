"""Help ▸ What is k-means?: a short page with pictures drawn from the sample photo
(`core.help_pictures`) on a pool thread; the text shows at once, the pictures when drawn."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QUrl, Signal
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

log = logging.getLogger("kmeans_desktop.gui.help")

PICTURES = ("assignment", "update", "k_strip", "bytes_chart", "dithering")

PAGE = """
<h2>What is k-means?</h2>
<p>A PNG with a palette stores each pixel as a number into a short list of colours. kmeans-desktop
finds the list: <b>K</b> colours that stand for the image's thousands. k-means finds them by
repeating two steps, starting from K guesses (the <i>centres</i>).</p>
<h3>1. Assignment</h3>
<p>Every pixel joins the centre nearest to its colour. Below, 1,500 pixels of the sample photo are
drawn by colour (its two widest directions), each in its centre's colour; the circles are the
five centres.</p>
<p>{assignment}</p>
<h3>2. Update</h3>
<p>Each centre moves to the mean of its pixels. Then the pixels are assigned again, and so on.
Each round can only lower the total squared distance of the pixels to their centres; when no
pixel changes its centre any more, k-means has <i>converged</i>. Where it ends depends on the
start: another seed may end in another, better or worse, <i>local minimum</i>. Watch it in the
Colour space panel: Play, Step, and Run again.</p>
<p>{update}</p>
<h3>K: how many colours</h3>
<p>Few colours lose the shading first, then whole hues; from a few dozen on, a photo looks close
to the original.</p>
<p>{k_strip}</p>
<h3>Why more colours cost bytes</h3>
<p>Each pixel's number needs more bits when there are more colours (1 bit for 2, 8 bits for 256),
and a busier picture compresses less well. The sample photo's PNG size by K:</p>
<p>{bytes_chart}</p>
<h3>Why dithering helps gradients</h3>
<p>With few colours, a smooth gradient breaks into bands. <i>Dithering</i> mixes neighbouring
palette colours in fine patterns so that, from a normal distance, the eye averages them back
into the gradient. It costs bytes (the patterns compress worse), so the app uses it only where
it pays.</p>
<p>{dithering}</p>
<p><small>The app's engine does the same thing, faster and better: k-means++ on the image's colour
histogram, in OKLab (a space where distances follow what people see), then a few exact
rounds. The file you save always comes from the engine.</small></p>
"""


class _Relay(QObject):
    done = Signal(object)


class _Draw(QRunnable):
    def __init__(self, relay: _Relay):
        super().__init__()
        self.relay = relay

    def run(self) -> None:
        try:
            from ..core import load_image
            from ..core.help_pictures import make_help_pictures
            from ..resources import sample_image_path

            pictures = make_help_pictures(load_image(sample_image_path()).pixels)
            images = {name: _qimage(getattr(pictures, name)) for name in PICTURES}
        except Exception:  # noqa: BLE001 - the page works without its pictures
            log.exception("the help pictures could not be drawn")
            images = {}
        self.relay.done.emit(images)


def _qimage(pixels: np.ndarray) -> QImage:
    h, w, _ = pixels.shape
    arr = np.ascontiguousarray(pixels)
    return QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class KMeansHelp(QDialog):
    """The page (objectName ``kmeansHelp``); `pictures_ready()` once its pictures are in."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kmeansHelp")
        self.setWindowTitle("What is k-means?")
        self.resize(760, 780)
        self.browser = QTextBrowser()
        self.browser.setObjectName("kmeansHelpText")
        self.browser.setOpenExternalLinks(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        box = QVBoxLayout(self)
        box.addWidget(self.browser)
        box.addWidget(buttons)
        self._images: dict[str, QImage] = {}
        self._show()
        self._relay = _Relay()
        self._relay.done.connect(self._on_pictures)
        QThreadPool.globalInstance().start(_Draw(self._relay))

    def pictures_ready(self) -> bool:
        return bool(self._images)

    def _show(self) -> None:
        doc = self.browser.document()
        slots = {}
        for name in PICTURES:
            if name in self._images:
                url = QUrl(f"help:{name}.png")
                doc.addResource(QTextDocument.ResourceType.ImageResource, url, self._images[name])
                slots[name] = f'<img src="{url.toString()}">'
            else:
                slots[name] = "<i>(drawing the picture…)</i>"
        self.browser.setHtml(PAGE.format(**slots))

    def _on_pictures(self, images: dict) -> None:
        self._images = images
        self._show()
