"""A one-line progress bar on stderr for the CLI batch (`compress` with several inputs)."""

from __future__ import annotations

import sys


class ProgressBar:
    """`[#####.....] 3/12 name` rewritten in place; silent when not enabled (JSON, not a tty)."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.done, self.enabled = total, 0, enabled

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            width = 28
            filled = round(width * self.done / self.total)
            name = label if len(label) <= 40 else "…" + label[-39:]
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {name:<40}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()
