"""The demo's directors answer: replies with a compte rendu, a note, an out-of-office and a
bounce come back through the mail catcher into the demo's mailbox, and the mailbox part
processes them as it would an IMAP mailbox — what a newcomer then sees on the pages."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from pathlib import Path

import pytest
from sqlmodel import col, select

from daemon.app import App
from daemon.config import load_settings
from daemon.delivery.sender import send_due
from daemon.demo.build import build_demo
from daemon.demo.mailcatcher import list_mails, start_catcher
from daemon.demo.replies import Responder
from daemon.mailbox.poller import Poller, make_source
from db.engine import reading
from db.models import Document, Event, Reminder, School
from tests.mailsink import free_port


@pytest.mark.slow
@pytest.mark.xdist_group("demo")  # on the worker that built the demo (tests/test_demo_build.py)
def test_the_demo_directors_answer_and_the_mailbox_part_reads_them(demo: Path) -> None:
    info = build_demo(demo)  # built already: tells where it is
    replies = demo / "replies"
    prepared = sorted(p.name.split(".", 1)[1] for p in replies.iterdir())
    assert prepared == ["away.eml", "bounce", "note.eml", "reply.eml", "reply.eml", "reply.eml"]
    port = free_port()
    app = App(load_settings(info.config, {"RELANCE_SMTP__PORT": str(port)}))
    maildir = Path(app.settings.mailbox.maildir)
    catcher = start_catcher(
        demo / "mails", port=port, responder=Responder(replies, maildir, delay=0.1)
    )
    try:
        asyncio.run(send_due(app))
        deadline = time.monotonic() + 90  # a loaded machine: the answers come when they come
        while len(list((maildir / "new").glob("*"))) < 6 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(list((maildir / "new").glob("*"))) == 6, "the directors did not all answer"
        source = make_source(app)
        source.open()
        assert Poller(app, source).run_pass() == 6
        asyncio.run(send_due(app))  # the acknowledgements
        time.sleep(0.5)
    finally:
        catcher.stop()
        app.close()
    assert len(list((maildir / "new").glob("*"))) == 1  # the note, left for people
    assert sorted(p.name for p in replies.iterdir())[0].endswith(".envoyé")
    with reading(app.engine) as session:
        mailed = session.exec(select(Document).where(Document.channel == "mail")).all()
        kinds = [e.kind for e in session.exec(select(Event).order_by(col(Event.id)))]
        failing = session.exec(
            select(School).where(col(School.email_failing_since).is_not(None))
        ).all()
        acks = session.exec(select(Reminder).where(Reminder.kind == "acknowledgement")).all()
        assert len(mailed) == 3 and all(d.counts["rejections"] == 0 for d in mailed)
        assert kinds.count("director_replied") == 1 and kinds.count("auto_reply") == 1
        assert [s.email_failure[:39] for s in failing] == [
            "avis de non-remise : 550 5.1.1 <directi"
        ]
        assert len(acks) == 3 and all(a.status == "sent" for a in acks)
    caught = [m for m in list_mails(demo / "mails") if m["subject"].startswith("Re:")]
    assert len(caught) == 3 and "CE QUE NOUS AVONS LU" in caught[0]["text"]
    raw = next((demo / "mails" / "new").iterdir()).read_bytes()
    assert email.message_from_bytes(raw, policy=email.policy.default)  # readable mail
