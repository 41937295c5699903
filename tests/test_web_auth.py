"""Coordinator sign-in: passwords, cookie flags, rate limit, logout, disabled accounts."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from daemon.app import App
from daemon.web.accounts import set_user_active
from daemon.web.auth import MAX_KEYS, LoginLimiter
from db.engine import transaction
from tests.conftest import NOW, make_settings
from tests.web_helpers import (
    EMAIL,
    PASSWORD,
    client_for,
    csrf_from,
    free_port,
    make_user,
    serving,
    serving_process,
    sign_in,
)


def _login(client, password: str, email: str = EMAIL):
    token = csrf_from(client.get("/connexion").text)
    return client.post(
        "/connexion", data={"email": email, "password": password, "csrf_token": token}
    )


def test_a_coordinator_signs_in_and_reaches_the_page_asked_for(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        first = client.get("/ecoles?etape=errors")
        assert first.status_code == 303
        login_page = client.get(first.headers["location"])
        assert 'name="suivant" value="/ecoles?etape=errors"' in login_page.text
        token = csrf_from(login_page.text)
        response = client.post(
            "/connexion",
            data={
                "email": EMAIL.upper(),
                "password": PASSWORD,
                "csrf_token": token,
                "suivant": "/ecoles?etape=errors",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/ecoles?etape=errors"
        assert client.get("/ecoles").status_code == 200


def test_after_login_a_foreign_redirect_is_ignored(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        token = csrf_from(client.get("/connexion").text)
        response = client.post(
            "/connexion",
            data={
                "email": EMAIL,
                "password": PASSWORD,
                "csrf_token": token,
                "suivant": "//evil.example/",
            },
        )
        assert response.headers["location"] == "/"


def test_a_wrong_password_is_refused_in_french(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        response = _login(client, "pas-le-bon-mot-de-passe")
        assert response.status_code == 401
        assert "Adresse ou mot de passe incorrect" in response.text
        assert client.get("/").status_code == 303


def test_the_session_cookie_is_httponly_lax_and_not_secure_over_http(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        response = _login(client, PASSWORD)
        cookie = response.headers["set-cookie"].lower()
        assert "relance_session=" in cookie
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        assert f"max-age={12 * 3600}" in cookie


def test_the_cookie_is_secure_when_the_site_is_https(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(
        tmp_path, database_url, web={"base_url": "https://relance.example.org", "session_hours": 2}
    )
    app = App(settings, clock=lambda: NOW)
    try:
        make_user(app)
        with client_for(app, base_url="https://testserver") as client:
            cookie = _login(client, PASSWORD).headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "max-age=7200" in cookie
    finally:
        app.close()


def test_failed_logins_are_rate_limited_per_address_and_account(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, web={"login_attempts_per_minute": 3})
    app = App(settings, clock=lambda: NOW)
    try:
        make_user(app)
        make_user(app, email="collegue@example.org", password="un autre mot de passe")
        with client_for(app) as client:
            for _ in range(3):
                assert _login(client, "mauvais-mot-de-passe").status_code == 401
            blocked = _login(client, PASSWORD)  # even the right password waits
            assert blocked.status_code == 429
            assert "Trop de tentatives" in blocked.text
            assert client.get("/").status_code == 303
            # a colleague behind the same address (a reverse proxy) still signs in
            colleague = _login(client, "un autre mot de passe", email="collegue@example.org")
            assert colleague.status_code == 303 and client.get("/").status_code == 200
    finally:
        app.close()


def test_logout_ends_the_session(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        token = sign_in(client)
        response = client.post("/deconnexion", data={"csrf_token": token})
        assert response.status_code == 303 and response.headers["location"] == "/connexion"
        assert client.get("/").status_code == 303


def test_a_disabled_account_loses_its_session_and_cannot_sign_in(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        sign_in(client)
        with transaction(app.engine) as session:
            set_user_active(session, email=EMAIL, active=False, now=NOW)
        assert client.get("/").status_code == 303
        assert _login(client, PASSWORD).status_code == 401


def test_a_tampered_session_cookie_is_ignored(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        sign_in(client)
        value = client.cookies["relance_session"]
        client.cookies.clear()
        tampered = value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
        client.cookies.set("relance_session", tampered)
        assert client.get("/").status_code == 303


def test_a_sign_in_is_recorded_on_the_account(app: App) -> None:
    from daemon.web.accounts import get_user
    from db.engine import reading

    make_user(app)
    with client_for(app) as client:
        sign_in(client)
    with reading(app.engine) as session:
        user = get_user(session, EMAIL)
        assert user is not None and user.last_login_at == NOW


# ---- sessions end on the server -----------------------------------------------------------------
def test_a_copy_of_the_cookie_opens_nothing_once_signed_out(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        token = sign_in(client)
        copy = client.cookies["relance_session"]
        assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 303
    with client_for(app) as thief:
        thief.cookies.set("relance_session", copy)
        assert thief.get("/").status_code == 303


def test_a_coordinator_ends_all_their_sessions(app: App) -> None:
    make_user(app)
    with client_for(app) as office, client_for(app) as phone:
        token = sign_in(office)
        sign_in(phone)
        assert phone.get("/").status_code == 200
        done = office.post("/deconnexion/partout", data={"csrf_token": token})
        assert done.status_code == 303 and done.headers["location"] == "/connexion?fermees=1"
        assert "Toutes vos sessions sont fermées" in office.get(done.headers["location"]).text
        assert phone.get("/").status_code == 303 and office.get("/").status_code == 303


def test_disabling_an_account_ends_its_sessions_for_good(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        sign_in(client)
        with transaction(app.engine) as session:
            set_user_active(session, email=EMAIL, active=False, now=NOW)
        with transaction(app.engine) as session:
            set_user_active(session, email=EMAIL, active=True, now=NOW)
        assert client.get("/").status_code == 303  # enabled again: the old session stays dead


def test_a_session_ends_with_its_time(app: App) -> None:
    make_user(app)
    with client_for(app) as client:
        sign_in(client)
        app.clock = lambda: NOW + dt.timedelta(hours=app.settings.web.session_hours, seconds=1)
        assert client.get("/").status_code == 303


# ---- limits on failures ------------------------------------------------------------------------
def test_new_email_addresses_each_time_do_not_get_around_the_limit(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(
        tmp_path, database_url, web={"login_failures_per_address_per_minute": 4}
    )
    app = App(settings, clock=lambda: NOW)
    try:
        make_user(app)
        with client_for(app) as client:
            for n in range(4):
                assert _login(client, "x" * 12, email=f"essai{n}@example.org").status_code == 401
            assert _login(client, PASSWORD).status_code == 429  # the address waits a minute
    finally:
        app.close()


def test_the_limiter_counts_everyone_and_remembers_a_bounded_number_of_keys() -> None:
    moments = iter(range(1_000_000))
    limiter = LoginLimiter(5, 20, 100, clock=lambda: next(moments) / 10_000)
    for n in range(99):
        limiter.failed(f"10.0.{n // 250}.{n % 250}", f"essai{n}@example.org")
    assert limiter.refusal("192.0.2.1", "nouveau@example.org") is None
    limiter.failed("192.0.2.1", "nouveau@example.org")
    assert "en ce moment" in (limiter.refusal("192.0.2.2", "autre@example.org") or "")
    big = LoginLimiter(5, 20, 10**9, clock=lambda: next(moments) / 10_000)
    for n in range(3 * MAX_KEYS):
        big.failed(f"addr-{n}", f"user-{n}")
    assert big.remembered() <= 2 * MAX_KEYS


def _bad_logins(base: str, count: int, forwarded: str | None = None) -> list[int]:
    """`count` bad sign-ins at once, each from its own browser (its own CSRF token)."""

    def one(n: int) -> int:
        headers = {"X-Forwarded-For": forwarded.format(n=n)} if forwarded else {}
        with httpx.Client(base_url=base, timeout=60, headers=headers) as browser:
            token = csrf_from(browser.get("/connexion").text)
            form = {"email": f"pirate{n}@example.org", "password": "x" * 12, "csrf_token": token}
            return browser.post("/connexion", data=form).status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.real_password_hashing  # the account's hash costs what it costs in production
def test_pages_and_healthz_answer_during_a_flood_of_40_parallel_bad_logins(
    tmp_path: Path, database_url: str, app: App
) -> None:
    """Against `relance serve --only web` in its own process: two floods of 40 bad sign-ins at
    once (every one checked: the failure limits are set out of the way) while a signed-in
    coordinator keeps reading pages and /healthz."""
    make_user(app)
    limits = {"login_failures_per_address_per_minute": 1000, "login_failures_per_minute": 1000}
    config = {
        "database_url": database_url,
        "state_dir": str(tmp_path / "state"),
        "web": {"port": free_port(), **limits},
    }
    slowest: list[float] = []
    flooding = threading.Event()

    def watch(base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as coordinator:
            token = csrf_from(coordinator.get("/connexion").text)
            form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
            assert coordinator.post("/connexion", data=form).status_code == 303
            for path in ("/healthz", "/connexion", "/ecoles"):  # warm: templates, caches
                coordinator.get(path)
            flooding.wait(10)
            while flooding.is_set():
                for path in ("/healthz", "/connexion", "/ecoles"):
                    started = time.monotonic()
                    assert coordinator.get(path).status_code == 200
                    slowest.append(time.monotonic() - started)

    with serving_process(tmp_path / "web", config) as base:
        watcher = threading.Thread(target=watch, args=(base,))
        watcher.start()
        time.sleep(1)  # the coordinator signs in first
        flooding.set()
        codes = _bad_logins(base, 40) + _bad_logins(base, 40)
        flooding.clear()
        watcher.join(30)
    assert set(codes) <= {401, 503} and codes.count(401) >= 20, codes
    slowest.sort()
    assert len(slowest) >= 10, slowest
    # the pages never wait behind the password checks (before: 6 to 13 s on this machine); a
    # single slow answer on a loaded machine (2.6 s seen at load 11 on 2 cores) is the machine,
    # a slow tenth is the flood
    median, tenth = slowest[len(slowest) // 2], slowest[len(slowest) * 9 // 10]
    assert median < 0.3 and tenth < 1.0 and slowest[-1] < 5.0, slowest


@pytest.mark.timeout(120)
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_limited(
    tmp_path: Path, database_url: str
) -> None:
    web = {"port": free_port(), "login_failures_per_address_per_minute": 3}
    trusted = make_settings(tmp_path, database_url, web={**web, "trusted_proxies": ["127.0.0.1"]})
    app = App(trusted, clock=lambda: NOW)
    make_user(app)
    try:
        with serving(app) as base:
            assert _bad_logins(base, 3, forwarded="203.0.113.7") == [401] * 3
            assert _bad_logins(base, 1, forwarded="203.0.113.7") == [429]  # that person waits
            assert _bad_logins(base, 3, forwarded="198.51.100.{n}") == [401] * 3  # not others
    finally:
        app.close()
    untrusted = make_settings(tmp_path / "autre", database_url, web=web)
    app = App(untrusted, clock=lambda: NOW)
    try:
        with serving(app) as base:  # without trust the header is ignored: one address for all
            assert _bad_logins(base, 3, forwarded="203.0.113.{n}") == [401] * 3
            assert _bad_logins(base, 1, forwarded="198.51.100.9") == [429]
    finally:
        app.close()
