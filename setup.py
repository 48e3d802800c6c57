"""The package's long description: README.md as the package index shows it.

Everything else is in pyproject.toml. README.md links its screenshots relatively (docs/*.png),
which works in the repository but not on the package index, where the wheel's metadata is all
there is. So for the index (`readme` is dynamic in pyproject.toml) relative links are made
absolute when pyproject.toml names the repository (`[project.urls] Source = "https://github.com/
OWNER/NAME"`); until it does, lines and tables that only show screenshots are left out, and any
other relative image or link is replaced by its text. tests/test_distribution.py checks the result.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")
ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|/)", re.I)


def repository_url(pyproject: Path) -> str | None:
    urls = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("urls", {})
    return urls.get("Source") or urls.get("Repository")


def _absolute(base: str, path: str, raw: bool) -> str:
    m = re.match(r"https://github\.com/([^/]+/[^/]+?)/?$", base)
    if m and raw:
        return f"https://raw.githubusercontent.com/{m.group(1)}/HEAD/{path}"
    return f"{base.rstrip('/')}/blob/HEAD/{path}" if m else f"{base.rstrip('/')}/{path}"


def _only_images(line: str) -> bool:
    rest = IMAGE.sub("", line)
    return IMAGE.search(line) is not None and not rest.replace("|", "").strip()


def index_readme(text: str, base: str | None = None) -> str:
    """README text with no relative links left (see the module docstring)."""
    if base:
        text = IMAGE.sub(lambda m: m.group(0) if ABSOLUTE.match(m.group(2)) else
                         f"![{m.group(1)}]({_absolute(base, m.group(2), raw=True)})", text)
        return LINK.sub(lambda m: m.group(0) if ABSOLUTE.match(m.group(2)) else
                        f"[{m.group(1)}]({_absolute(base, m.group(2), raw=False)})", text)
    lines = text.split("\n")
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):  # tables whose rows below the header only show images
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[i + 1]):
            end = i + 2
            while end < len(lines) and lines[end].lstrip().startswith("|"):
                end += 1
            if end > i + 2 and all(_only_images(line) for line in lines[i + 2:end]):
                keep[i:end] = [False] * (end - i)
            i = end
        else:
            if _only_images(lines[i]) and not lines[i].lstrip().startswith("|"):
                keep[i] = False
            i += 1
    text = "\n".join(line for line, kept in zip(lines, keep) if kept)
    text = re.sub(r"\n{3,}", "\n\n", text)  # one blank line where a picture was
    text = IMAGE.sub(lambda m: m.group(0) if ABSOLUTE.match(m.group(2)) else m.group(1), text)
    return LINK.sub(lambda m: m.group(0) if ABSOLUTE.match(m.group(2)) else m.group(1), text)


if __name__ == "__main__":
    from setuptools import setup

    setup(
        long_description=index_readme((HERE / "README.md").read_text(encoding="utf-8"),
                                      repository_url(HERE / "pyproject.toml")),
        long_description_content_type="text/markdown",
    )
