"""One SMTP connection (aiosmtplib) kept open across mails, and how a failure is classified
(as a `db.states.SendOutcome`, the spelling the ledger marks use too):

- sent: the server accepted the mail (for at least the main recipient);
- retry (4xx for this mail): the row is retried later with backoff;
- deferred (connection refused, timeout, disconnect, 421, authentication or sender refused): the
  server is unusable for every mail; the sender backs off as a whole and nothing is lost;
- failed (5xx for the recipient or the content): the row fails and the address is marked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosmtplib

from daemon.config.settings import SmtpSettings
from daemon.delivery.message import Outgoing
from db.states import SendOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """What the server made of one mail."""

    outcome: SendOutcome
    error: str = ""


def make_client(smtp: SmtpSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username or None,
        password=smtp.password or None,
        timeout=smtp.timeout_seconds,
        use_tls=smtp.security == "tls",
        start_tls=smtp.security == "starttls",
    )


class Connection:
    """A lazily opened connection, reopened after any failure."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, mail: Outgoing) -> Answer:
        try:
            if self.client is None or not self.client.is_connected:
                self.client = make_client(self.smtp)
                await self.client.connect()
            errors, _response = await self.client.sendmail(mail.sender, mail.recipients, mail.data)
        except Exception as exc:
            await self.close()
            return classify(exc)
        main = mail.recipients[0]
        if main in errors:
            code, text = errors[main]
            return _by_code(code, f"{code} {text}")
        if errors:
            log.warning("smtp: some copies refused: %s", ", ".join(sorted(errors)))
        return Answer(SendOutcome.SENT)

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except Exception:
            client.close()


def _by_code(code: int, error: str) -> Answer:
    if code == 421:
        return Answer(SendOutcome.DEFERRED, error)
    if code >= 500:
        return Answer(SendOutcome.FAILED, error)
    return Answer(SendOutcome.RETRY, error)  # 4xx, or a code that makes no sense here


def classify(exc: BaseException) -> Answer:
    """An exception raised while sending → what to do with the row and the server."""
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected):
        return Answer(SendOutcome.DEFERRED, error)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return _by_code(first.code, f"{first.code} {first.message} ({first.recipient})")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPSenderRefused):
        return Answer(SendOutcome.DEFERRED, error)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _by_code(exc.code, f"{exc.code} {exc.message}")
    # Refused, timed out, disconnected, TLS problems, unknown host: the server, not the mail.
    return Answer(SendOutcome.DEFERRED, error)
