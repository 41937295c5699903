"""One mail per address per day: a director running several schools (common in the private
sector) gets one reminder that lists them all, each with its next step and its link.

The sweep writes one ledger row per school; the sender groups the reminders it claimed to the
same address for the same day (`groups`), sends them as one mail (`combined`) and marks every
row of the group sent with that mail's Message-ID. Each school's part is its own reminder's
text, rechecked and with its link signed at sending time like a single mail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from db.states import LedgerKind

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)


class Groupable(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def day(self) -> Any: ...


T = TypeVar("T", bound=Groupable)


def groups(claims: Sequence[T]) -> list[list[T]]:
    """The claims in their order, the reminders to one address for one day together (at the
    place of the first of them); every other row alone."""
    grouped: list[list[T]] = []
    by_address: dict[tuple[str, Any], list[T]] = {}
    for claim in claims:
        if claim.kind != LedgerKind.REMINDER.value:
            grouped.append([claim])
            continue
        key = (claim.recipient.strip().lower(), claim.day)
        found = by_address.get(key)
        if found is None:
            found = by_address[key] = []
            grouped.append(found)
        found.append(claim)
    return grouped


def _school(payload: dict[str, Any]) -> str:
    link = payload.get("link")
    uai = str(link.get("uai", "")) if isinstance(link, dict) else ""
    name = str(payload.get("school_name") or "")
    return f"{name} ({uai})" if name and uai else name or uai or "École"


def combined(payloads: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One mail from several schools' reminders to the same director."""
    names = [_school(p) for p in payloads]
    count = len(payloads)
    intro = (
        f"Vous assurez la direction de {count} écoles suivies pour le constat de rentrée : "
        "voici, dans un seul message, où en est chacune, avec son lien."
    )
    text_parts = [f"Bonjour,\n\n{intro}\n"]
    html_parts = [f"<p>Bonjour,</p>\n<p>{intro}</p>\n"]
    for name, payload in zip(names, payloads, strict=True):
        text_parts.append(f"\n===== {name} =====\n\n{payload.get('text', '')}")
        found = _BODY.search(str(payload.get("html") or ""))
        inner = found.group(1) if found else str(payload.get("html") or "")
        html_parts.append(f'<hr>\n<h1 style="font-size: 1.2em;">{_escape(name)}</h1>\n{inner}')
    first = payloads[0]
    return {
        **first,
        "subject": f"Constat de rentrée : vos {count} écoles – " + ", ".join(names),
        "text": "".join(text_parts),
        "html": '<!DOCTYPE html>\n<html lang="fr">\n<head><meta charset="utf-8"></head>\n'
        '<body style="font-family: sans-serif; line-height: 1.4; max-width: 40em;">\n'
        + "".join(html_parts)
        + "</body>\n</html>\n",
        "grouped": count,
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
