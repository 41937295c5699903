"""Building the mail of a ledger row."""

from __future__ import annotations

from pathlib import Path

from daemon.delivery.message import build_message, message_id, render_message, verp_digest
from tests.conftest import NOW, make_settings

PAYLOAD = {
    "subject": "Constat de rentrée : il reste 2 élèves en erreur",
    "text": "Bonjour,\nvoici ce qu'il reste à faire.",
    "html": "<p>Bonjour, voici ce qu'il reste à faire.</p>",
    "reply_to": "coordination@ddec.example",
}


def settings(tmp_path: Path):
    return make_settings(
        tmp_path,
        "sqlite://",
        smtp={
            "from_address": "relance@ddec.example",
            "from_name": "Relance constat",
            "list_id": "constat.ddec.example",
        },
    )


def test_headers_of_a_reminder(tmp_path: Path) -> None:
    message = build_message(
        key="0441234C:2026:reminder:2026-09-14",
        recipient="dir@ecole.example",
        cc=["adjoint@ecole.example"],
        payload=PAYLOAD,
        settings=settings(tmp_path),
        now=NOW,
    )
    assert message["From"] == "Relance constat <relance@ddec.example>"
    assert message["To"] == "dir@ecole.example"
    assert message["Cc"] == "adjoint@ecole.example"
    assert message["Reply-To"] == "coordination@ddec.example"
    assert message["Subject"] == PAYLOAD["subject"]
    assert message["List-Id"] == "<constat.ddec.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] == "Mon, 14 Sep 2026 08:00:00 +0000"
    assert message["Message-ID"].endswith("@ddec.example>")
    assert message.get_body(("plain",)).get_content().startswith("Bonjour,\nvoici")
    assert "<p>Bonjour" in message.get_body(("html",)).get_content()


def test_message_id_follows_the_key() -> None:
    a = message_id("k:1", "relance@ddec.example")
    assert a == message_id("k:1", "relance@ddec.example")
    assert a != message_id("k:2", "relance@ddec.example")


def test_text_only_when_no_html(tmp_path: Path) -> None:
    message = build_message(
        key="k",
        recipient="d@e.example",
        cc=[],
        payload={**PAYLOAD, "html": ""},
        settings=settings(tmp_path),
        now=NOW,
    )
    assert not message.is_multipart() and message["Cc"] is None
    assert message.get_content_type() == "text/plain"


def test_an_answer_is_threaded_and_marked_auto_replied(tmp_path: Path) -> None:
    payload = {
        **PAYLOAD,
        "in_reply_to": "<abc@ecole.example>",
        "references": "<relance.1@ddec.example> <abc@ecole.example>",
        "auto_submitted": "auto-replied",
    }
    message = build_message(
        key="k",
        recipient="d@e.example",
        cc=[],
        payload=payload,
        settings=settings(tmp_path),
        now=NOW,
    )
    assert message["In-Reply-To"] == "<abc@ecole.example>"
    assert message["References"] == "<relance.1@ddec.example> <abc@ecole.example>"
    assert message["Auto-Submitted"] == "auto-replied"


def test_verp_puts_the_message_id_digest_in_the_envelope_sender(tmp_path: Path) -> None:
    plain = render_message(
        key="k",
        recipient="d@e.example",
        cc=[],
        payload=PAYLOAD,
        settings=settings(tmp_path),
        now=NOW,
    )
    assert plain.sender == "relance@ddec.example"
    verp = make_settings(
        tmp_path,
        "sqlite://",
        smtp={"from_address": "relance@ddec.example"},
        mailbox={"verp_address": "rebonds@ddec.example"},
    )
    mail = render_message(
        key="k", recipient="d@e.example", cc=[], payload=PAYLOAD, settings=verp, now=NOW
    )
    digest = mail.message_id[len("<relance.") :].partition("@")[0]
    assert mail.sender == f"rebonds+{digest}@ddec.example"
    assert verp_digest(mail.sender, "rebonds@ddec.example") == digest
    assert b"<relance@ddec.example>\r\nTo:" in mail.data  # the From header is unchanged
