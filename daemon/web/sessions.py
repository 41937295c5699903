"""Coordinators' sessions, kept on the server.

The signed cookie holds a random token; the `login_session` row holds its SHA-256 and is read
on every request. Signing out ends the row, « fermer toutes mes sessions » ends every row of
the account, and disabling the account ends them too: a copy of the cookie left in a browser,
a proxy or a backup opens nothing afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from db.models import LoginSession, User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, *, user_id: int, now: dt.datetime, hours: int) -> str:
    """A new session for the user; returns the token for the cookie (never stored as such).
    Sessions ended or expired for a day are forgotten on the way."""
    session.execute(
        delete(LoginSession).where(
            or_(
                col(LoginSession.ended_at) < now - dt.timedelta(days=1),
                col(LoginSession.expires_at) < now - dt.timedelta(days=1),
            )
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user_id=user_id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    return token


def session_user(session: Session, *, token: str, now: dt.datetime) -> User | None:
    """The active user of a live session, else None (ended, expired, unknown, disabled)."""
    row = session.exec(
        select(User)
        .join(LoginSession, col(LoginSession.user_id) == col(User.id))
        .where(
            LoginSession.token_hash == _hash(token),
            col(LoginSession.ended_at).is_(None),
            col(LoginSession.expires_at) > now,
            col(User.active).is_(True),
        )
    ).first()
    return row


def end_session(session: Session, *, token: str, now: dt.datetime) -> None:
    session.execute(
        update(LoginSession)
        .where(col(LoginSession.token_hash) == _hash(token), col(LoginSession.ended_at).is_(None))
        .values(ended_at=now)
    )


def end_all_sessions(session: Session, *, user_id: int, now: dt.datetime) -> int:
    """End every live session of the account; returns how many were."""
    result = session.execute(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user_id, col(LoginSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
