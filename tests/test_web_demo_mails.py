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


def test_a_mail_shows_its_cc_wrapped_text_clickable_links_and_html(
    tmp_path: Path, database_url: str, unused_tcp_port: int
) -> None:
    """A mail as relance sends it (text + HTML, Cc): what the demo's page shows of it."""
    import datetime as dt

    from daemon.delivery.message import build_message

    folder = tmp_path / "mails"
    settings = make_settings(tmp_path, database_url, web={"demo_mail_dir": str(folder)})
    long_line = "Une ligne très longue " * 30
    payload = {
        "subject": "Problème signalé",
        "text": f"{long_line}\nLe suivi : http://127.0.0.1:8150/ecoles/0441234C.\n<script>x</script>",
        "html": '<html><head><title>t</title></head><body style="color: #123"><p>Bonjour '
        '<a href="http://127.0.0.1:8150/ecoles/0441234C">le suivi</a></p></body></html>',
    }
    message = build_message(
        key="k1",
        recipient="assistance-onde@demo.invalid",
        cc=["coordination@demo.invalid"],
        payload=payload,
        settings=settings,
        now=dt.datetime(2026, 9, 14, 8, 2, tzinfo=dt.UTC),
    )
    controller = start_catcher(folder, port=unused_tcp_port)
    try:
        with smtplib.SMTP("127.0.0.1", unused_tcp_port) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    app = App(settings)
    with signed_in(app) as (client, _csrf):
        key = client.get("/demo/courriels").text.split('href="/demo/courriels/')[1].split('"')[0]
        page = client.get(f"/demo/courriels/{key}").text
        html = client.get(f"/demo/courriels/{key}/html")
    app.close()
    assert "<dt>Cc</dt><dd>coordination@demo.invalid</dd>" in page
    assert '<pre class="mail">' in page and long_line.strip() in page
    link = "http://127.0.0.1:8150/ecoles/0441234C"
    assert f'<a href="{link}">{link}</a>.' in page  # the final full stop is not in the link
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page
    assert f'src="/demo/courriels/{key}/html"' in page and "<iframe" in page
    assert html.status_code == 200 and "le suivi</a>" in html.text
    assert '<head><base target="_top">' in html.text
    policy = html.headers["content-security-policy"]
    assert (
        "sandbox" in policy
        and "default-src 'none'" in policy
        and "frame-ancestors 'self'" in policy
    )
    assert html.headers["x-frame-options"] == "SAMEORIGIN"


def test_the_mail_page_css_wraps_long_lines() -> None:
    from tests.conftest import REPO

    css = (REPO / "templates" / "static" / "style.css").read_text(encoding="utf-8")
    rule = css.split("pre.mail {", 1)[1].split("}", 1)[0]
    assert "white-space: pre-wrap" in rule and "overflow-wrap: anywhere" in rule
