"""What one sweep did: the ledger rows it wrote (or a dry run would), for logs and commands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from db.states import LedgerKind


@dataclass(frozen=True)
class Planned:
    """A ledger row written by the sweep (or that a dry run would write)."""

    kind: LedgerKind
    key: str
    recipient: str
    subject: str
    uai: str = ""
    stage: str = ""


@dataclass
class SweepReport:
    now: dt.datetime
    dry_run: bool = False
    examined: int = 0
    created: list[Planned] = field(default_factory=list)
    scheduled: int = 0
    stopped: int = 0
    skipped: list[str] = field(default_factory=list)  # French, one line per school
    escalations: list[str] = field(default_factory=list)
    decide_seconds: float = 0.0
    seconds: float = 0.0

    def kinds(self, kind: LedgerKind) -> list[Planned]:
        return [p for p in self.created if p.kind == kind]
