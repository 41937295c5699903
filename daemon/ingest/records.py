"""What the readers' records share: their JSON form, by pydantic from their fields.

A reader hands the rooms above a record (a frozen dataclass: `reports.records`,
`exports.records`); JSON exists only where a record leaves the process (`relance report parse
--json`, `relance export check --json`, the API) or is stored in a JSON column, through its
`as_json`, and where it comes back, through its `from_json`. Both go through pydantic's
`TypeAdapter` of the record's class: fields in their order, dates and times in ISO form (times
with their offset), tuples as lists, nested records as objects; a field annotated
`Annotated[…, INTERNAL]` stays inside the process.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Self, TypeVar, cast

from pydantic import Field, TypeAdapter

INTERNAL = Field(exclude=True)  # a field kept out of the JSON (its default when read back)

R = TypeVar("R")
_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def adapter(cls: type[R]) -> TypeAdapter[R]:
    """The pydantic adapter of a record class, built once."""
    found = _ADAPTERS.get(cls)
    if found is None:
        found = _ADAPTERS[cls] = TypeAdapter(cls)
    return cast(TypeAdapter[R], found)


class JsonRecord:
    """Base of the readers' records (dataclasses): their JSON and back."""

    __slots__ = ()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = adapter(type(self)).dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The record `as_json` gave (ValidationError when `data` is not one)."""
        return adapter(cls).validate_python(data)


def iso(value: dt.date | None) -> str | None:
    """A date (or time) in ISO form, None kept."""
    return None if value is None else value.isoformat()
