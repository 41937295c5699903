"""Where messages come from: what the poller needs of a mailbox, whatever serves it (IMAP in
production, a Maildir folder for the demo and for trying relance without a mail server)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Destination(StrEnum):
    PROCESSED = "processed"
    REFUSED = "refused"


@dataclass(frozen=True)
class Listed:
    """A message's headers and size, read without fetching its body."""

    ref: str  # the source's handle on the message (IMAP: uidvalidity/uid; Maildir: file name)
    headers: bytes
    size: int


class Source(Protocol):
    description: str  # for the logs: where it reads

    def open(self) -> None:
        """Connect and make sure the destination folders exist."""

    def listing(self, since: dt.date | None) -> list[str]:
        """The messages in the folder read (received since `since`), oldest first."""

    def headers(self, refs: Sequence[str]) -> list[Listed]: ...

    def fetch(self, ref: str) -> bytes | None:
        """The whole message (None when it is gone)."""

    def move(self, ref: str, destination: Destination) -> None: ...

    def wait(self, seconds: float, halt: threading.Event) -> None:
        """Until a message arrives (IDLE where offered), `seconds` pass or `halt` is set."""

    def close(self) -> None: ...


def folder_name(configured: str, delimiter: str) -> str:
    """A configured folder (`relance/traités`) with the server's hierarchy delimiter."""
    parts = [p for p in configured.split("/") if p]
    return delimiter.join(parts) if delimiter else "/".join(parts)
