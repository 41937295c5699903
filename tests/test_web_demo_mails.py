"""The demo's mail box page: the caught mails, for a signed-in coordinator, only in a demo."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from daemon.app import App
from daemon.demo.mailcatcher import start_catcher
from tests.conftest import make_settings
from tests.web_helpers import client_for, signed_in


def send(port: int, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "relance@demo.invalid", to, subject
    message["Date"] = "Mon, 14 Sep 2026 08:02:00 +0000"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(message)


def test_the_demo_page_lists_caught_mails_and_escapes_them(
    tmp_path: Path, database_url: str, unused_tcp_port: int
) -> None:
    folder = tmp_path / "mails"
    app = App(make_settings(tmp_path, database_url, web={"demo_mail_dir": str(folder)}))
    controller = start_catcher(folder, port=unused_tcp_port)
    try:
        send(unused_tcp_port, "direction@ecole.invalid", "Relance <b>constat</b>", "Bonjour,\n")
    finally:
        controller.stop()
    with signed_in(app) as (client, _csrf):
        page = client.get("/demo/courriels")
        assert page.status_code == 200
        assert "direction@ecole.invalid" in page.text
        assert "Relance &lt;b&gt;constat&lt;/b&gt;" in page.text
        assert "14/09/2026 10:02" in page.text and "Mon, 14 Sep" not in page.text  # Paris time
        key = page.text.split('href="/demo/courriels/')[1].split('"')[0]
        one = client.get(f"/demo/courriels/{key}")
        assert one.status_code == 200 and "Bonjour," in one.text
        assert "14/09/2026 10:02" in one.text
        assert client.get("/demo/courriels/nope").status_code == 404
    app.close()


def test_without_a_demo_folder_there_is_no_mail_page(app: App) -> None:
    with signed_in(app) as (client, _csrf):
        assert client.get("/demo/courriels").status_code == 404
        assert "Courriels (démo)" not in client.get("/").text


def test_the_demo_page_needs_a_sign_in(tmp_path: Path, database_url: str) -> None:
    app = App(make_settings(tmp_path, database_url, web={"demo_mail_dir": str(tmp_path)}))
    with client_for(app) as client:
        assert client.get("/demo/courriels").status_code == 303
    app.close()
