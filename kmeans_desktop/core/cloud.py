"""The colour cloud's numerics: a weighted sample of an image's colours and its assignment to a
palette (the k-means assignment step). Plain numpy, no Qt; the window draws what this returns
(`gui/widgets/color_cloud.py`) and runs it on a pool thread (`gui/analysis.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .histogram import ColorHistogram
from .sampling import nearest_palette, sample_colors

CLOUD_POINTS = 50_000
FLAT_POINTS = 6_000  # the 2-D fallback draws this many of them (see color_cloud.FlatCloudView)


@dataclass(frozen=True, eq=False)
class CloudSample:
    image_id: int
    colors: np.ndarray  # n×3 uint8
    positions: np.ndarray  # n×3 float32, the RGB cube as [-0.5, 0.5]³
    rgba: np.ndarray  # n×4 float32 in 0..1: each point in its own colour
    flat_orders: tuple[np.ndarray, ...]  # 2-D: per projection, the points to draw, back to front
    flat_codes: np.ndarray  # 2-D: each point's colour, as an index into flat_table
    flat_table: np.ndarray  # 2-D: the colours (m×3 uint8, 4 bits per channel: fewer brushes)


@dataclass(frozen=True, eq=False)
class CloudAssignment:
    image_id: int
    key: object  # which palette (the Quantized it came from)
    labels: np.ndarray  # n: each point's palette entry
    rgba: np.ndarray  # n×4 float32: each point in its centroid's colour
    palette_rgb: np.ndarray  # k×3 uint8


def sample_cloud_colors(histogram: ColorHistogram, image_id: int, n: int = CLOUD_POINTS, flat: int = FLAT_POINTS,
                        seed: int = 0) -> CloudSample:
    """`n` colours drawn by pixel weight from the histogram, with what the views draw them with."""
    colors, _ = sample_colors(histogram, n, seed)
    positions = colors.astype(np.float32) / 255 - 0.5
    rgba = np.concatenate([colors.astype(np.float32) / 255, np.ones((len(colors), 1), np.float32)], axis=1)
    head = colors[:flat].astype(np.int64)  # the sample is shuffled: its head is a fair sample too
    # Each projection is seen from the side where its hidden channel is high: those points on top.
    orders = tuple(np.argsort(head[:, hidden], kind="stable") for hidden in (2, 0, 1))
    snapped = (head >> 4) * 17  # 4 bits per channel, spread to 0..255
    code = (snapped[:, 0] << 16) | (snapped[:, 1] << 8) | snapped[:, 2]
    table_codes, flat_codes = np.unique(code, return_inverse=True)
    table = np.stack([(table_codes >> 16) & 255, (table_codes >> 8) & 255, table_codes & 255], axis=1).astype(np.uint8)
    return CloudSample(image_id, colors, positions, rgba, orders, flat_codes.reshape(-1), table)


def assign_cloud(sample: CloudSample, palette: np.ndarray, key: object) -> CloudAssignment:
    """Each sampled colour's nearest palette entry, and the points coloured by it."""
    labels = nearest_palette(sample.colors, palette)
    labels[labels < 0] = 0
    rgb = np.ascontiguousarray(palette[:, :3])
    rgba = np.concatenate([rgb.astype(np.float32) / 255, np.ones((len(rgb), 1), np.float32)], axis=1)[labels]
    return CloudAssignment(sample.image_id, key, labels, rgba, rgb)
