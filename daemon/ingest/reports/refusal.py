"""The one exception the report parsers raise: a file refused, with one clear line saying why."""

from __future__ import annotations


class ReportRefused(Exception):
    """A file that is not a readable report. `reason`: one line, French first, then English."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
