"""CSRF tokens: one per coordinator session (kept in the signed session cookie), or one per
director link (derived from the link's token, kept in the session once opened), checked on
every POST of a form."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request
from markupsafe import escape

FIELD = "csrf_token"
SESSION_KEY = "csrf"


def _link_token(request: Request) -> str | None:
    """The director's link of a director page: in its path, or kept in the session."""
    token = request.path_params.get("token")
    if not token and (request.url.path == "/ecole" or request.url.path.startswith("/ecole/")):
        token = request.session.get("ecole")
    return token if isinstance(token, str) and token else None


def csrf_token(request: Request) -> str:
    """The token the forms of this page carry."""
    link = _link_token(request)
    if link is not None:
        key: str = request.app.state.csrf_key
        return hmac.new(key.encode(), f"link:{link}".encode(), hashlib.sha256).hexdigest()
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def csrf_field(request: Request) -> str:
    """A hidden input for a form (HTML, already escaped)."""
    return f'<input type="hidden" name="{FIELD}" value="{escape(csrf_token(request))}">'


async def verify_csrf(request: Request) -> None:
    """Dependency of every form router: a POST without the right token is refused (403)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    sent = form.get(FIELD)
    if not isinstance(sent, str) or not sent:
        sent = request.headers.get("x-csrf-token", "")
    link = _link_token(request)
    if link is None and not request.session.get(SESSION_KEY):
        raise HTTPException(403, "Jeton de sécurité absent : rechargez la page et recommencez.")
    if not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise HTTPException(403, "Jeton de sécurité invalide : rechargez la page et recommencez.")
