"""A real SMTP server for tests: aiosmtpd on a loopback port, in its own thread.

def test_x(mailsink):
    mailsink.refuse("a@b.fr", 550)      # this recipient is refused (5xx or 4xx)
    mailsink.refuse_all(451)            # every recipient answered 451 until `accept_all()`
    mailsink.stop(); mailsink.start()   # the server is down, then back on the same port
    mailsink.messages                   # parsed EmailMessages received, in order
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage


@dataclass
class MailSink:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    refuse_code: int | None = None
    controller: Controller | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    host = "127.0.0.1"

    # — the aiosmtpd handler —
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        code = self.refused.get(address.lower(), self.refuse_code)
        if code:
            return f"{code} {'4.3.0 Réessayez plus tard' if code < 500 else '5.1.1 Refusé'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), cast(EmailMessage, parsed)))
        return "250 Message accepted"

    # — controls —
    def start(self) -> None:
        if self.controller is None:
            self.controller = Controller(self, hostname=self.host, port=self.port)
            self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(self, address: str, code: int) -> None:
        self.refused[address.lower()] = code

    def refuse_all(self, code: int) -> None:
        self.refuse_code = code

    def accept_all(self) -> None:
        self.refuse_code = None
        self.refused.clear()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]

    def smtp_settings(self, **extra: Any) -> dict[str, Any]:
        """The `[smtp]` section of settings pointing at this sink."""
        return {"host": self.host, "port": self.port, "security": "none", **extra}


@pytest.fixture
def mailsink() -> Iterator[MailSink]:
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()
