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
