"""Helpers for the web tests: a client on the real app, a signed-in coordinator, schools."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from daemon.app import App
from daemon.config import Settings
from daemon.web.accounts import add_user
from daemon.web.app import create_app, run_web
from db.engine import transaction
from db.models import School
from db.schools import add_school
from tests.conftest import NOW

EMAIL = "coordination@example.org"
PASSWORD = "mot-de-passe-solide"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def client_for(app: App, **kwargs: Any) -> TestClient:
    return TestClient(create_app(app), follow_redirects=False, **kwargs)


def make_user(app: App, email: str = EMAIL, password: str = PASSWORD) -> None:
    with transaction(app.engine) as session:
        add_user(session, email=email, password=password, name="Camille", now=NOW)


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def sign_in(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    token = csrf_from(client.get("/connexion").text)
    response = client.post(
        "/connexion", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/ecoles").text)


@contextmanager
def signed_in(app: App) -> Iterator[tuple[TestClient, str]]:
    make_user(app)
    with client_for(app) as client:
        yield client, sign_in(client)


def school(session: Session, uai: str, name: str = "École Saint-Joseph", **fields: Any) -> School:
    fields.setdefault("commune", "Nantes")
    fields.setdefault("circonscription", "Nantes Centre")
    fields.setdefault("contract", "association")
    fields.setdefault("director_email", f"ce.{uai.lower()}@example.org")
    created = add_school(session, now=NOW, uai=uai, actor="test", name=name, **fields)
    session.commit()
    return created


def route_list() -> list[tuple[str, str]]:
    """(method, path) of every route of the app, built with throwaway settings."""
    settings = Settings.model_validate(
        {"state_dir": "/nonexistent-relance-state", "web": {"secret_key": "k" * 40}}
    )
    web: FastAPI = create_app(App(settings))
    found = []
    pending = list(web.routes)
    while pending:
        route = pending.pop(0)
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            pending.extend(included.routes)
        elif isinstance(route, APIRoute):
            for method in sorted(route.methods):
                found.append((method, route.path))
    return found


SAMPLE_PARAMS = {
    "uai": "0441234C",
    "intake_id": "1",
    "file_id": "1",
    "kind": "document",
    "action": "note",
    "token": "jeton-invalide",
}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE_PARAMS.get(m.group(1), "x"), path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, failure: Callable[[], str], *, seconds: float) -> None:
    """Until the server at `base` answers /healthz; `failure` says why it never will."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(base + "/healthz", timeout=2)
            return
        except httpx.TransportError:
            assert not failure(), failure()
            assert time.monotonic() < deadline, "the web server did not start"
            time.sleep(0.05)


@contextmanager
def serving(app: App) -> Iterator[str]:
    """The real web server (`run_web`: uvicorn, as `relance serve` runs it) in a thread, on
    `app.settings.web.port`; yields its base URL and stops it on exit."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    failed: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(run_web(app, stop))
        except BaseException as exc:  # reported to the test below
            failed.append(exc)

    thread = threading.Thread(target=run, name="relance-web", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{app.settings.web.port}"
    _wait_until_up(base, lambda: str(failed) if failed else "", seconds=20)
    try:
        yield base
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(15)


@contextmanager
def serving_process(folder: Path, settings: dict[str, Any]) -> Iterator[str]:
    """`relance serve --only web` as its own process (as deployed: no test code sharing its
    interpreter), on `settings["web"]["port"]`; yields its base URL, stops it on exit."""
    from bench.reliability.harness import clean_env, toml_document

    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "relance.toml"
    config.write_text(toml_document(settings), encoding="utf-8")
    log = (folder / "web.log").open("wb")
    command = [sys.executable, "-m", "daemon", "--config", str(config), "serve", "--only", "web"]
    process = subprocess.Popen(command, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{settings['web']['port']}"

    def exited() -> str:
        return (
            (folder / "web.log").read_text(errors="replace") if process.poll() is not None else ""
        )

    try:
        _wait_until_up(base, exited, seconds=60)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
