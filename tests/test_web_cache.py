"""The dashboard memo: computed once per period, recomputed after it or when cleared."""

from __future__ import annotations

import time

from daemon.web.cache import TTLCache


def test_a_value_is_computed_once_within_the_period_then_again() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    cache = TTLCache(0.2)
    assert cache.get("k", compute) == 1
    assert cache.get("k", compute) == 1
    assert cache.get("other", compute) == 2
    time.sleep(0.25)
    assert cache.get("k", compute) == 3
    cache.clear()
    assert cache.get("k", compute) == 4
