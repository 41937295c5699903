"""Moving a demo to another port (`relance demo --port N` on a demo built for another one): the
pages, the mail catcher and the links in the mails move together — the configuration, the mails
not sent yet, and the mails already in the demo's mail box."""

from __future__ import annotations

import email
import email.policy
import logging
import mailbox
import re
import tomllib
from email.message import EmailMessage
from pathlib import Path

from daemon.app import App
from daemon.config import load_settings
from daemon.delivery.outbox import rebase, rebase_links

log = logging.getLogger(__name__)
_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")


def move_demo(directory: Path, port: int) -> None:
    """Rewrite the demo in `directory` for `port` (nothing to do if it is there already)."""
    from daemon.demo.build import mail_port

    config = directory / "relance.toml"
    web = tomllib.loads(config.read_text(encoding="utf-8"))["web"]
    old_base, new_base = str(web["base_url"]), f"http://127.0.0.1:{port}"
    if int(web["port"]) == port and old_base == new_base:
        return
    config.write_text(
        _with_ports(config.read_text(encoding="utf-8"), port, mail_port(port), new_base),
        encoding="utf-8",
    )
    app = App(load_settings(config, {}))
    moved = rebase_links(app.engine, old=old_base, new=new_base)
    app.close()
    rewritten = relink_mailbox(directory / "mails", old_base, new_base)
    log.info(
        "demo moved to port %d: %d queued and %d caught mails relinked", port, moved, rewritten
    )


def _with_ports(text: str, web_port: int, smtp_port: int, base_url: str) -> str:
    section, lines = "", []
    for line in text.splitlines():
        header = _SECTION.match(line)
        section = header.group(1) if header else section
        if section == "web" and line.startswith("port ="):
            line = f"port = {web_port}"
        elif section == "web" and line.startswith("base_url ="):
            line = f'base_url = "{base_url}"'
        elif section == "smtp" and line.startswith("port ="):
            line = f"port = {smtp_port}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def relink_mailbox(folder: Path, old: str, new: str) -> int:
    """The caught mails whose text or HTML links to `old`, linking to `new`; how many."""
    if not folder.exists():
        return 0
    box = mailbox.Maildir(folder, create=False)
    changed = 0
    for key, raw in list(box.items()):
        message = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if _relink(message, old, new):
            box[key] = message
            changed += 1
    return changed


def _relink(message: EmailMessage, old: str, new: str) -> bool:
    changed = False
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.is_multipart():
            continue
        assert isinstance(part, EmailMessage)
        content = part.get_content()
        relinked = rebase(content, old, new)
        if relinked != content:
            part.set_content(relinked, subtype=part.get_content_subtype())
            changed = True
    return changed
