"""What each tenant keeps stored, one row per item, in the job store's database.

The stored-bytes quotas (``core.quotas``) need a tenant's total at every upload
and job. Walking the upload folder and the artifacts for it costs a read per
item ever kept and grows with every tenant's use; instead each store records
what it adds and removes here (``uploads/<id>/``, ``jobs/<id>/inputs.json``, ...),
keyed by item so that recording twice or removing twice changes nothing, and a
tenant's total is one indexed ``SUM``. Every front process sees the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from honua.store.sql_engine import Database, translated

__all__ = ["SqlUsageLedger"]

metadata = sa.MetaData()
usage = sa.Table(
    "honua_usage", metadata,
    sa.Column("key", sa.String().with_variant(sa.String(collation="C"), "postgresql"),
              primary_key=True),
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Index("ix_honua_usage_tenant_key", "tenant", "key"),
)


class SqlUsageLedger:
    """``honua.types.UsageLedger`` in the database at ``url`` (creates its table)."""

    def __init__(self, url: str) -> None:
        self._database = Database(url, metadata, what="usage")
        self._engine = self._database.engine

    def __repr__(self) -> str:
        return f"SqlUsageLedger({self._database!r})"

    def add(self, key: str, tenant: str, size: int) -> None:
        with translated("record stored bytes"), self._database.write() as conn:
            conn.execute(sa.delete(usage).where(usage.c.key == key))
            conn.execute(sa.insert(usage).values(key=key, tenant=tenant, size=max(0, size)))

    def remove_prefix(self, prefix: str) -> None:
        with translated("forget stored bytes"), self._database.write() as conn:
            conn.execute(sa.delete(usage).where(usage.c.key.startswith(prefix, autoescape=True)))

    def total(self, tenant: str, prefix: str = "") -> int:
        query = sa.select(sa.func.coalesce(sa.func.sum(usage.c.size), 0)).where(
            usage.c.tenant == tenant)
        if prefix:
            query = query.where(usage.c.key.startswith(prefix, autoescape=True))
        with translated("count stored bytes"), self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def replace_prefix(self, prefix: str, items: Iterable[tuple[str, str, int]]) -> None:
        rows = [{"key": k, "tenant": t, "size": max(0, s)} for k, t, s in items]
        with translated("re-count stored bytes"), self._database.write() as conn:
            conn.execute(sa.delete(usage).where(usage.c.key.startswith(prefix, autoescape=True)))
            if rows:
                conn.execute(sa.insert(usage), rows)

    def close(self) -> None:
        self._engine.dispose()
