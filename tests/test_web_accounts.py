"""Coordinator accounts: argon2 hashes, unique addresses, authentication."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from daemon.web.accounts import AccountError, add_user, authenticate, set_user_active
from tests.conftest import CHEAP_HASHER, NOW

PASSWORD = "un-mot-de-passe-long"


def test_a_password_is_stored_as_an_argon2_hash(session: Session) -> None:
    user = add_user(session, email=" Camille@Example.org ", password=PASSWORD, now=NOW)
    assert user.email == "camille@example.org"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


@pytest.mark.real_password_hashing
def test_passwords_are_hashed_with_argon2s_default_cost_and_cheaper_hashes_are_upgraded(
    session: Session,
) -> None:
    """Production hashes cost argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes); a hash stored
    with other parameters (the tests' cheapest ones) is rehashed at the next sign-in."""
    user = add_user(session, email="camille@example.org", password=PASSWORD, now=NOW)
    assert "$m=65536,t=3,p=4$" in user.password_hash
    user.password_hash = CHEAP_HASHER.hash(PASSWORD)
    assert authenticate(session, email="camille@example.org", password=PASSWORD, now=NOW)
    assert "$m=65536,t=3,p=4$" in user.password_hash


def test_tests_hash_passwords_with_argon2s_cheapest_parameters(session: Session) -> None:
    """The autouse fixture of tests/conftest.py, without which each sign-in costs 0.7 s of CPU."""
    user = add_user(session, email="camille@example.org", password=PASSWORD, now=NOW)
    assert "$m=8,t=1,p=1$" in user.password_hash
    assert authenticate(session, email="camille@example.org", password=PASSWORD, now=NOW)


def test_authentication_checks_password_and_active_flag(session: Session) -> None:
    add_user(session, email="camille@example.org", password=PASSWORD, now=NOW)
    assert authenticate(session, email="CAMILLE@example.org", password=PASSWORD, now=NOW)
    assert authenticate(session, email="camille@example.org", password="faux", now=NOW) is None
    assert authenticate(session, email="inconnu@example.org", password=PASSWORD, now=NOW) is None
    set_user_active(session, email="camille@example.org", active=False, now=NOW)
    assert authenticate(session, email="camille@example.org", password=PASSWORD, now=NOW) is None


def test_weak_passwords_duplicates_and_bad_addresses_are_refused(session: Session) -> None:
    with pytest.raises(AccountError, match="trop court"):
        add_user(session, email="a@example.org", password="court", now=NOW)
    with pytest.raises(AccountError, match="invalide"):
        add_user(session, email="pas-une-adresse", password=PASSWORD, now=NOW)
    add_user(session, email="a@example.org", password=PASSWORD, now=NOW)
    with pytest.raises(AccountError, match="existe déjà"):
        add_user(session, email="A@example.org", password=PASSWORD, now=NOW)
