"""Signed links to a school's page: scoped to one school and one campaign, expiring,
revocable.

The mail carries `/ecole/<token>`; the page verifies the token and shows only that school.
A link never acts by itself: every change is a POST from the page (design note 8). The token
carries the school's link version (`School.link_version`): raising it (a new director address,
« renouveler le lien ») revokes every link sent before; the next mail carries a new one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, TimestampSigner
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes

from daemon.config import Settings

SALT = "relance.school-link.v1"
KEY_FILE = "secret_key"


class LinkInvalid(Exception):
    """The link is forged, altered, for another use, or expired; `expired` tells which."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class SchoolLink:
    uai: str
    campaign: str
    version: int = 1  # the school's link version when signed (links before versions: 1)


def secret_key(settings: Settings) -> str:
    """The configured key, else one generated once and kept in the state folder (mode 600)."""
    if settings.web.secret_key:
        return settings.web.secret_key
    path = settings.state_path / KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        with open(path, "x", encoding="utf-8", opener=_private_opener) as handle:
            handle.write(key)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    return key


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


class _DatedSigner(TimestampSigner):
    """A timestamp signer that signs with the `now` it is given, not the machine's clock."""

    def __init__(self, key: str) -> None:
        super().__init__(key, salt=SALT)
        self._key = self.derive_key()  # derived once, not for every link

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is None and hasattr(self, "_key"):
            return self._key
        return super().derive_key(secret_key)

    def sign_at(self, value: bytes, now: dt.datetime) -> bytes:
        """`sign`, dated `now` (what `TimestampSigner.sign` does with the machine's clock)."""
        timestamp = base64_encode(int_to_bytes(int(now.timestamp())))
        sep = want_bytes(self.sep)
        value = value + sep + timestamp
        return value + sep + self.get_signature(value)


@lru_cache(maxsize=8)
def _signer(key: str) -> _DatedSigner:
    """One signer per key (signing many links, such as a sweep's, derives the key once)."""
    return _DatedSigner(key)


def make_token(key: str, *, uai: str, campaign: str, now: dt.datetime, version: int = 1) -> str:
    """A token for one school and campaign at its link `version`, dated `now` (expiry is
    checked when read)."""
    payload = json.dumps({"u": uai, "c": campaign, "v": version}, separators=(",", ":")).encode()
    return _signer(key).sign_at(base64.urlsafe_b64encode(payload), now).decode("ascii")


def read_token(key: str, token: str, *, max_age_days: int, now: dt.datetime) -> SchoolLink:
    """The school and campaign of a valid token; LinkInvalid otherwise (message in French)."""
    try:
        payload, signed_at = _signer(key).unsign(token, return_timestamp=True)
    except BadSignature as exc:
        raise LinkInvalid("lien invalide ou modifié") from exc
    age = now - signed_at
    if age > dt.timedelta(days=max_age_days):
        raise LinkInvalid("lien expiré : utilisez celui du dernier message reçu", expired=True)
    if age < -dt.timedelta(minutes=5):
        raise LinkInvalid("lien invalide (daté dans le futur)")
    try:
        data = json.loads(base64.urlsafe_b64decode(payload))
        return SchoolLink(
            uai=str(data["u"]), campaign=str(data["c"]), version=int(data.get("v", 1))
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise LinkInvalid("lien invalide") from exc


def school_url(
    settings: Settings, *, uai: str, campaign: str, now: dt.datetime, version: int = 1
) -> str:
    token = make_token(secret_key(settings), uai=uai, campaign=campaign, now=now, version=version)
    return f"{settings.web.base_url.rstrip('/')}/ecole/{token}"


def link_maker(settings: Settings) -> Callable[[str, str, int, dt.datetime], str]:
    """What signs a director's link when a mail leaves (the sender has no access to the key
    otherwise): `(uai, campaign, version, now) -> url`."""

    def make(uai: str, campaign: str, version: int, now: dt.datetime) -> str:
        return school_url(settings, uai=uai, campaign=campaign, now=now, version=version)

    return make
