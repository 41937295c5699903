"""Director pages, reached by the signed link of the mails (`/ecole/<token>`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from daemon.web.csrf import verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
