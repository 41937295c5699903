"""Is an SMTP outage visible while it lasts? Read from the ledger: rows waiting for a retry with
the error recorded (what the status pages show)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bench.reliability.harness import wait_until
from bench.reliability.ledger import ledger_rows

if TYPE_CHECKING:
    from bench.reliability.mailing import Bench


@dataclass
class OutageWatch:
    bench: Bench
    source: str = "ledger: rows waiting for a retry with their error"
    samples: list[int] = field(default_factory=list)
    example: str = ""

    def sample(self) -> int:
        waiting = [
            r for r in ledger_rows(self.bench.engine)
            if r.status != "sent" and r.attempts > 0 and r.last_error
        ]  # fmt: skip
        if waiting and not self.example:
            self.example = waiting[0].last_error[:120]
        self.samples.append(len(waiting))
        return len(waiting)

    def wait_visible(self, timeout: float) -> bool:
        return wait_until(lambda: self.sample() > 0, timeout, interval=0.25)

    def wait_cleared(self, timeout: float) -> bool:
        return wait_until(lambda: self.sample() == 0, timeout, interval=0.25)

    def describe(self) -> str:
        peak = max(self.samples, default=0)
        if not peak:
            return "no row waiting for a retry seen"
        return f"up to {peak} rows waiting, now {self.samples[-1]}; e.g. {self.example}"
