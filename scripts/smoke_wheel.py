#!/usr/bin/env python3
"""Check the built wheel and sdist the way a new user would meet them (`./dev wheel`, `./dev dist`).

    python scripts/smoke_wheel.py DIST_DIR

DIST_DIR holds what `python -m build` made: kmeans_desktop-<version>.tar.gz and the wheel built
from it. The checks:
1. `twine check --strict` passes on both (the metadata the package index reads).
2. The README as the package index renders it (readme_renderer, as twine uses) has no relative
   link or image left (setup.py makes them absolute or leaves them out).
3. Every file of resources/ is in the sdist and, under kmeans_desktop/resources/, in the wheel.
4. A fresh virtual environment gets the wheel (`pip install WHEEL`, dependencies from the index or
   pip's cache); from a folder outside the checkout, `kmeans_desktop.resources` is found inside that
   environment, and scripts/smoke_app.py runs its console script: --version, compress, --jobs 2,
   --self-test under Xvfb, --install-desktop (Exec is the environment's console script).
The last line is `wheel-smoke: N passed, M failed`; exit code 1 if any check failed.
"""

from __future__ import annotations

import email.parser
import html.parser
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import smoke_app  # noqa: E402
from smoke_app import ROOT, SmokeFailure, project_version, say  # noqa: E402


def resource_files() -> list[str]:
    """The data files of resources/ (relative, POSIX), as pyproject's package-data ships them."""
    folder = ROOT / "resources"
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc"))


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.targets += [value or "" for name, value in attrs if name in ("src", "href")]


def relative_links(markdown_text: str) -> list[str]:
    """Link and image targets that aren't absolute, in the README as the package index renders it."""
    from readme_renderer.markdown import render

    rendered = render(markdown_text)
    if not rendered:
        raise SmokeFailure("the long description does not render as Markdown")
    parser = _Links()
    parser.feed(rendered)
    return [t for t in parser.targets if not t.startswith(("https://", "http://", "mailto:", "#"))]


def check_artefacts(dist: Path) -> tuple[Path, str]:
    version = project_version()
    wheel = dist / f"kmeans_desktop-{version}-py3-none-any.whl"
    sdist = dist / f"kmeans_desktop-{version}.tar.gz"
    for f in (wheel, sdist):
        if not f.is_file():
            raise SmokeFailure(f"{f.name} is missing in {dist} (found: {sorted(p.name for p in dist.iterdir())})")
    r = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SmokeFailure(f"twine check --strict failed:\n{r.stdout}{r.stderr}")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        description = email.parser.Parser().parsestr(z.read(metadata).decode("utf-8")).get_payload()
    with tarfile.open(sdist) as t:
        sdist_names = set(t.getnames())
    wanted = resource_files()
    missing = [f for f in wanted if f"kmeans_desktop/resources/{f}" not in names]
    missing += [f"sdist: {f}" for f in wanted if f"kmeans_desktop-{version}/resources/{f}" not in sdist_names]
    if missing:
        raise SmokeFailure(f"resources missing from the wheel or sdist: {missing}")
    bad = relative_links(description)
    if bad:
        raise SmokeFailure(f"the README on the package index would have relative links: {bad}")
    return wheel, f"twine check --strict passed; {len(wanted)} resource files in both; README renders with no " \
                  "relative links"


def install_wheel(wheel: Path, work: Path) -> Path:
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    r = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
                       capture_output=True, text=True, cwd=work)
    if r.returncode != 0:
        raise SmokeFailure(f"pip install {wheel.name} failed:\n{r.stdout}{r.stderr}")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    probe = "import kmeans_desktop.resources as r; print(r.sample_image_path())"
    r = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=work, env=env)
    sample = Path(r.stdout.strip()) if r.returncode == 0 else None
    if sample is None or not sample.is_file() or venv.resolve() not in sample.resolve().parents:
        raise SmokeFailure(f"the installed package's sample photo is not inside {venv}: {r.stdout}{r.stderr}")
    return bindir / ("kmeans-desktop.exe" if os.name == "nt" else "kmeans-desktop")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    dist = Path(argv[0])
    with tempfile.TemporaryDirectory(prefix="kmeans-desktop-wheel.") as tmp:
        try:
            wheel, detail = check_artefacts(dist)
            say(f"ok: artefacts -> {detail}")
            exe = install_wheel(wheel.resolve(), Path(tmp))
            say(f"ok: installed {wheel.name} into a fresh environment -> {exe}")
        except SmokeFailure as exc:
            say(f"FAIL: {exc}")
            print("wheel-smoke: 0 passed, 1 failed")
            return 1
        return smoke_app.main([str(exe), "--label", "wheel-smoke"])


if __name__ == "__main__":
    sys.exit(main())
