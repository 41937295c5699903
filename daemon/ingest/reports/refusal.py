"""The one exception the report parsers raise: a file refused, with one clear line saying why."""

from __future__ import annotations


class ReportRefused(Exception):
    """A file that is not a readable report. `reason`: one line in French, for the person who
    dropped it (kept next to the quarantined file)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NEEDS_OCR = "Scan ou photo : à lire par OCR"


class NeedsOcr(ReportRefused):
    """A scan or a photo, asked to be read without OCR: read it by OCR, in a worker, later.
    (Raised in the budgeted reader's process: it is pickled back with its reason.)"""

    def __init__(self, reason: str = NEEDS_OCR) -> None:
        super().__init__(reason)
