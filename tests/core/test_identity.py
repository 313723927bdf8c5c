"""Principals, API key and password hashing, durations."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from honua.core.identity import (
    ANONYMOUS,
    ApiKey,
    Principal,
    check_name,
    hash_key,
    hash_password,
    new_key,
    parse_duration,
    verify_password,
)
from honua.settings import Settings

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_principal_is_admin_by_any_configured_role():
    analyst = Principal("user:a", "t", frozenset({"analyst"}), "user")
    assert not analyst.is_admin(Settings())
    assert Principal("user:b", "t", frozenset({"analyst", "admin"}), "user").is_admin(Settings())
    assert analyst.is_admin(Settings(admin_roles=("ops", "analyst")))
    assert not ANONYMOUS.is_admin(Settings()) and ANONYMOUS.anonymous


def test_principal_refuses_an_unknown_kind_and_freezes_roles():
    with pytest.raises(ValueError, match="kind"):
        Principal("x", "t", frozenset(), "root")
    assert Principal("x", "t", {"a"}, "key").roles == frozenset({"a"})  # type: ignore[arg-type]


def test_new_keys_are_random_and_stored_only_as_their_sha256():
    first, second = new_key(), new_key()
    assert first != second and first.startswith("hk_") and len(first) >= 40
    assert len(hash_key(first)) == 64 and first not in hash_key(first)
    assert hash_key(first) == hash_key(first) != hash_key(second)


def test_api_key_is_usable_until_it_expires_or_is_revoked():
    key = ApiKey("ci", "d", "t", frozenset(), NOW, expires=NOW + dt.timedelta(days=1))
    assert key.usable(NOW) and not key.usable(NOW + dt.timedelta(days=1))
    assert not ApiKey("ci", "d", "t", frozenset(), NOW, revoked=True).usable(NOW)
    assert key.principal() == Principal("key:ci", "t", frozenset(), "key")


def test_password_hash_is_salted_scrypt_and_verifies_only_the_password():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$32768$8$1$") and first != second
    assert verify_password("correct horse", first) and verify_password("correct horse", second)
    assert not verify_password("correct horsE", first)
    assert not verify_password("correct horse", first.replace("scrypt", "md5"))
    assert not verify_password("x", "garbage")


def test_verify_password_of_an_unknown_user_costs_as_much_as_a_wrong_one():
    stored = hash_password("pw")
    started = time.perf_counter()
    verify_password("nope", stored)
    wrong = time.perf_counter() - started
    started = time.perf_counter()
    assert not verify_password("nope", None)
    missing = time.perf_counter() - started
    assert missing > wrong / 3  # the dummy hash is a real scrypt run, not a shortcut


@pytest.mark.parametrize(("text", "seconds"), [
    ("30d", 30 * 86400), ("12h", 43200), ("90m", 5400), ("2w", 14 * 86400), ("45s", 45),
    ("7", 7 * 86400),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "-1d", "1y", "9999999d"])
def test_parse_duration_refuses_what_is_not_a_duration(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("name", ["", "a b", "../x", "-lead", "x" * 129, "é"])
def test_check_name_refuses_unusable_names(name):
    with pytest.raises(ValueError, match="not a valid name"):
        check_name(name, "key name")
