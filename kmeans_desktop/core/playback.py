"""K-means, one Lloyd iteration at a time, for watching it: the starts, the iterations as frames,
and the colour spaces the cloud is drawn in.

Why a second k-means next to `kmeans`: the engine's k-means is built to be fast and good
(k-means++ on colour bins, then a few polishing steps on the histogram) and shows nothing on the
way. Here each iteration is a value (`Frame`) that a view can draw: every point's cluster, the
centres *unrounded*, the total squared error in the space being clustered and how many points
changed cluster. It runs on the colour cloud's sample (pixels drawn by weight, so plain means are
the weighted means of the image's colours).

The error never increases from one frame to the next, exactly and not just up to rounding:
a point changes cluster only when the new centre is strictly nearer (computed the same way the
error is), a centre moves to its cluster's mean only when that strictly lowers its cluster's
exact error sum (`math.fsum`), and the error is the correctly rounded sum of the points' squared
distances, which can't grow when no term grows. An empty cluster's centre moves to the point
farthest from its own centre (the assignment doesn't change, so neither does the error).

Nothing here imports Qt; everything is deterministic for a given seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .colourspace import CHROMA_SCALE, from_working, to_working

#: How a run starts: key -> label for people.
STARTS = {"kmeans++": "k-means++", "random": "Random pixels", "median_cut": "Median cut"}
#: The space the iterations cluster in: key -> label.
CLUSTER_SPACES = {"engine": "OKLab, chroma weighted (the engine's)", "rgb": "RGB"}
#: One line on why the engine's space is offered.
ENGINE_SPACE_NOTE = ("The engine clusters in OKLab, chroma weighted 150 to 255 against lightness 255 by K "
                     "(150 here): "
                     "distances there follow what people see, so the same K looks better than in RGB.")
#: The spaces the cloud can be drawn in (HSV only for display): key -> label.
DISPLAY_SPACES = {"rgb": "RGB cube", "oklab": "OKLab (lightness up)", "hsv": "HSV cylinder"}
#: Axis names of the display coordinates (x, y, z), per display space.
DISPLAY_AXES = {"rgb": ("R", "G", "B"), "oklab": ("a", "b", "L"), "hsv": ("S·cos H", "S·sin H", "V")}
MAX_ITERATIONS = 200
_OKLAB_AB_SCALE = 1.6  # OKLab a, b of sRGB colours lie within about ±0.31: ×1.6 fills ±0.5


@dataclass(frozen=True, eq=False)
class Frame:
    """One step of Lloyd's algorithm: iteration 0 is the start (its assignment), each later one
    an update of the centres followed by a new assignment."""

    iteration: int
    labels: np.ndarray  # n int32: each point's cluster
    centres: np.ndarray  # k×3 float64 in the clustered space, unrounded
    error: float  # total squared distance of the points to their centres, in the clustered space
    changes: int  # points whose cluster changed in this iteration (all of them at the start)
    converged: bool  # no point changed cluster: the centres stay where they are from now on

    @property
    def k(self) -> int:
        return int(len(self.centres))


# --------------------------------------------------------------------------------------------
# Spaces


def to_cluster_space(rgb: np.ndarray, space: str = "engine") -> np.ndarray:
    """n×3 sRGB (uint8 or float 0..255) -> n×3 float64 coordinates of the clustered space."""
    if space == "engine":
        return to_working(np.asarray(rgb))
    if space == "rgb":
        return np.asarray(rgb, dtype=np.float64).reshape(-1, 3).copy()
    raise ValueError(f"unknown clustering space {space!r}; choose one of {', '.join(CLUSTER_SPACES)}.")


def from_cluster_space(x: np.ndarray, space: str = "engine") -> np.ndarray:
    """Coordinates of the clustered space -> n×3 float sRGB 0..255 (clipped to the gamut)."""
    if space == "engine":
        return from_working(x)
    if space == "rgb":
        return np.clip(np.asarray(x, dtype=np.float64), 0.0, 255.0)
    raise ValueError(f"unknown clustering space {space!r}; choose one of {', '.join(CLUSTER_SPACES)}.")


def display_positions(rgb: np.ndarray, space: str = "rgb") -> np.ndarray:
    """n×3 sRGB (uint8 or float 0..255) -> n×3 float32 positions in the cloud's box [-0.5, 0.5]³
    (z up): the RGB cube; OKLab with lightness up and a, b across; or HSV as a cylinder (hue
    around, saturation out, value up)."""
    rgb = np.asarray(rgb).reshape(-1, 3)
    if space == "rgb":
        out = rgb.astype(np.float32) / 255 - 0.5
    elif space == "oklab":
        w = to_working(rgb, dtype=np.float32) if rgb.dtype == np.uint8 else to_working(rgb).astype(np.float32)
        ab = (w[:, 1:] - 128.0) * np.float32(_OKLAB_AB_SCALE / CHROMA_SCALE)
        out = np.column_stack([ab[:, 0], ab[:, 1], w[:, 0] / 255 - 0.5])
    elif space == "hsv":
        h, s, v = _hsv(rgb.astype(np.float32) / 255)
        angle = h * np.float32(2 * math.pi)
        out = np.column_stack([0.5 * s * np.cos(angle), 0.5 * s * np.sin(angle), v - 0.5])
    else:
        raise ValueError(f"unknown display space {space!r}; choose one of {', '.join(DISPLAY_SPACES)}.")
    return np.ascontiguousarray(out, dtype=np.float32)


def _hsv(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n×3 RGB in 0..1 -> hue (0..1), saturation, value."""
    v = c.max(axis=1)
    span = v - c.min(axis=1)
    s = np.where(v > 0, span / np.where(v > 0, v, 1), 0).astype(np.float32)
    safe = np.where(span > 0, span, 1)
    r, g, b = c[:, 0], c[:, 1], c[:, 2]
    h = np.where(v == r, (g - b) / safe, np.where(v == g, 2 + (b - r) / safe, 4 + (r - g) / safe))
    h = np.where(span > 0, (h / 6) % 1.0, 0).astype(np.float32)
    return h, s, v.astype(np.float32)


# --------------------------------------------------------------------------------------------
# Bad input


def distinct_count(points: np.ndarray) -> int:
    """How many different points (colours) there are."""
    points = np.asarray(points)
    if len(points) == 0:
        return 0
    if points.dtype == np.uint8 and points.ndim == 2 and points.shape[1] == 3:  # packed: ten times faster
        p = points.astype(np.int32)
        return int(len(np.unique((p[:, 0] << 16) | (p[:, 1] << 8) | p[:, 2])))
    return int(len(np.unique(points, axis=0)))


def why_not_playable(n_points: int, distinct: int, k: int) -> str | None:
    """None when k-means can run on this sample with this K; else one sentence saying why not."""
    if n_points == 0:
        return "The sample is empty: the image has no visible pixel (it is fully transparent), so there is nothing to cluster."
    if k > distinct:
        return (f"K = {k} is more than the {distinct:,} different colours in the cloud's sample: each centre needs a "
                f"colour of its own to start from, so choose K = {distinct:,} or less to play.")
    return None


def _check(points: np.ndarray, k: int) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"points must be n×3, not {points.shape}.")
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"K must be a whole number of at least 1, not {k!r}.")
    reason = why_not_playable(len(points), distinct_count(points), int(k))
    if reason:
        raise ValueError(reason)
    return points


# --------------------------------------------------------------------------------------------
# Starts


def start_centres(points: np.ndarray, k: int, method: str = "kmeans++", seed: int = 0) -> np.ndarray:
    """K distinct starting centres (k×3 float64) for `points` (n×3, the clustered space).

    * ``kmeans++``: the first centre a random point, each next one a point drawn with
      probability proportional to its squared distance from the nearest centre so far;
    * ``random``: K random pixels of different colours;
    * ``median_cut``: the box of points with the largest spread × count is cut at the median of
      its longest side until there are K boxes; their means (the seed doesn't matter).
    """
    points = _check(points, k)
    k = int(k)
    rng = np.random.default_rng(seed)
    if method == "kmeans++":
        return _kmeans_pp(points, k, rng)
    if method == "random":
        order = rng.permutation(len(points))
        _, first = np.unique(points[order], axis=0, return_index=True)
        return points[order[np.sort(first)[:k]]].copy()
    if method == "median_cut":
        return _median_cut(points, k)
    raise ValueError(f"unknown start {method!r}; choose one of {', '.join(STARTS)}.")


def _kmeans_pp(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = np.empty((k, 3))
    centres[0] = points[rng.integers(len(points))]
    d2 = ((points - centres[0]) ** 2).sum(axis=1)
    for i in range(1, k):
        total = d2.sum()
        cum = np.cumsum(d2)
        j = int(np.searchsorted(cum, rng.random() * total, side="right"))
        j = min(j, len(points) - 1)
        while d2[j] == 0:  # rounding at the ends of the cumulative sum: take a point not yet chosen
            j = int(np.flatnonzero(d2 > 0)[0])
        centres[i] = points[j]
        np.minimum(d2, ((points - centres[i]) ** 2).sum(axis=1), out=d2)
    return centres


def _median_cut(points: np.ndarray, k: int) -> np.ndarray:
    def box(idx: np.ndarray) -> tuple[float, int, np.ndarray]:
        span = np.ptp(points[idx], axis=0)
        return float(span.max()) * len(idx), int(span.argmax()), idx

    boxes = [box(np.arange(len(points)))]
    while len(boxes) < k:
        best = max(range(len(boxes)), key=lambda i: boxes[i][0])
        _, axis, idx = boxes.pop(best)
        values = points[idx, axis]
        median = np.median(values)
        low = values < median
        if not low.any():
            low = values <= median
            if low.all():  # median at the top: everything below it goes left
                low = values < values.max()
        boxes += [box(idx[low]), box(idx[~low])]
    return np.array([points[idx].mean(axis=0) for _, _, idx in boxes])


# --------------------------------------------------------------------------------------------
# Lloyd's iterations


def _sq(points: np.ndarray, centres: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each point's squared distance to its centre (the one definition used everywhere here)."""
    diff = points - centres[labels]
    return np.einsum("ij,ij->i", diff, diff)


def _assign(points: np.ndarray, centres: np.ndarray, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centres; a point keeps its cluster unless another centre is strictly nearer."""
    _, nearest = cKDTree(centres).query(points, workers=1)
    nearest = nearest.astype(np.int32)
    d_new = _sq(points, centres, nearest)
    if labels is None:
        return nearest, d_new
    d_old = _sq(points, centres, labels)
    move = d_new < d_old
    return np.where(move, nearest, labels).astype(np.int32), np.where(move, d_new, d_old)


def _total(d: np.ndarray) -> float:
    """The correctly rounded sum of the squared distances (`math.fsum` of Python floats: about
    three times faster than of numpy's scalars, and the same value)."""
    return math.fsum(d.tolist())


def _update(points: np.ndarray, centres: np.ndarray, labels: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Each centre to its cluster's mean where that strictly lowers the cluster's exact error;
    empty clusters' centres to the points farthest from their centres."""
    k = len(centres)
    counts = np.bincount(labels, minlength=k)
    sums = np.stack([np.bincount(labels, weights=points[:, c], minlength=k) for c in range(3)], axis=1)
    new = centres.copy()
    filled = counts > 0
    means = sums[filled] / counts[filled, None]
    new[filled] = means
    moved = np.flatnonzero(filled & np.any(new != centres, axis=1))
    if len(moved):
        d_new = _sq(points, new, labels)
        # Plain sums per cluster decide where they clearly differ (a sum of n terms ≥ 0 added
        # one by one is within n·eps of the exact sum); only a near tie needs the exact
        # `math.fsum`, a C loop that holds the GIL (~20 ms a frame at 50,000 points when it ran
        # for every cluster, and the GUI thread waited for it while drawing)
        s_new = np.bincount(labels, weights=d_new, minlength=k)
        s_old = np.bincount(labels, weights=d, minlength=k)
        slack = 2 * (counts + 1) * np.finfo(np.float64).eps * (s_new + s_old)
        order = bounds = None
        for j in moved:
            if s_new[j] < s_old[j] - slack[j]:
                continue  # clearly lower: the exact sums are in the same order
            if order is None:
                order = np.argsort(labels, kind="stable")
                bounds = np.searchsorted(labels[order], np.arange(k + 1))
            seg = order[bounds[j]:bounds[j + 1]]
            if not math.fsum(d_new[seg].tolist()) < math.fsum(d[seg].tolist()):
                new[j] = centres[j]  # the mean is no better in floating point: stay
    empty = np.flatnonzero(~filled)
    if len(empty):
        taken = {tuple(c) for c in new}
        for i in np.argsort(-d, kind="stable"):
            if not len(empty):
                break
            p = tuple(points[i])
            if p not in taken:
                taken.add(p)
                new[empty[0]] = points[i]
                empty = empty[1:]
    return new


def lloyd_frames(points: np.ndarray, centres: np.ndarray, max_iterations: int = MAX_ITERATIONS,
                 pause: Callable[[], object] | None = None) -> Iterator[Frame]:
    """Lloyd's algorithm from `centres` on `points` (both in the clustered space), one `Frame`
    per iteration: the start's assignment first, then update + assignment until no point changes
    cluster (the last frame says `converged`) or `max_iterations` updates were made. `pause`, if
    given, is called between an iteration's update and its assignment (a caller on a worker
    thread may wait there while its GUI thread draws)."""
    points = np.asarray(points, dtype=np.float64)
    centres = np.array(centres, dtype=np.float64)
    labels, d = _assign(points, centres, None)
    yield Frame(0, labels, centres.copy(), _total(d), len(points), False)
    for it in range(1, max_iterations + 1):
        centres = _update(points, centres, labels, d)
        if pause is not None:
            pause()
        new_labels, d = _assign(points, centres, labels)
        changes = int(np.count_nonzero(new_labels != labels))
        labels = new_labels
        yield Frame(it, labels, centres.copy(), _total(d), changes, changes == 0)
        if changes == 0:
            return


def run_to_end(points: np.ndarray, k: int, method: str = "kmeans++", seed: int = 0,
               max_iterations: int = MAX_ITERATIONS) -> tuple[Frame, list[float]]:
    """A whole run: its last frame and the error of every frame."""
    errors: list[float] = []
    frame = None
    for frame in lloyd_frames(points, start_centres(points, k, method, seed), max_iterations):
        errors.append(frame.error)
    return frame, errors


def describe_end(frame: Frame, max_iterations: int = MAX_ITERATIONS) -> str:
    """One sentence on how a run ended (or where it is)."""
    n = frame.iteration
    if frame.converged:
        return f"Converged after {n} iteration{'s' if n != 1 else ''}: no pixel changed cluster."
    if n >= max_iterations:
        return (f"Stopped after {n} iterations; {frame.changes:,} pixel{'s' if frame.changes != 1 else ''} still "
                f"changed cluster in the last one.")
    if n == 0:
        return "Start: each pixel is in its nearest centre's cluster."
    return f"Iteration {n}: {frame.changes:,} pixel{'s' if frame.changes != 1 else ''} changed cluster."


# --------------------------------------------------------------------------------------------
# The image the centres give


def recolour(pixels: np.ndarray, centres: np.ndarray, space: str = "engine") -> tuple[np.ndarray, np.ndarray]:
    """Each pixel of an H×W×3|4 uint8 image to its nearest centre (in the clustered space):
    (palette k×3 uint8 sRGB of the centres, indices H×W). Alpha is ignored: this is a picture of
    what the centres do to the colours, not the saved file."""
    rgb = np.ascontiguousarray(pixels[..., :3]).reshape(-1, 3)
    code = (rgb[:, 0].astype(np.int32) << 16) | (rgb[:, 1].astype(np.int32) << 8) | rgb[:, 2]
    unique, inverse = np.unique(code, return_inverse=True)
    colours = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1).astype(np.uint8)
    _, nearest = cKDTree(np.asarray(centres, dtype=np.float64)).query(to_cluster_space(colours, space), workers=1)
    palette = np.clip(np.rint(from_cluster_space(centres, space)), 0, 255).astype(np.uint8)
    dtype = np.uint8 if len(centres) <= 256 else np.int32
    return palette, nearest.astype(dtype)[inverse.reshape(-1)].reshape(pixels.shape[:2])


@dataclass(frozen=True, eq=False)
class PictureColours:
    """A picture prepared for recolouring every frame (`recolour_prepared`): its distinct colours
    in the clustered space and, per pixel, which of them it is. Preparing costs a sort of the
    pixels, once; each frame then costs a nearest-centre query of the distinct colours and a
    gather."""

    axes: np.ndarray  # 3×u float32: the distinct colours in the clustered space, one row per axis
    inverse: np.ndarray  # H×W int32 into the distinct colours
    space: str


def picture_colours(pixels: np.ndarray, space: str = "engine") -> PictureColours:
    """Prepare an H×W×3|4 uint8 picture (alpha ignored) for `recolour_prepared`."""
    rgb = np.ascontiguousarray(pixels[..., :3]).reshape(-1, 3)
    code = (rgb[:, 0].astype(np.int32) << 16) | (rgb[:, 1].astype(np.int32) << 8) | rgb[:, 2]
    unique, inverse = np.unique(code, return_inverse=True)
    colours = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1).astype(np.uint8)
    return PictureColours(np.ascontiguousarray(to_cluster_space(colours, space).T, dtype=np.float32),
                          inverse.astype(np.int32).reshape(pixels.shape[:2]), space)


def recolour_prepared(picture: PictureColours, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Like `recolour`, for a prepared picture: (palette k×3 uint8, indices H×W). Up to 64
    centres in float32, one pass per centre (a pixel almost equally near two centres may take the
    other one: this is a picture to look at); more with the k-d tree."""
    x = picture.axes
    n = x.shape[1]
    dtype = np.uint8 if len(centres) <= 256 else np.int32
    if len(centres) > 64:
        _, nearest = cKDTree(np.asarray(centres, dtype=np.float64)).query(x.T, workers=1)
        nearest = nearest.astype(dtype)
    else:
        c = np.asarray(centres, dtype=np.float32)
        lift, step = (c * c).sum(axis=1), -2 * c  # |x - c|² - |x|² = |c|² - 2 x·c
        nearest = np.zeros(n, dtype)
        best = np.full(n, np.inf, np.float32)
        d, term, nearer = np.empty(n, np.float32), np.empty(n, np.float32), np.empty(n, bool)
        for k in range(len(c)):
            np.multiply(x[0], step[k, 0], out=d)
            d += lift[k]
            for axis in (1, 2):
                np.multiply(x[axis], step[k, axis], out=term)
                d += term
            np.less(d, best, out=nearer)
            np.copyto(best, d, where=nearer)
            np.copyto(nearest, k, where=nearer, casting="unsafe")
    palette = np.clip(np.rint(from_cluster_space(centres, picture.space)), 0, 255).astype(np.uint8)
    return palette, nearest[picture.inverse]
