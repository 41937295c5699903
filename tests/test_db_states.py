"""The states the tables store: the database refuses a value its enum does not know, and every
event kind written anywhere is one of the registry's."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session

from db.events import record_event
from db.models import FollowUp, IntakeFile, Reminder, School
from db.states import EventKind, IntakeOutcome, LedgerKind, ReminderStatus, SendOutcome, Stage
from tests.conftest import NOW
from tests.factories import campaign_row

REPO = Path(__file__).resolve().parents[1]
CHECKED: list[tuple[str, str, type[StrEnum]]] = [
    ("follow_up", "stage", Stage),
    ("reminder", "kind", LedgerKind),
    ("reminder", "status", ReminderStatus),
    ("event", "kind", EventKind),
    ("intake_file", "outcome", IntakeOutcome),
]


@pytest.fixture
def rows(session: Session) -> dict[str, int]:
    """One row in each checked table, with valid states."""
    school = School(uai="0441234C", name="École", created_at=NOW, updated_at=NOW)
    session.add(school)
    campaign = campaign_row(session)
    assert school.id is not None and campaign.id is not None
    follow_up = FollowUp(school_id=school.id, campaign_id=campaign.id, updated_at=NOW)
    reminder = Reminder(
        key="k",
        kind=LedgerKind.REMINDER,
        day=NOW.date(),
        recipient="a@b.fr",
        due_at=NOW,
        next_attempt_at=NOW,
        created_at=NOW,
    )
    event = record_event(session, at=NOW, kind=EventKind.NOTE, message="note")
    intake = IntakeFile(
        original_name="x.pdf", received_at=NOW, channel="cli", outcome=IntakeOutcome.PROCESSED
    )
    session.add_all([follow_up, reminder, intake])
    session.commit()
    ids = {"follow_up": follow_up.id, "reminder": reminder.id, "event": event.id}
    ids["intake_file"] = intake.id
    return {table: int(value) for table, value in ids.items() if value is not None}


@pytest.mark.parametrize(("table", "column", "enum"), CHECKED)
def test_the_database_refuses_a_state_its_enum_does_not_know(
    engine: Engine, rows: dict[str, int], table: str, column: str, enum: type[StrEnum]
) -> None:
    # Plain SQL, past the column types: the CHECK constraint alone stands in the way.
    update = text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update, {"value": "bogus", "id": rows[table]})
    for member in enum:  # every value the enum knows is accepted
        with engine.begin() as conn:
            conn.execute(update, {"value": member.value, "id": rows[table]})


def test_the_column_types_refuse_an_unknown_state_before_the_database(
    session: Session, rows: dict[str, int]
) -> None:
    reminder = session.get(Reminder, rows["reminder"])
    assert reminder is not None
    assert reminder.status is ReminderStatus.PENDING and reminder.kind is LedgerKind.REMINDER
    reminder.status = "abandoned"  # type: ignore[assignment]
    session.add(reminder)
    with pytest.raises(StatementError, match="'abandoned' is not a valid ReminderStatus"):
        session.flush()


def test_send_outcomes_are_spelled_once_from_the_smtp_answer_to_the_ledger() -> None:
    from daemon.delivery import outbox, sender, smtp

    for module in (outbox, sender, smtp):
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        literals = {
            node.value
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and node.value in {o.value for o in SendOutcome}
        }
        assert literals <= {"sent"}, f"{module.__name__} spells outcomes as text: {literals}"


# ---- the registry of event kinds --------------------------------------------------------------
WRITER_FILES = sorted(
    [*REPO.glob("daemon/**/*.py"), *REPO.glob("db/**/*.py"), *REPO.glob("bench/**/*.py")]
)
BULK_WRITERS = {("bench/pages.py", "event")}  # builds Event rows for a bulk insert


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _kind_argument(call: ast.Call, parameters: list[str]) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "kind":
            return keyword.value
    index = parameters.index("kind") if "kind" in parameters else -1
    return call.args[index] if 0 <= index < len(call.args) else None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


Writers = dict[tuple[str, str], list[str]]  # (file or "*", function) -> its parameters


def _writer(writers: Writers, path: str, call: ast.Call) -> list[str] | None:
    """The parameters of the writer `call` calls (a function of the same file first)."""
    name = _callee(call)
    return writers.get((path, name), writers.get(("*", name)))


def _writers(trees: dict[str, ast.AST]) -> Writers:
    """`record_event` and every function that hands its own `kind` on to a writer."""
    writers: Writers = {("*", "record_event"): ["session"], ("*", "event_values"): []}
    for path, tree in trees.items():
        for function in _functions(tree):
            if (path, function.name) in BULK_WRITERS:
                writers[(path, function.name)] = _parameters(function)
    changed = True
    while changed:
        changed = False
        for path, tree in trees.items():
            for function in _functions(tree):
                if (path, function.name) in writers or "kind" not in _parameters(function):
                    continue
                for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                    parameters = _writer(writers, path, call)
                    argument = _kind_argument(call, parameters or [])
                    if parameters is not None and ast.unparse(argument or call) == "kind":
                        writers[(path, function.name)], changed = _parameters(function), True
    return writers


def event_kind_writes(trees: dict[str, ast.AST]) -> tuple[set[str], list[str]]:
    """The event kinds these sources write, and the writes whose kind is not a registry
    member (a string, an f-string, anything else)."""
    writers = _writers(trees)
    written: set[str] = set()
    loose: list[str] = []
    for path, tree in trees.items():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            parameters = _writer(writers, path, call)
            argument = _kind_argument(call, parameters or [])
            if parameters is None or argument is None or ast.unparse(argument) == "kind":
                continue  # not a writer, or a writer passing its own parameter on
            members = [
                n.attr
                for n in ast.walk(argument)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.value.id == "EventKind"
            ]
            if isinstance(argument, ast.Subscript) and ast.unparse(argument.value) == "INGESTED":
                members = [k.name for k in INGESTED_KINDS]
            if not members:
                loose.append(f"{path}:{call.lineno} {ast.unparse(argument)}")
            written.update(EventKind[m].value for m in members)
    return written, loose


INGESTED_KINDS = (EventKind.COMPTE_RENDU_INGESTED, EventKind.ONDE_EXTRACTION_INGESTED)


def written_event_kinds() -> tuple[set[str], list[str]]:
    trees = {
        str(p.relative_to(REPO)): ast.parse(p.read_text(encoding="utf-8")) for p in WRITER_FILES
    }
    return event_kind_writes(trees)


def test_every_event_kind_written_anywhere_is_in_the_registry_and_every_kind_is_written() -> None:
    from db.states import INGESTED

    assert set(INGESTED.values()) == set(INGESTED_KINDS)
    written, loose = written_event_kinds()
    assert loose == [], "event kinds written as free text, not as EventKind members"
    assert sorted(written) == sorted(k.value for k in EventKind), (
        "written but not registered: "
        f"{sorted(written - set(EventKind))}; registered but never written: "
        f"{sorted(set(EventKind) - written)}"
    )


def test_the_registry_test_sees_a_free_string_and_a_wrapper() -> None:
    source = (
        "def helper(session, kind, message):\n"
        "    record_event(session, at=now, kind=kind, message=message)\n"
        "def caller():\n"
        "    helper(session, EventKind.NOTE, 'x')\n"
        "    record_event(session, at=now, kind='made_up', message='x')\n"
        "    event_values(at=now, kind='bulk', message='x')\n"
    )
    trees: dict[str, ast.AST] = {"x.py": ast.parse(source)}
    assert set(_writers(trees)) == {
        ("*", "record_event"),
        ("*", "event_values"),
        ("x.py", "helper"),
    }
    assert event_kind_writes(trees) == ({"note"}, ["x.py:5 'made_up'", "x.py:6 'bulk'"])
