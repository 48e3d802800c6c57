#!/usr/bin/env python3
"""Gather the release artefacts into one folder (`./dev dist` writes release/).

    python scripts/release.py --bundle dist/kmeans-desktop --python-dist build/python-dist --out release

writes, after emptying OUT:
    kmeans-desktop-<version>-<os>-<arch>.tar.gz   the one-folder app, as kmeans-desktop-<version>/
    kmeans_desktop-<version>-py3-none-any.whl     the wheel and
    kmeans_desktop-<version>.tar.gz               the sdist, copied from PYTHON_DIST
    SHA256SUMS                                    `sha256sum -c SHA256SUMS` checks them

The version is kmeans_desktop/__init__.py's `__version__` (the one place it is written); a wheel
or sdist of another version is refused. The app's archive is reproducible: entries sorted, owner
root, times set to SOURCE_DATE_EPOCH (`./dev dist` sets it to the last commit's time; 0 if
unset), gzip without a name or time stamp; symbolic links stay links.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import platform
import re
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "kmeans-desktop"


class ReleaseError(Exception):
    pass


def project_version(root: Path = ROOT) -> str:
    text = (root / "kmeans_desktop" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def platform_tag(system: str | None = None, machine: str | None = None) -> str:
    """linux-x86_64, macos-arm64, windows-x86_64, ..."""
    system = (system or platform.system()).lower()
    system = {"darwin": "macos"}.get(system, system)
    machine = (machine or platform.machine()).lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return f"{system}-{machine}"


def _normalised(info: tarfile.TarInfo, mtime: int) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = mtime
    if info.isfile() or info.isdir():
        info.mode = 0o755 if (info.isdir() or info.mode & 0o111) else 0o644
    return info


def archive_bundle(bundle: Path, out: Path, top: str, mtime: int = 0) -> None:
    """A reproducible .tar.gz of `bundle` with everything under `top/`."""
    entries = sorted([bundle, *bundle.rglob("*")], key=lambda p: p.relative_to(bundle).as_posix())
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=mtime) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in entries:
            rel = path.relative_to(bundle).as_posix()
            name = top if rel == "." else f"{top}/{rel}"
            info = _normalised(tar.gettarinfo(str(path), arcname=name), mtime)
            if info.isfile():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_release(bundle: Path, python_dist: Path, out: Path, version: str, tag: str, mtime: int = 0) -> list[Path]:
    wheel = python_dist / f"kmeans_desktop-{version}-py3-none-any.whl"
    sdist = python_dist / f"kmeans_desktop-{version}.tar.gz"
    exe = bundle / (f"{APP}.exe" if tag.startswith("windows") else APP)
    for needed, what in ((exe, "the frozen app (./dev dist builds it)"), (wheel, f"the wheel of version {version}"),
                         (sdist, f"the sdist of version {version}")):
        if not needed.is_file():
            raise ReleaseError(f"{needed} is missing: {what}.")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    app = out / f"{APP}-{version}-{tag}.tar.gz"
    archive_bundle(bundle, app, f"{APP}-{version}", mtime)
    files = [app, Path(shutil.copy2(wheel, out)), Path(shutil.copy2(sdist, out))]
    sums = out / "SHA256SUMS"
    sums.write_text("".join(f"{sha256(f)}  {f.name}\n" for f in sorted(files, key=lambda p: p.name)), encoding="utf-8")
    return files + [sums]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Gather the release artefacts into one folder.")
    ap.add_argument("--bundle", type=Path, default=ROOT / "dist" / APP)
    ap.add_argument("--python-dist", type=Path, required=True, help="the folder with the wheel and the sdist")
    ap.add_argument("--out", type=Path, default=ROOT / "release")
    args = ap.parse_args(argv)
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    try:
        files = make_release(args.bundle, args.python_dist, args.out, project_version(), platform_tag(), mtime)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for f in files:
        print(f"{f}  ({f.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
