"""The report fixtures as test parameters: those tesseract reads (no text layer) are slow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FILES = Path(__file__).parent / "fixtures" / "reports" / "files"
# No text layer, so they are read by OCR (seconds of tesseract each): `scan.pdf`
# (tests/fixtures/reports/negatives.py) and the files of `families.NO_TEXT_LAYER`.
READ_BY_OCR = frozenset({"scan.pdf", "sj-paps.pdf"})


def by_speed(value: Any, name: str) -> Any:
    """`value` as a parameter named `name`, marked slow when its file is read by OCR."""
    return pytest.param(value, id=name, marks=[pytest.mark.slow] if name in READ_BY_OCR else [])
