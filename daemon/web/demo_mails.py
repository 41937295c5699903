"""The demo's mail box (`make run`): the mails relance sent to the local catcher, listed for a
signed-in coordinator. Only there when `web.demo_mail_dir` is set (never in production)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from daemon.demo.mailcatcher import list_mails
from daemon.web.auth import require_coordinator
from daemon.web.common import relance_app
from daemon.web.render import render

router = APIRouter(
    prefix="/demo/courriels", dependencies=[Depends(require_coordinator)], include_in_schema=False
)


def _folder(request: Request) -> Path:
    folder = relance_app(request).settings.web.demo_mail_dir
    if not folder:
        raise HTTPException(404)
    return Path(folder)


@router.get("", response_class=HTMLResponse)
def mails(request: Request) -> HTMLResponse:
    items = list_mails(_folder(request), limit=300)
    return render(request, "demo_mails.html", {"title": "Courriels de la démo", "mails": items})


@router.get("/{key}", response_class=HTMLResponse)
def one_mail(request: Request, key: str) -> HTMLResponse:
    for item in list_mails(_folder(request), limit=10_000):
        if item["key"] == key:
            return render(request, "demo_mail.html", {"title": item["subject"], "mail": item})
    raise HTTPException(404)
