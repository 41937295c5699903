"""Clocks. The daemon reads the time only through `App.clock`, so a whole campaign can be replayed
fast: `relance serve --clock 2026-09-01T08:00 --clock-speed 600` runs ten simulated minutes per
real second (demos, the reliability suite). Production uses the real UTC clock."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class SimulatedClock:
    """Starts at `start` and runs `speed` times faster than the real clock."""

    start: dt.datetime
    speed: float = 1.0
    _origin: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("the simulated clock needs an aware start time")
        if self.speed <= 0:
            raise ValueError("the clock speed must be positive")

    def __call__(self) -> dt.datetime:
        elapsed = (time.monotonic() - self._origin) * self.speed
        return (self.start + dt.timedelta(seconds=elapsed)).astimezone(dt.UTC)
