"""Coordinator sign-in: argon2 passwords, sessions kept on the server, limits on failures.

Password checks cannot take the site down: an argon2 verification costs a core and 64 MB for a
tenth of a second, so at most `web.login_concurrency` run at once, and the others wait on the
event loop (holding no thread of the pages) — a crowd beyond `LoginChecks.queue` is turned away
at once. Failures are limited per account and address, per address whatever the account (a new
e-mail each time does not get around it) and in total; the limiter's memory is bounded.
The client address is the connection's, or the one a trusted reverse proxy forwarded
(`web.trusted_proxies`, uvicorn's `forwarded_allow_ips`).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from daemon.web.accounts import check_password, normalise_email, record_login
from daemon.web.common import reading, relance_app
from daemon.web.csrf import verify_csrf
from daemon.web.render import render
from daemon.web.sessions import end_session, open_session, session_user
from db.engine import transaction
from db.models import User

if TYPE_CHECKING:
    from daemon.app import App

SESSION_TOKEN = "sid"
WINDOW_SECONDS = 60.0
MAX_KEYS = 10_000  # accounts and addresses remembered by the limiter (oldest forgotten)
T = TypeVar("T")
log = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)


class NotSignedIn(Exception):
    """Raised by `require_coordinator`; the app answers with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class _Recent:
    """Failure times of the last minute per key: at most `limit` times for each of at most
    `MAX_KEYS` keys (the key that failed least recently is forgotten first)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.keys: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def full(self, key: str, now: float) -> bool:
        times = self.keys.get(key)
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        return times is not None and len(times) >= self.limit

    def add(self, key: str, now: float) -> None:
        times = self.keys.pop(key, None) or collections.deque(maxlen=self.limit)
        times.append(now)
        self.keys[key] = times
        while len(self.keys) > MAX_KEYS:
            self.keys.popitem(last=False)


class LoginLimiter:
    """Failed sign-ins in the last minute: per account from one address (`per_account`: one
    person mistyping locks only themselves), per address whatever the account
    (`per_address`), and from everywhere together (`total`)."""

    def __init__(
        self,
        per_account: int,
        per_address: int,
        total: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.accounts, self.addresses = _Recent(per_account), _Recent(per_address)
        self.everyone: collections.deque[float] = collections.deque(maxlen=total)
        self.total, self.clock = total, clock
        self._lock = threading.Lock()

    def refusal(self, address: str, email: str) -> str | None:
        """Why a sign-in is not even tried now (French), or None."""
        now = self.clock()
        with self._lock:
            while self.everyone and self.everyone[0] <= now - WINDOW_SECONDS:
                self.everyone.popleft()
            if len(self.everyone) >= self.total:
                return "Trop de tentatives de connexion en ce moment : réessayez dans une minute."
            if self.accounts.full(f"{address} {email}", now) or self.addresses.full(address, now):
                return "Trop de tentatives : attendez une minute avant de réessayer."
        return None

    def failed(self, address: str, email: str) -> None:
        now = self.clock()
        with self._lock:
            self.accounts.add(f"{address} {email}", now)
            self.addresses.add(address, now)
            self.everyone.append(now)

    def succeeded(self, address: str, email: str) -> None:
        with self._lock:
            self.accounts.keys.pop(f"{address} {email}", None)

    def remembered(self) -> int:
        """Keys held (bounded by 2 × MAX_KEYS)."""
        return len(self.accounts.keys) + len(self.addresses.keys)


class Busy(Exception):
    """Too many sign-ins are waiting for a password check."""


class LoginChecks:
    """At most `concurrency` password checks at once; waiting ones wait on the event loop
    (no thread held); more than `queue` waiting are refused at once (Busy)."""

    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency, self.queue = concurrency, queue
        self.waiting = 0
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._semaphores:  # one per event loop (tests start several)
            self._semaphores = {loop: asyncio.Semaphore(self.concurrency)}
        return self._semaphores[loop]

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """`work(*args)` in a thread once a place is free; Busy when too many wait."""
        if self.waiting >= self.queue:
            raise Busy
        semaphore = self._semaphore()
        self.waiting += 1
        try:
            await semaphore.acquire()
        finally:
            self.waiting -= 1
        try:
            return await run_in_threadpool(work, *args)
        finally:
            semaphore.release()


def client_address(request: Request) -> str:
    """The client's address: the connection's, or the one a trusted proxy forwarded."""
    return request.client.host if request.client else "?"


def current_user(request: Request) -> User | None:
    token = request.session.get(SESSION_TOKEN)
    if not isinstance(token, str) or not token:
        return None
    app = relance_app(request)
    with reading(app.engine) as session:
        return session_user(session, token=token, now=app.now())


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
def login_page(request: Request, suivant: str = "/", fermees: str = "") -> Response:
    context = {"title": "Connexion", "next": _safe_next(suivant)}
    if fermees:
        context["flash"] = "Toutes vos sessions sont fermées, sur tous vos appareils."
    return render(request, "login.html", context)


@router.post("/connexion")
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    suivant: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    limiter: LoginLimiter = request.app.state.login_limiter
    address, account = client_address(request), normalise_email(email)
    context = {"title": "Connexion", "next": _safe_next(suivant), "email": email}
    refusal = limiter.refusal(address, account)
    if refusal:
        context["error"] = refusal
        return render(request, "login.html", context, status=429)
    app = relance_app(request)
    try:
        user_id = await request.app.state.login_checks.run(_checked, app, email, password)
    except Busy:
        context["error"] = "Trop de connexions en cours : réessayez dans quelques secondes."
        return render(request, "login.html", context, status=503)
    if user_id is None:
        limiter.failed(address, account)
        log.warning("web: failed sign-in from %s", address)
        context["error"] = "Adresse ou mot de passe incorrect."
        return render(request, "login.html", context, status=401)
    limiter.succeeded(address, account)
    token = await run_in_threadpool(_opened, app, user_id, password)
    request.session.clear()  # a fresh session (and CSRF token) at each sign-in
    request.session[SESSION_TOKEN] = token
    return RedirectResponse(_safe_next(suivant), status_code=303)


def _checked(app: App, email: str, password: str) -> int | None:
    with reading(app.engine) as session:  # hashing outside any write lock
        user = check_password(session, email=email, password=password)
        return user.id if user else None


def _opened(app: App, user_id: int, password: str) -> str:
    now = app.now()
    with transaction(app.engine) as session:
        record_login(session, user_id=user_id, password=password, now=now)
        return open_session(session, user_id=user_id, now=now, hours=app.settings.web.session_hours)


@router.post("/deconnexion")
def logout(request: Request) -> Response:
    """Sign out: this session ends on the server (a copy of the cookie opens nothing)."""
    token = request.session.get(SESSION_TOKEN)
    if isinstance(token, str) and token:
        app = relance_app(request)
        with transaction(app.engine) as session:
            end_session(session, token=token, now=app.now())
    request.session.clear()
    return RedirectResponse("/connexion", status_code=303)
