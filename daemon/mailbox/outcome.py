"""What became of one message: the record `process` returns and `claims` stores."""

from __future__ import annotations

from dataclasses import dataclass

from db.states import MailKind, MailStatus


@dataclass(frozen=True)
class Outcome:
    kind: MailKind
    status: MailStatus  # processed / refused: moved to that folder; left: stays where it is
    reason: str = ""  # French: what was done, or why refused
    school_id: int | None = None
    campaign_id: int | None = None
    reminder_id: int | None = None  # the mail of ours it answers or reports on
    files: int = 0  # files the intake took
