"""Benchmark of the sender against a fair bare aiosmtplib loop, to the same SMTP sink.

    PYTHONPATH=. .venv/bin/python bench/reminders_send.py [--count 1000] [--concurrency 4]
        [--rounds 4] [--database-url postgresql+psycopg://…]

Starts `bench/sink.py` (aiosmtpd on loopback) in its own process. Subject: the real sender
(`daemon.delivery.sender.send_due`: claim from the ledger, render each mail, send under the rate
limiter, mark it sent) over `count` due rows of a fresh ledger (SQLite, or the PostgreSQL
database given). Baseline: `concurrency` kept-open aiosmtplib connections sending, with
`sendmail`, the very bytes the sender sends for those rows (rendered beforehand by
`render_message`, same envelope), nothing else. The two run alternated (A B, B A …,
`bench.report.alternate`); before each run the ledger is emptied and seeded again (not timed)
and the renderer's caches are cleared. The inputs vary: short text-only mails and full-size
reminders with an HTML part, addressed to one recipient or with copies. The figure is the median
of the pair ratios of throughput (bare time / sender time) with their range. Target: the
sender reaches ≥ 0.8 × the bare loop. Exits 0 even when missed, printing MISSED.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosmtplib
from sqlalchemy import text

from bench.report import Pairs, Row, alternate, emit, load_average
from bench.sink import read
from daemon.app import App
from daemon.config import Settings
from daemon.delivery import message
from daemon.delivery.message import Outgoing, render_message
from daemon.delivery.sender import send_due
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Reminder
from db.states import LedgerKind
from tests.mailsink import free_port

TARGET = 0.80
NOW = dt.datetime(2026, 9, 14, 8, 0, tzinfo=dt.UTC)
SENT_AT = NOW + dt.timedelta(minutes=1)
PARAGRAPH = (
    "Madame la directrice, Monsieur le directeur, le constat de rentrée de votre école n'est "
    "pas encore complet : il manque le compte rendu d'import de la base élèves et l'export des "
    "effectifs. Merci de les déposer sur la page de votre école avant le 15 octobre. "
)


@dataclass(frozen=True)
class Kind:
    """One variety of mail: its size and its recipients."""

    name: str
    paragraphs: int
    html: bool
    copies: int


KINDS = (
    Kind("short text-only mails", 1, False, 0),
    Kind("full reminders (text + HTML, one copy)", 6, True, 1),
)


def payload(kind: Kind, n: int) -> dict[str, Any]:
    body = f"Bonjour,\n\n{PARAGRAPH * kind.paragraphs}\n\nÉcole n° {n}.\n"
    html = f"<html><body><p>{PARAGRAPH * kind.paragraphs}</p><p>École n° {n}.</p></body></html>"
    return {
        "subject": f"Constat de rentrée : rappel pour l'école n° {n}",
        "text": body,
        "html": html if kind.html else "",
        "reply_to": "coordination@ddec.example",
    }


def ledger_rows(kind: Kind, count: int) -> list[dict[str, Any]]:
    return [
        Reminder(
            key=f"bench:{kind.name}:{n:05d}",
            kind=LedgerKind.REMINDER,
            day=NOW.date(),
            recipient=f"directeur{n}@ecole.example",
            cc=[f"adjoint{n}.{c}@ecole.example" for c in range(kind.copies)],
            payload=payload(kind, n),
            due_at=NOW,
            next_attempt_at=NOW,
            created_at=NOW,
        ).model_dump(exclude={"id"})
        for n in range(count)
    ]


class Bench:
    """The sink's port, the ledger's database and the settings both sides share."""

    def __init__(self, url: str, state: Path, port: int, concurrency: int) -> None:
        self.url, self.port, self.concurrency = url, port, concurrency
        self.settings = Settings.model_validate(
            {
                "database_url": url,
                "state_dir": str(state),
                "smtp": {"port": port, "concurrency": concurrency, "rate_per_minute": 10**7},
            }
        )
        self.engine = make_engine(url)
        upgrade(engine=self.engine)
        self.seeded: list[dict[str, Any]] = []
        # One application for every run, as the daemon's sender lives in one process: its
        # start (engine, schema check) is not part of sending.
        self.app = App(self.settings, clock=lambda: SENT_AT)
        self.app.engine  # noqa: B018 — connect and check the schema before any run

    def reset(self, rows: list[dict[str, Any]]) -> None:
        """A fresh ledger holding `rows`, due; the renderer's caches emptied."""
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM reminder"))
            conn.execute(Reminder.__table__.insert(), rows)  # type: ignore[attr-defined]
        message._from.cache_clear()
        self.seeded = rows

    def prebuilt(self, rows: list[dict[str, Any]]) -> list[Outgoing]:
        """The bytes the sender sends for these rows (same key, recipients, payload, time)."""
        return [
            render_message(
                key=r["key"],
                recipient=r["recipient"],
                cc=r["cc"],
                payload=r["payload"],
                settings=self.settings,
                now=SENT_AT,
            )
            for r in rows
        ]

    def sender(self, count: int) -> None:
        handled = asyncio.run(send_due(self.app))
        assert handled == count, f"sender handled {handled} of {count}"

    def bare(self, mails: list[Outgoing]) -> None:
        asyncio.run(bare_loop(self.port, mails, self.concurrency))


async def bare_loop(port: int, mails: list[Outgoing], concurrency: int) -> None:
    async def work(start: int) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        for mail in mails[start::concurrency]:
            await client.sendmail(mail.sender, mail.recipients, mail.data)
        await client.quit()

    await asyncio.gather(*(work(i) for i in range(concurrency)))


def measure(bench: Bench, count: int, rounds: int) -> tuple[Pairs, int]:
    """Pairs of (sender, bare) wall times over the kinds of mail, and the mails sent."""
    inputs = [(ledger_rows(kind, count), kind) for kind in KINDS]
    built = {kind.name: bench.prebuilt(rows) for rows, kind in inputs}
    current: list[Any] = []

    def reset() -> None:
        bench.reset(current[0])

    def subject(item: tuple[list[dict[str, Any]], Kind]) -> None:
        bench.sender(count)

    def baseline(item: tuple[list[dict[str, Any]], Kind]) -> None:
        bench.bare(built[item[1].name])

    sent, pairs = 0, Pairs()
    for item in inputs:
        current[:] = [item[0]]
        got = alternate(subject, baseline, [item], rounds=rounds, reset=reset)
        sent += 2 * rounds * count * (1 + item[1].copies)
        pairs = Pairs(pairs.subject + got.subject, pairs.baseline + got.baseline)
    return pairs, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4, help="alternated pairs per kind of mail")
    parser.add_argument("--database-url", default="")
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
            bench = Bench(url, root, port, args.concurrency)
            pairs, expected = measure(bench, args.count, args.rounds)
            bench.app.close()
            time.sleep(0.5)
            received = sum(len(r["to"]) for r in read(out))
        finally:
            sink.terminate()
            sink.wait()
    throughput = 1 / pairs.ratio  # sender rate / bare rate = bare time / sender time
    ratios = [1 / r for r in pairs.ratios]
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    emit(
        [
            Row(
                "reminders_send",
                f"sender throughput, {args.count} mails a run, concurrency {args.concurrency}, "
                f"{database} ledger, short and full mails ({received}/{expected} received)",
                f"{args.count / pairs.subject_median:.0f} mails/s",
                f"{args.count / pairs.baseline_median:.0f} mails/s (bare aiosmtplib sendmail "
                "loop, same prebuilt bytes)",
                throughput,
                f"≥ {TARGET:g}× the bare loop",
                throughput >= TARGET and received == expected,
                f"{min(ratios):.2f}–{max(ratios):.2f}×",
            )
        ]
    )
    print(load_average())


if __name__ == "__main__":
    main()
