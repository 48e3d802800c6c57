"""`kmeans-desktop --install-desktop` / `--uninstall-desktop` into a temporary XDG_DATA_HOME (no Qt)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kmeans_desktop import desktop_entry
from kmeans_desktop.cli import main
from kmeans_desktop.resources import ICON_SIZES, desktop_file_path, icon_png_path, icon_svg_path

CONSOLE_SCRIPT = Path(sys.executable).parent / "kmeans-desktop"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the desktop entry is for Linux")


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def installed_files(home: Path) -> dict[str, Path]:
    files = {f"{s}x{s}": home / "icons" / "hicolor" / f"{s}x{s}" / "apps" / "kmeans-desktop.png" for s in ICON_SIZES}
    files["scalable"] = home / "icons" / "hicolor" / "scalable" / "apps" / "kmeans-desktop.svg"
    files["desktop"] = home / "applications" / "kmeans-desktop.desktop"
    return files


def read_entry(path: Path) -> configparser.SectionProxy:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read_string(path.read_text(encoding="utf-8"))
    return entry["Desktop Entry"]


def exec_value(command: list[str]) -> str:
    """Exec= for `command` (plain paths need no quoting: then it is the command and %f)."""
    if all(desktop_entry.exec_argument(a) == a for a in command):
        return " ".join(command) + " %f"
    return desktop_entry.desktop_entry_text(command).split("Exec=", 1)[1].split("\n", 1)[0]


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) + ("/" if p.is_dir() else "") for p in folder.rglob("*"))


@linux_only
def test_install_writes_the_entry_and_icons_and_uninstall_removes_them(xdg, capsys):
    assert main(["--install-desktop"]) == 0
    out = capsys.readouterr().out
    files = installed_files(xdg)
    assert str(files["desktop"]) in out and "--uninstall-desktop" in out
    for size in ICON_SIZES:
        assert files[f"{size}x{size}"].read_bytes() == icon_png_path(size).read_bytes()
    assert files["scalable"].read_bytes() == icon_svg_path().read_bytes()
    entry, shipped = read_entry(files["desktop"]), read_entry(desktop_file_path())
    # run in-process by pytest: the command is this Python with -m kmeans_desktop
    assert entry["Exec"] == exec_value([sys.executable, "-m", "kmeans_desktop"])
    assert entry["TryExec"] == sys.executable
    for key in ("Type", "Name", "Icon", "MimeType", "Categories", "Terminal"):
        assert entry[key] == shipped[key], key
    assert entry["Icon"] == "kmeans-desktop"
    assert oct(files["desktop"].stat().st_mode & 0o777) == oct(0o644)
    assert not [p for p in xdg.rglob("*.tmp*")]

    other = xdg / "icons" / "hicolor" / "16x16" / "apps" / "someone-else.png"
    other.write_bytes(b"not ours")
    assert main(["--uninstall-desktop"]) == 0
    assert "removed 8 files" in capsys.readouterr().out
    # update-desktop-database (if installed) keeps its MIME cache in applications/, for all apps
    left = [p for p in tree(xdg) if p not in ("applications/", "applications/mimeinfo.cache")]
    assert left == ["icons/", "icons/hicolor/", "icons/hicolor/16x16/", "icons/hicolor/16x16/apps/",
                    "icons/hicolor/16x16/apps/someone-else.png"]
    assert not installed_files(xdg)["desktop"].exists()
    assert main(["--uninstall-desktop"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


@linux_only
def test_console_script_puts_itself_in_exec_and_loads_no_qt(xdg, tmp_path):
    if not CONSOLE_SCRIPT.is_file():
        pytest.skip("the kmeans-desktop console script is not installed next to this Python")
    r = subprocess.run([str(CONSOLE_SCRIPT), "--install-desktop"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "XDG_DATA_HOME": str(xdg)})
    assert r.returncode == 0 and not r.stderr, r.stderr
    entry = read_entry(installed_files(xdg)["desktop"])
    assert entry["Exec"] == exec_value([str(CONSOLE_SCRIPT)]) and entry["TryExec"] == str(CONSOLE_SCRIPT)

    probe = ("import sys; from kmeans_desktop.cli import main; code = main(['--uninstall-desktop']); "
             "qt = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')]; "
             "print('QT:', qt); sys.exit(code)")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "XDG_DATA_HOME": str(xdg)})
    assert r.returncode == 0 and "QT: []" in r.stdout, r.stdout + r.stderr
    assert not installed_files(xdg)["desktop"].exists()


def test_launch_command_is_the_executable_that_runs(tmp_path):
    frozen = tmp_path / "bundle" / "kmeans-desktop"
    assert desktop_entry.launch_command(frozen=True, executable=str(frozen), argv0="whatever") == [str(frozen)]
    script = tmp_path / "venv" / "bin" / "kmeans-desktop"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    py = str(tmp_path / "venv" / "bin" / "python")
    assert desktop_entry.launch_command(frozen=False, executable=py, argv0=str(script)) == [str(script)]
    script.chmod(0o644)  # not executable: not a console script
    assert desktop_entry.launch_command(frozen=False, executable=py, argv0=str(script)) == [py, "-m", "kmeans_desktop"]
    main_py = "/somewhere/kmeans_desktop/__main__.py"
    assert desktop_entry.launch_command(frozen=False, executable=py, argv0=main_py) == [py, "-m", "kmeans_desktop"]


def test_exec_line_quotes_and_escapes_paths(tmp_path):
    text = desktop_entry.desktop_entry_text(["/opt/my apps/k$d 100%/kmeans-desktop"])
    validate = shutil.which("desktop-file-validate")
    if validate:  # desktop-file-utils, where installed
        (tmp_path / "kmeans-desktop.desktop").write_text(text, encoding="utf-8")
        r = subprocess.run([validate, str(tmp_path / "kmeans-desktop.desktop")], capture_output=True, text=True)
        assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr
    lines = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    # quoted for the space, `$` escaped inside the quotes, `%` doubled; then the string escape
    # doubles the backslash (Desktop Entry Specification, "The Exec key")
    assert lines["Exec"] == '"/opt/my apps/k\\\\$d 100%%/kmeans-desktop" %f'
    assert lines["TryExec"] == "/opt/my apps/k$d 100%/kmeans-desktop"
    assert desktop_entry.desktop_entry_text(["/usr/bin/kmeans-desktop"]).count("Exec=/usr/bin/kmeans-desktop %f") == 1
    with pytest.raises(desktop_entry.DesktopEntryError, match="line break"):
        desktop_entry.desktop_entry_text(["/tmp/a\nb/kmeans-desktop"])


def test_data_home_follows_xdg_and_ignores_a_relative_path(tmp_path):
    assert desktop_entry.data_home({"XDG_DATA_HOME": str(tmp_path), "HOME": "/h"}) == tmp_path
    assert desktop_entry.data_home({"XDG_DATA_HOME": "rel/path", "HOME": "/h"}) == Path("/h/.local/share")
    assert desktop_entry.data_home({"HOME": "/h"}) == Path("/h/.local/share")


@linux_only
def test_unwritable_folder_is_one_sentence_and_nothing_is_left_behind(xdg, capsys):
    blocker = xdg / "icons" / "hicolor" / "scalable"  # a file where a folder must go: fails after the PNGs
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"in the way")
    before = tree(xdg)
    assert main(["--install-desktop"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: can't write ") and str(blocker) in lines[0], captured.err
    assert "Traceback" not in captured.err and not captured.out
    assert tree(xdg) == before


@linux_only
def test_a_failure_at_the_last_file_gives_back_what_an_earlier_install_had(xdg, capsys):
    files = installed_files(xdg)
    files["16x16"].parent.mkdir(parents=True)
    files["16x16"].write_bytes(b"an older icon")
    (files["desktop"] / "in-the-way").mkdir(parents=True)  # the .desktop file's name is a folder
    before = tree(xdg)
    assert main(["--install-desktop"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(files["desktop"]) in err, err
    assert files["16x16"].read_bytes() == b"an older icon"
    assert tree(xdg) == before


@linux_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_data_folder(xdg, capsys):
    xdg.mkdir()
    xdg.chmod(0o500)
    try:
        assert main(["--install-desktop"]) == 2
        assert capsys.readouterr().err.startswith("error: can't write ")
        assert tree(xdg) == []
    finally:
        xdg.chmod(0o700)


def test_elsewhere_than_linux_it_says_so_in_one_sentence(xdg, capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert main(["--install-desktop"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --install-desktop is for Linux desktops only"), err
    assert not xdg.exists()
    assert main(["--uninstall-desktop"]) == 2


def test_install_and_uninstall_together_is_a_usage_error(xdg, capsys):
    assert main(["--install-desktop", "--uninstall-desktop"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not allowed with" in err and "usage" not in err
    assert not xdg.exists()
