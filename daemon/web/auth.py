"""Coordinator sign-in: argon2 passwords, a signed session cookie, a login rate limit."""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from daemon.web.accounts import check_password, record_login
from daemon.web.common import reading
from daemon.web.csrf import verify_csrf
from daemon.web.render import render
from db.engine import transaction
from db.models import User

SESSION_USER = "uid"
log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)


class NotSignedIn(Exception):
    """Raised by `require_coordinator`; the app answers with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class LoginLimiter:
    """At most N failed logins per minute for one account from one client address (behind a
    reverse proxy every coordinator shares its address: one person mistyping must not lock
    the others out)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._failures: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> collections.deque[float]:
        failures = self._failures.setdefault(key, collections.deque())
        while failures and failures[0] <= now - 60:
            failures.popleft()
        return failures

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.per_minute

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())
            if len(self._failures) > 10_000:  # forget idle addresses
                for k in [k for k, v in self._failures.items() if not v]:
                    del self._failures[k]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def current_user(request: Request) -> User | None:
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    app = request.app.state.app
    with reading(app.engine) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        session.expunge(user)
    return user


def require_coordinator(request: Request) -> User:
    """Dependency of every coordinator page: the signed-in, active user."""
    user = current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(target)
    request.state.user = user
    return user


Coordinator = Annotated[User, Depends(require_coordinator)]


def _safe_next(value: str) -> str:
    """Only a local path: never redirect elsewhere after login."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/connexion")
def login_page(request: Request, suivant: str = "/") -> Response:
    return render(request, "login.html", {"title": "Connexion", "next": _safe_next(suivant)})


@router.post("/connexion")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    suivant: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    limiter: LoginLimiter = request.app.state.login_limiter
    address = client_address(request)
    key = f"{address} {email.strip().lower()}"
    context = {"title": "Connexion", "next": _safe_next(suivant), "email": email}
    if limiter.blocked(key):
        context["error"] = "Trop de tentatives : attendez une minute avant de réessayer."
        return render(request, "login.html", context, status=429)
    app = request.app.state.app
    with reading(app.engine) as session:  # hashing outside any write lock
        user = check_password(session, email=email, password=password)
        user_id = user.id if user else None
    if user_id is None:
        limiter.failed(key)
        log.warning("web: failed sign-in from %s", address)
        context["error"] = "Adresse ou mot de passe incorrect."
        return render(request, "login.html", context, status=401)
    limiter.succeeded(key)
    with transaction(app.engine) as session:
        record_login(session, user_id=user_id, password=password, now=app.now())
    request.session.clear()  # a fresh session (and CSRF token) at each sign-in
    request.session[SESSION_USER] = user_id
    return RedirectResponse(_safe_next(suivant), status_code=303)


@router.post("/deconnexion")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/connexion", status_code=303)
