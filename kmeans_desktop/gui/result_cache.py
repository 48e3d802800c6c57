"""The worker's result cache: results per (K, dither), least recently used out first.

Each entry holds a `Preview` and the file bytes encoded for it so far; the cache is bounded in
bytes (quantized indices, images ready to paint, encoded files) and belongs to one image.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from .compute import Encoded, Key, Preview


@dataclass
class CacheEntry:
    preview: Preview
    encoded: dict[str, Encoded] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return self.preview.nbytes + sum(len(e.data) for e in self.encoded.values())


class ResultCache:
    """Results per key, least recently used first out once over a byte budget."""

    def __init__(self, budget: int):
        self.budget = budget
        self._entries: OrderedDict[Key, CacheEntry] = OrderedDict()

    def get(self, key: Key) -> CacheEntry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def __contains__(self, key: Key) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, preview: Preview) -> CacheEntry:
        entry = self._entries.get(preview.key)
        if entry is None or entry.preview is not preview:
            entry = CacheEntry(preview)
            self._entries[preview.key] = entry
        self._entries.move_to_end(preview.key)
        self.trim()
        return entry

    def trim(self) -> None:
        total = sum(e.nbytes for e in self._entries.values())
        while total > self.budget and len(self._entries) > 1:
            _, old = self._entries.popitem(last=False)
            total -= old.nbytes

    def clear(self) -> None:
        self._entries.clear()

    def drop_encoded(self) -> None:
        """Forget every entry's file bytes (the packing changed), keeping the results."""
        for entry in self._entries.values():
            entry.encoded.clear()
