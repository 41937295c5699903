"""Delivery reports as Postfix, Exim and Exchange write them (standard DSNs and not): failing
or delayed addresses, the mail reported on, the remote server's diagnostic; a person's mail
that quotes a bounce is no bounce."""

from __future__ import annotations

import pytest

from daemon.delivery.message import message_id, verp_digest, verp_sender
from daemon.mailbox.bounces import read_bounce
from tests import mail_samples as samples

ADDRESS = "direction.0441234c@ecoles.example.org"
OURS = "<relance.0123456789abcdef0123456789abcdef@example.org>"


@pytest.mark.parametrize(
    ("make", "diagnostic"),
    [
        (
            samples.postfix_bounce,
            f"550 5.1.1 <{ADDRESS}>: Recipient address rejected: User unknown in virtual "
            "mailbox table",
        ),
        (
            samples.exim_bounce,
            f"550 5.1.1 <{ADDRESS}>: Recipient address rejected: mailbox unavailable",
        ),
        (
            samples.exchange_bounce,
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        ),
    ],
    ids=["postfix", "exim", "exchange"],
)
def test_permanent_failures(make: object, diagnostic: str) -> None:
    bounce = read_bounce(make(recipient=ADDRESS, message_id=OURS))  # type: ignore[operator]
    assert bounce is not None
    assert bounce.permanent == {ADDRESS} and not bounce.delay_only
    assert OURS in bounce.original_ids
    assert bounce.diagnostic == diagnostic


def test_a_postfix_delay_warning_is_only_a_delay() -> None:
    bounce = read_bounce(samples.postfix_bounce(recipient=ADDRESS, message_id=OURS, delayed=True))
    assert bounce is not None and bounce.delay_only
    assert bounce.temporary == {ADDRESS} and bounce.permanent == frozenset()
    assert "Connection timed out" in bounce.diagnostic


def test_an_old_exchange_text_report_is_read() -> None:
    """Exchange 2003–2007 wrote no DSN: the addresses and the reason are in the text."""
    raw = (
        "From: System Administrator <postmaster@ecoles.example.org>\r\n"
        "To: relance@example.org\r\n"
        "Subject: Undeliverable: Constat de rentrée\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        "--x\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "Your message did not reach some or all of the intended recipients.\r\n\r\n"
        "      Subject:  Constat de rentrée\r\n\r\n"
        "The following recipient(s) could not be reached:\r\n\r\n"
        "did not reach the following recipient(s):\r\n\r\n"
        f"      {ADDRESS} on 14/09/2026 10:11\r\n"
        "            The e-mail account does not exist at the organization this message "
        "was sent to.\r\n"
        "            <mx.ecoles.example.org #5.1.1 smtp;550 5.1.1 User unknown>\r\n\r\n"
        "MSEXCH:IMS:Ecoles:Site:MX01 0 (000C05A6) Unknown Recipient\r\n"
        f"--x\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: {OURS}\r\n"
        "Subject: Constat\r\n\r\nBonjour\r\n--x--\r\n"
    ).encode()
    bounce = read_bounce(raw)
    assert bounce is not None and bounce.permanent == {ADDRESS}
    assert bounce.original_ids == (OURS,)
    assert bounce.diagnostic == "<mx.ecoles.example.org #5.1.1 smtp;550 5.1.1 User unknown>"


def test_a_persons_mail_quoting_a_bounce_is_no_bounce() -> None:
    raw = (
        "From: direction@ecoles.example.org\r\nTo: coordination@example.org\r\n"
        "Subject: Re: mon adresse\r\n\r\n"
        "J'ai reçu ceci, que faire ?\r\n> X-Failed-Recipients: autre@example.org\r\n"
        "> 550 5.1.1 User unknown\r\n"
    ).encode()
    assert read_bounce(raw) is None


def test_a_report_naming_no_address_is_none() -> None:
    raw = (
        b"From: MAILER-DAEMON@example.org\r\nSubject: Returned mail\r\n\r\n"
        b"Something went wrong.\r\n"
    )
    assert read_bounce(raw) is None


def test_verp_return_addresses_carry_the_message_id_digest() -> None:
    mid = message_id("0441234C:2026-2027:reminder:2026-09-14", "relance@example.org")
    sender = verp_sender("rebonds@example.org", mid)
    digest = mid[len("<relance.") :].partition("@")[0]
    assert sender == f"rebonds+{digest}@example.org"
    assert verp_digest(sender.upper(), "rebonds@example.org") == digest
    assert verp_digest("rebonds@example.org", "rebonds@example.org") is None
    assert verp_digest(f"autre+{digest}@example.org", "rebonds@example.org") is None
    assert verp_digest("rebonds+pas-un-jeton@example.org", "rebonds@example.org") is None
