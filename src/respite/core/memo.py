"""A bounded per-process cache: least recently used out first, with an optional time limit.

For what a process derives once and reuses across requests (rendered page parts, ranked cards,
dashboard figures). Keys must name everything the value depends on, so a change is a miss, never a
stale hit; the time limit only backs up a change a key cannot see. Never shared between processes
or written anywhere: nothing of one visitor may go in a key or a value.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ProcessCache(Generic[V]):
    def __init__(self, size: int, ttl_s: float | None = None) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value kept for ``key``, or None when there is none or it is past its time limit."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            if self.ttl_s is not None and time.monotonic() - hit[0] >= self.ttl_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def values(self) -> list[V]:
        with self._lock:
            return [value for _at, value in self._items.values()]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
