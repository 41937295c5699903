"""Fuzzing parse_report: mutated fixture PDFs, texts and CSVs give a result or ReportRefused.

Bounded: a fixed number of examples per source, no deadline per example but a time cap on the
whole run (pytest-timeout), so `make test` stays a few seconds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.ingest.reports import ReportRefused, parse_report
from daemon.ingest.reports.records import report_from_json

FILES = Path(__file__).parent / "fixtures" / "reports" / "files"
SOURCES = {
    name: (FILES / name).read_bytes()
    for name in (
        "sj-reportlab.pdf",
        "sj-chromium-entetes.pdf",
        "sj-libreoffice.pdf",
        "aucune-reportlab.pdf",
        "sj-tabs.txt",
        "sj-cellules.txt",
        "extraction-cp1252.csv",
        "extraction-utf8-bom.csv",
    )
}
KEYS_CR = {
    "kind",
    "uai",
    "school_name",
    "archive",
    "submitted_at",
    "processed_at",
    "counts",
    "anomalies",
    "ine",
    "unclassified",
    "warnings",
    "needs_review",
    "source",
    "review_reasons",
}
KEYS_EXTRACTION = {"kind", "ine_column", "pupils", "unclassified", "warnings", "needs_review",
                   "review_reasons"}  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SOURCES)))
    data = bytearray(SOURCES[name])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 256))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 512))]
    return name, bytes(data)


def check(name: str, data: bytes) -> None:
    started = time.monotonic()
    try:
        result = parse_report(data, name)
    except ReportRefused as exc:
        assert exc.reason and "\n" not in exc.reason
        assert not exc.reason.startswith("Lecture impossible"), exc.reason  # a parser bug
        return
    finally:
        assert time.monotonic() - started < 20, f"{name}: parsing took too long"
    data = result.as_json()
    keys = KEYS_CR if data["kind"] == "compte_rendu" else KEYS_EXTRACTION
    assert set(data) == keys
    assert result.needs_review == bool(result.unclassified or result.warnings)
    assert json.loads(json.dumps(data)) == data  # plain JSON values
    assert report_from_json(data) == result  # and read back whole


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_files_give_a_result_or_a_refusal(case: tuple[str, bytes]) -> None:
    check(*case)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.binary(max_size=2048))
def test_random_bytes_give_a_result_or_a_refusal(data: bytes) -> None:
    check("random.bin", data)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.text(max_size=600))
def test_random_text_gives_a_result_or_a_refusal(text: str) -> None:
    check("random.txt", text.encode("utf-8"))
