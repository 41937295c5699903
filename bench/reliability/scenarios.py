"""The scenarios, one function each: `scenario(ws, out)` breaks something with real processes and
records its checks and measures in `out` (raising `Skip` when it cannot run here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import time
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bench import sink
from bench.reliability.harness import PYTHON, Outcome, Workspace, wait_until
from bench.reliability.hostile import UAIS, plan_files
from bench.reliability.ledger import lateness, ledger_rows
from bench.reliability.mailing import Bench, sending_bench
from bench.reliability.outage import OutageWatch, web_available
from bench.reliability.postgres import private_server, shared_database
from daemon.config.settings import normalise_database_url
from daemon.ingest.intake.storage import REASON_SUFFIX, is_junk, reason_file
from db.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine
from db.models import IntakeFile, Reminder
from db.schools import add_school

MAILS = 2000


def check_delivery(b: Bench, out: Outcome, *, max_extra: int) -> None:
    """The sink against the ledger: everyone received, duplicates bounded and identical."""
    got = b.received()
    out.check(
        "every reminder received at least once", not got.missing, f"{len(got.missing)} missing"
    )
    out.check(
        f"duplicates ≤ {max_extra}",
        got.extra_copies <= max_extra,
        f"{got.extra_copies} extra copies",
    )
    if max_extra:
        out.check(
            "each duplicate carries the same Message-ID",
            not got.differing_ids and not got.empty_ids,
            f"{len(got.differing_ids)} differ, {got.empty_ids} empty",
        )
    out.check(
        "nothing sent to anyone else", not got.unexpected, f"{len(got.unexpected)} unexpected"
    )


def stop_cleanly(b: Bench, out: Outcome) -> None:
    for proc in b.daemons:
        if proc.alive():
            started = time.monotonic()
            code = proc.stop(timeout=20)
            out.check(
                f"{proc.name} stops on SIGTERM with exit code 0",
                code == 0,
                f"code {code} in {time.monotonic() - started:.1f} s",
            )


# ---- 1. kill -9 while sending --------------------------------------------------------------------
def kill_while_sending(ws: Workspace, out: Outcome) -> None:
    b = sending_bench(ws, MAILS)
    b.start_sink()
    first = b.start_daemon()
    started = time.monotonic()
    out.check("sending started", b.wait_received(MAILS // 3, 90), f"{b.received_count()} received")
    first.kill9()
    at_kill = b.received_count()
    # Read after the kill: the dead process's claims are frozen, these rows were in flight.
    in_flight = [r for r in ledger_rows(b.engine) if r.status == "claimed"]
    out.measure(
        f"killed -9 after {at_kill} of {MAILS} received; {len(in_flight)} rows claimed at the kill"
    )
    out.check(
        "the kill struck with mails in flight (rows claimed, not marked sent)",
        bool(in_flight),
        f"{len(in_flight)} claimed",
    )
    b.start_daemon()
    restarted = time.monotonic()
    all_sent = b.wait_all_sent(120)
    out.check("restarted daemon finishes the ledger", all_sent, b.status_line())
    wait_until(lambda: b.received_count() >= len(b.due), 5)
    got = b.received()
    out.measure(
        f"{got.total} mails received for {MAILS} reminders, {got.extra_copies} duplicates "
        f"(concurrency {b.concurrency}); whole run {time.monotonic() - started:.1f} s, "
        f"after restart {time.monotonic() - restarted:.1f} s (lease {b.smtp['lease_seconds']} s)"
    )
    check_delivery(b, out, max_extra=b.concurrency)
    check_resent(b, out, in_flight, at_kill)
    stop_cleanly(b, out)


def check_resent(b: Bench, out: Outcome, in_flight: list[Reminder], at_kill: int) -> None:
    """Each row in flight at the kill was sent again after it, under the Message-ID the ledger
    row holds once sent (the one derived from its key: a copy received before the kill, if
    any, carries the same)."""
    after = sink.read(b.sink_out)[at_kill:]
    final = {r.id: r for r in ledger_rows(b.engine)}
    wrong = []
    for row in in_flight:
        done = final[row.id]
        ids = {_bare(rec.get("message_id", "")) for rec in after if row.recipient in rec["to"]}
        if done.status != "sent" or not done.message_id or _bare(done.message_id) not in ids:
            wrong.append(f"{row.key}: {done.status}, {done.message_id or 'no id'}, after: {ids}")
    out.check(
        f"every row in flight at the kill ({len(in_flight)}) resent with its Message-ID",
        bool(in_flight) and not wrong,
        "; ".join(wrong[:3]),
    )


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


# ---- 2. SMTP server down for a stretch -----------------------------------------------------------
def smtp_outage(ws: Workspace, out: Outcome) -> None:
    speed, count = 60, 300
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    b = sending_bench(
        ws, count, first_due=start, spacing=dt.timedelta(seconds=2),
        retry_base_seconds=1, retry_max_seconds=2, lease_seconds=600,
    )  # fmt: skip
    b.start_sink()
    parts = ("sender", "web") if web_available() else ("sender",)
    coordinator = ("coordination@fiabilite.example", "mot-de-passe-de-la-fiabilite")
    if "web" in parts:
        b.ws.relance_input(
            b.config, coordinator[1] + "\n", "users", "add", coordinator[0], "--password-stdin"
        )
    b.start_daemon("--clock", start.isoformat(), "--clock-speed", str(speed), parts=parts)
    out.check("sending started", b.wait_received(60, 60), f"{b.received_count()} received")
    watch = OutageWatch(b, f"http://127.0.0.1:{b.web_port}/healthz" if "web" in parts else "")
    if "web" in parts:
        base = f"http://127.0.0.1:{b.web_port}"
        out.check("coordinator signed in to the status page", watch.sign_in(base, *coordinator))
    out.check("nothing shown down before the outage", watch.down() is False, watch.describe())
    if "web" in parts:
        out.check(
            "no outage banner on the dashboard before", watch.page_down() is False, watch.describe()
        )
    assert b.sink_proc is not None
    b.sink_proc.stop()
    down_at, received_before = time.monotonic(), b.received_count()
    seen_down = watch.wait_visible(timeout=8)
    page_down = watch.wait_page(True, timeout=5) if "web" in parts else None
    time.sleep(max(0.0, 5 - (time.monotonic() - down_at)))
    watch.down()
    b.start_sink()
    up_at = time.monotonic()
    seen_up = watch.wait_cleared(timeout=30)
    page_up = watch.wait_page(False, timeout=30) if "web" in parts else None
    out.check(f"outage visible while it lasts ({watch.source})", seen_down, watch.describe())
    out.check("recovery visible once the server is back", seen_up, watch.describe())
    if "web" in parts:
        out.check(
            "outage banner on the dashboard while it lasts", bool(page_down), watch.describe()
        )
        out.check("banner gone once the server is back", bool(page_up), watch.describe())
    out.check("every ledger row sent after the outage", b.wait_all_sent(90), b.status_line())
    wait_until(lambda: b.received_count() >= count, 5)
    got = b.received()
    due = {d.recipient: d.due_at for d in b.due}
    worst, inversions = lateness(got.order, due)
    attempts = sum(r.attempts for r in ledger_rows(b.engine))
    out.measure(
        f"SMTP down {up_at - down_at:.1f} s real = {(up_at - down_at) * speed / 60:.0f} simulated "
        f"min ({speed}× clock) after {received_before} of {count} mails; {attempts} attempts in "
        f"all; drained {time.monotonic() - up_at:.1f} s after the restart"
    )
    out.measure(
        f"order: {inversions} inverted pairs, worst mail received ahead of {worst} earlier-due "
        f"ones (tolerance: concurrency {b.concurrency})"
    )
    check_delivery(b, out, max_extra=0)
    out.check(
        f"received in due order, within concurrency {b.concurrency}",
        worst <= b.concurrency,
        f"worst {worst}, {inversions} inverted pairs",
    )
    stop_cleanly(b, out)
    if watch.client is not None:
        watch.client.close()


# ---- 3. database locked (SQLite) or unreachable (PostgreSQL restarted) ---------------------------
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
print("released", flush=True)
"""


def sqlite_locked(ws: Workspace, out: Outcome) -> None:
    # longer than SQLite's busy timeout: the daemon's statements fail with "database is locked"
    hold, count = SQLITE_BUSY_TIMEOUT_MS / 1000 + 5, 800
    b = sending_bench(ws, count)
    b.start_sink()
    daemon = b.start_daemon()
    out.check("sending started", b.wait_received(150, 60), f"{b.received_count()} received")
    locker = ws.spawn("locker", [PYTHON, "-c", LOCKER, str(ws.root / "relance.sqlite3"), str(hold)])
    wait_until(lambda: locker.log_count("locked") > 0, 10, interval=0.02)
    at_lock = b.received_count()
    time.sleep(hold / 2)  # the batch in hand may still go out; then nothing until released
    mid_lock = b.received_count()
    time.sleep(hold / 2 - 1)
    during, late = b.received_count() - at_lock, b.received_count() - mid_lock
    wait_until(lambda: locker.log_count("released") > 0, 10, interval=0.02)
    released = time.monotonic()
    resumed = b.wait_received(at_lock + during + 1, 30)
    out.measure(
        f"write lock held {hold:.0f} s by another process after {at_lock} of {count} mails; "
        f"{during} mails got through while locked (the batch in hand), {late} in its second "
        f"half; first mail {time.monotonic() - released:.2f} s after release"
    )
    waits = daemon.log_count("database unavailable")
    out.measure(f"{waits} 'database unavailable' waits logged (busy timeout {hold - 5:.0f} s)")
    out.check("sending stalls while locked (none in the lock's second half)", late == 0, f"{late}")
    out.check("daemon stays up during the lock", daemon.alive())
    out.check("sending resumes after the lock", resumed)
    out.check("every ledger row sent", b.wait_all_sent(60), b.status_line())
    check_delivery(b, out, max_extra=b.concurrency)
    stop_cleanly(b, out)


def postgres_restarted(ws: Workspace, out: Outcome) -> None:
    down, count = 4.0, 1000
    with private_server() as server:
        b = sending_bench(ws, count, database_url=server.url)
        b.start_sink()
        daemon = b.start_daemon()
        out.check("sending started", b.wait_received(250, 60), f"{b.received_count()} received")
        server.stop("fast")
        stopped, at_stop = time.monotonic(), b.received_count()
        time.sleep(down / 2)
        mid_down = b.received_count()
        time.sleep(down / 2)
        during, late = b.received_count() - at_stop, b.received_count() - mid_down
        alive_while_down = daemon.alive()
        server.start()
        back = time.monotonic()
        resumed = b.wait_received(at_stop + during + 1, 60)
        waits = daemon.log_count("database unavailable")
        out.measure(
            f"PostgreSQL down (pg_ctl -m fast) {back - stopped:.1f} s after {at_stop}/{count} "
            f"mails; {during} got through while down ({late} in its second half); first mail "
            f"{time.monotonic() - back:.2f} s after restart; {waits} 'database unavailable' waits"
        )
        out.check("daemon stays up while PostgreSQL is down", alive_while_down)
        out.check("sending stalls while down (none in the second half)", late == 0, f"{late}")
        out.check("sending resumes after the restart", resumed)
        out.check("every ledger row sent", b.wait_all_sent(90), b.status_line())
        check_delivery(b, out, max_extra=b.concurrency)
        stop_cleanly(b, out)
        b.engine.dispose()


# ---- 4. 1,000 hostile files dropped at once ------------------------------------------------------
def hostile_drop(ws: Workspace, out: Outcome) -> None:
    max_mb, rss_bound_mb = 50, 400
    drop, state = ws.root / "drop", ws.root / "state"
    url = f"sqlite:///{ws.root / 'relance.sqlite3'}"
    config = ws.config(
        "relance",
        {
            "database_url": url,
            "state_dir": str(state),
            "intake": {
                "drop_dir": str(drop),
                "stable_seconds": 0.5,
                "max_file_mb": max_mb,
                "reader_cpu_seconds": 1,
            },
        },
    )
    ws.relance(config, "db", "upgrade")
    engine = make_engine(normalise_database_url(url))
    with Session(engine) as session:
        for uai in UAIS:
            add_school(session, now=dt.datetime.now(dt.UTC), uai=uai, actor="fiabilité", name=uai)
        session.commit()
    staging = ws.root / "staging"
    secret = state / "secret_key"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("cle-de-signature-de-la-fiabilite", encoding="utf-8")
    guarded = (secret, ws.root / "relance.sqlite3")
    before = {path: _fingerprint(path) for path in guarded}
    plan = plan_files(staging, max_file_mb=max_mb, secrets=guarded)
    dropped = [p.name for p in walk_files(staging) if not is_junk(p.name)]
    drop.mkdir()
    daemon = ws.daemon("daemon", config, ["watcher"], "--stop-timeout", "10")
    wait_until(lambda: daemon.log_count("drop folder watched") > 0 or not daemon.alive(), 30)
    time.sleep(1)
    idle_kb = daemon.status_kb("VmRSS")
    for entry in staging.iterdir():  # one rename each: the whole lot appears at once
        os.rename(entry, drop / entry.name)
    started = time.monotonic()
    expected = plan.files - plan.junk
    done = wait_until(lambda: not left_in_drop(drop) or not daemon.alive(), 300, interval=0.5)
    took = time.monotonic() - started
    peak_kb = daemon.status_kb("VmHWM")
    kept = outcome_files(drop)
    without_reason = [p for p in kept["quarantine"] if not reason_file(p).exists()]
    with Session(engine) as session:
        rows = dict(
            session.exec(
                select(IntakeFile.outcome, func.count()).group_by(IntakeFile.outcome)
            ).all()
        )
    out.measure(
        f"{expected} hostile files and {plan.junk} junk names dropped, taken in {took:.1f} s; "
        f"outcomes {rows}; RSS idle {idle_kb // 1024} MB, peak (VmHWM) {peak_kb // 1024} MB"
    )
    out.measure(
        f"{daemon.log_count('intake failed')} internal intake errors (quarantined as such), "
        f"{daemon.log_count('crashed')} part crashes"
    )
    out.measure("kinds: " + ", ".join(f"{k} {n}" for k, n in plan.by_kind.items()))
    out.check("daemon stays up", daemon.alive(), daemon.tail(3) if not daemon.alive() else "")
    out.check("no file left in the drop folder", done, f"{len(left_in_drop(drop))} left")
    total = len(kept["processed"]) + len(kept["quarantine"])
    out.check(
        "every file in processed/ or quarantine/",
        total == expected,
        f"{len(kept['processed'])} processed + {len(kept['quarantine'])} quarantined = {total} "
        f"of {expected}",
    )
    out.check(
        "one intake row per file", sum(rows.values()) == expected, f"{sum(rows.values())} rows"
    )
    out.check(
        "every quarantined file has its .reason.txt",
        not without_reason,
        f"{len(without_reason)} without",
    )
    out.check(
        "junk names left alone (by design)",
        len(junk_in_drop(drop)) == plan.junk,
        f"{len(junk_in_drop(drop))} of {plan.junk}",
    )
    with Session(engine) as session:
        bombs = session.exec(
            select(IntakeFile.outcome).where(IntakeFile.sha256 == plan.bomb_sha256)
        )
        bomb_outcomes = list(bombs.all())
    out.check(
        "zip bombs quarantined unread",
        bomb_outcomes == ["quarantined"] * plan.by_kind["zip bomb"],
        f"outcomes {bomb_outcomes}",
    )
    out.check(
        f"peak RSS ≤ {rss_bound_mb} MB", 0 < peak_kb <= rss_bound_mb * 1024, f"{peak_kb // 1024} MB"
    )
    check_not_files(out, engine, drop, plan.expected)
    check_each_file(out, engine, drop, dropped)
    code = daemon.stop(timeout=30)
    out.check("daemon stops on SIGTERM with exit code 0", code == 0, f"code {code}")
    changed = [str(p) for p in guarded if p.name == "secret_key" and _fingerprint(p) != before[p]]
    out.check(
        "the secrets links point to are never read into a document, changed or deleted",
        not changed and all(p.exists() for p in guarded),
        f"changed: {changed}",
    )
    engine.dispose()


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def check_not_files(out: Outcome, engine: Engine, drop: Path, expected: dict[str, str]) -> None:
    """Where each link, FIFO and PDF bomb ended: one quarantined row with the right reason, and
    the entry in quarantine as it came (a link stays a link: it was not followed)."""
    with Session(engine) as session:
        rows = {
            r.original_name: r
            for r in session.exec(
                select(IntakeFile).where(col(IntakeFile.original_name).in_(list(expected)))
            )
        }
    wrong = []
    for name, words in sorted(expected.items()):
        row = rows.get(name)
        if row is None or row.outcome != "quarantined" or words not in row.reason:
            wrong.append(
                f"{name}: {row.outcome if row else 'no row'} ({row.reason if row else ''})"
            )
            continue
        kept = Path(row.stored_path)
        is_link, is_fifo = name.startswith("lien"), name.startswith("tube")
        if (
            not os.path.lexists(kept)
            or kept.is_symlink() != is_link
            or (is_fifo and not stat.S_ISFIFO(kept.lstat().st_mode))
        ):
            wrong.append(f"{name}: not in quarantine as it came ({kept})")
    out.check(
        f"links, FIFOs and PDF bombs ({len(expected)}) each quarantined with its reason",
        not wrong,
        "; ".join(wrong[:5]),
    )


def check_each_file(out: Outcome, engine: Engine, drop: Path, dropped: list[str]) -> None:
    """Where each dropped file ended, by name: one intake row, and the file (or an accepted
    archive's receipt) where that row says, in quarantine/ when quarantined, in processed/
    otherwise — not only the right totals."""
    with Session(engine) as session:
        rows: dict[str, list[IntakeFile]] = {}
        for row in session.exec(select(IntakeFile)):
            rows.setdefault(Path(row.original_name).name, []).append(row)
    wrong = []
    for name, count in Counter(dropped).items():  # a name may be dropped several times
        found = rows.get(name, [])
        if len(found) != count:
            wrong.append(f"{name}: {len(found)} intake rows for {count} dropped")
            continue
        wrong += [w for row in found if (w := _misplaced(drop, name, row))]
    out.check(
        f"each dropped file ({len(dropped)}) where its intake row says, by name",
        not wrong,
        "; ".join(wrong[:5]) + (f" … {len(wrong)} in all" if len(wrong) > 5 else ""),
    )


def _misplaced(drop: Path, name: str, row: IntakeFile) -> str:
    """Why the file of this intake row is not where the row says ('' when it is)."""
    place = drop / ("quarantine" if row.outcome == "quarantined" else "processed")
    kept = Path(row.stored_path) if row.stored_path else None
    if kept is None and row.outcome != "quarantined" and row.kind == "export":
        return ""  # an accepted archive's bytes are dropped once checked (its receipt stays)
    if kept is None or not os.path.lexists(kept) or not kept.is_relative_to(place):
        return f"{name}: {row.outcome}, kept at {kept} (expected under {place})"
    return ""


def walk_files(folder: Path) -> list[Path]:
    """Entries that are not folders (links to folders included: never walked into)."""
    return [
        Path(d) / f
        for d, dirs, files in os.walk(folder)
        for f in [*files, *(x for x in dirs if os.path.islink(os.path.join(d, x)))]
    ]


def left_in_drop(drop: Path) -> list[Path]:
    outcome = {drop / "processed", drop / "quarantine"}
    return [
        p for p in walk_files(drop)
        if not is_junk(p.name) and not any(p.is_relative_to(o) for o in outcome)
    ]  # fmt: skip


def junk_in_drop(drop: Path) -> list[Path]:
    outcome = {drop / "processed", drop / "quarantine"}
    return [
        p for p in walk_files(drop)
        if is_junk(p.name) and not any(p.is_relative_to(o) for o in outcome)
    ]  # fmt: skip


def outcome_files(drop: Path) -> dict[str, list[Path]]:
    return {
        name: [p for p in walk_files(drop / name) if not p.name.endswith(REASON_SUFFIX)]
        for name in ("processed", "quarantine")
    }


# ---- 5. two daemons on one PostgreSQL ------------------------------------------------------------
# A Monday inside the sending window, in a campaign where every school is due its first reminder.
TWO_DAEMONS_CLOCK = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
TWO_DAEMONS_CAMPAIGN = {
    "name": "fiabilite-deux-demons",
    "start": dt.date(2026, 11, 2),
    "observation_date": dt.date(2026, 11, 20),
    "deadline": dt.date(2026, 12, 18),
}


def two_daemons_postgres(ws: Workspace, out: Outcome) -> None:
    """Two `relance serve` (scheduler and sender) on one PostgreSQL, 2,000 schools due a reminder:
    their sweeps write the ledger, their senders share it; the sink counts each mail once."""
    clock = TWO_DAEMONS_CLOCK.astimezone(dt.UTC)
    b = sending_bench(
        ws, MAILS, database_url=shared_database(), first_due=clock, campaign=TWO_DAEMONS_CAMPAIGN
    )
    b.start_sink()
    started = time.monotonic()
    parts = ("scheduler", "sender")
    for _ in range(2):
        b.start_daemon("--clock", clock.isoformat(), parts=parts)
    claimers: set[str] = set()  # `host:pid` of the claims seen while sending

    def all_sent_noting_claimers() -> bool:
        rows = ledger_rows(b.engine)
        claimers.update(r.claimed_by.split("/")[0] for r in rows if r.status == "claimed")
        sent = sum(1 for r in rows if r.status in {"sent", "failed"})
        return sent >= MAILS and all(r.status in {"sent", "failed"} for r in rows)

    all_sent = wait_until(all_sent_noting_claimers, 240, interval=0.25)
    out.check("every reminder written and sent", all_sent, b.status_line())
    took = time.monotonic() - started
    wait_until(lambda: b.received_count() >= MAILS, 5)
    got = b.received()
    sweeps = sum(p.log_count("examined") for p in b.daemons)
    left = sum(p.log_count("left to another daemon") for p in b.daemons)
    failed = sum(p.log_count("failed; the next tick") for p in b.daemons)
    out.measure(
        f"{got.total} mails received for {MAILS} schools due in {took:.1f} s with two daemons "
        f"(scheduler and sender each); claims seen from {len(claimers)} processes; "
        f"{sweeps} sweeps, {left} ticks left to the daemon sweeping, {failed} failed"
    )
    out.check(f"sink received exactly {MAILS}", got.total == MAILS, f"{got.total}")
    check_delivery(b, out, max_extra=0)
    out.check("one ledger row per school", len(ledger_rows(b.engine)) == MAILS, b.status_line())
    out.check("no sweep failed (the daemons take turns)", failed == 0, f"{failed} failed")
    each = [p.log_count("examined") for p in b.daemons]
    out.check(  # one sweep may write every school's mail: the other's tick then found it busy
        "their sweeps overlapped: a tick found the other daemon sweeping",
        left >= 1,
        f"sweeps per daemon {each}, {left} ticks left to the other",
    )
    out.check("both daemons took a share", len(claimers) >= 2, f"claimers seen {sorted(claimers)}")
    stop_cleanly(b, out)
    b.engine.dispose()


SCENARIOS = {
    "kill-9": kill_while_sending,
    "smtp-outage": smtp_outage,
    "sqlite-locked": sqlite_locked,
    "postgres-restart": postgres_restarted,
    "hostile-drop": hostile_drop,
    "two-daemons-postgres": two_daemons_postgres,
}
