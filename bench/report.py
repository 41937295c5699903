"""The shared way benchmarks report: one row per figure, with its baseline and target.

Every `bench/*.py` script builds `Row`s and calls `emit(rows)`: it prints them, and when
`RELANCE_BENCH_JSON` names a file (as `make bench` does), appends them there so that
`bench/run_all.py` can write one table into the README.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Row:
    benchmark: str  # e.g. "ingest"
    figure: str  # what is measured, in words
    value: str  # the figure, with its unit
    baseline: str  # the baseline measured in the same run, with its unit ("" if none)
    ratio: float | None  # value / baseline when comparable
    target: str  # e.g. "≤ 1.5×"
    met: bool

    @property
    def verdict(self) -> str:
        return "met" if self.met else "MISSED"


def emit(rows: list[Row]) -> None:
    for row in rows:
        ratio = f" ratio {row.ratio:.2f}×" if row.ratio is not None else ""
        base = f" (baseline {row.baseline})" if row.baseline else ""
        print(
            f"[{row.benchmark}] {row.figure}: {row.value}{base}{ratio} target {row.target}: "
            f"{row.verdict}"
        )
    path = os.environ.get("RELANCE_BENCH_JSON")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
