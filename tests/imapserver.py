"""A real IMAP server for the tests: Debian's Dovecot (`dovecot-imapd`, installed by
`.ci/system-packages.sh`), started as an unprivileged process on a loopback port with a
throw-away configuration and one user in a passwd file.

def test_x(imap):
    imap.append(raw_bytes)              # a message lands in INBOX
    imap.stop(); imap.start()           # the server is down, then back (same port, same mail)
    imap.messages("relance.traités")    # the raw messages of a folder
    imap.mailbox_settings()             # the `[mailbox]` section pointing at it

Run as root (CI), Dovecot runs as `nobody` in a folder of its own; run as anyone else, as that
user. Without Dovecot the tests skip saying how to install it — except under CI, where they
fail: CI must run them.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imap_tools.imap_utf7 import utf7_encode

from tests.mailsink import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
CONFIG = """\
base_dir = {home}/run
state_dir = {home}/state
instance_name = relance-test-{port}
listen = 127.0.0.1
protocols = imap
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {home}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
mail_location = maildir:{home}/mail/%u
mail_uid = {user}
mail_gid = {group}
{capabilities}
namespace inbox {{
  inbox = yes
  separator = {separator}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={home}/mail/%u
}}
"""


def available() -> bool:
    return Path(DOVECOT).exists()


class ImapServer:
    user = "coordination"
    password = "mot-de-passe-imap"
    host = "127.0.0.1"

    def __init__(self, *, separator: str = ".", capabilities: str = "", tls: bool = False) -> None:
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        self.home = Path(tempfile.mkdtemp(prefix="relance-imap-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.separator = separator
        self.capabilities = capabilities  # e.g. "imap_capability = IMAP4rev1 LITERAL+" (no IDLE)
        self._configure()

    def _configure(self) -> None:
        root = os.geteuid() == 0
        account = pwd.getpwnam("nobody") if root else pwd.getpwuid(os.geteuid())
        group = "nogroup" if root else account.pw_name
        for sub in ("run", "state", "mail"):
            (self.home / sub).mkdir()
        ssl = "ssl = no"
        if self.tls_port:
            self._certificate()
            ssl = (
                f"ssl = yes\nssl_cert = <{self.home / 'cert.pem'}\n"
                f"ssl_key = <{self.home / 'key.pem'}"
            )
        (self.home / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.home / "dovecot.conf").write_text(
            CONFIG.format(
                home=self.home,
                port=self.port,
                user=account.pw_name,
                group=group,
                uid=account.pw_uid,
                separator=self.separator,
                capabilities=self.capabilities,
                ssl=ssl,
                tls_port=self.tls_port,
            )
        )
        self.home.chmod(0o755)
        if root:
            for path in [self.home, *self.home.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid)
        drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        self.run_as = drop if root else []

    def _certificate(self) -> None:
        """A self-signed certificate for 127.0.0.1 (openssl comes with Dovecot); tests trust
        it through SSL_CERT_FILE, as they would a real authority."""
        command = [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ]
        keys = ["-keyout", str(self.home / "key.pem"), "-out", str(self.home / "cert.pem")]
        subprocess.run(command + keys, check=True, capture_output=True)

    @property
    def certificate(self) -> Path:
        return self.home / "cert.pem"

    def start(self) -> None:
        if self.process is not None:
            return
        command = [*self.run_as, DOVECOT, "-F", "-c", str(self.home / "dovecot.conf")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"dovecot did not start: {error}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not listen in 15 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # its children close the port a moment later
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    time.sleep(0.1)
            except OSError:
                return

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    # ---- a client for the test's own looks ------------------------------------------------
    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            status, data = client.append(_quoted(folder), None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """The raw messages of a folder, not deleted ones (empty if the folder is missing)."""
        client = self.client()
        try:
            status, _data = client.select(_quoted(folder), readonly=True)
            if status != "OK":
                return []
            _status, found = client.uid("SEARCH", "UNDELETED")
            uids = found[0].split() if found and found[0] else []
            result = []
            for uid in uids:
                _status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
                result += [part[1] for part in data if isinstance(part, tuple)]
            return result
        finally:
            client.logout()

    def folders(self) -> list[str]:
        client = self.client()
        try:
            _status, data = client.list()
            return [line.decode() for line in data if isinstance(line, bytes)]
        finally:
            client.logout()

    def mailbox_settings(self, **extra: Any) -> dict[str, Any]:
        """The `[mailbox]` section of settings pointing at this server."""
        return {
            "host": self.host,
            "port": self.port,
            "security": "none",
            "user": self.user,
            "password": self.password,
            "poll_seconds": 1,
            **extra,
        }

    def folder(self, configured: str) -> str:
        """A configured folder name (`relance/traités`) as this server names it."""
        return configured.replace("/", self.separator)


def _quoted(folder: str) -> str:
    return '"' + utf7_encode(folder).decode("ascii") + '"'


def need_dovecot() -> None:
    if available():
        return
    message = (
        "Dovecot absent : ces tests lancent un vrai serveur IMAP ; installez-le avec "
        ".ci/system-packages.sh (paquet Debian dovecot-imapd)"
    )
    if os.environ.get("CI"):
        pytest.fail(message + " — la CI doit les exécuter")
    pytest.skip(message)


@pytest.fixture(name="imap")
def imap_fixture() -> Iterator[ImapServer]:
    need_dovecot()
    server = ImapServer()
    server.start()
    yield server
    server.remove()
