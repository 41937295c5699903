"""PostgreSQL for the suite: our own database on the server `.ci/run` starts (two daemons), and a
private throw-away server we may stop and restart without disturbing anyone (the restart
scenario; the shared server is never stopped)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.reliability.harness import Skip, free_port

DATABASE = "relance_reliability"


def shared_database() -> str:
    """A fresh, empty `relance_reliability` database on the server of RELANCE_TEST_DATABASE_URL."""
    url = os.environ.get("RELANCE_TEST_DATABASE_URL", "")
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise Skip("no PostgreSQL server: RELANCE_TEST_DATABASE_URL is not set (`.ci/run` sets it)")
    parsed = make_url(url).set(drivername="postgresql")
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DATABASE}")
    except psycopg.OperationalError as exc:
        raise Skip(f"PostgreSQL server of RELANCE_TEST_DATABASE_URL unreachable: {exc}") from exc
    return parsed.set(database=DATABASE).render_as_string(hide_password=False)


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        found_on_path = shutil.which("pg_ctl")
        if not found_on_path:
            raise Skip("PostgreSQL server programs are not installed (pg_ctl not found)")
        return Path(found_on_path).parent
    return found[-1].parent


class PrivateServer:
    """initdb + pg_ctl in a temporary folder on a free port, run as `postgres` when we are root."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="relance-reliability-pg-"))
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, *args], check=True, capture_output=True, text=True, timeout=120
        )

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", f"{self.dir}/data", "-U", "postgres", "-A", "trust"
        )
        self.start()
        self._run(
            str(self.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            DATABASE,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log",
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", f"{self.dir}/data", "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def private_server() -> Iterator[PrivateServer]:
    server = PrivateServer()
    try:
        server.init()
        yield server
    finally:
        server.destroy()
