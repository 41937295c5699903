"""Coordinator pages (sign-in required): dashboard, school table, school page, quarantine."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from daemon.web.auth import Coordinator, require_coordinator
from daemon.web.csrf import verify_csrf
from daemon.web.render import render

router = APIRouter(
    dependencies=[Depends(require_coordinator), Depends(verify_csrf)], include_in_schema=False
)


@router.get("/")
def dashboard(request: Request, user: Coordinator) -> Response:
    return render(request, "dashboard.html", {"title": "Tableau de bord"})
