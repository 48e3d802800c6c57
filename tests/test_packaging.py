"""Packaging without building: build.spec's rules, the frozen entry, the icons and the desktop file.

Qt-free (the icon check renders in a subprocess). The real build and the frozen smoke test run
in CI after the test suite (`./dev dist`).
"""

from __future__ import annotations

import ast
import configparser
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"
sys.path.insert(0, str(ROOT / "packaging"))

import icu_trim  # noqa: E402

from kmeans_desktop.core.formats import READ_MIME_TYPES  # noqa: E402

#: The spec's helpers that test_spec_rules calls (everything else in it needs PyInstaller).
SPEC_HELPERS = {"parts_of", "qt_plugin_kept", "is_test_file", "is_unused_data", "is_translation", "is_test_module",
                "load_segments_aligned"}


@pytest.fixture(scope="module")
def spec() -> dict:
    """The spec's constants and pure helper functions, run without PyInstaller."""
    tree = ast.parse(SPEC.read_text(), str(SPEC))
    keep = [node for node in tree.body
            if (isinstance(node, ast.FunctionDef) and node.name in SPEC_HELPERS)
            or (isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets)
                and not isinstance(node.value, ast.Call))
            or (isinstance(node, ast.AugAssign))]
    namespace = {"Path": Path, "struct": struct, "os": __import__("os"), "ROOT": ROOT}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(SPEC), "exec"), namespace)  # noqa: S102
    return namespace


def test_spec_builds_one_folder_app_from_the_entry_script():
    text = SPEC.read_text()
    ast.parse(text)
    assert 'APP = "kmeans-desktop"' in text and "COLLECT(" in text and "exclude_binaries=True" in text
    assert 'ROOT / "packaging" / "entry.py"' in text
    assert "from kmeans_desktop import __version__" in text
    assert 'collect_submodules("kmeans_desktop")' in text and '"pyqtgraph.opengl"' in text


def test_spec_excludes_what_the_app_does_not_use(spec):
    excludes = set(spec["EXCLUDES"])
    for name in ("tkinter", "pytest", "hypothesis", "matplotlib", "PySide6.QtWebEngineCore", "PySide6.QtQml",
                 "PySide6.QtQuick", "PySide6.QtMultimedia", "PySide6.Qt3DCore", "PySide6.QtCharts"):
        assert name in excludes, name
    for needed in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtOpenGL",
                   "PySide6.QtOpenGLWidgets", "PySide6.QtSvg", "OpenGL", "pyqtgraph", "numpy.testing"):
        assert needed not in excludes, needed


def test_spec_rules(spec):
    kept = spec["qt_plugin_kept"]
    assert kept("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert kept("PySide6/Qt/plugins/platforms/libqoffscreen.so")
    assert kept("PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so")
    assert kept("PySide6/Qt/plugins/imageformats/libqjpeg.so")
    assert not kept("PySide6/Qt/plugins/platforms/libqeglfs.so")
    assert not kept("PySide6/Qt/plugins/platformthemes/libqgtk3.so")
    assert not kept("PySide6/Qt/plugins/sqldrivers/libqsqlite.so")
    assert not kept("PySide6/Qt/plugins/tls/libqopensslbackend.so")
    assert kept("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")  # not a plugin
    assert spec["is_test_module"]("sklearn.cluster.tests.test_k_means")
    assert spec["is_test_module"]("numpy.conftest")
    assert not spec["is_test_module"]("sklearn.cluster._kmeans")
    assert spec["is_test_file"]("scipy/special/tests/data/boost.npz")
    assert spec["is_unused_data"]("sklearn/datasets/images/china.jpg")
    assert not spec["is_unused_data"]("sklearn/datasets/__init__.py")
    assert spec["is_translation"]("PySide6/Qt/translations/qtbase_de.qm")


def test_load_segment_check_accepts_real_libraries(spec):
    import numpy

    extension = next(Path(numpy.__file__).parent.glob("_core/_multiarray_umath*.so"), None)
    if extension is None:
        pytest.skip("numpy has no ELF extension module here")
    assert spec["load_segments_aligned"](extension)


def test_entry_script_takes_the_time_first_and_supports_frozen_multiprocessing():
    tree = ast.parse((ROOT / "packaging" / "entry.py").read_text())
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    assert isinstance(body[0], ast.Import) and body[0].names[0].name == "time"
    assert isinstance(body[1], ast.Assign) and body[1].targets[0].id == "STARTED_AT"
    text = (ROOT / "packaging" / "entry.py").read_text()
    assert text.index("multiprocessing.freeze_support()") < text.index("from kmeans_desktop.cli import main")


def test_desktop_file():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "resources" / "kmeans-desktop.desktop", encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Name"] == "kmeans-desktop"
    assert d["Exec"] == "kmeans-desktop %f" and d["Icon"] == "kmeans-desktop" and d["Terminal"] == "false"
    assert "Graphics" in d["Categories"].split(";")
    # the one list of formats we read (core.formats) decides what "Open with" offers
    assert set(filter(None, d["MimeType"].split(";"))) == set(READ_MIME_TYPES)
    validate = shutil.which("desktop-file-validate")
    if validate:
        r = subprocess.run([validate, str(ROOT / "resources" / "kmeans-desktop.desktop")], capture_output=True,
                           text=True)
        assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


def test_icon_files():
    icons = ROOT / "resources" / "icons"
    svg = ET.parse(icons / "kmeans-desktop.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 256 256"
    for size in (16, 32, 48, 64, 128, 256):
        with Image.open(icons / f"kmeans-desktop-{size}.png") as im:
            assert im.format == "PNG" and im.size == (size, size) and im.mode == "RGBA"
            assert im.getextrema()[3] == (0, 255)  # transparent corners, opaque cube
    with Image.open(icons / "kmeans-desktop.ico") as ico:
        assert ico.format == "ICO"


@pytest.mark.timeout(120)
def test_icon_pngs_match_the_svg():
    """The committed PNGs are what scripts/make_icons.py renders from the SVG (Qt, offscreen)."""
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_icons.py"), "--check"], capture_output=True,
                       text=True, cwd=ROOT, timeout=100)
    assert r.returncode == 0, r.stdout + r.stderr


# ICU data trimming (packaging/icu_trim.py)

def _package(items: dict[str, bytes]) -> bytes:
    header = struct.pack("<HBB", 32, 0xDA, 0x27) + struct.pack("<HHBBBB4s4s4s", 20, 0, 0, 0, 2, 0, b"CmnD",
                                                               b"\1\0\0\0", b"\3\0\0\0")
    header += b"\0" * (32 - len(header))
    return icu_trim.build_package(header, list(items.items()))


def test_icu_package_round_trip_and_trim():
    items = {"icudt73l/coll/de.res": b"collation" * 3, "icudt73l/curr/de.res": b"currency names",
             "icudt73l/ibm-943_P15A-2003.cnv": b"converter", "icudt73l/unames.icu": b"names",
             "icudt73l/root.res": b"r", "icudt73l/brkitr/thaidict.dict": b"dictionary" * 100}
    package = _package(items)
    header, back = icu_trim.package_items(package)
    assert len(header) == 32 and [n for n, _ in back] == sorted(items)
    for name, data in back:  # items keep their bytes (plus padding to 16) and their alignment
        assert data[:len(items[name])] == items[name] and not data[len(items[name]):].strip(b"\0")
    trimmed, dropped = icu_trim.trimmed_package(package)
    assert sorted(dropped) == ["icudt73l/brkitr/thaidict.dict", "icudt73l/curr/de.res", "icudt73l/unames.icu"]
    assert [n for n, _ in icu_trim.package_items(trimmed)[1]] == [
        "icudt73l/coll/de.res", "icudt73l/ibm-943_P15A-2003.cnv", "icudt73l/root.res"]


@pytest.mark.skipif(not (shutil.which("ld") and shutil.which("objcopy")), reason="binutils are not installed")
def test_icu_library_is_linked_with_the_package_and_symbol(tmp_path):
    package = _package({"icudt73l/coll/root.res": b"x" * 100, "icudt73l/x.cnv": b"y"})
    out = tmp_path / "libicudata.so.73"
    icu_trim.link_library(package, "icudt73_dat", out.name, out)
    data = out.read_bytes()
    assert icu_trim.read_package(data) == package and icu_trim.data_symbol(data) == "icudt73_dat"
    dynsym = subprocess.run(["objdump", "-T", str(out)], capture_output=True, text=True, check=True).stdout
    assert "icudt73_dat" in dynsym


def _qt_lib() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("PySide6")  # found, not imported: this module stays Qt-free
    return Path(spec.origin).parent / "Qt" / "lib"


@pytest.mark.skipif(not shutil.which("objdump"), reason="binutils are not installed")
def test_qt_uses_only_the_icu_services_whose_data_the_bundle_keeps():
    """If a Qt update starts calling other ICU services (break iterators, transliteration, ...),
    packaging/icu_trim.py must keep their data: review UNUSED_FOLDERS, then extend this list."""
    libs = sorted(_qt_lib().glob("libQt6*.so.6"))
    if not libs:
        pytest.skip("PySide6's Qt libraries are not laid out as on Linux")
    used = set().union(*(icu_trim.imported_icu_functions(lib) for lib in libs))
    assert used, "no ICU imports found: has Qt stopped linking ICU?"
    assert {f.split("_")[0] for f in used} <= {"ucol", "ucnv", "ucal", "u"}, sorted(used)
    assert {f for f in used if f.startswith("u_")} <= {"u_strToUpper", "u_strToLower"}, sorted(used)


def test_real_icu_data_keeps_what_qt_needs():
    lib = next(iter(sorted(_qt_lib().glob("libicudata.so.*"))), None)
    if lib is None:
        pytest.skip("no ICU data library in this PySide6")
    trimmed, dropped = icu_trim.trimmed_package(icu_trim.read_package(lib.read_bytes()))
    kept = [n for n, _ in icu_trim.package_items(trimmed)[1]]
    assert any("/coll/" in n for n in kept) and any(n.endswith(".cnv") for n in kept)
    assert any(n.endswith("/zoneinfo64.res") for n in kept) and any("/zone/" in n for n in kept)
    assert any(n.endswith("/root.res") for n in kept) and any(n.endswith("/cnvalias.icu") for n in kept)
    assert len(trimmed) < 0.7 * len(icu_trim.read_package(lib.read_bytes())) and len(dropped) > 1000


def test_smoke_script_is_valid_bash():
    r = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "smoke_frozen.sh")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
