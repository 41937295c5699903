"""The web application: coordinator pages, director pages, JSON API, served by uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from daemon.app import App
from daemon.school.links import secret_key
from daemon.web import (
    api,
    api_exports,
    auth,
    coordinator,
    csv_exports,
    demo_mails,
    director,
    ocr_review,
)
from daemon.web.auth import LoginChecks, LoginLimiter, NotSignedIn, current_user
from daemon.web.cache import TTLCache
from daemon.web.health import health_answer
from daemon.web.render import render, templates_root

log = logging.getLogger(__name__)

SESSION_COOKIE = "relance_session"
LOGIN_QUEUE = 16  # sign-ins waiting for a password check beyond this are turned away at once
DASHBOARD_CACHE_SECONDS = 60.0
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
ERROR_TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Fichier trop volumineux",
    422: "Formulaire incomplet ou invalide",
    429: "Trop de tentatives",
    500: "Erreur interne",
}
ERROR_MESSAGES = {
    404: "Cette page n'existe pas ou plus.",
    405: "Cette adresse ne s'utilise pas ainsi.",
    422: "Certaines valeurs du formulaire sont absentes ou invalides.",
    500: "Une erreur est survenue de notre côté ; elle a été enregistrée.",
}


def cookie_secure(app: App) -> bool:
    web = app.settings.web
    if web.cookie_secure is not None:
        return web.cookie_secure
    return web.base_url.lower().startswith("https://")


def _derived(key: str, purpose: str) -> str:
    return hashlib.sha256(f"{purpose}:{key}".encode()).hexdigest()


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _error(request: Request, status: int, detail: Any = None) -> Response:
    standard = {HTTPStatus(status).phrase} if status in HTTPStatus._value2member_map_ else set()
    if isinstance(detail, str) and detail and detail not in standard:
        message = detail
    else:
        message = ERROR_MESSAGES.get(status, "")
    if _wants_json(request):
        return JSONResponse({"detail": message or ERROR_TITLES.get(status, "Erreur")}, status)
    title = ERROR_TITLES.get(status, "Erreur")
    context = {"title": title, "status": status, "message": message}
    return render(request, "error.html", context, status)


BODY_OVERHEAD = 64 * 1024  # a form's envelope and its other fields, around the largest file


class BodyLimit:
    """No request body larger than the upload limit on any route, declared or streamed
    (chunked): reading past it raises 413, answered by the app's error handlers. The routes
    read their form (for the CSRF check) before anything else: without this, a body of any
    size sent to the login form or to a director page would be spooled to disk first."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        over = declared.isdigit() and int(declared) > self.limit
        received = 0
        mb = (self.limit - BODY_OVERHEAD) // (1024 * 1024)

        async def limited() -> Message:
            nonlocal received
            if over:
                raise StarletteHTTPException(413, f"Le fichier dépasse la limite de {mb} Mo.")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise StarletteHTTPException(413, f"Le fichier dépasse la limite de {mb} Mo.")
            return message

        await self.app(scope, limited, send)


def _with_security_headers(request: Request, response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.path.startswith(("/api/", "/ecole", "/quarantaine")) or (
        request.url.path == "/"
    ):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(app: App) -> FastAPI:
    """The FastAPI application for one relance installation."""
    web = FastAPI(
        title="relance",
        version="1",
        description="API JSON de relance : écoles, étapes du constat de rentrée, effectifs.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    web.state.app = app
    key = secret_key(app.settings)
    web.state.csrf_key = _derived(key, "csrf")
    settings = app.settings.web
    web.state.login_limiter = LoginLimiter(
        settings.login_attempts_per_minute,
        settings.login_failures_per_address_per_minute,
        settings.login_failures_per_minute,
    )
    web.state.login_checks = LoginChecks(settings.login_concurrency, LOGIN_QUEUE)
    web.state.dashboard_cache = TTLCache(DASHBOARD_CACHE_SECONDS)
    _add_middlewares(web, app, key)
    _add_error_handlers(web)

    @web.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> JSONResponse:
        """Anyone (a monitor) reads ok / pas ok per part; a signed-in coordinator the details
        (errors, dates), which say more about the installation than a stranger should read."""
        signed_in = "session" in request.scope and current_user(request) is not None
        status, body = health_answer(app, details=signed_in)
        return JSONResponse(body, status)

    web.mount(
        "/static",
        StaticFiles(directory=templates_root(app.settings.templates_dir) / "static"),
        name="static",
    )
    for router in ROUTERS:
        web.include_router(router)
    return web


ROUTERS = (
    auth.router,
    coordinator.router,
    ocr_review.router,
    csv_exports.router,
    director.router,
    api.router,
    api_exports.router,
    demo_mails.router,
)


def _add_middlewares(web: FastAPI, app: App, key: str) -> None:
    web.add_middleware(
        BodyLimit, limit=app.settings.web.max_upload_mb * 1024 * 1024 + BODY_OVERHEAD
    )
    web.add_middleware(
        SessionMiddleware,
        secret_key=_derived(key, "session"),
        session_cookie=SESSION_COOKIE,
        max_age=app.settings.web.session_hours * 3600,
        same_site="lax",
        https_only=cookie_secure(app),
    )

    @web.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        return _with_security_headers(request, await call_next(request))


def _add_error_handlers(web: FastAPI) -> None:
    """French pages (JSON under /api/ and /healthz) for every error, headers included."""

    @web.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse(f"/connexion?suivant={quote(exc.next_url, safe='/')}", 303)

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = _error(request, exc.status_code, exc.detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @web.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, 422)
        return _error(request, 422)

    @web.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("web: unhandled error on %s", request.url.path)
        # answered outside the middlewares (Starlette's ServerErrorMiddleware): headers here
        return _with_security_headers(request, _error(request, 500))


def uvicorn_config(app: App) -> uvicorn.Config:
    """The server of `relance serve`. Behind a reverse proxy listed in `web.trusted_proxies`,
    the client address (limits on failed sign-ins, logs) is the one it forwards
    (`X-Forwarded-For`); from anyone else that header is ignored."""
    trusted = app.settings.web.trusted_proxies
    return uvicorn.Config(
        create_app(app),
        host=app.settings.web.host,
        port=app.settings.web.port,
        log_config=None,
        lifespan="off",
        access_log=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=list(trusted) if trusted else "",
        server_header=False,
    )


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the Lifecycle owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_web(app: App, stop: asyncio.Event) -> None:
    """A part of `relance serve`: the web server on settings.web.host/port until `stop`."""
    config = uvicorn_config(app)
    server = _QuietServer(config)

    async def serve() -> None:
        try:
            await server.serve()
        except SystemExit as exc:  # uvicorn exits when it cannot listen
            web = app.settings.web
            raise RuntimeError(
                f"web server could not listen on {web.host}:{web.port} (port in use?)"
            ) from exc

    serving = asyncio.create_task(serve(), name="uvicorn")
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if serving in done:
        stopping.cancel()
        serving.result()
        raise RuntimeError("web server stopped on its own")
    server.should_exit = True
    await serving
