"""Benchmark of the sender against a bare aiosmtplib loop, to the same SMTP sink.

    PYTHONPATH=. .venv/bin/python bench/reminders_send.py [--count 5000] [--concurrency 4]
        [--database-url postgresql+psycopg://…]

Starts `bench/sink.py` (aiosmtpd on loopback) in its own process. Baseline: `concurrency`
kept-open aiosmtplib connections sending `count` prebuilt mails, nothing else. Figure: the real
sender (`daemon.delivery.sender.send_due`: claim from the ledger, build each mail, send under the
rate limiter, mark) over `count` due rows in a fresh SQLite database (or the given PostgreSQL
one), same concurrency. Each is run `--runs` times (3), alternating, and the best run kept.
Target: the sender reaches ≥ 80 % of the baseline's throughput. Exits 0 even when missed,
printing MISSED.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from sqlalchemy import text

from bench.report import Row, emit
from bench.sink import read
from daemon.app import App
from daemon.config import Settings
from daemon.delivery.sender import send_due
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Reminder
from db.states import LedgerKind
from tests.mailsink import free_port

TARGET = 0.80
NOW = dt.datetime(2026, 9, 14, 8, 0, tzinfo=dt.UTC)


def bare_message(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "relance@bench.example"
    message["To"] = f"directeur{n}@ecole.example"
    message["Subject"] = f"Constat de rentrée : rappel {n}"
    message["Message-ID"] = f"<bare.{n}@bench.example>"
    message.set_content(f"Bonjour,\nil reste à faire ({n}).")
    return message


async def bare_loop(port: int, count: int, concurrency: int) -> float:
    messages = [bare_message(n) for n in range(count)]
    started = time.perf_counter()

    async def work(start: int) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        for message in messages[start::concurrency]:
            await client.send_message(message)
        await client.quit()

    await asyncio.gather(*(work(i) for i in range(concurrency)))
    return time.perf_counter() - started


def seed(url: str, count: int, run: int) -> None:
    engine = make_engine(url)
    upgrade(engine=engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM reminder"))
    rows = [
        Reminder(
            key=f"bench:{run}:{n:05d}",
            kind=LedgerKind.REMINDER,
            day=NOW.date(),
            recipient=f"directeur{n}@ecole.example",
            payload={
                "subject": f"Constat de rentrée : rappel {n}",
                "text": f"Bonjour,\nil reste à faire ({n}).",
                "html": "",
                "reply_to": "coordination@ddec.example",
            },
            due_at=NOW,
            next_attempt_at=NOW,
            created_at=NOW,
        ).model_dump(exclude={"id"})
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(Reminder.__table__.insert(), rows)  # type: ignore[attr-defined]
    engine.dispose()


def sender_run(url: str, state: Path, port: int, count: int, concurrency: int, run: int) -> float:
    seed(url, count, run)
    settings = Settings.model_validate(
        {
            "database_url": url,
            "state_dir": str(state),
            "smtp": {"port": port, "concurrency": concurrency, "rate_per_minute": 10_000_000},
        }
    )
    app = App(settings, clock=lambda: NOW + dt.timedelta(minutes=1))
    app.engine  # noqa: B018 — connect and check the schema before timing
    started = time.perf_counter()
    handled = asyncio.run(send_due(app))
    elapsed = time.perf_counter() - started
    app.close()
    assert handled == count, f"sender handled {handled} of {count}"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs, best kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port, out = free_port(), root / "received.jsonl"
        sink = subprocess.Popen(
            [sys.executable, "-m", "bench.sink", "--port", str(port), "--out", str(out)],
            stdout=subprocess.PIPE,
        )
        try:
            assert sink.stdout is not None
            sink.stdout.readline()  # "sink listening on …"
            url = args.database_url or f"sqlite:///{root / 'relance.sqlite3'}"
            bare, ours = [], []
            for run in range(args.runs):
                bare.append(asyncio.run(bare_loop(port, args.count, args.concurrency)))
                ours.append(sender_run(url, root, port, args.count, args.concurrency, run))
            time.sleep(0.5)
            received = len(read(out))
        finally:
            sink.terminate()
            sink.wait()
    expected = 2 * args.runs * args.count
    bare_rate, our_rate = args.count / min(bare), args.count / min(ours)
    ratio = our_rate / bare_rate
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    emit(
        [
            Row(
                "reminders_send",
                f"sender throughput, {args.count} mails, concurrency {args.concurrency}, "
                f"{database} ledger ({received}/{expected} received)",
                f"{our_rate:.0f} mails/s",
                f"bare aiosmtplib loop {bare_rate:.0f} mails/s",
                ratio,
                f"≥ {TARGET:.0%} of bare",
                ratio >= TARGET and received == expected,
            )
        ]
    )


if __name__ == "__main__":
    main()
