"""Is an SMTP outage visible while it lasts? Read from `GET /healthz` when the web part exists
(what the status page shows), else from the ledger: rows waiting for a retry with their error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from bench.reliability.harness import REPO, wait_until
from bench.reliability.ledger import ledger_rows

if TYPE_CHECKING:
    from bench.reliability.mailing import Bench

DOWN_WORDS = {"down", "unreachable", "error", "failing", "degraded"}
UP_WORDS = {"up", "ok", "reachable"}


def web_available() -> bool:
    """The web part is in this checkout (a file test: an editable install elsewhere could
    otherwise answer the import)."""
    return (REPO / "daemon" / "web" / "app.py").exists()


def smtp_down(health: Any) -> bool | None:
    """What /healthz says of the SMTP server: True (down), False (up), None (not said). Looks for
    an `smtp` entry anywhere, holding `up`/`reachable` booleans or a `state`/`status` word."""
    if not isinstance(health, dict):
        return None
    for key, value in health.items():
        if "smtp" in str(key).lower():
            said = _state(value)
            if said is not None:
                return said
        found = smtp_down(value)
        if found is not None:
            return found
    return None


def _state(value: Any) -> bool | None:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        word = value.lower()
        return True if word in DOWN_WORDS else (False if word in UP_WORDS else None)
    if isinstance(value, dict):
        for key in ("up", "reachable", "ok"):
            if isinstance(value.get(key), bool):
                return not value[key]
        for key in ("state", "status"):
            if isinstance(value.get(key), str):
                return _state(value[key])
    return None


@dataclass
class OutageWatch:
    bench: Bench
    health_url: str = ""  # the web part's /healthz, when it runs
    samples: list[bool | None] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    example: str = ""

    @property
    def source(self) -> str:
        if self.health_url:
            return "GET /healthz"
        return "ledger: rows waiting for a retry with their error"

    def down(self) -> bool | None:
        """One reading: is the outage shown?"""
        rows = [r for r in ledger_rows(self.bench.engine) if r.status != "sent" and r.last_error]
        self.waiting.append(len(rows))
        if rows and not self.example:
            self.example = rows[0].last_error[:100]
        if not self.health_url:
            return bool(rows)
        try:
            said = smtp_down(httpx.get(self.health_url, timeout=2).json())
        except (httpx.HTTPError, ValueError):
            said = None
        self.samples.append(said)
        return said

    def wait_visible(self, timeout: float) -> bool:
        return wait_until(lambda: self.down() is True, timeout, interval=0.25)

    def wait_cleared(self, timeout: float) -> bool:
        return wait_until(lambda: self.down() is False, timeout, interval=0.25)

    def describe(self) -> str:
        said = ""
        if self.health_url:
            shown = {True: "down", False: "up", None: "not said"}
            steps = [shown[s] for s in self.samples]
            changes = [w for n, w in enumerate(steps) if n == 0 or steps[n - 1] != w]
            said = "/healthz said " + " → ".join(changes)
            said += "; "
        peak = max(self.waiting, default=0)
        return said + f"ledger: up to {peak} rows waiting with an error, e.g. {self.example}"
