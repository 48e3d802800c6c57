"""The app's data files: the sample photo, the icons and the desktop entry.

This folder stays at the top of the repository, and it is the package `kmeans_desktop.resources`:
pyproject.toml maps it there (setuptools' package-dir), so a wheel and an sdist carry it inside
`kmeans_desktop/`, and build.spec puts it at the same place in the frozen app. Its files are found
through importlib.resources, the same way in a checkout (an editable install), an installed wheel
and the frozen app; nothing here looks at the layout around it.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

APP_ID = "kmeans-desktop"
#: The icon's PNG sizes in icons/ (rendered from the SVG by scripts/make_icons.py).
ICON_SIZES = (16, 32, 48, 64, 128, 256)


def resources_dir() -> Path:
    """This package's folder on disk (wheels and the frozen app install it as plain files)."""
    return Path(str(files(__name__)))


def sample_image_path() -> Path:
    return resources_dir() / "sample.jpg"


def desktop_file_path() -> Path:
    return resources_dir() / f"{APP_ID}.desktop"


def icon_png_path(size: int) -> Path:
    return resources_dir() / "icons" / f"{APP_ID}-{size}.png"


def icon_svg_path() -> Path:
    return resources_dir() / "icons" / f"{APP_ID}.svg"
