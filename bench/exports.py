"""Benchmark of the export-archive checker against reading the same CSV members with `csv` alone.

    PYTHONPATH=. .venv/bin/python bench/exports.py [--pupils 400] [--runs 30]

Builds demo archives (`daemon.demo.generate.archive`, the recognised layout with addresses and
responsables). Measures the median time of `check_archive` on a 400-pupil archive and, in the
same run, the median time of the baseline: opening the zip and reading every member with
`csv.reader` into lists (target: checking ≤ 3 × the baseline). Then the peak memory
(tracemalloc) of checking a 50-pupil and a 5,000-pupil archive (target: the difference stays
within 20 MB). Exits 0 even when a target is missed, printing MISSED.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import statistics
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable

from bench.report import Row, emit
from daemon.codes import LEVEL_AGE, LEVELS
from daemon.demo.generate import FIRST_NAMES, LAST_NAMES, DemoPupil, archive
from daemon.ingest.exports.archive import ArchiveLimits, check_archive
from daemon.ingest.exports.records import ArchiveCheck

UAI = "0441234C"
RENTREE = dt.date(2026, 9, 1)
TIME_TARGET = 3.0
MEMORY_TARGET_MB = 20.0


def pupils(n: int, rng: random.Random) -> list[DemoPupil]:
    levels = LEVELS[1:]  # PS … CM2
    found = []
    for i in range(n):
        level = levels[i % len(levels)]
        born = dt.date(RENTREE.year - LEVEL_AGE[level], 1, 1) + dt.timedelta(rng.randint(0, 364))
        found.append(
            DemoPupil(
                f"E{i + 1:05d}",
                rng.choice(LAST_NAMES),
                rng.choice(FIRST_NAMES),
                rng.choice("MF"),
                born,
                level,
                f"{level} classe {i % 3 + 1}",
            )
        )
    return found


def check(data: bytes) -> ArchiveCheck:
    return check_archive(
        data, f"{UAI}.zip", limits=ArchiveLimits(), school_year_start=RENTREE, known_uais={UAI}
    )


def csv_only(data: bytes) -> int:
    rows = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8")
            rows += len(list(csv.reader(io.StringIO(text, newline=""), delimiter=";")))
    return rows


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def peak_mb(data: bytes) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = check(data)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.accepted and not result.findings, result.refusal
    return peak / (1024 * 1024)


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--pupils", type=int, default=400)
    options.add_argument("--runs", type=int, default=30)
    options.add_argument("--seed", type=int, default=44)
    args = options.parse_args()
    rng = random.Random(args.seed)
    data = archive(UAI, pupils(args.pupils, rng), RENTREE)
    result = check(data)
    assert result.accepted and result.headcount and result.headcount.total == args.pupils
    assert not [f for f in result.findings if f.severity == "erreur"]
    check(data), csv_only(data)  # warm up
    checked = median_ms(lambda: check(data), args.runs)
    baseline = median_ms(lambda: csv_only(data), args.runs)
    ratio = checked / baseline
    small = peak_mb(archive(UAI, pupils(50, rng), RENTREE))
    large = peak_mb(archive(UAI, pupils(5000, rng), RENTREE))
    rows = [
        Row(
            "exports",
            f"median check of a {args.pupils}-pupil archive ({len(data) // 1024} kB)",
            f"{checked:.1f} ms",
            f"{baseline:.1f} ms (csv module alone)",
            ratio,
            f"≤ {TIME_TARGET:g}×",
            ratio <= TIME_TARGET,
        ),
        Row(
            "exports",
            "peak memory checking 5,000 pupils (tracemalloc)",
            f"{large:.1f} MB",
            f"{small:.1f} MB (50 pupils)",
            large / small if small else None,
            f"within {MEMORY_TARGET_MB:g} MB",
            large - small <= MEMORY_TARGET_MB,
        ),
    ]
    emit(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
