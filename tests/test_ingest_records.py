"""What the readers' records share: their JSON by pydantic, in field order, fields kept inside."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from daemon.ingest.records import INTERNAL, JsonRecord, adapter, iso

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True, slots=True)
class Inner(JsonRecord):
    when: dt.date | None


@dataclass(frozen=True, slots=True)
class Outer(JsonRecord):
    name: str
    inner: tuple[Inner, ...]
    table: dict[str, dict[str, int]]
    at: dt.datetime | None = None
    kept: Annotated[tuple[str, ...], INTERNAL] = ()


RECORD = Outer(
    "x",
    (Inner(dt.date(2026, 9, 1)), Inner(None)),
    {"CP": {"A": 1}},
    dt.datetime(2026, 9, 14, 17, 42, tzinfo=PARIS),
    kept=("inside only",),
)


def test_records_turn_into_json_values_in_field_order() -> None:
    assert RECORD.as_json() == {
        "name": "x",
        "inner": [{"when": "2026-09-01"}, {"when": None}],
        "table": {"CP": {"A": 1}},
        "at": "2026-09-14T17:42:00+02:00",
    }
    assert list(RECORD.as_json()) == ["name", "inner", "table", "at"]


def test_records_read_back_from_their_json_but_internal_fields() -> None:
    again = Outer.from_json(json.loads(json.dumps(RECORD.as_json())))
    assert again.kept == () and again.at == RECORD.at and again.inner == RECORD.inner
    assert again.as_json() == RECORD.as_json()
    assert adapter(Outer) is adapter(Outer)  # built once


def test_what_is_not_a_record_is_refused() -> None:
    with pytest.raises(ValidationError):
        Outer.from_json({"name": "x", "inner": [{"when": "hier"}], "table": {}})


def test_iso() -> None:
    assert iso(None) is None and iso(dt.date(2019, 5, 3)) == "2019-05-03"
