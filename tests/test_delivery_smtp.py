"""How a failure while sending is classified (the real-server cases are in test_delivery_sender)."""

from __future__ import annotations

from pathlib import Path

import aiosmtplib
import pytest

from daemon.config.settings import SmtpSettings
from daemon.delivery.message import render_message
from daemon.delivery.smtp import Connection, classify, make_client
from db.states import SendOutcome
from tests.conftest import NOW, make_settings
from tests.mailsink import free_port


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (aiosmtplib.SMTPResponseException(450, "mailbox busy"), SendOutcome.RETRY),
        (aiosmtplib.SMTPResponseException(421, "closing"), SendOutcome.DEFERRED),
        (aiosmtplib.SMTPResponseException(554, "refused"), SendOutcome.FAILED),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "unknown", "x@y.fr")]
            ),
            SendOutcome.FAILED,
        ),
        (aiosmtplib.SMTPAuthenticationError(535, "bad login"), SendOutcome.DEFERRED),
        (aiosmtplib.SMTPSenderRefused(550, "bad sender", "relance@x.fr"), SendOutcome.DEFERRED),
        (ConnectionRefusedError(111, "refused"), SendOutcome.DEFERRED),
        (aiosmtplib.SMTPConnectTimeoutError("timeout"), SendOutcome.DEFERRED),
        (aiosmtplib.SMTPServerDisconnected("gone"), SendOutcome.DEFERRED),
    ],
)
def test_classify(exc: BaseException, outcome: SendOutcome) -> None:
    assert classify(exc).outcome is outcome


def test_security_settings_reach_the_client() -> None:
    tls = make_client(SmtpSettings(security="tls", port=465, username="u", password="p"))
    assert tls.use_tls is True and tls._login_username == "u"
    starttls = make_client(SmtpSettings(security="starttls"))
    assert starttls.use_tls is False and starttls._start_tls_on_connect is True
    plain = make_client(SmtpSettings(security="none"))
    assert plain._start_tls_on_connect is False


async def test_a_closed_port_is_a_server_failure(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, "sqlite://", smtp={"port": free_port(), "timeout_seconds": 2}
    )
    mail = render_message(
        key="k",
        recipient="a@b.fr",
        cc=[],
        payload={"subject": "s", "text": "t"},
        settings=settings,
        now=NOW,
    )
    outcome = await Connection(settings.smtp).send(mail)
    assert outcome.outcome is SendOutcome.DEFERRED and outcome.error
