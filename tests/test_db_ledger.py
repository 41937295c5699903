"""The ledger: one function writes a row, one function names it."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db import ledger
from db.engine import transaction
from db.models import Reminder
from db.states import LedgerKind, ReminderStatus
from tests.conftest import NOW

REPO = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 9, 14)


def test_each_kind_of_mail_has_the_key_the_readme_documents() -> None:
    def key(kind: LedgerKind, **parts: object) -> str:
        return ledger.ledger_key(kind, campaign="2026-2027", day=DAY, **parts)  # type: ignore[arg-type]

    assert key(LedgerKind.REMINDER, uai="0441234C") == "0441234C:2026-2027:reminder:2026-09-14"
    assert (
        key(LedgerKind.ESCALATION, uai="0441234C", detail=(5,))
        == "0441234C:2026-2027:escalation:2026-09-14:5"
    )
    assert (
        key(LedgerKind.PROBLEM, uai="0441234C", detail=("onde", 2))
        == "0441234C:2026-2027:problem:2026-09-14:onde:2"
    )
    assert (
        key(LedgerKind.DIGEST, recipient="Coord@Example.org")
        == "digest:2026-2027:coord@example.org:2026-09-14"
    )
    answer = ledger.ledger_key(LedgerKind.ACKNOWLEDGEMENT, campaign="2026-2027", detail=("ab12",))
    assert answer == "sans-ecole:2026-2027:acknowledgement:ab12"  # a sender of no known school
    with pytest.raises(ValueError, match="no day"):
        key(LedgerKind.ACKNOWLEDGEMENT, uai="0441234C", detail=("ab12",))
    with pytest.raises(ValueError, match="names its school"):
        key(LedgerKind.REMINDER)
    with pytest.raises(ValueError, match="names its recipient"):
        key(LedgerKind.DIGEST, uai="0441234C")


def entry(key: str = "k", **changes: object) -> ledger.Entry:
    values: dict[str, object] = {
        "kind": LedgerKind.DIGEST,
        "key": key,
        "recipient": "coord@example.org",
        "payload": {"subject": "Récapitulatif"},
        "day": DAY,
        "due_at": NOW,
        "created_at": NOW,
    }
    return ledger.Entry(**{**values, **changes})  # type: ignore[arg-type]


def test_a_key_is_enqueued_once(session: Session) -> None:
    first = ledger.enqueue(session, entry(cc=("copie@example.org",)))
    again = ledger.enqueue(session, entry(recipient="other@example.org"))
    session.commit()
    assert first.new and not again.new and again.row.id == first.row.id
    [row] = session.exec(select(Reminder)).all()
    assert (row.recipient, row.cc, row.status) == (
        "coord@example.org",
        ["copie@example.org"],
        ReminderStatus.PENDING,
    )
    assert row.next_attempt_at == row.due_at == NOW


def test_a_row_written_at_the_same_instant_elsewhere_is_returned_not_an_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both writers looked before either committed: the second one's insert meets the unique
    key, inside a savepoint that keeps the rest of its transaction."""
    with transaction(engine) as session:
        ledger.enqueue(session, entry())
    real = ledger.find
    looks: list[str] = []

    def blind_first(session: Session, key: str) -> Reminder | None:
        looks.append(key)
        return None if len(looks) == 1 else real(session, key)

    monkeypatch.setattr(ledger, "find", blind_first)
    with transaction(engine) as session:
        other = ledger.enqueue(session, entry("other"))  # the transaction goes on after
        raced = ledger.enqueue(session, entry())
    assert other.new and not raced.new and raced.row.key == "k"
    with Session(engine) as session:
        assert sorted(r.key for r in session.exec(select(Reminder))) == ["k", "other"]


def test_many_rows_are_enqueued_in_one_statement_skipping_keys_taken(
    engine: Engine,
) -> None:
    """A sweep's batch: the keys free are written, a key taken before (or in the same batch)
    is skipped, and the call says which were written."""
    with transaction(engine) as session:
        ledger.enqueue(session, entry("taken", recipient="first@example.org"))
    with transaction(engine) as session:
        written = ledger.enqueue_many(
            session,
            [
                entry("a"),
                entry("taken", recipient="second@example.org"),
                entry("b", cc=("c@x.org",)),
            ],
        )
        assert ledger.enqueue_many(session, []) == set()
    assert written == {"a", "b"}
    with Session(engine) as session:
        rows = {r.key: r for r in session.exec(select(Reminder))}
    assert sorted(rows) == ["a", "b", "taken"]
    assert rows["taken"].recipient == "first@example.org"
    assert rows["b"].cc == ["c@x.org"] and rows["b"].status == ReminderStatus.PENDING
    assert rows["a"].next_attempt_at == NOW and rows["a"].payload == {"subject": "Récapitulatif"}


def test_the_latest_payload_value_of_many_schools_is_read_alone(
    engine: Engine, session: Session
) -> None:
    from db.models import Campaign, School

    campaign = Campaign(name="c", start=DAY, observation_date=DAY, deadline=DAY, created_at=NOW)
    schools = [
        School(uai=f"044000{n}X", name=f"École {n}", created_at=NOW, updated_at=NOW)
        for n in range(3)
    ]
    session.add_all([campaign, *schools])
    session.commit()
    assert campaign.id is not None
    ids = [s.id for s in schools if s.id is not None]
    days = {"old": DAY, "new": DAY + dt.timedelta(days=3)}
    for name, count, stage, school in (
        ("old", 5, "errors", ids[0]),
        ("new", 2, "errors", ids[0]),
        ("new", 7, "exported", ids[0]),
        ("old", 4, "errors", ids[1]),
    ):
        ledger.enqueue(
            session,
            entry(
                f"{name}-{stage}-{school}",
                kind=LedgerKind.REMINDER,
                day=days[name],
                payload={"open_count": count, "text": "x" * 1000},
                school_id=school,
                campaign_id=campaign.id,
                stage=stage,
            ),
        )
    session.commit()
    found = ledger.latest_values(
        session,
        school_ids=ids,
        campaign_id=campaign.id,
        kind=LedgerKind.REMINDER,
        field="open_count",
    )
    assert found == {(ids[0], "errors"): 2, (ids[0], "exported"): 7, (ids[1], "errors"): 4}
    for (school_id, stage), value in found.items():
        last = ledger.latest(
            session,
            school_id=school_id,
            campaign_id=campaign.id,
            kind=LedgerKind.REMINDER,
            stage=stage,
        )
        assert last is not None and last.payload["open_count"] == value


def _sources() -> list[Path]:
    return [
        p for p in [*REPO.glob("daemon/**/*.py"), *REPO.glob("db/*.py")] if p.name != "ledger.py"
    ]


def test_ledger_rows_and_keys_are_made_in_one_place_only() -> None:
    """No `Reminder(…)` and no key spelt by hand outside db/ledger.py."""
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Reminder":
                found.append(f"{where} Reminder(…)")
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if any(
                    f":{kind.value}:" in text or text.startswith("digest:") for kind in LedgerKind
                ):
                    found.append(f"{where} {ast.unparse(node)}")
    assert found == [], found
