"""A module heavier to import than a small memory budget (see tests/test_budget.py): the
worker imports it to unpickle the task, before the task and its budget start."""

from __future__ import annotations

import mmap

# Address space taken at import, as a large library's (numpy, OpenCV) would take; mapped, not
# touched, so it costs the test run no memory.
BALLAST = mmap.mmap(-1, 300 * 1024 * 1024)


def light() -> str:
    return "lu"
