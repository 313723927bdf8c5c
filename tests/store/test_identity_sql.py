"""The identity store on SQLite and PostgreSQL (and the in-memory one), answering alike."""

from __future__ import annotations

import datetime as dt

import pytest

from honua.core.identity import ApiKey, User
from honua.errors import Conflict, NotFound
from honua.store import MemoryIdentityStore, SqlIdentityStore
from tests.support import postgres

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def opened(request, tmp_path):
    """A factory of stores on one database: two calls are two front processes."""
    if request.param == "memory":
        shared = MemoryIdentityStore()
        yield lambda: shared
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'honua.db'}"
        stores = []
        yield lambda: stores.append(SqlIdentityStore(url)) or stores[-1]
        for store in stores:
            store.close()
        return
    with postgres.fresh_database() as name:
        stores = []
        yield lambda: stores.append(SqlIdentityStore(postgres.url(name))) or stores[-1]
        for store in stores:
            store.close()


def test_identity_store_keys_lifecycle(opened):
    store = opened()
    assert not store.has_identities()
    key = ApiKey("ci", "d" * 64, "acme", frozenset({"a", "b"}), NOW, NOW + dt.timedelta(days=1))
    store.add_key(key)
    assert store.has_identities()
    assert store.key("ci") == key and store.key_by_digest("d" * 64) == key
    with pytest.raises(Conflict):
        store.add_key(key)
    assert store.revoke_key("ci").revoked and opened().key("ci").revoked
    with pytest.raises(NotFound):
        store.revoke_key("nope")
    assert [k.name for k in store.all_keys()] == ["ci"] and store.key("x") is None


def test_identity_store_users(opened):
    store = opened()
    user = User("alice", "acme", frozenset({"admin"}), "scrypt$hash", NOW)
    store.add_user(user)
    assert opened().user("alice") == user and opened().has_identities()
    with pytest.raises(Conflict):
        store.add_user(user)
    store.add_user(User("alice", "other", frozenset(), "scrypt$new", NOW), replace=True)
    assert store.user("alice").tenant == "other" and store.user("bob") is None
    assert [u.name for u in store.all_users()] == ["alice"]


def test_identity_store_secret_is_made_once_for_every_process(opened):
    first, second = opened(), opened()
    secret = first.secret("arcgis-token")
    assert len(secret) == 32 and second.secret("arcgis-token") == secret
    assert first.secret("other") != secret
