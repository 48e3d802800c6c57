"""Issue 16 in the window: many files (the batch dock, Save All), the compressed file out (drag
handle, Edit > Copy Compressed), and colours (lock by swatch or eyedropper, export, hex codes).

`FilesAndColours` gets the session, the preview worker, the widgets it drives and narrow callbacks,
never the main window; `WindowContract` holds the main window's public methods for all this, so
the window itself only builds one `FilesAndColours` and forwards its signal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolButton

from ..compress import Job
from . import colour_tools
from .colour_tools import CompressedFile
from .many_files import ManyFiles
from .session import Session
from .widgets.compare_view import CompareView
from .widgets.drag_out import DragOutHandle
from .widgets.palette_strip import PaletteStrip
from .widgets.requirements_panel import RequirementsPanel

STATUS_MS = 8000


def _menu(host: QMainWindow, title: str) -> QMenu | None:
    for action in host.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return None


class FilesAndColours(QObject):
    batchFinished = Signal(int, int)

    def __init__(self, host: QMainWindow, session: Session, worker, compare_view: CompareView,
                 palette_strip: PaletteStrip, panel: RequirementsPanel, *, open_single: Callable[[str], None],
                 message: Callable[[str, str], object], status: Callable[[str], None],
                 last_folder: Callable[[], str], effort: Callable[[], int] | None = None):
        super().__init__(host)
        self.host, self.session, self.worker = host, session, worker
        self.compare_view, self.palette_strip, self.panel = compare_view, palette_strip, panel
        self.message, self.status, self.last_folder = message, status, last_folder
        self.effort = effort  # File > PNG Packing Effort, for the batch too
        self.many = ManyFiles(host, self.batch_template, open_single, message, last_folder)
        self.many.batchFinished.connect(self.batchFinished)
        self.compressed = CompressedFile(self._encoded)
        self.drag_handle = DragOutHandle(self.compressed.mime_data, compare_view)
        self.pick_button = QToolButton(compare_view)
        self.pick_button.setObjectName("pickColour")
        self.pick_button.setText("Pick colour")
        self.pick_button.setCheckable(True)
        self.pick_button.setToolTip("Click, then click the original to lock that colour in the palette")
        compare_view.installEventFilter(self)
        self._build_actions()
        palette_strip.swatchClicked.connect(self.toggle_lock)
        compare_view.pointPicked.connect(self._on_picked)
        self.pick_button.toggled.connect(self._pick_mode)
        session.lockedChanged.connect(self._on_locked)
        session.changed.connect(self._on_session_changed)
        self._place()
        self._update()

    def _build_actions(self) -> None:
        h = self.host

        def action(text, slot, name, keys=None, tip=""):
            a = QAction(text, h)
            a.setObjectName(name)
            if keys:
                a.setShortcut(QKeySequence(keys))
            a.setStatusTip(tip)
            a.triggered.connect(lambda _=False: slot())
            h.addAction(a)
            return a

        self.action_copy = action("Copy &Compressed", self.copy_compressed, "actionCopyCompressed", "Ctrl+Shift+C",
                                  "Put the compressed file on the clipboard, for a browser or a chat")
        self.action_export = action("E&xport Palette…", self.export_palette_dialog, "actionExportPalette",
                                    tip="Save the palette as a GIMP palette, CSS custom properties or JSON")
        self.action_hex = action("Copy Palette as &Hex", self.copy_hex, "actionCopyHex",
                                 tip="Put the palette's hex codes on the clipboard, one a line")
        self.action_pick = action("&Pick Colour to Lock", lambda: self.pick_button.toggle(), "actionPickColour",
                                  tip="Click the original to keep that colour exactly in the palette")
        self.action_unlock = action("&Unlock All Colours", lambda: self.session.set_locked([]), "actionUnlockAll")
        file_menu, edit_menu = _menu(h, "File"), _menu(h, "Edit")
        if file_menu is not None:
            before = next((a for a in file_menu.actions() if a.objectName() == "actionQuit"), None)
            for a in (self.many.action_save_all, self.action_export):
                file_menu.insertAction(before, a)
            file_menu.insertSeparator(before)
        if edit_menu is not None:
            edit_menu.addSeparator()
            for a in (self.action_copy, self.action_hex, self.action_pick, self.action_unlock):
                edit_menu.addAction(a)

    # -- the compressed file out ----------------------------------------------------------------

    def _encoded(self) -> tuple[bytes, str, int, str] | None:
        s = self.session
        enc, image = s.encoded, s.image
        if enc is None or image is None or not s.can_save():
            return None
        stem = image.path.stem if image.path is not None else "pasted"
        return enc.data, stem, enc.k, enc.fmt

    def compressed_mime_data(self) -> QMimeData | None:
        return self.compressed.mime_data()

    def copy_compressed(self) -> bool:
        if not self.compressed.copy():
            self.status("Nothing to copy yet: the result is still being computed.")
            return False
        self.status("The compressed file is on the clipboard.")
        return True

    # -- colours --------------------------------------------------------------------------------

    def lock_color(self, rgb) -> bool:
        """Lock (r, g, b); False (and a sentence) when K has no room for another locked colour."""
        rgb = tuple(int(v) for v in rgb[:3])
        if rgb in self.session.locked:
            return True
        if len(self.session.locked) >= self.session.k:
            self.message("Can't lock", f"{len(self.session.locked)} colours are locked already and K is "
                         f"{self.session.k}; raise K or unlock a colour first.")
            return False
        self.session.set_locked([*self.session.locked, rgb])
        return True

    def toggle_lock(self, rgb) -> None:
        rgb = tuple(int(v) for v in rgb[:3])
        if rgb in self.session.locked:
            self.session.toggle_lock(rgb)
        else:
            self.lock_color(rgb)

    def _pick_mode(self, on: bool) -> None:
        self.compare_view.set_eyedropper(on)
        if on:
            self.status("Click the original to lock that colour.")

    def _on_picked(self, x: int, y: int) -> None:
        self.pick_button.setChecked(False)
        image = self.session.image
        if image is None:
            return
        px = image.source.pixels
        if 0 <= y < px.shape[0] and 0 <= x < px.shape[1]:
            self.lock_color(tuple(int(v) for v in px[y, x, :3]))

    def _on_locked(self, locked) -> None:
        self.worker.set_locked(tuple(locked))
        self.palette_strip.set_locked(locked)
        self.many.refresh()
        text = ", ".join(colour_tools.hex_colour(c) for c in locked)
        self.status(f"Locked: {text}." if locked else "No colour is locked.")

    def export_palette_dialog(self) -> None:
        palette = self.session.current_palette()
        if not len(palette):
            self.status("There is no palette to export yet.")
            return
        image = self.session.image
        stem = image.path.stem if image is not None and image.path is not None else "palette"
        path = colour_tools.ask_export_path(self.host, Path(self.last_folder()) / f"{stem}-palette.gpl")
        if path:
            error = self.export_palette(path)
            if error:
                self.message("Can't export the palette", error)

    def export_palette(self, path) -> str | None:
        r = self.session.result
        counts = r.quantized.counts if r is not None else None
        error = colour_tools.write_palette(self.session.current_palette(), counts, path)
        if error is None:
            self.status(f"Exported the palette to {Path(path).name}.")
        return error

    def copy_hex(self) -> None:
        palette = self.session.current_palette()
        if len(palette):
            colour_tools.copy_hex_codes(palette)
            self.status(f"Copied {len(palette)} hex codes.")

    # -- batch ----------------------------------------------------------------------------------

    def batch_template(self) -> Job:
        """The window's settings as a compress job (input and output are filled in per file)."""
        s = self.session
        req = self.panel.requirements(s.k, s.dither_value()) if s.requirements_active else None
        none = Path()
        extra = {"effort": self.effort()} if self.effort is not None else {}
        if req is None:
            return Job(input=none, output=none, k=s.k, format="png", max_bytes=None, max_width=None,
                       max_height=None, keep_metadata=False, dither=s.dither, seed=0, force=False,
                       allow_downscale=True, dither_strength=s.dither_value() or 1.0, locked=s.locked, **extra)
        return Job(input=none, output=none, k=req.k, format=req.format, max_bytes=req.max_bytes,
                   max_width=req.max_width, max_height=req.max_height, keep_metadata=req.keep_metadata,
                   dither=req.dither, seed=req.seed, force=False, allow_downscale=req.allow_downscale,
                   dither_strength=req.dither_strength, min_width=req.min_width, min_height=req.min_height,
                   locked=s.locked, **extra)

    # -- layout and state -----------------------------------------------------------------------

    def eventFilter(self, obj, event) -> bool:
        if obj is self.compare_view and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        v, m = self.compare_view, 10
        for b in (self.drag_handle, self.pick_button):
            b.adjustSize()
        self.drag_handle.move(v.width() - self.drag_handle.width() - m, v.height() - self.drag_handle.height() - m)
        self.pick_button.move(m, v.height() - self.pick_button.height() - m)

    def _on_session_changed(self, changes: frozenset) -> None:
        if changes & {"image", "result", "encoded", "requirements", "k", "dither"}:
            self._update()
            if changes & {"k", "dither", "requirements"}:
                self.many.refresh()

    def _update(self) -> None:
        s = self.session
        has_file = s.encoded is not None and s.can_save()
        self.drag_handle.setEnabled(has_file)
        self.action_copy.setEnabled(has_file)
        has_palette = s.result is not None
        self.action_export.setEnabled(has_palette)
        self.action_hex.setEnabled(has_palette)
        self.pick_button.setEnabled(s.image is not None)
        self.action_pick.setEnabled(s.image is not None)

    def shutdown(self) -> None:
        self.many.shutdown()
        self.compressed.cleanup()


class WindowContract:
    """The main window's public methods for issue 16 (mixed into `MainWindow`, which sets
    `self.files_colours`)."""

    files_colours: FilesAndColours

    def open_images(self, paths) -> bool:
        """Open several files (or folders) as a batch list (`batchView`)."""
        return self.files_colours.many.open_images(paths)

    def save_all(self, folder) -> bool:
        """Write every file of the batch into `folder`; `batchFinished(saved, failed)` follows."""
        return self.files_colours.many.save_all(folder)

    def compressed_mime_data(self) -> QMimeData | None:
        """The compressed file as drag/clipboard data (file URL + bytes + image); None before it exists."""
        return self.files_colours.compressed_mime_data()

    def lock_color(self, rgb) -> bool:
        return self.files_colours.lock_color(rgb)

    def locked_colors(self) -> list[tuple[int, int, int]]:
        return list(self.files_colours.session.locked)
