"""The one exception the report parsers raise: a file refused, with one clear line saying why."""

from __future__ import annotations


class ReportRefused(Exception):
    """A file that is not a readable report. `reason`: one line, French first, then English."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NeedsOcr(ReportRefused):
    """A scan or a photo, asked to be read without OCR: read it by OCR, in a worker, later."""

    def __init__(self) -> None:
        super().__init__("Scan ou photo : à lire par OCR / to be read by OCR")
