"""The Maildir source (the demo's): the same processing as IMAP, files renamed — never copied
then deleted — into the Maildir++ folder of the configured name."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from daemon.config.settings import MailboxSettings
from daemon.mailbox.maildir import MaildirSource
from daemon.mailbox.poller import Poller, make_source
from daemon.mailbox.source import Destination
from tests import mail_samples as samples
from tests.factories import cr_text
from tests.mailbox_helpers import DIRECTOR, OUR_ID, build_world, intake_rows

NOTE = samples.plain_reply(sender=DIRECTOR, in_reply_to=OUR_ID, subject="Re: x", text="Merci")


def drop(root: Path, name: str, raw: bytes) -> None:
    (root / "new").mkdir(parents=True, exist_ok=True)
    (root / "new" / name).write_bytes(raw)


def test_listing_reading_and_moving(tmp_path: Path) -> None:
    source = MaildirSource(MailboxSettings(maildir=str(tmp_path / "box")))
    source.open()
    drop(tmp_path / "box", "1.a", NOTE)
    (tmp_path / "box" / "cur" / "2.b:2,S").write_bytes(b"Subject: vu\r\n\r\nx\r\n")
    refs = source.listing(None)
    assert refs == ["1.a", "2.b:2,S"]
    [listed, _seen] = source.headers(refs)
    assert listed.size == len(NOTE) and listed.headers.endswith(b"8bit")
    assert source.fetch("1.a") == NOTE
    source.move("1.a", Destination.PROCESSED)
    source.move("1.a", Destination.PROCESSED)  # gone already: nothing happens
    assert (tmp_path / "box" / ".relance.traités" / "cur" / "1.a:2,").read_bytes() == NOTE
    assert source.listing(None) == ["2.b:2,S"] and source.fetch("1.a") is None


def test_a_maildir_is_processed_like_an_imap_mailbox(tmp_path: Path, engine: Engine) -> None:
    world = build_world(tmp_path, engine)
    root = Path(world.app.settings.mailbox.maildir)
    reply = samples.thunderbird_reply(sender=DIRECTOR, in_reply_to=OUR_ID, data=cr_text())
    drop(root, "1.reply", reply)
    drop(root, "2.note", NOTE)
    source = make_source(world.app)
    assert isinstance(source, MaildirSource)
    poller = Poller(world.app, source)
    source.open()
    assert poller.run_pass() == 2
    assert poller.run_pass() == 0
    assert [p.name for p in (root / ".relance.traités" / "cur").iterdir()] == ["1.reply:2,"]
    assert [p.name for p in (root / "new").iterdir()] == ["2.note"]
    assert intake_rows(engine)[0].channel == "mail"
