"""The demo's mail catcher: a real SMTP server keeping mails in a Maildir."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path

from daemon.demo.mailcatcher import list_mails, start_catcher


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_caught_mails_are_listed_newest_first(tmp_path: Path) -> None:
    port = free_port()
    controller = start_catcher(tmp_path / "mails", port=port)
    try:
        for n in (1, 2):
            message = EmailMessage()
            message["From"] = "relance@example.org"
            message["To"] = "ecole@example.org"
            message["Subject"] = f"Relance n°{n}"
            message["Date"] = f"Mon, 14 Sep 2026 10:0{n}:00 +0200"
            message.set_content(f"Bonjour, étape {n}.")
            with smtplib.SMTP("127.0.0.1", port) as client:
                client.send_message(message)
    finally:
        controller.stop()
    mails = list_mails(tmp_path / "mails")
    assert [m["subject"] for m in mails] == ["Relance n°2", "Relance n°1"]
    assert mails[0]["to"] == "ecole@example.org" and "étape 2" in mails[0]["text"]
    assert mails[0]["sent_at"] == dt.datetime(2026, 9, 14, 8, 2, tzinfo=dt.UTC)


def test_an_existing_empty_folder_becomes_a_working_maildir(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    import smtplib
    from email.message import EmailMessage

    folder = tmp_path / "mails"
    folder.mkdir()
    controller = start_catcher(folder, port=unused_tcp_port)
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@x.invalid", "b@x.invalid", "Test"
        message.set_content("Bonjour")
        with smtplib.SMTP("127.0.0.1", unused_tcp_port) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    assert [m["subject"] for m in list_mails(folder)] == ["Test"]
