"""pyqtgraph's GL scatter and line items, made safe for more than one OpenGL context.

pyqtgraph 0.14 compiles each item class's shader program once and keeps it in a class
attribute, and each item keeps its vertex buffers: both belong to the OpenGL context they were
made in. Every `GLViewWidget` has its own context, and gets a new one when it moves to another
top-level window (a dock floated or docked again). A second window, or a floated dock, then
draws nothing and logs `GLError: invalid value` from `glUseProgram` on every frame (pyqtgraph
issues #1822, #2008, #3455; the only workaround there is `AA_ShareOpenGLContexts`, which must be
set before the QApplication exists). These subclasses keep one program per context and rebuild
their buffers when the context changes.

Only importable where PyOpenGL is; `color_cloud` imports it only after finding a working
OpenGL context.
"""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np
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
        key = context_key(QOpenGLContext.currentContext())
        if getattr(self, "_context", None) != key:
            if getattr(self, "_context", None) is not None:
                for name in self._buffers:  # the old ones belong to the old context
                    setattr(self, name, QtOpenGL.QOpenGLBuffer(QtOpenGL.QOpenGLBuffer.Type.VertexBuffer))
                flags = type(self.dirty_bits)  # upload again whatever is held per vertex
                arrays = [f for f in flags if isinstance(getattr(self, _ATTRIBUTES[f.name], None), np.ndarray)]
                self.dirty_bits = functools.reduce(operator.or_, arrays, flags(0))
            self._context = key
        super().paint()


class ScatterItem(_PerContext, GLScatterPlotItem):
    """A `GLScatterPlotItem` that works in any number of contexts."""

    _base = GLScatterPlotItem
    _buffers = ("m_vbo_position", "m_vbo_color", "m_vbo_size")

    @property
    def count(self) -> int:
        return 0 if self.pos is None else len(self.pos)


class LineItem(_PerContext, GLLinePlotItem):
    """A `GLLinePlotItem` that works in any number of contexts."""

    _base = GLLinePlotItem
    _buffers = ("m_vbo_position", "m_vbo_color")
