"""Is an SMTP outage visible while it lasts? Read from `GET /healthz` when the web part exists,
and from the status page the coordinators look at (the dashboard, signed in: its banner « Le
serveur de courrier ne répond pas »); else from the ledger: rows waiting for a retry with their
error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from bench.reliability.harness import REPO, wait_until
from bench.reliability.ledger import ledger_rows

if TYPE_CHECKING:
    from bench.reliability.mailing import Bench

BANNER = "Le serveur de courrier ne répond pas"
DOWN_WORDS = {"down", "unreachable", "error", "failing", "degraded", "pas ok"}
UP_WORDS = {"up", "ok", "reachable"}


def web_available() -> bool:
    """The web part is in this checkout (a file test: an editable install elsewhere could
    otherwise answer the import)."""
    return (REPO / "daemon" / "web" / "app.py").exists()


def smtp_down(health: Any) -> bool | None:
    """What /healthz says of the SMTP server: True (down), False (up), None (not said). Looks for
    an `smtp` entry anywhere, holding `up`/`reachable` booleans or a `state`/`status` word."""
    if not isinstance(health, dict):
        return None
    for key, value in health.items():
        if "smtp" in str(key).lower():
            said = _state(value)
            if said is not None:
                return said
        found = smtp_down(value)
        if found is not None:
            return found
    return None


def _state(value: Any) -> bool | None:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        word = value.lower()
        return True if word in DOWN_WORDS else (False if word in UP_WORDS else None)
    if isinstance(value, dict):
        for key in ("up", "reachable", "ok"):
            if isinstance(value.get(key), bool):
                return not value[key]
        for key in ("state", "status"):
            if isinstance(value.get(key), str):
                return _state(value[key])
    return None


@dataclass
class OutageWatch:
    bench: Bench
    health_url: str = ""  # the web part's /healthz, when it runs
    samples: list[bool | None] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    example: str = ""
    page_url: str = ""  # the coordinators' dashboard, once signed in
    page_samples: list[bool | None] = field(default_factory=list)
    client: httpx.Client | None = None

    def sign_in(self, base_url: str, email: str, password: str) -> bool:
        """Sign in as a coordinator (the page's CSRF token, then the form); True on success."""
        self.client = httpx.Client(base_url=base_url, timeout=5)
        try:
            form = self.client.get("/connexion").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            answer = self.client.post(
                "/connexion",
                data={
                    "csrf_token": token.group(1) if token else "",
                    "email": email,
                    "password": password,
                    "suivant": "/",
                },
            )
        except httpx.HTTPError:
            return False
        self.page_url = "/"
        return answer.status_code == 303

    def page_down(self) -> bool | None:
        """One reading of the dashboard: True (banner shown), False (page without it), None."""
        if self.client is None or not self.page_url:
            return None
        try:
            page = self.client.get(self.page_url)
            said = (BANNER in page.text) if page.status_code == 200 else None
        except httpx.HTTPError:
            said = None
        self.page_samples.append(said)
        return said

    def wait_page(self, down: bool, timeout: float) -> bool:
        return wait_until(lambda: self.page_down() is down, timeout, interval=0.25)

    @property
    def source(self) -> str:
        if self.health_url:
            return "GET /healthz"
        return "ledger: rows waiting for a retry with their error"

    def down(self) -> bool | None:
        """One reading: is the outage shown?"""
        rows = [r for r in ledger_rows(self.bench.engine) if r.status != "sent" and r.last_error]
        self.waiting.append(len(rows))
        if rows and not self.example:
            self.example = rows[0].last_error[:100]
        if not self.health_url:
            return bool(rows)
        try:
            said = smtp_down(httpx.get(self.health_url, timeout=2).json())
        except (httpx.HTTPError, ValueError):
            said = None
        self.samples.append(said)
        return said

    def wait_visible(self, timeout: float) -> bool:
        return wait_until(lambda: self.down() is True, timeout, interval=0.25)

    def wait_cleared(self, timeout: float) -> bool:
        return wait_until(lambda: self.down() is False, timeout, interval=0.25)

    def describe(self) -> str:
        said = ""
        if self.health_url:
            shown = {True: "down", False: "up", None: "not said"}
            steps = [shown[s] for s in self.samples]
            changes = [w for n, w in enumerate(steps) if n == 0 or steps[n - 1] != w]
            said = "/healthz said " + " → ".join(changes)
            said += "; "
        if self.page_samples:
            shown = {True: "banner", False: "no banner", None: "no page"}
            steps = [shown[s] for s in self.page_samples]
            changes = [w for n, w in enumerate(steps) if n == 0 or steps[n - 1] != w]
            said += "dashboard: " + " → ".join(changes) + "; "
        peak = max(self.waiting, default=0)
        return said + f"ledger: up to {peak} rows waiting with an error, e.g. {self.example}"
