"""Coordinator accounts: created from the command line, passwords hashed with argon2."""

from __future__ import annotations

import contextlib
import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, func, select

from daemon.web.sessions import end_all_sessions
from db.events import record_event
from db.models import User
from db.states import EventKind

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so that a wrong address costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("relance-dummy-password")


class AccountError(ValueError):
    """The account cannot be created or changed; the message is French."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def get_user(session: Session, email: str) -> User | None:
    email = normalise_email(email)
    return session.exec(select(User).where(func.lower(col(User.email)) == email)).first()


def add_user(
    session: Session, *, email: str, password: str, name: str = "", now: dt.datetime
) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(f"adresse e-mail invalide : {email!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop court (au moins {MIN_PASSWORD_LENGTH} caractères)")
    if get_user(session, email) is not None:
        raise AccountError(f"le compte {email} existe déjà")
    user = User(
        email=email, name=name.strip()[:200], password_hash=hash_password(password), created_at=now
    )
    session.add(user)
    record_event(session, at=now, kind=EventKind.USER_ADDED, message=f"Compte créé : {email}")
    session.flush()
    return user


def set_user_active(session: Session, *, email: str, active: bool, now: dt.datetime) -> User:
    user = get_user(session, email)
    if user is None:
        raise AccountError(f"aucun compte {normalise_email(email)}")
    user.active = active
    if not active and user.id is not None:
        end_all_sessions(session, user_id=user.id, now=now)  # signed out everywhere, at once
    record_event(
        session,
        at=now,
        kind=EventKind.USER_ENABLED if active else EventKind.USER_DISABLED,
        message=f"Compte {'réactivé' if active else 'désactivé'} : {user.email}",
    )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.email))))


def check_password(session: Session, *, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (same cost either way).
    Reads only: the caller records the login (`record_login`) in a short transaction."""
    user = get_user(session, email)
    if user is None or not user.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user


def record_login(session: Session, *, user_id: int, password: str, now: dt.datetime) -> None:
    user = session.get(User, user_id)
    if user is None:
        return
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now


def authenticate(session: Session, *, email: str, password: str, now: dt.datetime) -> User | None:
    """Check the password and record the login in the caller's session."""
    user = check_password(session, email=email, password=password)
    if user is not None and user.id is not None:
        record_login(session, user_id=user.id, password=password, now=now)
    return user
