"""The simulated clock used by demos and the reliability suite."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from daemon.clock import SimulatedClock, utc_now


def test_the_real_clock_is_aware_utc() -> None:
    assert utc_now().tzinfo is dt.UTC


def test_a_simulated_clock_starts_at_its_start_and_runs_faster() -> None:
    start = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
    clock = SimulatedClock(start, speed=3600)
    first = clock()
    assert dt.timedelta(0) <= first - start < dt.timedelta(minutes=30)
    time.sleep(0.05)
    assert clock() - first >= dt.timedelta(seconds=150)  # 0.05 s × 3600


def test_a_simulated_clock_refuses_a_naive_start_or_a_null_speed() -> None:
    with pytest.raises(ValueError):
        SimulatedClock(dt.datetime(2026, 9, 1, 8, 0))
    with pytest.raises(ValueError):
        SimulatedClock(dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC), speed=0)
