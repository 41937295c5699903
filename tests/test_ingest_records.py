"""What the readers' records share: JSON values, ISO dates and times, fields kept inside."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from daemon.ingest.records import INTERNAL, JsonRecord, day, iso, json_value, moment

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
    kept: tuple[str, ...] = field(default=(), metadata=INTERNAL)


def test_records_turn_into_json_values_in_field_order() -> None:
    record = Outer(
        "x",
        (Inner(dt.date(2026, 9, 1)), Inner(None)),
        {"CP": {"A": 1}},
        dt.datetime(2026, 9, 14, 17, 42, tzinfo=PARIS),
        kept=("inside only",),
    )
    assert record.as_json() == {
        "name": "x",
        "inner": [{"when": "2026-09-01"}, {"when": None}],
        "table": {"CP": {"A": 1}},
        "at": "2026-09-14T17:42:00+02:00",
    }
    assert list(record.as_json()) == ["name", "inner", "table", "at"]
    assert json_value([1, "a", None, True]) == [1, "a", None, True]


def test_dates_and_times_from_json() -> None:
    assert day("2019-05-03") == dt.date(2019, 5, 3)
    assert day(None) is None and day("") is None and day("03/05/2019") is None and day(3) is None
    at = moment("2026-09-14T17:42:00+02:00")
    assert at == dt.datetime(2026, 9, 14, 17, 42, tzinfo=PARIS)
    assert moment("2026-09-14T17:42:00") is None  # no offset: not a moment
    assert moment("hier") is None and moment(None) is None
    assert iso(None) is None and iso(dt.date(2019, 5, 3)) == "2019-05-03"
