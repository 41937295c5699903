"""What the readers' records share: their JSON form.

A reader hands the rooms above a record (a frozen dataclass: `reports.records`,
`exports.records`); JSON exists only where a record leaves the process (`relance report parse
--json`, `relance export check --json`, the API) or is stored in a JSON column, through its
`as_json`, and where it comes back, through its `from_json`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def json_value(value: object) -> object:
    """A record's value as JSON: records as objects, tuples as lists, dates in ISO form."""
    if isinstance(value, JsonRecord):
        return value.as_json()
    if isinstance(value, tuple | list):
        return [json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, dt.date):  # datetimes too: with their offset
        return value.isoformat()
    return value


INTERNAL = MappingProxyType({"json": False})  # the metadata of a field kept out of the JSON


class JsonRecord:
    """Base of the readers' records (dataclasses): `as_json` gives the fields in their order,
    but those marked INTERNAL."""

    __slots__ = ()

    def as_json(self) -> dict[str, Any]:
        record: DataclassInstance = self  # type: ignore[assignment]
        return {
            f.name: json_value(getattr(self, f.name))
            for f in fields(record)
            if f.metadata.get("json", True)
        }


def iso(value: dt.date | None) -> str | None:
    """A date (or time) in ISO form, None kept."""
    return None if value is None else value.isoformat()


def day(value: object) -> dt.date | None:
    """An ISO date from JSON; None when absent or unreadable."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def moment(value: object) -> dt.datetime | None:
    """An ISO time with its offset from JSON; None when absent, unreadable or without offset."""
    try:
        found = dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None
    return found if found is not None and found.tzinfo is not None else None
