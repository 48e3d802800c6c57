"""pyqtgraph's 3-D view rendered offscreen and shown as a picture in a plain QWidget.

A `QOpenGLWidget` anywhere in a window makes Qt compose that whole window with OpenGL on every
repaint, whatever changed: each update request draws the window's backing store as a texture
over the full window, then the GL widgets' textures, and swaps. On Mesa's llvmpipe that costs
~14 ms of rasterizer CPU per repaint in a 1400×900 window (bench_gui stage timing: a 2-D
playback frame took 13.9 ms of llvmpipe CPU in a window that had shown the 3-D view, none in one
that never had; the 3-D frame 18.8 ms after its points were indexed), and the GUI thread
waits for it in the swap: the largest part of a playback frame's wall time under load. And it
stays so for the window's life, also for the 2-D fallback chosen later.

`OffscreenGLView` keeps the window a raster window: it renders the scene with its own context
into a framebuffer object (`GLViewMixin.paint`, the items unchanged), reads the pixels back and
paints them with QPainter in its paintEvent, with the text labels drawn by the raster painter on
top (`TextItem`). A repaint then costs the view's own pixels (read back: ~1 MB), and the window
flushes only what changed. Its own offscreen context also never changes when a dock floats.
"""

from __future__ import annotations

import numpy as np
from OpenGL import GL
from pyqtgraph.opengl import GLTextItem
from pyqtgraph.opengl.GLViewWidget import GLViewMixin
from PySide6.QtCore import QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QOffscreenSurface, QOpenGLContext, QPainter, QSurfaceFormat, QVector3D
from PySide6.QtOpenGL import QOpenGLFramebufferObject, QOpenGLFramebufferObjectFormat
from PySide6.QtWidgets import QWidget


class OffscreenGLView(GLViewMixin, QWidget):
    """A `GLViewWidget` look-alike drawn through an offscreen framebuffer (see the module doc)."""

    #: A frame was rendered and painted (as `QOpenGLWidget.frameSwapped`).
    frameSwapped = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._context: QOpenGLContext | None = None
        self._surface: QOffscreenSurface | None = None
        self._fbo: QOpenGLFramebufferObject | None = None
        self._texts: list[tuple[QPointF, GLTextItem]] = []
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # -- what GLViewMixin and the items expect of a QOpenGLWidget ------------------------------------

    def isValid(self) -> bool:  # noqa: N802 - Qt's name
        """Whether the context exists; then it is current (items initialize in it)."""
        return self._context is not None and self.makeCurrent()

    def context(self) -> QOpenGLContext | None:
        return self._context

    def makeCurrent(self) -> bool:  # noqa: N802 - Qt's name
        return self._context is not None and self._context.makeCurrent(self._surface)

    def doneCurrent(self) -> None:  # noqa: N802 - Qt's name
        if self._context is not None:
            self._context.doneCurrent()

    def defaultFramebufferObject(self) -> int:  # noqa: N802 - Qt's name
        return self._fbo.handle() if self._fbo is not None else 0

    def grabFramebuffer(self) -> QImage:  # noqa: N802 - Qt's name
        """The scene as rendered now, labels included (as `QOpenGLWidget.grabFramebuffer`)."""
        image = self.render_scene().copy()
        painter = QPainter(image)
        self._draw_texts(painter)
        painter.end()
        return image

    # -- rendering ------------------------------------------------------------------------------------

    def _ensure_context(self) -> bool:
        if self._context is not None:
            return self.makeCurrent()
        fmt = QSurfaceFormat.defaultFormat()
        fmt.setDepthBufferSize(24)
        context = QOpenGLContext(self)
        context.setFormat(fmt)
        if not context.create():
            return False
        surface = QOffscreenSurface(None, self)
        surface.setFormat(context.format())
        surface.create()
        self._context, self._surface = context, surface
        if not self.makeCurrent():
            return False
        self.initializeGL()
        return True

    def render_scene(self) -> QImage:
        """Render the items into the framebuffer and read it back (opaque RGBX8888, device pixels); the text labels are collected for the painter (`_draw_texts`)."""
        w, h = max(1, self.deviceWidth()), max(1, self.deviceHeight())
        image = QImage(w, h, QImage.Format.Format_RGBX8888)
        self._texts = []
        if not self._ensure_context():
            image.fill(Qt.GlobalColor.black)
            return image
        if self._fbo is None or self._fbo.size() != QSize(w, h):
            fmt = QOpenGLFramebufferObjectFormat()
            fmt.setAttachment(QOpenGLFramebufferObject.Attachment.CombinedDepthStencil)
            self._fbo = QOpenGLFramebufferObject(QSize(w, h), fmt)
        self._fbo.bind()
        GL.glViewport(0, 0, w, h)
        self.paintGL()
        pixels = np.empty((h, w, 4), np.uint8)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 4)
        GL.glReadPixels(0, 0, w, h, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, pixels)
        self._fbo.release()
        pixels[..., 3] = 255  # translucent lines leave alpha below 1 over the opaque background
        rows = np.frombuffer(image.bits(), np.uint8).reshape(h, image.bytesPerLine())
        rows[:, :w * 4] = pixels[::-1].reshape(h, w * 4)  # GL's rows run bottom-up
        image.setDevicePixelRatio(self.devicePixelRatioF())
        return image

    def queue_text(self, at: QPointF, item: GLTextItem) -> None:
        self._texts.append((at, item))

    def _draw_texts(self, painter: QPainter) -> None:
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        for at, item in self._texts:
            painter.setPen(item.color)
            painter.setFont(item.font)
            painter.drawText(at, item.text)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        image = self.render_scene()
        painter = QPainter(self)
        painter.drawImage(QRect(0, 0, self.width(), self.height()), image)
        self._draw_texts(painter)
        painter.end()
        self.frameSwapped.emit()


class TextItem(GLTextItem):
    """A `GLTextItem` that, in an `OffscreenGLView`, is drawn by the view's raster painter."""

    def paint(self):
        view = self.view()
        if not isinstance(view, OffscreenGLView):
            return super().paint()
        if len(self.text) < 1:
            return
        project = self.compute_projection()
        view.queue_text(self.align_text(project.map(QVector3D(*self.pos)).toPointF()), self)
