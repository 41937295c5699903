"""The one exception the report parsers raise: a file refused, with one clear line saying why."""

from __future__ import annotations


class ReportRefused(Exception):
    """A file that is not a readable report. `reason`: one line in French, for the person who
    dropped it (kept next to the quarantined file)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
