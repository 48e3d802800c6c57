"""`kmeans-desktop --install-desktop` and `--uninstall-desktop`: the app in a Linux desktop's menu
and in "Open with" for images, without copying files by hand.

Installs into the user's XDG data folder ($XDG_DATA_HOME, else ~/.local/share):

    applications/kmeans-desktop.desktop              Exec= and TryExec= name the executable that ran
                                                     this command (see launch_command)
    icons/hicolor/<N>x<N>/apps/kmeans-desktop.png    N = 16, 32, 48, 64, 128, 256
    icons/hicolor/scalable/apps/kmeans-desktop.svg

from the files in `kmeans_desktop.resources`, so a checkout, an installed wheel and the frozen app
install the same entry. The icons are written first and the .desktop file last, so the menu never
shows the entry without its icon. If anything can't be written, every file written so far is
removed again (or given back its old content) and the folders made for them are removed, and the
error is one sentence. Qt-free; Linux only (elsewhere it says so).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .resources import APP_ID, ICON_SIZES, desktop_file_path, icon_png_path, icon_svg_path

EXIT_OK, EXIT_BAD_INPUT = 0, 2
#: Characters that make an Exec= argument need quotes (Desktop Entry Specification, "The Exec key").
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


class DesktopEntryError(Exception):
    """Why the desktop entry can't be installed or removed; one sentence, shown after `error:`."""


def data_home(environ=None) -> Path:
    """$XDG_DATA_HOME if it is an absolute path (the spec says to ignore a relative one), else
    ~/.local/share."""
    env = os.environ if environ is None else environ
    value = env.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / ".local" / "share"


def launch_command(frozen: bool | None = None, executable: str | None = None, argv0: str | None = None) -> list[str]:
    """The command that starts this same installation of the app.

    The frozen app is its own executable; an installed wheel runs through its console script
    (`sys.argv[0]`, kept as given so a pipx or ~/.local/bin symlink stays the entry); anything
    else (`python -m kmeans_desktop`) is this Python with `-m kmeans_desktop`.
    """
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = sys.executable if executable is None else executable
    argv0 = (sys.argv[0] if sys.argv else "") if argv0 is None else argv0
    if frozen:
        return [os.path.abspath(executable)]
    if argv0 and Path(argv0).name == APP_ID and os.path.isfile(argv0) and os.access(argv0, os.X_OK):
        return [os.path.abspath(argv0)]
    return [os.path.abspath(executable), "-m", "kmeans_desktop"]


def _string_value(text: str) -> str:
    """Escape a desktop-file string value (backslash first, as the spec applies it first)."""
    if any(c in text for c in "\n\r"):
        raise DesktopEntryError(f"the path {text!r} has a line break, which a desktop entry can't hold.")
    return text.replace("\\", "\\\\")


def exec_argument(arg: str) -> str:
    """One Exec= argument: `%` doubled, quoted if it has a reserved character (with `"`, `` ` ``,
    `$` and `\\` escaped inside the quotes). The string-level escape is applied on top by the caller."""
    arg = arg.replace("%", "%%")
    if any(c in _RESERVED for c in arg):
        arg = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return arg


def desktop_entry_text(command: list[str]) -> str:
    """The shipped .desktop file with Exec= (the command and `%f`) and TryExec= (its program)."""
    exec_line = "Exec=" + _string_value(" ".join(exec_argument(a) for a in command) + " %f")
    try_exec_line = "TryExec=" + _string_value(command[0])
    lines = []
    for line in desktop_file_path().read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = exec_line
        elif line.startswith("TryExec="):
            line = try_exec_line
        lines.append(line)
    return "\n".join(lines) + "\n"


def icon_targets(home: Path) -> list[tuple[Path, Path]]:
    """(source, destination) of every icon file, in the hicolor theme's folders."""
    apps = [(icon_png_path(s), home / "icons" / "hicolor" / f"{s}x{s}" / "apps" / f"{APP_ID}.png") for s in ICON_SIZES]
    return apps + [(icon_svg_path(), home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")]


def desktop_file_target(home: Path) -> Path:
    return home / "applications" / f"{APP_ID}.desktop"


def planned_files(home: Path, command: list[str]) -> list[tuple[Path, bytes]]:
    """What --install-desktop writes, in order: the icons, then the .desktop file."""
    files = [(dest, src.read_bytes()) for src, dest in icon_targets(home)]
    return files + [(desktop_file_target(home), desktop_entry_text(command).encode("utf-8"))]


def _make_dirs(folder: Path, created: list[Path]) -> None:
    """Create `folder` and its missing parents, outermost first, appending each to `created`."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for d in reversed(missing):
        d.mkdir()
        created.append(d)


def _write_file(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder and a rename: never a partial file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _undo(written: list[tuple[Path, bytes | None]], created: list[Path]) -> None:
    for path, old in reversed(written):
        try:
            if old is None:
                path.unlink(missing_ok=True)
            else:
                _write_file(path, old)
        except OSError:
            pass
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            pass


def _reason(exc: OSError) -> str:
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "a file is in the way of a folder"
    if isinstance(exc, IsADirectoryError):
        return "a folder is in the way of the file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return (exc.strerror or str(exc)).rstrip(".")


def write_files(files: list[tuple[Path, bytes]]) -> None:
    """Write all of `files` or none: on a failure, undo what was done and raise DesktopEntryError."""
    written: list[tuple[Path, bytes | None]] = []
    created: list[Path] = []
    for path, data in files:
        where = None  # the folder that can't be made, or the file that can't be written
        try:
            _make_dirs(path.parent, created)
            where = path
            written.append((path, path.read_bytes() if path.exists() else None))
            _write_file(path, data)
        except OSError as exc:
            _undo(written, created)
            where = where or exc.filename or path.parent
            raise DesktopEntryError(f"can't write {where} ({_reason(exc)}), so the desktop entry was not installed; "
                                    "nothing was left behind.") from None


def _refresh_caches(home: Path) -> None:
    """Tell desktops about the change: the MIME cache for "Open with" (if the tool is there) and
    the icon theme folder's time stamp (icon caches look at it). Failures don't matter here."""
    tool = shutil.which("update-desktop-database")
    if tool:
        try:
            subprocess.run([tool, "-q", str(home / "applications")], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        os.utime(home / "icons" / "hicolor")
    except OSError:
        pass


def install(home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Install the desktop entry and icons; return the files written."""
    home = data_home() if home is None else home
    command = launch_command() if command is None else command
    files = planned_files(home, command)
    write_files(files)
    _refresh_caches(home)
    return [path for path, _ in files]


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what install() wrote; return the files removed (none if it wasn't installed)."""
    home = data_home() if home is None else home
    removed = []
    for path in [desktop_file_target(home)] + [dest for _src, dest in icon_targets(home)]:
        try:
            if path.is_file() or path.is_symlink():
                path.unlink()
                removed.append(path)
        except OSError as exc:
            raise DesktopEntryError(f"can't remove {path} ({_reason(exc)}); remove it by hand.") from None
    for path in removed:  # and the folders left empty, up to the data folder itself
        folder = path.parent
        while folder != home and home in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
    if removed:
        _refresh_caches(home)
    return removed


def run_desktop_command(install_entry: bool) -> int:
    """The CLI's --install-desktop (True) or --uninstall-desktop (False): print what was done,
    or one `error:` line; return the exit code."""
    flag = "--install-desktop" if install_entry else "--uninstall-desktop"
    if not sys.platform.startswith("linux"):
        print(f"error: {flag} is for Linux desktops only; on Windows and macOS start the app from its folder.",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    home = data_home()
    try:
        if install_entry:
            command = launch_command()
            written = install(home, command)
            print(f"installed {written[-1]} (it runs {' '.join(command)}) and {len(written) - 1} icons under "
                  f"{home / 'icons' / 'hicolor'}; undo with kmeans-desktop --uninstall-desktop.")
        else:
            removed = uninstall(home)
            if removed:
                print(f"removed {len(removed)} files: the desktop entry and icons under {home}.")
            else:
                print(f"nothing to remove: no kmeans-desktop desktop entry under {home}.")
    except DesktopEntryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
