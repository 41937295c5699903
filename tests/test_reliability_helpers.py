"""The pure parts of the reliability suite: comparing what the sink received with what was due,
measuring how far receipt order strays from due order, and the hostile files plan."""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench.reliability.harness import Outcome, toml_document
from bench.reliability.hostile import mutate, plan_files
from bench.reliability.ledger import compare, lateness, seed_schools
from bench.reliability.outage import smtp_down
from db.models import Reminder, School

T0 = dt.datetime(2026, 9, 7, 8, tzinfo=dt.UTC)


def mail(to: str, message_id: str) -> dict[str, object]:
    return {"to": [to], "message_id": message_id}


def test_compare_counts_missing_duplicates_and_differing_message_ids() -> None:
    records = [
        mail("a@x", "<1@r>"),
        mail("b@x", "<2@r>"),
        mail("a@x", "<1@r>"),
        mail("c@x", "<3@r>"),
    ]
    records += [mail("c@x", "<other@r>"), mail("z@x", "<9@r>")]
    got = compare(records, ["a@x", "b@x", "c@x", "d@x"])
    assert got.total == 6
    assert got.missing == ["d@x"]
    assert got.unexpected == ["z@x"]
    assert got.duplicates == {"a@x": 1, "c@x": 1}
    assert got.extra_copies == 2
    assert got.differing_ids == ["c@x"]
    assert got.order == ["a@x", "b@x", "c@x", "z@x"]


def test_compare_counts_empty_message_ids() -> None:
    assert compare([mail("a@x", " ")], ["a@x"]).empty_ids == 1


def test_lateness_is_zero_in_due_order() -> None:
    due = {f"m{n}": T0 + dt.timedelta(seconds=n) for n in range(5)}
    assert lateness([f"m{n}" for n in range(5)], due) == (0, 0)


def test_lateness_counts_earlier_due_mails_received_after() -> None:
    due = {f"m{n}": T0 + dt.timedelta(seconds=n) for n in range(5)}
    # m4 jumps ahead of m0..m3 (4 inversions); m2 ahead of m1 (1 more)
    assert lateness(["m4", "m0", "m2", "m1", "m3"], due) == (4, 5)


def test_lateness_ignores_equal_due_times() -> None:
    due = {"a": T0, "b": T0}
    assert lateness(["b", "a"], due) == (0, 0)


def test_toml_document_reads_back() -> None:
    data = {"database_url": "sqlite:///x", "smtp": {"port": 2525, "timeout_seconds": 1.5}}
    assert tomllib.loads(toml_document(data)) == data


def test_outcome_counts_and_reports_failures_with_their_figure() -> None:
    out = Outcome("demo")
    out.check("fine", True)
    out.check("broken", False, "3 missing")
    out.measure("42 mails")
    assert (out.passed, out.failed) == (1, 1)
    report = out.report()
    assert report.startswith("[demo] 1 passed, 1 failed")
    assert "FAIL broken — 3 missing" in report and "measured: 42 mails" in report


def test_mutate_changes_bytes_reproducibly() -> None:
    data = bytes(range(256)) * 40
    assert mutate(data, random.Random(3)) == mutate(data, random.Random(3))
    assert any(mutate(data, random.Random(seed)) != data for seed in range(5))


def test_plan_files_writes_the_announced_number_of_files(tmp_path: Path) -> None:
    plan = plan_files(tmp_path, max_file_mb=1, bomb_mb=1)
    written = [p for p in tmp_path.rglob("*") if p.is_symlink() or p.is_fifo() or (p.is_file())]
    assert plan.files == len(written) == 1060  # 1,000 hostile files and 60 junk names
    assert plan.junk == 60
    assert sum(plan.by_kind.values()) == 1060
    # links (to secrets, a folder, nothing), FIFOs and PDF bombs, each with where it must end
    assert {plan.by_kind[k] for k in ("symlink", "FIFO")} == {6, 3}
    assert sum(1 for p in written if p.is_fifo()) == 3
    assert len(plan.expected) == 6 + 3 + 7


def test_smtp_down_reads_the_smtp_entry_of_healthz_wherever_it_is() -> None:
    assert smtp_down({"status": "ok", "parts": {}}) is None
    assert smtp_down({"smtp": {"up": False, "since": "…"}}) is True
    assert smtp_down({"delivery": {"smtp": {"state": "up"}}}) is False
    assert smtp_down({"smtp_up": True}) is False
    assert smtp_down({"smtp": "down"}) is True


def test_seed_schools_leaves_the_ledger_to_the_daemons(engine: Engine) -> None:
    due = seed_schools(engine, 3, now=T0, prefix="deux")
    with Session(engine) as session:
        schools = session.exec(select(School).order_by(School.uai)).all()
        assert session.exec(select(Reminder)).all() == []
    assert [s.director_email for s in schools] == [d.recipient for d in due]
    assert len({s.uai for s in schools}) == 3 and all(d.due_at == T0 for d in due)
