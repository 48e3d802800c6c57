"""The colour cloud's 50,000 points, redrawn in new colours without rasterizing them again.

While k-means plays, every frame gives the points new colours and nothing else: the camera, the
view's size and the points' positions stay. On Mesa's llvmpipe, drawing 50,000 small points
costs ~4-5 ms of the GUI thread's CPU (vertex processing and binning run in the calling thread)
and ~20 ms of llvmpipe's rasterizer threads per frame (a cost per primitive, not per pixel), and
under load the GUI thread waits for those threads in the swap (bench_gui --part playback,
load 4-8 on 2 CPUs: the rasterizer threads took 37.6 ms CPU a 3-D frame, the GUI thread 19 ms).

`IndexedPoints` draws the points once more into an offscreen index picture (each pixel: which
point is in front there, and its depth), the first time the same camera is painted twice; after
that, a frame with new colours uploads them as a small texture (n texels) and draws one quad over
the view that looks each pixel's point up: a few hundred thousand pixels of a two-fetch shader
instead of 50,000 primitives. Any change of camera, size, positions or point size draws the points
directly again (rotating costs what it did) until the camera rests. The picture is the same: the
same points in front, the same depth against the cube's lines.
"""

from __future__ import annotations

import logging

import numpy as np
from OpenGL import GL
from OpenGL.GL import shaders
from PySide6.QtGui import QOpenGLContext

from .gl_items import SquarePoints, context_key

log = logging.getLogger("kmeans_desktop.gui.cloud")

TEX_WIDTH = 1024  # texels per row of the colour texture (n points: ceil(n / 1024) rows)

_ID_VERTEX = """
    uniform mat4 u_mvp;
    uniform float u_size;
    in vec4 a_position;
    in float a_id;
    out vec4 v_code;
    void main() {
        gl_Position = u_mvp * a_position;
        gl_PointSize = u_size;
        float id = a_id + 1.0;  // 0 is "no point"
        v_code = vec4(mod(id, 256.0), mod(floor(id / 256.0), 256.0), floor(id / 65536.0), 255.0) / 255.0;
    }
"""
_ID_FRAGMENT = """
    in vec4 v_code;
    out vec4 fragColor;
    void main() { fragColor = v_code; }
"""
_QUAD_VERTEX = """
    in vec4 a_position;
    out vec2 v_uv;
    void main() {
        gl_Position = a_position;
        v_uv = a_position.xy * 0.5 + 0.5;
    }
"""
_QUAD_FRAGMENT = """
    uniform sampler2D u_index;
    uniform sampler2D u_depth;
    uniform sampler2D u_colors;
    uniform vec2 u_colors_size;
    in vec2 v_uv;
    out vec4 fragColor;
    void main() {
        vec4 code = texture(u_index, v_uv);
        float id = floor(code.r * 255.0 + 0.5) + 256.0 * floor(code.g * 255.0 + 0.5)
                 + 65536.0 * floor(code.b * 255.0 + 0.5);
        if (id < 0.5) discard;
        id -= 1.0;
        float row = floor(id / u_colors_size.x);
        vec2 at = vec2(id - row * u_colors_size.x + 0.5, row + 0.5) / u_colors_size;
        fragColor = texture(u_colors, at);
        gl_FragDepth = texture(u_depth, v_uv).r;
    }
"""
_LEGACY = {"in vec4 a_": "attribute vec4 a_", "in float a_": "attribute float a_", "out vec4 v_": "varying vec4 v_",
           "in vec4 v_": "varying vec4 v_", "out vec2 v_": "varying vec2 v_", "in vec2 v_": "varying vec2 v_",
           "out vec4 fragColor;": "", "fragColor =": "gl_FragColor =", "texture(": "texture2D("}
_programs: dict[tuple[str, int], int] = {}


def _program(name: str, vertex: str, fragment: str, attributes: tuple[str, ...]) -> int:
    context = QOpenGLContext.currentContext()
    key = (name, context_key(context))
    program = _programs.get(key)
    if program is None:
        modern = context.format().version() >= ((3, 0) if context.isOpenGLES() else (3, 1))
        header = ("#version 300 es\nprecision highp float;\n" if context.isOpenGLES() else "#version 140\n") if modern \
            else ("#version 100\nprecision highp float;\n" if context.isOpenGLES() else "#version 120\n")
        sources = [vertex, fragment]
        if not modern:
            for old, new in _LEGACY.items():
                sources = [src.replace(old, new) for src in sources]
        compiled = [shaders.compileShader([header, src], kind)
                    for kind, src in zip((GL.GL_VERTEX_SHADER, GL.GL_FRAGMENT_SHADER), sources)]
        program = shaders.compileProgram(*compiled)
        for loc, attribute in enumerate(attributes):
            GL.glBindAttribLocation(program, loc, attribute)
        GL.glLinkProgram(program)
        _programs[key] = program
    return program


class IndexedPoints(SquarePoints):
    """`SquarePoints` that repaint new colours through an index picture while the camera rests."""

    def __init__(self, *args, **kwargs):
        self._gl = None  # {"context", "fbo", "index", "depth", "colors", "ids", "quad", "size", ...}
        self._failed: set[int] = set()  # contexts where the index picture could not be made
        self._drawn_key = None  # what the last direct drawing looked like
        self._index_key = None  # what the index picture shows
        self._colors_version = 0
        self._uploaded_version = -1
        self._positions_version = 0
        self._quad: np.ndarray | None = None  # where the indexed frame shades (clip coordinates)
        super().__init__(*args, **kwargs)
        self.indexed_paints = 0  # frames drawn through the index (for tests and benchmarks)
        self.use_index = True  # False: always draw the points directly (for comparisons)

    def setData(self, **kwds):  # noqa: N802 - pyqtgraph's name
        if "pos" in kwds:
            self._positions_version += 1
        if isinstance(kwds.get("color"), np.ndarray):
            self._colors_version += 1
        super().setData(**kwds)

    # -- painting ---------------------------------------------------------------------------------

    def paint(self):
        self._follow_context()
        if self.pos is None or not len(self.pos) or not isinstance(self.color, np.ndarray):
            return super().paint()
        viewport = tuple(int(v) for v in GL.glGetIntegerv(GL.GL_VIEWPORT))
        mvp = np.array(self.mvpMatrix().data(), dtype=np.float32)
        key = (mvp.tobytes(), viewport, self._positions_version, float(self.size), context_key(
            QOpenGLContext.currentContext()))
        if not self.use_index:
            self._index_key = None
        elif key != self._index_key and key == self._drawn_key and key[-1] not in self._failed:
            try:  # the camera rests: make the index picture, once
                self._make_index(key, mvp, viewport)
            except Exception:  # noqa: BLE001 - any failure: draw the points directly, as before
                log.warning("colour cloud: no index picture in this OpenGL context; points drawn directly",
                            exc_info=True)
                self._failed.add(key[-1])
                self._index_key = None
        if key == self._index_key:
            self._draw_indexed(viewport)
            self.indexed_paints += 1
        else:
            super().paint()
        self._drawn_key = key

    def _objects(self, viewport) -> dict:
        """The offscreen picture (colour: point index, depth texture) for this context and size."""
        context = context_key(QOpenGLContext.currentContext())
        gl = self._gl
        if gl is None or gl["context"] != context:  # the old context's objects went with it
            gl = self._gl = {"context": context, "fbo": int(GL.glGenFramebuffers(1)),
                             "index": int(GL.glGenTextures(1)), "depth": int(GL.glGenTextures(1)),
                             "colors": int(GL.glGenTextures(1)), "ids": int(GL.glGenBuffers(1)),
                             "quad": int(GL.glGenBuffers(1)), "size": None, "ids_n": -1, "colors_shape": None}
            self._uploaded_version = -1
            for tex in (gl["index"], gl["depth"], gl["colors"]):
                GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
                for p in (GL.GL_TEXTURE_MIN_FILTER, GL.GL_TEXTURE_MAG_FILTER):
                    GL.glTexParameteri(GL.GL_TEXTURE_2D, p, GL.GL_NEAREST)
                for p in (GL.GL_TEXTURE_WRAP_S, GL.GL_TEXTURE_WRAP_T):
                    GL.glTexParameteri(GL.GL_TEXTURE_2D, p, GL.GL_CLAMP_TO_EDGE)
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        size = (viewport[2], viewport[3])
        if gl["size"] != size:
            w, h = size
            GL.glBindTexture(GL.GL_TEXTURE_2D, gl["index"])
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, w, h, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, None)
            GL.glBindTexture(GL.GL_TEXTURE_2D, gl["depth"])
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_DEPTH_COMPONENT24, w, h, 0, GL.GL_DEPTH_COMPONENT,
                            GL.GL_UNSIGNED_INT, None)
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
            gl["size"] = size
        return gl

    def _make_index(self, key, mvp, viewport) -> None:
        gl = self._objects(viewport)
        n = len(self.pos)
        if gl["ids_n"] != n:
            ids = np.arange(n, dtype=np.float32)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, gl["ids"])
            GL.glBufferData(GL.GL_ARRAY_BUFFER, ids.nbytes, ids, GL.GL_STATIC_DRAW)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
            gl["ids_n"] = n
        if self.dirty_bits & type(self.dirty_bits).POSITION:
            self.upload_vbo(self.m_vbo_position, self.pos)
            self.dirty_bits &= ~type(self.dirty_bits).POSITION
        screen = int(GL.glGetIntegerv(GL.GL_FRAMEBUFFER_BINDING))
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, gl["fbo"])
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, gl["index"], 0)
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_TEXTURE_2D, gl["depth"], 0)
        try:
            if GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER) != GL.GL_FRAMEBUFFER_COMPLETE:
                raise RuntimeError("index framebuffer incomplete")
            GL.glViewport(0, 0, viewport[2], viewport[3])
            GL.glClearColor(0, 0, 0, 0)
            GL.glClearDepth(1.0)
            GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
            GL.glEnable(GL.GL_DEPTH_TEST)
            GL.glDepthMask(GL.GL_TRUE)
            GL.glDisable(GL.GL_BLEND)
            context = QOpenGLContext.currentContext()
            if not context.isOpenGLES():
                GL.glEnable(GL.GL_PROGRAM_POINT_SIZE)
                if context.format().profile() != context.format().OpenGLContextProfile.CoreProfile:
                    GL.glDisable(GL.GL_POINT_SPRITE)
            program = _program("ids", _ID_VERTEX, _ID_FRAGMENT, ("a_position", "a_id"))
            self.m_vbo_position.bind()
            GL.glVertexAttribPointer(0, 3, GL.GL_FLOAT, False, 0, None)
            self.m_vbo_position.release()
            GL.glEnableVertexAttribArray(0)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, gl["ids"])
            GL.glVertexAttribPointer(1, 1, GL.GL_FLOAT, False, 0, None)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
            GL.glEnableVertexAttribArray(1)
            with program:
                GL.glUniformMatrix4fv(GL.glGetUniformLocation(program, "u_mvp"), 1, False, mvp)
                GL.glUniform1f(GL.glGetUniformLocation(program, "u_size"), float(self.size))
                GL.glDrawArrays(GL.GL_POINTS, 0, n)
            GL.glDisableVertexAttribArray(0)
            GL.glDisableVertexAttribArray(1)
        finally:
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, screen)
            GL.glViewport(*viewport)
        self._index_key = key
        self._quad = self._covered(mvp, viewport)

    def _covered(self, mvp: np.ndarray, viewport) -> np.ndarray:
        """The quad (4×4, clip coordinates) over the points' bounding box on screen, a few pixels
        wider: the indexed frame shades only there (the cloud covers a third to a half of the view)."""
        full = np.array([[-1, -1, 0, 1], [1, -1, 0, 1], [-1, 1, 0, 1], [1, 1, 0, 1]], np.float32)
        clip = self.pos @ mvp.reshape(4, 4)[:3] + mvp.reshape(4, 4)[3]  # column-major: row i is column i
        if not len(clip) or (clip[:, 3] <= 1e-6).any():
            return full
        ndc = clip[:, :2] / clip[:, 3:]
        margin = (float(self.size) + 4) / np.array(viewport[2:], np.float32)
        lo = np.clip(ndc.min(axis=0) - margin, -1, 1)
        hi = np.clip(ndc.max(axis=0) + margin, -1, 1)
        return np.array([[lo[0], lo[1], 0, 1], [hi[0], lo[1], 0, 1], [lo[0], hi[1], 0, 1], [hi[0], hi[1], 0, 1]],
                        np.float32)

    def _draw_indexed(self, viewport) -> None:
        gl = self._objects(viewport)
        if self._uploaded_version != self._colors_version:
            n = len(self.color)
            rows = -(-n // TEX_WIDTH)
            texels = np.zeros((rows * TEX_WIDTH, 4), np.uint8)
            scaled = self.color * np.float32(255.0)
            scaled += np.float32(0.5)
            texels[:n] = scaled  # rounded: the 8-bit colours the points would be drawn in
            GL.glBindTexture(GL.GL_TEXTURE_2D, gl["colors"])
            GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 4)
            if gl["colors_shape"] != (TEX_WIDTH, rows):
                GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, TEX_WIDTH, rows, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE,
                                texels)
                gl["colors_shape"] = (TEX_WIDTH, rows)
            else:
                GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, TEX_WIDTH, rows, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, texels)
            self._uploaded_version = self._colors_version  # (the colour VBO stays dirty: drawn directly, it's sent)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glDisable(GL.GL_BLEND)
        program = _program("quad", _QUAD_VERTEX, _QUAD_FRAGMENT, ("a_position",))
        for unit, name in enumerate(("index", "depth", "colors")):
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            GL.glBindTexture(GL.GL_TEXTURE_2D, gl[name])
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, gl["quad"])
        if gl.get("quad_at") is not self._quad:
            GL.glBufferData(GL.GL_ARRAY_BUFFER, self._quad.nbytes, self._quad, GL.GL_STATIC_DRAW)
            gl["quad_at"] = self._quad
        GL.glVertexAttribPointer(0, 4, GL.GL_FLOAT, False, 0, None)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, 0)
        GL.glEnableVertexAttribArray(0)
        with program:
            for unit, name in enumerate(("u_index", "u_depth", "u_colors")):
                GL.glUniform1i(GL.glGetUniformLocation(program, name), unit)
            GL.glUniform2f(GL.glGetUniformLocation(program, "u_colors_size"), float(TEX_WIDTH),
                           float(gl["colors_shape"][1]))
            GL.glDrawArrays(GL.GL_TRIANGLE_STRIP, 0, 4)
        GL.glDisableVertexAttribArray(0)
        for unit in (2, 1, 0):
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
