"""The IMAP source against a real server (Dovecot, started by the tests): folders created with
the server's delimiter, messages read without being marked read, moved — never erased — with
or without MOVE, IDLE waking on a new message."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.config.settings import MailboxSettings
from daemon.mailbox.imap import ImapSource, MailboxError
from daemon.mailbox.source import Destination
from tests import mail_samples as samples
from tests.imapserver import ImapServer, imap_fixture, need_dovecot  # noqa: F401 — `imap`

NOTE = samples.plain_reply(
    sender="direction@ecoles.example.org", in_reply_to="", subject="Re: Constat", text="Merci."
)
OTHER = samples.plain_reply(
    sender="direction@ecoles.example.org", in_reply_to="", subject="Autre", text="Encore."
)


def source(server: ImapServer, **extra: object) -> ImapSource:
    return ImapSource(MailboxSettings(**server.mailbox_settings(**extra)))  # type: ignore[arg-type]


@pytest.fixture
def opened(imap: ImapServer) -> Iterator[ImapSource]:
    imap.append(NOTE)
    imap.append(OTHER)
    src = source(imap)
    src.open()
    yield src
    src.close()


def test_the_destination_folders_are_created_with_the_servers_delimiter(
    imap: ImapServer,
) -> None:
    src = source(imap)
    src.open()
    src.close()
    listed = "\n".join(imap.folders())
    assert '"." relance' in listed
    assert "relance.trait&AOk-s" in listed and "relance.refus&AOk-s" in listed
    again = source(imap)
    again.open()  # a second start finds them
    again.close()


def test_a_slash_delimited_server_gets_nested_folders() -> None:
    need_dovecot()
    server = ImapServer(separator="/")
    server.start()
    try:
        src = source(server)
        src.open()
        src.close()
        assert any(f.endswith('"/" relance/trait&AOk-s') for f in server.folders())
    finally:
        server.remove()


def test_messages_are_listed_and_read_without_being_marked_read(
    imap: ImapServer,
    opened: ImapSource,
) -> None:
    refs = opened.listing(None)
    assert len(refs) == 2
    listed = opened.headers(refs)
    assert [item.size for item in listed] == [len(NOTE), len(OTHER)]
    assert all(
        item.headers.rstrip().endswith(b"Content-Transfer-Encoding: 8bit") for item in listed
    )
    assert opened.fetch(refs[0]) == NOTE
    client = imap.client()
    client.select("INBOX", readonly=True)
    _status, flags = client.fetch("1:*", "(FLAGS)")
    client.logout()
    assert all(b"\\Seen" not in line for line in flags if isinstance(line, bytes))


def test_a_move_leaves_the_message_in_its_folder_and_nowhere_else(
    imap: ImapServer,
    opened: ImapSource,
) -> None:
    assert "MOVE" in opened.capabilities
    first, second = opened.listing(None)
    opened.move(first, Destination.PROCESSED)
    opened.move(second, Destination.REFUSED)
    assert imap.messages(imap.folder("relance/traités")) == [NOTE]
    assert imap.messages(imap.folder("relance/refusés")) == [OTHER]
    assert imap.messages() == []


def test_without_move_the_message_is_copied_then_expunged_by_uid_only() -> None:
    """No MOVE: COPY, then \\Deleted and UID EXPUNGE of that message alone — a message a
    person had flagged deleted stays (a plain EXPUNGE would erase it)."""
    need_dovecot()
    server = ImapServer(capabilities="imap_capability = IMAP4rev1 LITERAL+ IDLE UIDPLUS")
    server.start()
    try:
        server.append(NOTE)
        server.append(OTHER)
        client = server.client()
        client.select("INBOX")
        client.uid("STORE", "2", "+FLAGS", r"(\Deleted)")  # a person deleted it, not expunged
        client.logout()
        src = source(server)
        src.open()
        assert "MOVE" not in src.capabilities
        src.move(src.listing(None)[0], Destination.PROCESSED)
        src.close()
        assert server.messages(server.folder("relance/traités")) == [NOTE]
        client = server.client()
        client.select("INBOX", readonly=True)
        _status, found = client.uid("SEARCH", "ALL")
        client.logout()
        assert found[0].split() == [b"2"]  # the person's deleted message is still there
    finally:
        server.remove()


def test_idle_wakes_up_when_a_message_arrives(
    imap: ImapServer,
    opened: ImapSource,
) -> None:
    assert "IDLE" in opened.capabilities
    halt = threading.Event()
    timer = threading.Timer(
        0.5,
        lambda: imap.append(
            samples.gmail_vacation(sender="d@e.example", in_reply_to="", subject="x")
        ),
    )
    started = time.monotonic()
    timer.start()
    # A wait may also end on another untagged response (the server's view of the folder
    # changing): waiting again until the message is listed is what the reader's loop does.
    # Without IDLE each wait would last its full 20 s.
    listed = opened.listing(None)
    while len(listed) < 3 and time.monotonic() - started < 5:
        opened.wait(20, halt)
        listed = opened.listing(None)
    timer.join()
    assert time.monotonic() - started < 5
    assert len(listed) == 3


def test_waiting_stops_at_once_when_asked(opened: ImapSource) -> None:
    halt = threading.Event()
    threading.Timer(0.3, halt.set).start()
    started = time.monotonic()
    opened.wait(30, halt)
    assert time.monotonic() - started < 3


def test_a_wrong_password_and_a_server_down_are_errors_of_reach(
    imap: ImapServer,
) -> None:
    bad = source(imap, password="faux")
    with pytest.raises(Exception) as refused:
        bad.open()
    bad.close()
    assert "MailboxLoginError" in type(refused.value).__name__
    imap.stop()
    down = source(imap)
    with pytest.raises(OSError):
        down.open()
    down.close()


def test_a_changed_uidvalidity_makes_old_refs_unusable(opened: ImapSource) -> None:
    ref = opened.listing(None)[0]
    opened.uidvalidity = "autre"
    with pytest.raises(MailboxError):
        opened.fetch(ref)


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_and_starttls_with_the_servers_certificate_checked(
    security: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_dovecot()
    server = ImapServer(tls=True)
    server.start()
    try:
        port = server.tls_port if security == "tls" else server.port
        untrusted = source(server, security=security, port=port)
        with pytest.raises(ssl.SSLError):  # not trusted yet: refused, never read in clear
            untrusted.open()
        untrusted.close()
        monkeypatch.setenv("SSL_CERT_FILE", str(server.certificate))
        server.append(NOTE)
        trusted = source(server, security=security, port=port)
        trusted.open()
        assert trusted.fetch(trusted.listing(None)[0]) == NOTE
        trusted.close()
    finally:
        server.remove()


def test_without_idle_the_source_polls(tmp_path: Path) -> None:
    """A server without IDLE: waiting is a plain pause of `poll_seconds`."""
    need_dovecot()
    server = ImapServer(capabilities="imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE")
    server.start()
    try:
        secret = tmp_path / "imap.password"
        secret.write_text(server.password + "\n", encoding="utf-8")
        src = source(server, password="", password_file=str(secret))
        src.open()  # the password read from its file
        assert "IDLE" not in src.capabilities
        started = time.monotonic()
        src.wait(1, threading.Event())
        assert 0.9 < time.monotonic() - started < 3
        src.close()
    finally:
        server.remove()
