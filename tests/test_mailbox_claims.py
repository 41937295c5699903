"""Each message claimed once: the insert of its key wins once, an expired claim is taken over,
only the holder settles it, and a settled row says whether it was moved."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from daemon.mailbox import claims
from daemon.mailbox.outcome import Outcome
from daemon.mailbox.reading import read_message
from db.states import MailKind, MailStatus
from tests.conftest import NOW
from tests.mailbox_helpers import mailbox_rows

INBOUND = read_message(
    b"From: direction@ecoles.example.org\r\nSubject: Re: Constat\r\n"
    b"Message-ID: <abc@ecoles.example.org>\r\n\r\nMerci\r\n"
)
DONE = Outcome(MailKind.NOTE, MailStatus.PROCESSED, "lu", files=1)


def test_of_two_daemons_one_claims(engine: Engine) -> None:
    assert claims.claim(engine, INBOUND, worker="a", now=NOW)
    assert not claims.claim(engine, INBOUND, worker="b", now=NOW)
    [row] = mailbox_rows(engine)
    assert (row.key, row.claimed_by, row.status) == ("id:<abc@ecoles.example.org>", "a", "claimed")
    assert row.subject == "Re: Constat" and row.sender == "direction@ecoles.example.org"


def test_an_expired_claim_is_taken_over_once(engine: Engine) -> None:
    claims.claim(engine, INBOUND, worker="died", now=NOW)
    later = NOW + claims.LEASE + dt.timedelta(seconds=1)
    assert claims.known(engine, [INBOUND.key])[INBOUND.key].claimable(later, "b")
    assert not claims.known(engine, [INBOUND.key])[INBOUND.key].claimable(NOW, "b")
    assert claims.claim(engine, INBOUND, worker="b", now=later)
    assert not claims.claim(engine, INBOUND, worker="c", now=later)
    assert not claims.settle(engine, INBOUND.key, DONE, worker="died", now=later)
    assert claims.settle(engine, INBOUND.key, DONE, worker="b", now=later)


def test_a_settled_row_is_moved_once(engine: Engine) -> None:
    claims.claim(engine, INBOUND, worker="a", now=NOW)
    claims.settle(engine, INBOUND.key, DONE, worker="a", now=NOW)
    known = claims.known(engine, [INBOUND.key, "id:<absent@x>"])
    assert list(known) == [INBOUND.key]
    assert known[INBOUND.key].to_move and not known[INBOUND.key].claimable(NOW, "a")
    claims.moved(engine, INBOUND.key, now=NOW)
    claims.moved(engine, INBOUND.key, now=NOW + dt.timedelta(hours=1))
    assert not claims.known(engine, [INBOUND.key])[INBOUND.key].to_move
    [row] = mailbox_rows(engine)
    assert (row.kind, row.status, row.files, row.moved_at) == ("note", "processed", 1, NOW)
    assert not claims.settle(engine, INBOUND.key, DONE, worker="a", now=NOW)  # settled already


def test_a_worker_takes_back_its_own_claim_at_once(engine: Engine) -> None:
    """A pass cut short (database or server gone) leaves the claim; the same worker's next
    pass does not wait for the lease to expire, another worker does."""
    claims.claim(engine, INBOUND, worker="a", now=NOW)
    assert claims.known(engine, [INBOUND.key])[INBOUND.key].claimable(NOW, "a")
    assert not claims.claim(engine, INBOUND, worker="b", now=NOW)
    assert claims.claim(engine, INBOUND, worker="a", now=NOW)
