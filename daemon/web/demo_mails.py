"""The demo's mail box (`make run`): the mails relance sent to the local catcher, listed for a
signed-in coordinator. Only there when `web.demo_mail_dir` is set (never in production).

A mail is shown as it was received: its headers (with the Cc), its text with long lines wrapped
and its links clickable, and its HTML version in a sandboxed frame (no script, no request out).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from daemon.demo.mailcatcher import get_mail, list_mails
from daemon.web.auth import require_coordinator
from daemon.web.common import relance_app
from daemon.web.render import render

router = APIRouter(
    prefix="/demo/courriels", dependencies=[Depends(require_coordinator)], include_in_schema=False
)
# The HTML version is shown framed by the mail's page only: its own styles, nothing else.
HTML_PART_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; "
        "frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)»]")


def linkify(text: str) -> Markup:
    """The text escaped, its web addresses made links."""
    parts, last = [], 0
    for found in _URL.finditer(text):
        url = found.group(0)
        parts += [escape(text[last : found.start()]), Markup('<a href="{0}">{0}</a>').format(url)]
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _folder(request: Request) -> Path:
    folder = relance_app(request).settings.web.demo_mail_dir
    if not folder:
        raise HTTPException(404)
    return Path(folder)


def _mail(request: Request, key: str) -> dict[str, Any]:
    mail = get_mail(_folder(request), key)
    if mail is None:
        raise HTTPException(404)
    return mail


@router.get("", response_class=HTMLResponse)
def mails(request: Request) -> HTMLResponse:
    items = list_mails(_folder(request), limit=300)
    return render(request, "demo_mails.html", {"title": "Courriels de la démo", "mails": items})


@router.get("/{key}", response_class=HTMLResponse)
def one_mail(request: Request, key: str) -> HTMLResponse:
    mail = _mail(request, key)
    context = {"title": mail["subject"], "mail": mail, "text": linkify(mail["text"])}
    return render(request, "demo_mail.html", context)


@router.get("/{key}/html", response_class=HTMLResponse)
def html_part(request: Request, key: str) -> HTMLResponse:
    """The mail's HTML version, as sent, for the frame of its page."""
    mail = _mail(request, key)
    if not mail["html"]:
        raise HTTPException(404)
    return HTMLResponse(_links_open_on_top(mail["html"]), headers=HTML_PART_HEADERS)


def _links_open_on_top(html: str) -> str:
    """A link of the mail, clicked, opens in the page itself (not in the frame)."""
    base = '<base target="_top">'
    head = re.search(r"<head[^>]*>", html, re.IGNORECASE)
    return html[: head.end()] + base + html[head.end() :] if head else base + html
