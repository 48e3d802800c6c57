"""When the preview worker computes a quick preview from a sample, and whether beside or before the
full result (Qt-free; `worker.PreviewWorker` asks it).
"""

from __future__ import annotations

import os

#: Run quick and full jobs side by side only with cores to spare (see PreviewWorker.overlap).
OVERLAP = (os.cpu_count() or 1) >= 4
#: Settled requests get a quick preview before the full result only when full results on the
#: image take at least this long and QUICK_RATIO times a quick one (see `quick_helps`); before
#: the first full result, only for images above QUICK_FIRST_ABOVE pixels. (0.4 s until issue 15's
#: sixth helper: a 9 MP photo's final preview, 0.6-1 s on two idle cores, then waited for a quick
#: one of its own K, 0.1-0.3 s more, while the drag's quick previews of nearby K were on screen.)
QUICK_SKIP_ABOVE = 2.0
QUICK_RATIO = 3.0
QUICK_FIRST_ABOVE = 20_000_000


def quick_helps(overlap: bool, pixels: int, full_seconds: float | None, quick_seconds: float | None,
                skip_above: float = QUICK_SKIP_ABOVE) -> bool:
    """Whether a settled request gets a quick preview too: beside the full result (`overlap`: spare
    cores) it costs little; before it, it delays the final result by its own time, worth it only
    when the full result is much slower (measured on this image once known, else guessed from its
    size, `pixels`)."""
    if overlap:
        return True
    if full_seconds is None:
        return pixels > QUICK_FIRST_ABOVE
    return full_seconds >= max(skip_above, QUICK_RATIO * (quick_seconds or 0.0))
