"""The per-process cache behind page frames, result panels, directory cards and dashboards: bounded
(least recently used out first) and, where it has one, held to its time limit."""

from __future__ import annotations

from respite.core import memo
from respite.core.memo import ProcessCache


def test_the_least_recently_used_entry_goes_first_when_full():
    cache: ProcessCache[str] = ProcessCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # "b" is now the least recently used
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    assert len(cache) == 2


def test_an_entry_past_its_time_limit_is_a_miss(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: now[0])
    cache: ProcessCache[str] = ProcessCache(8, ttl_s=300)
    cache.put("k", "v")
    now[0] += 299
    assert cache.get("k") == "v"
    now[0] += 1
    assert cache.get("k") is None and len(cache) == 0


def test_clear_forgets_everything():
    cache: ProcessCache[int] = ProcessCache(8)
    cache.put(("a", 1), 1)
    cache.clear()
    assert cache.get(("a", 1)) is None and cache.values() == []
