"""Outputs registered as layers, kept as PostGIS tables (``postgis_catalog_url``).

Each registered layer is a table ``honua_registered."<collection id>"`` (a
``honua_fid`` key, the output's fields, a ``geom`` column) and a row of
``honua_registered.layers`` (title, owner, tenant, created, expires): the same
time-to-live and ownership rules as the file catalog's GeoPackages. Every front
process reads the records from the database, so all see the same layers. Rows
are written with COPY (geometry as EWKB), in one transaction with the record: a
layer is there whole or not at all.

A tier-2 result registered in the same database never passes through Python:
``write_select`` makes the table with ``CREATE TABLE ... AS`` the process's own
statement (``executors.postgis``), on the tier's connection, under its timeout
and cancel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import orjson
import shapely
from psycopg import sql
from pyproj import CRS

from honua.geo.crs import crs84
from honua.geo.features import FeatureCollection, Field
from honua.store.pg_pools import Pools

__all__ = ["SCHEMA", "RegisteredTables", "srid_of"]

SCHEMA = "honua_registered"
def srid_of(crs: CRS | None) -> int:
    """The PostGIS SRID of a CRS: CRS84 (lon/lat, how layers in SRID 4326 are served) is
    4326; a CRS without an EPSG code is 0."""
    if crs is None:
        return 0
    return 4326 if crs == crs84() else crs.to_epsg() or 0


_TYPES = {"integer": "bigint", "double": "double precision", "boolean": "boolean"}


class RegisteredTables:
    """Writes and lists registered layers in one database (see the module docstring)."""

    def __init__(self, url: str, pools: Pools) -> None:
        self.url = url
        self.pools = pools
        self._ready = False

    def _prepare(self, conn: Any) -> None:
        if self._ready:
            return
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, title text, description text, "
            "owner text, tenant text, created timestamptz, expires timestamptz)").format(
            sql.Identifier(SCHEMA, "layers")))
        self._ready = True

    def records(self) -> list[dict[str, Any]]:
        with self.pools.connection(self.url) as conn, conn.transaction():
            self._prepare(conn)
            cursor = conn.execute(sql.SQL(
                "SELECT id, title, description, owner, tenant, created, expires FROM {}").format(
                sql.Identifier(SCHEMA, "layers")))
            names = [d.name for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def write(self, collection_id: str, chunks: Iterable[FeatureCollection], *, title: str,
              description: str, owner: str, tenant: str, created: dt.datetime,
              expires: dt.datetime | None) -> None:
        """Create (or replace) the table and its record, in one transaction."""
        table = sql.Identifier(SCHEMA, collection_id)
        with self.pools.connection(self.url) as conn, conn.transaction():
            self._prepare(conn)
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
            fields: tuple[Field, ...] | None = None
            for chunk in chunks:
                if fields is None:
                    fields = chunk.fields
                    self._create(conn, table, fields)
                self._copy(conn, table, chunk, fields)
            if fields is None:
                self._create(conn, table, ())
            conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(table))
            self._record(conn, collection_id, title, description, owner, tenant, created,
                         expires)

    def write_select(self, conn: Any, collection_id: str, select: sql.Composable,
                     params: tuple[Any, ...], fields: tuple[Field, ...], srid: int, *,
                     title: str, description: str, owner: str, tenant: str,
                     created: dt.datetime, expires: dt.datetime | None) -> None:
        """Create (or replace) the table from ``select`` — rows of (id, WKB geometry, the
        ``fields`` in order), as a tier-2 statement gives them — and its record, in the
        caller's transaction on ``conn`` (a connection to this database)."""
        table = sql.Identifier(SCHEMA, collection_id)
        self._prepare(conn)
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        aliases = [sql.Identifier(f"c{i}") for i in range(2 + len(fields))]
        columns = [sql.SQL("q.{}::{} AS {}").format(aliases[2 + i], sql.SQL(
            _TYPES.get(f.type, "text")), sql.Identifier(f.name)) for i, f in enumerate(fields)]
        conn.execute(sql.SQL(
            "CREATE TABLE {table} AS SELECT (row_number() OVER ())::bigint AS honua_fid{cols}, "
            "ST_SetSRID(ST_GeomFromWKB(q.c1), %s) AS geom FROM ({select}) AS q ({aliases})"
        ).format(table=table, cols=sql.SQL("").join([sql.SQL(", {}").format(c) for c in columns]),
                 select=select, aliases=sql.SQL(", ").join(aliases)), (srid, *params))
        conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (honua_fid)").format(table))
        conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(table))
        self._record(conn, collection_id, title, description, owner, tenant, created, expires)

    @staticmethod
    def _record(conn: Any, collection_id: str, title: str, description: str, owner: str,
                tenant: str, created: dt.datetime, expires: dt.datetime | None) -> None:
        conn.execute(sql.SQL(
            "INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE "
            "SET title = EXCLUDED.title, description = EXCLUDED.description, owner = "
            "EXCLUDED.owner, tenant = EXCLUDED.tenant, created = EXCLUDED.created, "
            "expires = EXCLUDED.expires").format(sql.Identifier(SCHEMA, "layers")),
            (collection_id, title, description, owner, tenant, created, expires))

    @staticmethod
    def _create(conn: Any, table: sql.Composable, fields: tuple[Field, ...]) -> None:
        columns = [sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(
            _TYPES.get(f.type, "text"))) for f in fields]
        conn.execute(sql.SQL("CREATE TABLE {} (honua_fid bigserial PRIMARY KEY{}, geom geometry)"
                             ).format(table, sql.SQL("").join(
                                 [sql.SQL(", {}").format(c) for c in columns])))

    @staticmethod
    def _copy(conn: Any, table: sql.Composable, chunk: FeatureCollection,
              fields: tuple[Field, ...]) -> None:
        srid = srid_of(chunk.crs)
        wkb = shapely.to_wkb(chunk.geometry, hex=True, include_srid=False)
        names = sql.SQL(", ").join([*[sql.Identifier(f.name) for f in fields],
                                    sql.Identifier("geom")])
        with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, names)) as copy:
            for i in range(len(chunk)):
                values = []
                for f in fields:
                    value = chunk.columns[f.name][i]
                    if f.type == "json" and value is not None:
                        value = orjson.dumps(value).decode()
                    values.append(value)
                geometry = wkb[i]
                values.append(f"SRID={srid};{geometry}" if geometry is not None else None)
                copy.write_row(values)

    def drop(self, collection_id: str) -> None:
        with self.pools.connection(self.url) as conn, conn.transaction():
            self._prepare(conn)
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(
                sql.Identifier(SCHEMA, collection_id)))
            conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(
                sql.Identifier(SCHEMA, "layers")), (collection_id,))
