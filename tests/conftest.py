"""Shared fixtures: small generated images and the scikit-learn sample photos."""

from __future__ import annotations

import os

import numpy as np
import pytest

# The log of code under test goes to a throwaway folder, never the developer's own.
os.environ.setdefault("KMEANS_DESKTOP_LOG_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "kmeans-desktop-test-logs"))


@pytest.fixture(scope="session")
def china() -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return load_sample_image("china.jpg")


@pytest.fixture(scope="session")
def flower() -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return load_sample_image("flower.jpg")


@pytest.fixture
def gradient() -> np.ndarray:
    """A 48×64 RGB image with many colours (a smooth 2-D gradient)."""
    y, x = np.mgrid[0:48, 0:64]
    return np.stack([x * 4, y * 5, (x + y) * 2], axis=2).astype(np.uint8)


@pytest.fixture
def rgba_mixed() -> np.ndarray:
    """40×40 RGBA: a transparent band, a semi-transparent band and an opaque gradient."""
    y, x = np.mgrid[0:40, 0:40]
    img = np.zeros((40, 40, 4), np.uint8)
    img[..., 0] = x * 6
    img[..., 1] = y * 6
    img[..., 2] = 128
    img[..., 3] = 255
    img[:10, :, 3] = 0
    img[:10, :, :3] = (x[:10, :, None] * 3)  # hidden colours under full transparency vary
    img[10:20, :, 3] = (x[10:20] * 5 + 20).astype(np.uint8)
    return img
