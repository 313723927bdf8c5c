"""API keys, built-in users and server secrets in the job store's database.

Three small tables next to the job tables (same URL, SQLite or PostgreSQL), so
that every front process and the CLI see the same identities. Keys are stored
by the SHA-256 of the key (unique index: a lookup by digest is one probe) and
never in clear; users by name with their scrypt hash. A secret is inserted
once by whichever process asks first (a conflicting insert is ignored), and
then read back, so all processes sign ArcGIS tokens with the same key.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from honua.core.identity import ApiKey, User
from honua.errors import NotFound
from honua.store.sql_engine import Database, translated
from honua.store.sql_schema import UtcDateTime

__all__ = ["SqlIdentityStore"]

_NAME = sa.String().with_variant(sa.String(collation="C"), "postgresql")

metadata = sa.MetaData()

api_keys = sa.Table(
    "honua_api_keys", metadata,
    sa.Column("name", _NAME, primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("tenant", sa.String(), nullable=False, default=""),
    sa.Column("roles", sa.Text(), nullable=False, default=""),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("expires", UtcDateTime()),
    sa.Column("revoked", sa.Boolean(), nullable=False, default=False),
)

users = sa.Table(
    "honua_users", metadata,
    sa.Column("name", _NAME, primary_key=True),
    sa.Column("tenant", sa.String(), nullable=False, default=""),
    sa.Column("roles", sa.Text(), nullable=False, default=""),
    sa.Column("password_hash", sa.Text(), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
)

server_secrets = sa.Table(
    "honua_secrets", metadata,
    sa.Column("name", _NAME, primary_key=True),
    sa.Column("value", sa.LargeBinary(), nullable=False),
)


def _roles_text(roles: frozenset[str]) -> str:
    return " ".join(sorted(roles))


def _roles(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _key(row: Mapping[Any, Any]) -> ApiKey:  # a RowMapping: keys are names or columns
    return ApiKey(name=row["name"], digest=row["digest"], tenant=row["tenant"],
                  roles=_roles(row["roles"]), created=row["created"], expires=row["expires"],
                  revoked=bool(row["revoked"]))


def _user(row: Mapping[Any, Any]) -> User:  # a RowMapping, as above
    return User(name=row["name"], tenant=row["tenant"], roles=_roles(row["roles"]),
                password_hash=row["password_hash"], created=row["created"])


class SqlIdentityStore:
    """``honua.types.IdentityStore`` on the database at ``url``; creates its tables."""

    def __init__(self, url: str) -> None:
        self._database = Database(url, metadata, what="identity")
        self._engine = self._database.engine
        self._write = self._database.write

    def __repr__(self) -> str:
        return f"SqlIdentityStore({self._database!r})"

    # -- keys ---------------------------------------------------------------------------------
    def add_key(self, key: ApiKey) -> None:
        row = {"name": key.name, "digest": key.digest, "tenant": key.tenant,
               "roles": _roles_text(key.roles), "created": key.created, "expires": key.expires,
               "revoked": key.revoked}
        with translated(f"store API key {key.name}", conflict=f"an API key named {key.name!r} "
                        "already exists"), self._write() as conn:
            conn.execute(sa.insert(api_keys).values(row))

    def _one_key(self, condition: sa.ColumnElement[bool]) -> ApiKey | None:
        with translated("read an API key"), self._engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(condition)).mappings().first()
        return None if row is None else _key(row)

    def key(self, name: str) -> ApiKey | None:
        return self._one_key(api_keys.c.name == name)

    def key_by_digest(self, digest: str) -> ApiKey | None:
        return self._one_key(api_keys.c.digest == digest)

    def all_keys(self) -> list[ApiKey]:
        with translated("list API keys"), self._engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.name)).mappings().all()
        return [_key(row) for row in rows]

    def revoke_key(self, name: str) -> ApiKey:
        statement = (sa.update(api_keys).where(api_keys.c.name == name).values(revoked=True)
                     .returning(*api_keys.c))
        with translated(f"revoke API key {name}"), self._write() as conn:
            row = conn.execute(statement).mappings().first()
        if row is None:
            raise NotFound(f"there is no API key named {name!r} (see 'honua keys list')")
        return _key(row)

    # -- users --------------------------------------------------------------------------------
    def add_user(self, user: User, *, replace: bool = False) -> None:
        row = {"name": user.name, "tenant": user.tenant, "roles": _roles_text(user.roles),
               "password_hash": user.password_hash, "created": user.created}
        with translated(f"store user {user.name}", conflict=f"a user named {user.name!r} "
                        "already exists"), self._write() as conn:
            if replace:
                conn.execute(sa.delete(users).where(users.c.name == user.name))
            conn.execute(sa.insert(users).values(row))

    def user(self, name: str) -> User | None:
        with translated(f"read user {name}"), self._engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).mappings().first()
        return None if row is None else _user(row)

    def all_users(self) -> list[User]:
        with translated("list users"), self._engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.name)).mappings().all()
        return [_user(row) for row in rows]

    def has_identities(self) -> bool:
        query = sa.select(sa.or_(sa.exists().select_from(api_keys),
                                 sa.exists().select_from(users)))
        with translated("look for API keys and users"), self._engine.connect() as conn:
            return bool(conn.execute(query).scalar())

    # -- secrets ------------------------------------------------------------------------------
    def secret(self, name: str) -> bytes:
        value = {"name": name, "value": secrets.token_bytes(32)}
        insert: Any = (postgresql.insert(server_secrets) if self._engine.dialect.name ==
                       "postgresql" else sqlite.insert(server_secrets))
        with translated(f"read the server secret {name}"), self._write() as conn:
            conn.execute(insert.values(value).on_conflict_do_nothing(index_elements=["name"]))
            stored = conn.execute(sa.select(server_secrets.c.value)
                                  .where(server_secrets.c.name == name)).scalar_one()
        return bytes(stored)

    def close(self) -> None:
        self._engine.dispose()
