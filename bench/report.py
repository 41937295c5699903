"""The shared way benchmarks measure and report.

Measure with `alternate(subject, baseline, inputs, rounds=…, reset=…)`: the subject and its
baseline run back to back on the same input (A B A B …, the order swapped every round so that a
drift of the machine falls on both), caches cleared before each run by `reset`; the result is the
median of the pair ratios with their min and max — never the best of N.

Report with `Row`s and `emit(rows)`: it prints them, and when `RELANCE_BENCH_JSON` names a file
(as `make bench` does), appends them there so that `bench/run_all.py` can write one table into
the README.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

Item = TypeVar("Item")


@dataclass(frozen=True)
class Pairs:
    """Times of a subject and its baseline measured in alternated pairs (seconds)."""

    subject: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [s / b for s, b in zip(self.subject, self.baseline, strict=True) if b > 0]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> str:
        """The pair ratios' range, e.g. "1.08–1.31×"."""
        return f"{min(self.ratios):.2f}–{max(self.ratios):.2f}×"

    @property
    def subject_median(self) -> float:
        return statistics.median(self.subject)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline)


def alternate(
    subject: Callable[[Item], Any],
    baseline: Callable[[Item], Any],
    inputs: Sequence[Item],
    *,
    rounds: int,
    reset: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Pairs:
    """Run `subject` and `baseline` on each input, alternated, `rounds` times; `reset` clears
    every cache before each single run. `clock` may be `time.process_time` for CPU time."""
    pairs = Pairs()
    for number in range(rounds):
        for item in inputs:
            first, second = (subject, baseline) if number % 2 == 0 else (baseline, subject)
            times = {}
            for run in (first, second):
                if reset is not None:
                    reset()
                start = clock()
                run(item)
                times[run] = clock() - start
            pairs.subject.append(times[subject])
            pairs.baseline.append(times[baseline])
    return pairs


def load_average() -> str:
    """The machine's load when measured, for the report (benchmarks are noisy)."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


@dataclass(frozen=True)
class Row:
    benchmark: str  # e.g. "ingest"
    figure: str  # what is measured, in words
    value: str  # the figure, with its unit
    baseline: str  # the baseline measured in the same run, with its unit ("" if none)
    ratio: float | None  # value / baseline when comparable
    target: str  # e.g. "≤ 1.5×"
    met: bool
    spread: str = ""  # the pair ratios' min–max, when measured with `alternate`

    @property
    def verdict(self) -> str:
        return "met" if self.met else "MISSED"


def emit(rows: list[Row]) -> None:
    for row in rows:
        ratio = f" ratio {row.ratio:.2f}×" if row.ratio is not None else ""
        ratio += f" (pairs {row.spread})" if row.spread else ""
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
