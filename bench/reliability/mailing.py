"""A sending bench: a database with N reminders due, an SMTP sink process, `relance serve --only
sender` processes, and the waits and counts the sending scenarios share."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bench import sink
from bench.reliability.harness import Proc, Workspace, free_port, wait_until
from bench.reliability.ledger import (
    Due,
    Received,
    compare,
    ledger_status,
    seed_reminders,
    seed_schools,
)
from daemon.config.settings import normalise_database_url
from db.engine import make_engine

FAST_SMTP = {
    "concurrency": 4,
    "rate_per_minute": 100_000,
    "retry_base_seconds": 1,
    "retry_max_seconds": 5,
    "lease_seconds": 10,
    "timeout_seconds": 10.0,
}


class DaemonDied(Exception):
    pass


@dataclass
class Bench:
    ws: Workspace
    config: Path
    engine: Engine
    due: list[Due]
    sink_port: int
    sink_out: Path
    smtp: dict[str, Any]
    web_port: int
    daemons: list[Proc] = field(default_factory=list)
    sink_proc: Proc | None = None

    @property
    def concurrency(self) -> int:
        return int(self.smtp["concurrency"])

    def start_sink(self) -> Proc:
        self.sink_proc = self.ws.sink(f"sink-{len(self.ws.procs)}", self.sink_port, self.sink_out)
        return self.sink_proc

    def start_daemon(self, *extra: str, parts: tuple[str, ...] = ("sender",)) -> Proc:
        name = f"daemon-{len(self.daemons) + 1}"
        proc = self.ws.daemon(name, self.config, list(parts), "--stop-timeout", "5", *extra)
        self.daemons.append(proc)
        return proc

    def received_count(self) -> int:
        """Lines the sink wrote so far (cheap: counts newlines)."""
        try:
            return self.sink_out.read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def received(self) -> Received:
        return compare(sink.read(self.sink_out), [d.recipient for d in self.due])

    def wait_received(self, count: int, timeout: float) -> bool:
        """Until the sink has `count` mails; raises if a daemon died meanwhile."""
        return wait_until(
            lambda: self._alive_or_raise() and self.received_count() >= count, timeout
        )

    def wait_all_sent(self, timeout: float) -> bool:
        """Until every ledger row is `sent` (a row marked failed stops the wait early)."""

        def done() -> bool:
            self._alive_or_raise()
            status = ledger_status(self.engine)
            return status.get("sent", 0) + status.get("failed", 0) >= len(self.due)

        return wait_until(done, timeout, interval=0.25)

    def _alive_or_raise(self) -> bool:
        for proc in self.daemons:
            if proc.popen.returncode is None and not proc.alive():
                raise DaemonDied(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
        return True

    def status_line(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(ledger_status(self.engine).items()))


def sending_bench(
    ws: Workspace,
    count: int,
    *,
    database_url: str = "",
    first_due: dt.datetime | None = None,
    spacing: dt.timedelta = dt.timedelta(0),
    campaign: dict[str, Any] | None = None,
    **smtp: Any,
) -> Bench:
    """A migrated database with `count` reminders due, and the config of a sender for it.

    With `campaign` (the configuration's campaign section), the database holds `count` schools
    instead, each due a reminder from the first sweep on `first_due`: the daemons' scheduler
    writes the ledger (run them with `parts=("scheduler", "sender")` and a clock on a school
    day inside the sending window)."""
    smtp = {**FAST_SMTP, **smtp}
    extra: dict[str, Any] = {"campaign": campaign} if campaign else {}
    url = database_url or f"sqlite:///{ws.root / 'relance.sqlite3'}"
    port, web_port = free_port(), free_port()
    config = ws.config(
        "relance",
        {
            "database_url": url,
            "state_dir": str(ws.root / "state"),
            "log_level": "INFO",
            "smtp": {"host": "127.0.0.1", "port": port, **smtp},
            "web": {"port": web_port, "base_url": f"http://127.0.0.1:{web_port}"},
            **extra,
        },
    )
    ws.relance(config, "db", "upgrade")
    engine = make_engine(normalise_database_url(url))
    start = first_due or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    if campaign:
        due = seed_schools(engine, count, now=start)
    else:
        due = seed_reminders(engine, count, first_due=start, spacing=spacing)
    return Bench(ws, config, engine, due, port, ws.root / "received.jsonl", smtp, web_port)


def timed(action: Any) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started
