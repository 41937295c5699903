"""What every scenario shares: its outcome (checks and measures), a workspace (folder, ports,
config files) and real processes (the daemon, the SMTP sink, helpers) that it kills on exit."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.config.toml_out import toml_value

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


# ---- outcome -----------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one scenario found: checks (passed or failed, with the figure behind them), what was
    measured, or why it was skipped."""

    name: str
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)
    skipped: str = ""
    seconds: float = 0.0

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((what, bool(ok), detail))
        return bool(ok)

    def measure(self, text: str) -> None:
        self.measured.append(text)

    @property
    def failed(self) -> int:
        return sum(1 for _, ok, _ in self.checks if not ok)

    @property
    def passed(self) -> int:
        return sum(1 for _, ok, _ in self.checks if ok)

    def report(self) -> str:
        if self.skipped:
            return f"[{self.name}] SKIPPED: {self.skipped}"
        lines = [f"[{self.name}] {self.passed} passed, {self.failed} failed ({self.seconds:.0f} s)"]
        lines += [f"    measured: {m}" for m in self.measured]
        for what, ok, detail in self.checks:
            lines.append(
                f"    {'ok  ' if ok else 'FAIL'} {what}" + (f" — {detail}" if detail else "")
            )
        return "\n".join(lines)


class Skip(Exception):
    """The scenario cannot run here (no PostgreSQL…); the reason is printed, never hidden."""


# ---- processes ---------------------------------------------------------------------------------
def clean_env() -> dict[str, str]:
    """The environment without RELANCE_* overrides: each process reads only its config file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELANCE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(REPO)
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code of the SIGTERM stop
        (None if it had to be killed)."""
        if not self.alive():
            return self.popen.returncode
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None

    def status_kb(self, key: str) -> int:
        """A memory figure of /proc/<pid>/status in kB (VmRSS, VmHWM), 0 once gone."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_count(self, needle: str) -> int:
        try:
            return self.log.read_text(errors="replace").count(needle)
        except OSError:
            return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# ---- workspace ---------------------------------------------------------------------------------
class Workspace:
    """One scenario's folder and the processes it started (all stopped on exit)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.procs: list[Proc] = []

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self.procs):
            if proc.alive():
                proc.kill9()

    def spawn(self, name: str, args: list[str]) -> Proc:
        log = self.root / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            args, cwd=REPO, env=clean_env(), stdout=handle, stderr=subprocess.STDOUT
        )
        handle.close()
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def config(self, name: str, data: dict[str, Any]) -> Path:
        path = self.root / f"{name}.toml"
        path.write_text(toml_document(data), encoding="utf-8")
        return path

    def relance(self, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """A one-shot `relance` command (e.g. `db upgrade`), checked."""
        return subprocess.run(
            [PYTHON, "-m", "daemon", "--config", str(config), *args],
            cwd=REPO,
            env=clean_env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )

    def relance_input(self, config: Path, stdin: str, *args: str) -> None:
        """A one-shot `relance` command reading `stdin` (e.g. `users add --password-stdin`)."""
        subprocess.run(
            [PYTHON, "-m", "daemon", "--config", str(config), *args],
            cwd=REPO,
            env=clean_env(),
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )

    def daemon(self, name: str, config: Path, parts: list[str], *extra: str) -> Proc:
        """`relance serve --only <part>…` as its own process."""
        only = [arg for part in parts for arg in ("--only", part)]
        args = [PYTHON, "-m", "daemon", "--config", str(config), "serve", *only, *extra]
        return self.spawn(name, args)

    def sink(self, name: str, port: int, out: Path, *, fail: int | None = None) -> Proc:
        """The aiosmtpd sink (bench/sink.py), ready once its port accepts connections."""
        args = [PYTHON, "-m", "bench.sink", "--port", str(port), "--out", str(out)]
        if fail:
            args += ["--fail", str(fail)]
        proc = self.spawn(name, args)
        if not wait_until(lambda: port_open(port) or not proc.alive(), 20):
            raise RuntimeError(f"sink on port {port} did not start")
        if not proc.alive():
            raise RuntimeError(f"sink on port {port} exited: {proc.tail()}")
        return proc


def toml_document(data: dict[str, Any]) -> str:
    """A TOML file from a dict of top-level values and one level of sections."""
    top = [
        f"{key} = {toml_value(value)}" for key, value in data.items() if not isinstance(value, dict)
    ]
    sections = [
        f"\n[{key}]\n" + "\n".join(f"{k} = {toml_value(v)}" for k, v in value.items())
        for key, value in data.items()
        if isinstance(value, dict)
    ]
    return "\n".join(top) + "\n" + "\n".join(sections) + "\n"
