"""pyqtgraph's GL scatter and line items, made safe for more than one OpenGL context.

pyqtgraph 0.14 compiles each item class's shader program once and keeps it in a class
attribute, and each item keeps its vertex buffers: both belong to the OpenGL context they were
made in. Every `GLViewWidget` has its own context, and gets a new one when it moves to another
top-level window (a dock floated or docked again). A second window, or a floated dock, then
draws nothing and logs `GLError: invalid value` from `glUseProgram` on every frame (pyqtgraph
issues #1822, #2008, #3455; the only workaround there is `AA_ShareOpenGLContexts`, which must be
set before the QApplication exists). These subclasses keep one program per context and rebuild
their buffers when the context changes. (The cloud's `OffscreenGLView` renders with a context of
its own that a floated dock doesn't change; a second view still has another context.)

A workaround with an expiry: it relies on pyqtgraph's private internals of `GLScatterPlotItem`
and `GLLinePlotItem` (the class attribute `_shaderProgram`, `getShaderProgram`, the items'
`_buffers` and their `paint`) as they are in 0.13.7-0.14.x, which is why
pyproject.toml caps pyqtgraph below 0.15. Remove this module (use the plain items) once pyqtgraph
keeps its shader programs and buffers per context: https://github.com/pyqtgraph/pyqtgraph/issues/3455
(also #1822, #2008); before raising the cap, check that a floated cloud dock still draws.

Only importable where PyOpenGL is; `color_cloud` imports it only after finding a working
OpenGL context.
"""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np
from OpenGL import GL
from OpenGL.GL import shaders
from pyqtgraph.opengl import GLLinePlotItem, GLScatterPlotItem
from PySide6 import QtOpenGL
from PySide6.QtGui import QOpenGLContext

_KEY_PROPERTY = "kmeansDesktopContextKey"
_keys = itertools.count(1)
_programs: dict[tuple[type, int], object] = {}
_ATTRIBUTES = {"POSITION": "pos", "COLOR": "color", "SIZE": "size"}  # dirty flag -> what it uploads


def context_key(context: QOpenGLContext) -> int:
    """A number for this context that is never reused (addresses are, after a context is freed)."""
    key = context.property(_KEY_PROPERTY)
    if not key:
        key = next(_keys)
        context.setProperty(_KEY_PROPERTY, key)
    return int(key)


class _PerContext:
    """Mixin: shader program per context; buffers rebuilt when the context changes."""

    _base: type = GLScatterPlotItem  # the pyqtgraph class whose program and buffers these are
    _buffers: tuple[str, ...] = ()

    def getShaderProgram(self):  # noqa: N802 - pyqtgraph's name
        key = (self._base, context_key(QOpenGLContext.currentContext()))
        program = _programs.get(key)
        if program is None:
            self._base._shaderProgram = None  # make the base class compile one for this context
            program = _programs[key] = self._base.getShaderProgram()
        return program

    def paint(self):
        self._follow_context()
        super().paint()

    def _follow_context(self) -> None:
        key = context_key(QOpenGLContext.currentContext())
        if getattr(self, "_context", None) != key:
            if getattr(self, "_context", None) is not None:
                for name in self._buffers:  # the old ones belong to the old context
                    setattr(self, name, QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.VertexBuffer))
                flags = type(self.dirty_bits)  # upload again whatever is held per vertex
                arrays = [f for f in flags if isinstance(getattr(self, _ATTRIBUTES[f.name], None), np.ndarray)]
                self.dirty_bits = functools.reduce(operator.or_, arrays, flags(0))
            self._context = key


class ScatterItem(_PerContext, GLScatterPlotItem):
    """A `GLScatterPlotItem` that works in any number of contexts."""

    _base = GLScatterPlotItem
    _buffers = ("m_vbo_position", "m_vbo_color", "m_vbo_size")

    @property
    def count(self) -> int:
        return 0 if self.pos is None else len(self.pos)


class SquarePoints(ScatterItem):
    """Small square points for many vertices: twice as fast as round ones on Mesa's llvmpipe.

    pyqtgraph draws round points with point sprites (`gl_PointCoord` in the fragment shader and
    `GL_POINT_SPRITE` on); llvmpipe then turns every point into a textured quad. At 2-4 pixels a
    square looks the same, and without sprites 50,000 points take ~14 ms a frame there, not ~25.
    Only what this app uses is supported: positions and colours per point, one size for all.
    """

    _VERTEX = """
        uniform mat4 u_mvp;
        in vec4 a_position;
        in vec4 a_color;
        in float a_size;
        out vec4 v_color;
        void main() {
            gl_Position = u_mvp * a_position;
            v_color = a_color;
            gl_PointSize = a_size;
        }
    """
    _FRAGMENT = """
        #ifdef GL_ES
        precision mediump float;
        #endif
        in vec4 v_color;
        out vec4 fragColor;
        void main() { fragColor = v_color; }
    """
    _LEGACY = {"in vec4 a_": "attribute vec4 a_", "in float a_": "attribute float a_", "out vec4 v_": "varying vec4 v_",
               "in vec4 v_": "varying vec4 v_", "out vec4 fragColor;": "", "fragColor =": "gl_FragColor ="}

    def getShaderProgram(self):  # noqa: N802 - pyqtgraph's name
        context = QOpenGLContext.currentContext()
        key = (SquarePoints, context_key(context))
        program = _programs.get(key)
        if program is None:
            modern = context.format().version() >= ((3, 0) if context.isOpenGLES() else (3, 1))
            header = ("#version 300 es\n" if context.isOpenGLES() else "#version 140\n") if modern else (
                "#version 100\n" if context.isOpenGLES() else "#version 120\n")
            sources = [self._VERTEX, self._FRAGMENT]
            if not modern:  # GLSL 1.x: attribute/varying and gl_FragColor
                for old, new in self._LEGACY.items():
                    sources = [src.replace(old, new) for src in sources]
            compiled = [shaders.compileShader([header, src], kind)
                        for kind, src in zip((GL.GL_VERTEX_SHADER, GL.GL_FRAGMENT_SHADER), sources)]
            program = shaders.compileProgram(*compiled)
            for loc, name in enumerate(("a_position", "a_color", "a_size")):
                GL.glBindAttribLocation(program, loc, name)
            GL.glLinkProgram(program)
            _programs[key] = program
        return program

    def paint(self):
        self._follow_context()
        if self.pos is None or not len(self.pos):
            return
        self.setupGLState()
        if self.dirty_bits & type(self.dirty_bits).POSITION:
            self.upload_vbo(self.m_vbo_position, self.pos)
        if self.dirty_bits & type(self.dirty_bits).COLOR:
            self.upload_vbo(self.m_vbo_color, self.color)
        self.dirty_bits = type(self.dirty_bits)(0)
        context = QOpenGLContext.currentContext()
        if not context.isOpenGLES():
            GL.glEnable(GL.GL_PROGRAM_POINT_SIZE)
            if context.format().profile() != context.format().OpenGLContextProfile.CoreProfile:
                GL.glDisable(GL.GL_POINT_SPRITE)
        program = self.getShaderProgram()
        self.m_vbo_position.bind()
        GL.glVertexAttribPointer(0, 3, GL.GL_FLOAT, False, 0, None)
        self.m_vbo_position.release()
        GL.glEnableVertexAttribArray(0)
        if isinstance(self.color, np.ndarray):
            self.m_vbo_color.bind()
            GL.glVertexAttribPointer(1, 4, GL.GL_FLOAT, False, 0, None)
            self.m_vbo_color.release()
            GL.glEnableVertexAttribArray(1)
        else:
            GL.glVertexAttrib4f(1, *self.color)
        GL.glVertexAttrib1f(2, float(self.size))
        mvp = np.array(self.mvpMatrix().data(), dtype=np.float32)
        with program:
            GL.glUniformMatrix4fv(GL.glGetUniformLocation(program, "u_mvp"), 1, False, mvp)
            GL.glDrawArrays(GL.GL_POINTS, 0, len(self.pos))
        GL.glDisableVertexAttribArray(0)
        GL.glDisableVertexAttribArray(1)


class LineItem(_PerContext, GLLinePlotItem):
    """A `GLLinePlotItem` that works in any number of contexts."""

    _base = GLLinePlotItem
    _buffers = ("m_vbo_position", "m_vbo_color")
