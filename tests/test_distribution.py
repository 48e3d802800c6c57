"""Installable the Python way, checked without building: the package layout in pyproject.toml,
resources found through importlib.resources, the README for the package index (setup.py), the
release artefacts (scripts/release.py), the smoke scripts and the Windows/macOS workflow.

The real build (sdist, wheel, a fresh virtual environment, the frozen app) runs in `./dev dist`
(CI's second step): scripts/smoke_wheel.py and scripts/smoke_app.py. Qt-free.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from PIL import Image

import kmeans_desktop
import kmeans_desktop.resources as resources

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def setup_py():
    return load(ROOT / "setup.py", "kmeans_setup_py")  # not __main__: setup() is not called


@pytest.fixture(scope="module")
def release():
    return load(ROOT / "scripts" / "release.py", "kmeans_release")


@pytest.fixture(scope="module")
def smoke_app():
    return load(ROOT / "scripts" / "smoke_app.py", "kmeans_smoke_app")


# --- the package: resources/ inside it ------------------------------------------------------------

def test_every_package_is_listed_and_resources_map_to_the_top_folder():
    setuptools = PYPROJECT["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "kmeans_desktop").rglob("__init__.py")}
    assert set(setuptools["packages"]) == found | {"kmeans_desktop.resources", "kmeans_desktop.resources.icons"}
    assert setuptools["package-dir"] == {"kmeans_desktop.resources": "resources"}
    assert not (ROOT / "kmeans_desktop" / "resources").exists()  # one place only; no symlink either


def test_package_data_ships_every_file_of_resources():
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    folder = ROOT / "resources"
    files = [p.relative_to(folder) for p in folder.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc")]
    assert len(files) >= 10
    for f in files:
        package = ".".join(["kmeans_desktop.resources", *f.parent.parts])
        assert any(fnmatch.fnmatch(f.name, pattern) for pattern in data.get(package, [])), f"{f} is not shipped"


def test_resources_are_found_through_importlib_in_the_checkout():
    from importlib.resources import files

    assert Path(resources.__file__).resolve() == ROOT / "resources" / "__init__.py"
    assert resources.resources_dir().resolve() == ROOT / "resources"
    assert Path(str(files("kmeans_desktop.resources"))).resolve() == ROOT / "resources"
    assert resources.sample_image_path().is_file() and resources.desktop_file_path().is_file()
    for size in resources.ICON_SIZES:
        with Image.open(resources.icon_png_path(size)) as im:
            assert im.size == (size, size)
    assert resources.icon_svg_path().read_text().lstrip().startswith("<")


def test_frozen_build_collects_resources_where_importlib_looks(tmp_path):
    text = (ROOT / "build.spec").read_text()
    assert 'RESOURCES = "kmeans_desktop/resources"' in text and '"kmeans_desktop.resources",' in text
    assert 'hookspath=[str(ROOT / "packaging" / "hooks")]' in text
    hook = load(ROOT / "packaging" / "hooks" / "pre_find_module_path" / "hook-kmeans_desktop.resources.py", "hook")

    class Api:
        search_dirs = [str(ROOT / "kmeans_desktop")]

    hook.pre_find_module_path(Api)
    assert [Path(d) / "resources" / "__init__.py" for d in Api.search_dirs] == [ROOT / "resources" / "__init__.py"]
    tree = ast.parse(text)
    excludes = next(n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "EXCLUDES")
    names = {e.value for e in ast.walk(excludes) if isinstance(e, ast.Constant)}
    assert {"twine", "cffi", "rich", "charset_normalizer", "jsonschema"} <= names  # test tools stay out


def test_version_has_one_home():
    assert PYPROJECT["project"]["dynamic"] == ["version", "readme"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kmeans_desktop.__version__"}
    assert "version" not in PYPROJECT["project"]
    for path in ("build.spec", "scripts/smoke_app.py", "scripts/release.py"):
        assert "__version__" in (ROOT / path).read_text(), path


# --- the README on the package index ---------------------------------------------------------------

def rendered_targets(markdown: str) -> list[str]:
    import html.parser

    from readme_renderer.markdown import render

    class Links(html.parser.HTMLParser):
        targets: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.targets += [v or "" for k, v in attrs if k in ("src", "href")]

    html_text = render(markdown)
    assert html_text and "<h2 " in html_text
    parser = Links()
    parser.targets = []
    parser.feed(html_text)
    return parser.targets


def test_readme_for_the_index_has_no_relative_links(setup_py):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert any(not t.startswith(("http", "#")) for t in rendered_targets(readme))  # the repository's README has some
    text = setup_py.index_readme(readme, setup_py.repository_url(ROOT / "pyproject.toml"))
    relative = [t for t in rendered_targets(text) if not t.startswith(("https://", "http://", "#", "mailto:"))]
    assert relative == []
    for heading in ("## Quick start", "## Command line", "## How it works"):
        assert heading in text
    assert "\n\n\n" not in text


def test_readme_links_become_absolute_once_the_repository_is_named(setup_py):
    text = "Intro\n\n![shot](docs/a.png)\n\n| A | B |\n| --- | --- |\n| ![x](docs/x.png) | ![y](docs/y.png) |\n\n" \
           "See [notes](docs/notes.md), [site](https://example.org) and [below](#usage).\n"
    absolute = setup_py.index_readme(text, "https://github.com/someone/kmeans-desktop")
    assert "![shot](https://raw.githubusercontent.com/someone/kmeans-desktop/HEAD/docs/a.png)" in absolute
    assert "[notes](https://github.com/someone/kmeans-desktop/blob/HEAD/docs/notes.md)" in absolute
    assert "[site](https://example.org)" in absolute and "[below](#usage)" in absolute
    dropped = setup_py.index_readme(text)
    assert dropped == "Intro\n\nSee notes, [site](https://example.org) and [below](#usage).\n"


# --- release artefacts -----------------------------------------------------------------------------

def fake_build(tmp_path: Path, version: str) -> tuple[Path, Path]:
    bundle = tmp_path / "dist" / "kmeans-desktop"
    (bundle / "_internal" / "lib").mkdir(parents=True)
    (bundle / "kmeans-desktop").write_bytes(b"#!/bin/sh\necho frozen\n")
    (bundle / "kmeans-desktop").chmod(0o755)
    (bundle / "_internal" / "lib" / "libx.so.1").write_bytes(b"\x7fELF library")
    os.symlink("lib/libx.so.1", bundle / "_internal" / "libx.so")
    python_dist = tmp_path / "python-dist"
    python_dist.mkdir()
    (python_dist / f"kmeans_desktop-{version}-py3-none-any.whl").write_bytes(b"wheel")
    (python_dist / f"kmeans_desktop-{version}.tar.gz").write_bytes(b"sdist")
    return bundle, python_dist


def test_release_artefacts_and_checksums(tmp_path, release):
    version = release.project_version()
    assert version == kmeans_desktop.__version__
    bundle, python_dist = fake_build(tmp_path, version)
    out = tmp_path / "release"
    (out / "stale").mkdir(parents=True)
    files = release.make_release(bundle, python_dist, out, version, "linux-x86_64", mtime=1_700_000_000)
    names = sorted(p.name for p in out.iterdir())
    app = f"kmeans-desktop-{version}-linux-x86_64.tar.gz"
    assert names == sorted(["SHA256SUMS", app, f"kmeans_desktop-{version}-py3-none-any.whl",
                            f"kmeans_desktop-{version}.tar.gz"]) and len(files) == 4
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 3
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        assert subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=out).returncode == 0
    with tarfile.open(out / app) as tar:
        members = {m.name: m for m in tar.getmembers()}
        top = f"kmeans-desktop-{version}"
        assert set(members) == {top, f"{top}/kmeans-desktop", f"{top}/_internal", f"{top}/_internal/lib",
                                f"{top}/_internal/lib/libx.so.1", f"{top}/_internal/libx.so"}
        exe = members[f"{top}/kmeans-desktop"]
        assert exe.mode == 0o755 and exe.uid == 0 and exe.mtime == 1_700_000_000
        assert members[f"{top}/_internal/libx.so"].issym() and members[f"{top}/_internal/libx.so"].linkname == "lib/libx.so.1"
        assert tar.extractfile(exe).read() == b"#!/bin/sh\necho frozen\n"
    again = tmp_path / "again"
    release.make_release(bundle, python_dist, again, version, "linux-x86_64", mtime=1_700_000_000)
    assert (again / app).read_bytes() == (out / app).read_bytes()  # reproducible


def test_release_refuses_artefacts_of_another_version(tmp_path, release):
    bundle, python_dist = fake_build(tmp_path, "0.0.1")
    with pytest.raises(release.ReleaseError, match="sdist|wheel"):
        release.make_release(bundle, python_dist, tmp_path / "release", "9.9.9", "linux-x86_64")
    assert not (tmp_path / "release").exists()
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "release.py"), "--bundle", str(bundle),
                        "--python-dist", str(python_dist), "--out", str(tmp_path / "release")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_platform_tags(release):
    assert release.platform_tag("Linux", "x86_64") == "linux-x86_64"
    assert release.platform_tag("Darwin", "arm64") == "macos-arm64"
    assert release.platform_tag("Windows", "AMD64") == "windows-x86_64"
    assert release.platform_tag("Linux", "aarch64") == "linux-arm64"


# --- smoke scripts and the Windows/macOS workflow ------------------------------------------------

def test_png_check_reads_palette_pngs(tmp_path, smoke_app):
    Image.new("P", (7, 5)).save(tmp_path / "p.png")
    Image.new("RGB", (3, 2)).save(tmp_path / "rgb.png")
    assert smoke_app.png_info(tmp_path / "p.png")[:3] == (7, 5, 3)
    assert smoke_app.png_info(tmp_path / "rgb.png") == (3, 2, 2, 0)
    broken = tmp_path / "broken.png"
    broken.write_bytes((tmp_path / "p.png").read_bytes()[:-5] + b"xxxxx")
    with pytest.raises(smoke_app.SmokeFailure, match="CRC"):
        smoke_app.png_info(broken)


@pytest.mark.skipif(os.name == "nt", reason="the stand-in executable is a shell script")
def test_smoke_fails_an_executable_that_prints_a_traceback(tmp_path, smoke_app, capsys):
    exe = tmp_path / "kmeans-desktop"
    exe.write_text('#!/bin/sh\necho "kmeans-desktop 0.0.0"\necho "Traceback (most recent call last):" >&2\n')
    exe.chmod(0o755)
    assert smoke_app.main([str(exe), "--label", "t", "--timeout", "60"]) == 1
    out = capsys.readouterr()
    checks = 5 if sys.platform.startswith("linux") else 4  # --install-desktop is Linux only
    assert out.out.strip().splitlines()[-1] == f"t: 0 passed, {checks} failed"
    assert "forbidden output" in out.err


def test_smoke_scripts_are_the_same_checks_everywhere():
    assert "scripts/smoke_app.py" in (ROOT / "scripts" / "smoke_frozen.sh").read_text()
    r = subprocess.run(["bash", "-n", str(ROOT / "dev")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    dev = (ROOT / "dev").read_text()
    assert "scripts/smoke_wheel.py" in dev and "scripts/release.py" in dev and "--out release" in dev
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()
    assert "release/" in (ROOT / ".gitignore").read_text().splitlines()


def test_workflows_match_the_github_schema():
    assert WORKFLOWS, "no workflow in .github/workflows"
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not Path(tool).exists():
        pytest.skip("check-jsonschema is not installed (it is in the test extra)")
    r = subprocess.run([tool, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    text = "\n".join(w.read_text() for w in WORKFLOWS)
    for needed in ("windows-latest", "macos-latest", "build.spec", "scripts/smoke_app.py", "scripts/release.py",
                   'python-version: "3.11"'):
        assert needed in text, needed


def test_a_broken_workflow_fails_the_schema(tmp_path):
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not Path(tool).exists():
        pytest.skip("check-jsonschema is not installed (it is in the test extra)")
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    r = subprocess.run([tool, "--builtin-schema", "vendor.github-workflows", str(bad)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode != 0
