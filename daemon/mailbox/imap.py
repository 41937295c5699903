"""The IMAP source (imap-tools over the standard imaplib): an ordinary hosted mailbox.

Messages are read without being marked as read (`BODY.PEEK`): a reply left for people stays
unread for them. A processed message is moved with `UID MOVE` where the server offers it (RFC
6851), else copied then removed with `UID EXPUNGE` (UIDPLUS), else copied and flagged
`\\Deleted` only — a plain EXPUNGE would also erase what a person deleted, and nothing is ever
erased here. The folders are created (and subscribed, so that mail clients show them) with the
server's own hierarchy delimiter. Waiting uses IDLE when the server offers it (RFC 2177).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.message import MailMessage
from imap_tools.utils import encode_folder

from daemon.config.settings import MailboxSettings
from daemon.mailbox.source import Destination, Listed, folder_name

TIMEOUT_SECONDS = 60.0
BULK = 50


class RawMessage(MailMessage):
    """imap-tools' message keeping the bytes as the server sent them."""

    def __init__(self, fetch_data: list[object]) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


class MailboxError(Exception):
    """The server answered something unusable (a refused command): the pass is retried."""


def mailbox_password(settings: MailboxSettings) -> str:
    if settings.password_file:
        return Path(settings.password_file).expanduser().read_text(encoding="utf-8").strip()
    return settings.password


class ImapSource:
    def __init__(self, settings: MailboxSettings) -> None:
        self.settings = settings
        self.description = (
            f"imap://{settings.user}@{settings.host}:{settings.port}/{settings.folder}"
        )
        self.box: BaseMailBox | None = None
        self.capabilities: set[str] = set()
        self.folders: dict[Destination, str] = {}
        self.uidvalidity = ""

    def _connect(self) -> BaseMailBox:
        s = self.settings
        if s.security == "tls":
            return MailBox(
                s.host, s.port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
            )
        if s.security == "starttls":
            return MailBoxStartTls(
                s.host, s.port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
            )
        return MailBoxUnencrypted(s.host, s.port, timeout=TIMEOUT_SECONDS)

    def open(self) -> None:
        box = self._connect()
        self.box = box
        box.email_message_class = RawMessage
        box.login(self.settings.user, mailbox_password(self.settings), initial_folder=None)
        _typ, data = box.client.capability()
        self.capabilities = set(
            b" ".join(d for d in data if isinstance(d, bytes)).decode().upper().split()
        )
        delimiter = next((f.delim for f in box.folder.list("", "%")), "/")
        for destination, configured in (
            (Destination.PROCESSED, self.settings.processed_folder),
            (Destination.REFUSED, self.settings.refused_folder),
        ):
            name = folder_name(configured, "" if delimiter == "NIL" else delimiter)
            if not box.folder.exists(name):
                box.folder.create(name)
                box.folder.subscribe(name, True)
            self.folders[destination] = name
        box.folder.set(self.settings.folder)
        self.uidvalidity = str(
            box.folder.status(self.settings.folder, ["UIDVALIDITY"])["UIDVALIDITY"]
        )

    def _box(self) -> BaseMailBox:
        if self.box is None:
            raise MailboxError("connexion IMAP non ouverte")
        return self.box

    def listing(self, since: dt.date | None) -> list[str]:
        criteria = AND(date_gte=since) if since else "ALL"
        uids = self._box().uids(criteria)
        return [f"{self.uidvalidity}/{uid}" for uid in sorted(uids, key=int)]

    def _uid(self, ref: str) -> str:
        validity, _slash, uid = ref.partition("/")
        if validity != self.uidvalidity:
            raise MailboxError("le dossier a changé (UIDVALIDITY) : relevé à reprendre")
        return uid

    def headers(self, refs: Sequence[str]) -> list[Listed]:
        if not refs:
            return []
        uids = [self._uid(ref) for ref in refs]
        found = self._box().fetch(uid_list=uids, headers_only=True, mark_seen=False, bulk=BULK)
        return [
            Listed(f"{self.uidvalidity}/{m.uid}", m.raw, m.size_rfc822)
            for m in found
            if isinstance(m, RawMessage) and m.uid
        ]

    def fetch(self, ref: str) -> bytes | None:
        found = list(self._box().fetch(uid_list=[self._uid(ref)], mark_seen=False))
        return found[0].raw if found and isinstance(found[0], RawMessage) else None

    def move(self, ref: str, destination: Destination) -> None:
        box, uid = self._box(), self._uid(ref)
        target = encode_folder(self.folders[destination]).decode("ascii")
        if "MOVE" in self.capabilities:
            self._check(box.client.uid("MOVE", uid, target), "MOVE")
            return
        self._check(box.client.uid("COPY", uid, target), "COPY")
        self._check(box.client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
        if "UIDPLUS" in self.capabilities:
            self._check(box.client.uid("EXPUNGE", uid), "UID EXPUNGE")

    @staticmethod
    def _check(result: tuple[str, list[object]], command: str) -> None:
        if result[0] != "OK":
            raise MailboxError(f"{command} refusé par le serveur : {result[1]!r}"[:300])

    def wait(self, seconds: float, halt: threading.Event) -> None:
        if "IDLE" not in self.capabilities:
            halt.wait(seconds)
            return
        idle: Any = self._box().idle  # imap-tools leaves start() and stop() unannotated
        deadline = time.monotonic() + min(seconds, 25 * 60)  # RFC 2177: renew within 29 min
        idle.start()
        try:
            while not halt.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or idle.poll(timeout=min(1.0, remaining)):
                    break
        finally:
            idle.stop()

    def close(self) -> None:
        box, self.box = self.box, None
        if box is None:
            return
        with contextlib.suppress(Exception):  # the connection may be gone already
            box.logout()
        with contextlib.suppress(Exception):
            box.client.shutdown()
