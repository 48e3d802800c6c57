"""Paths of the files in `resources/`, in a checkout, an installed package or a frozen app."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def sample_image_path() -> Path:
    return resources_dir() / "sample.jpg"
