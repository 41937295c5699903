"""Signed links to a school's page: one school, one campaign, expiring, unforgeable."""

from __future__ import annotations

import base64
import datetime as dt
import stat

import pytest
from itsdangerous import TimestampSigner

from daemon.config import Settings
from daemon.school.links import (
    SALT,
    LinkInvalid,
    make_token,
    read_token,
    school_url,
    secret_key,
)

NOW = dt.datetime(2026, 9, 14, 8, tzinfo=dt.UTC)


def test_a_token_names_its_school_and_campaign() -> None:
    token = make_token("k", uai="0441234C", campaign="2026-2027", now=NOW)
    link = read_token("k", token, max_age_days=45, now=NOW + dt.timedelta(days=44))
    assert (link.uai, link.campaign) == ("0441234C", "2026-2027")


def test_an_expired_token_is_refused_as_expired() -> None:
    token = make_token("k", uai="0441234C", campaign="2026-2027", now=NOW)
    with pytest.raises(LinkInvalid) as info:
        read_token("k", token, max_age_days=45, now=NOW + dt.timedelta(days=46))
    assert info.value.expired


@pytest.mark.parametrize("change", ["key", "payload", "truncate"])
def test_a_forged_or_altered_token_is_refused(change: str) -> None:
    token = make_token("k", uai="0441234C", campaign="2026-2027", now=NOW)
    key = "other" if change == "key" else "k"
    if change == "payload":
        other = make_token("k", uai="0441235D", campaign="2026-2027", now=NOW)
        token = other.split(".")[0] + "." + ".".join(token.split(".")[1:])
    if change == "truncate":
        token = token[:-3]
    with pytest.raises(LinkInvalid) as info:
        read_token(key, token, max_age_days=45, now=NOW)
    assert not info.value.expired


def test_generated_key_is_kept_private_and_reused(tmp_path) -> None:
    settings = Settings(state_dir=str(tmp_path))
    key = secret_key(settings)
    assert secret_key(settings) == key and len(key) > 40
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    url = school_url(settings, uai="0441234C", campaign="2026-2027", now=NOW)
    assert url.startswith("http://127.0.0.1:8000/ecole/")


def test_configured_key_wins(tmp_path) -> None:
    settings = Settings(state_dir=str(tmp_path), web={"secret_key": "configured"})
    assert secret_key(settings) == "configured"
    assert not (tmp_path / "secret_key").exists()


def test_a_token_carries_the_school_link_version_and_older_tokens_read_as_version_1() -> None:
    token = make_token("k", uai="0441234C", campaign="2026-2027", now=NOW, version=3)
    assert read_token("k", token, max_age_days=45, now=NOW).version == 3
    payload = base64.urlsafe_b64encode(b'{"u":"0441234C","c":"2026-2027"}')
    before_versions = TimestampSigner("k", salt=SALT).sign(payload).decode()
    assert (
        read_token("k", before_versions, max_age_days=45, now=dt.datetime.now(dt.UTC)).version == 1
    )
