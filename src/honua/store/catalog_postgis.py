"""The catalog of layers held in PostGIS: ``honua.types.Catalog`` over psycopg 3.

A layer is a table or view (``table = "schema.name"``) or a read-only query
(``sql = "SELECT ..."``) of a database (``url = "postgresql://..."``), with an
optional ``geometry_column`` (default: the first geometry column) and
``id_column`` (default: the table's one-column primary key). The count and extent
of a table are read when the catalog opens; a query's are not (it may be costly:
counts are made when asked, and no extent is advertised). Every read runs in a
READ ONLY transaction under a statement timeout, on a pooled connection
(``store.pg_pools``). Names reach SQL only through ``psycopg.sql.Identifier``;
filter values, bboxes and windows only as bound parameters
(``store.catalog_pgfilter``). Chunks stream from a server-side cursor.

``layer_source`` hands the same checked query to the tier-2 executor, which
runs its one SQL statement over it (``executors.postgis``).
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import decimal
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg import sql
from pyproj import CRS

from honua.core.catalog import GEOMETRY_NAMES, FeatureQuery, LayerInfo, NoSuchLayer, check_layer_id
from honua.core.tenancy import may_see
from honua.errors import Conflict, Forbidden, InvalidParameter, NotFound, NotSupported
from honua.geo.crs import crs84
from honua.geo.features import FeatureCollection, Field
from honua.geo.reproject import transform_bounds
from honua.store.catalog_pgfilter import where_clause
from honua.store.catalog_pgregistered import SCHEMA, RegisteredTables, srid_of
from honua.store.pg_pools import Pools, PoolUnavailable, read_only

__all__ = ["LayerSource", "PostGISCatalog", "is_postgis_spec"]

log = logging.getLogger(__name__)

GEOMETRY_ALIAS = "__honua_geometry"
ID_ALIAS = "__honua_id"
_RETRY_SECONDS = 10.0

_TYPES = {"int2": "integer", "int4": "integer", "int8": "integer", "oid": "integer",
          "float4": "double", "float8": "double", "numeric": "double", "bool": "boolean",
          "text": "string", "varchar": "string", "bpchar": "string", "name": "string",
          "uuid": "string", "timestamp": "datetime", "timestamptz": "datetime", "date": "date",
          "json": "json", "jsonb": "json"}


def is_postgis_spec(spec: Mapping[str, Any]) -> bool:
    """Whether a ``[[honua.layers]]`` table names a PostGIS layer (it has a ``url``)."""
    return bool(spec.get("url"))


@dataclass(frozen=True)
class _Spec:
    id: str
    url: str
    relation: sql.Composable
    """``schema.table`` as identifiers, or the configured query as a subquery."""
    geometry_column: str | None
    id_column: str | None
    title: str
    description: str
    is_table: bool
    record: Mapping[str, Any] | None = None
    """A registered layer's owner, tenant, created, expires (``store.catalog_pgregistered``)."""


@dataclass(frozen=True)
class _Entry:
    spec: _Spec
    info: LayerInfo
    geometry_column: str
    id_column: str | None
    srid: int


@dataclass(frozen=True)
class LayerSource:
    """A layer reference's features as SQL: ``select`` yields ``__honua_id``, the geometry
    as ``__honua_geometry`` (SRID ``srid``) and the fields, with ``params`` bound."""

    url: str
    select: sql.Composed
    params: tuple[Any, ...]
    srid: int
    crs: CRS
    fields: tuple[Field, ...]
    geometry_type: str = "Unknown"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _relation(spec: Mapping[str, Any], layer_id: str) -> tuple[sql.Composable, bool]:
    table, query = spec.get("table"), spec.get("sql")
    if bool(table) == bool(query):
        raise InvalidParameter(f"PostGIS layer {layer_id!r} needs exactly one of table or sql")
    if table:
        schema, sep, name = str(table).partition(".")
        identifier = sql.Identifier(schema, name) if sep else sql.Identifier(schema)
        return identifier, True
    text = str(query).strip().rstrip(";")
    if ";" in text:
        raise InvalidParameter(f"PostGIS layer {layer_id!r}: sql must be one SELECT statement")
    # '%' of the configured text is not a placeholder: the layer's query takes no parameters
    subquery = sql.SQL(text.replace("%", "%%"))  # configuration, not a request
    return sql.SQL("({}) AS {}").format(subquery, sql.Identifier("honua_src")), False


def _plain(value: Any) -> Any:
    """A database value as the file catalog gives it (dates as ISO text, numbers as float)."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


class PostGISCatalog:
    """Layers from PostGIS (see the module docstring)."""

    def __init__(self, layers: Iterable[Mapping[str, Any]], pools: Pools, *,
                 statement_timeout: float = 30.0, chunk_size: int = 50000,
                 registered_url: str = "") -> None:
        self.pools = pools
        self.registered = RegisteredTables(registered_url, pools) if registered_url else None
        """Where outputs registered as layers are kept (``store.catalog_pgregistered``)."""
        self._records: dict[str, dict[str, Any]] = {}
        self._records_read = -1.0
        self.statement_timeout = statement_timeout
        self.chunk_size = chunk_size
        self._specs: dict[str, _Spec] = {}
        self._entries: dict[str, _Entry] = {}
        self._failed: dict[str, float] = {}
        self._lock = threading.RLock()
        for spec in layers:
            try:
                self._add(spec)
            except (InvalidParameter, ValueError) as exc:
                log.warning("PostGIS layer %r is not served: %s", spec.get("id"),
                            getattr(exc, "message", exc))

    def _add(self, spec: Mapping[str, Any]) -> None:
        layer_id = check_layer_id(str(spec.get("id") or ""))
        if layer_id in self._specs:
            raise InvalidParameter(f"two layers have the id {layer_id!r}")
        relation, is_table = _relation(spec, layer_id)
        self.pools.pool(str(spec["url"]))  # a malformed url is refused here, named
        self._specs[layer_id] = _Spec(
            layer_id, str(spec["url"]), relation, spec.get("geometry_column"),
            spec.get("id_column"), str(spec.get("title") or layer_id),
            str(spec.get("description", "")), is_table)
        self._entry_or_none(layer_id)

    # -- describing ------------------------------------------------------------------------------
    def _entry_or_none(self, layer_id: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(layer_id)
            if entry is not None:
                return entry
            if time.monotonic() < self._failed.get(layer_id, 0.0):
                return None
            try:
                entry = self._describe(self._specs[layer_id])
            except (psycopg.Error, PoolUnavailable, InvalidParameter) as exc:
                log.warning("PostGIS layer %r is not served for now: %s", layer_id,
                            getattr(exc, "message", exc))
                self._failed[layer_id] = time.monotonic() + _RETRY_SECONDS
                return None
            self._entries[layer_id] = entry
            return entry

    def _describe(self, spec: _Spec) -> _Entry:
        with self.pools.connection(spec.url) as conn, conn.transaction():
            read_only(conn, self.statement_timeout)
            cursor = conn.execute(sql.SQL("SELECT * FROM {} LIMIT 0").format(spec.relation))
            oids = [d.type_code for d in cursor.description or ()]
            names = [d.name for d in cursor.description or ()]
            type_names = dict(conn.execute("SELECT oid::bigint, typname FROM pg_type WHERE oid = "
                                           "ANY(%s)", (oids,)).fetchall())
            kinds = [type_names.get(o, "") for o in oids]
            geometries = [n for n, k in zip(names, kinds, strict=True) if k == "geometry"]
            geometry = spec.geometry_column or (geometries[0] if geometries else None)
            if geometry is None or geometry not in geometries:
                raise InvalidParameter(f"PostGIS layer {spec.id!r} has no geometry column "
                                       f"{geometry!r}" if geometry else
                                       f"PostGIS layer {spec.id!r} has no geometry column")
            id_column = spec.id_column or (self._primary_key(conn, spec) if spec.is_table
                                           else None)
            if id_column is not None and id_column not in names:
                raise InvalidParameter(f"PostGIS layer {spec.id!r} has no column {id_column!r}")
            fields = tuple(Field(n, _TYPES.get(k, "string"))
                           for n, k in zip(names, kinds, strict=True)
                           if k != "geometry" and n != id_column)
            g = sql.Identifier(geometry)
            row = conn.execute(sql.SQL(
                "SELECT ST_SRID({g}), GeometryType({g}) FROM {r} WHERE {g} IS NOT NULL LIMIT 1"
            ).format(g=g, r=spec.relation)).fetchone()
            srid, kind = row if row is not None else (None, None)
            srid = int(srid or 4326)
            count, extent = 0, None
            if spec.is_table:  # a configured query may be costly: counted when asked
                count = int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
                    spec.relation)).fetchone()[0])  # type: ignore[index]
                extent = self._extent(conn, spec.relation, g, srid)
        crs = crs84() if srid == 4326 else CRS.from_epsg(srid)
        info = LayerInfo(id=spec.id, title=spec.title, fields=fields,
                         geometry_type=_geometry_type(kind), crs=crs, extent=extent,
                         count=int(count), description=spec.description,
                         geometry_name=geometry if geometry not in GEOMETRY_NAMES else "geometry")
        if spec.record is not None:
            info = replace(info, registered=True, owner=spec.record["owner"] or "",
                           tenant=spec.record["tenant"] or "", created=spec.record["created"],
                           expires=spec.record["expires"])
        return _Entry(spec, info, geometry, id_column, srid)

    @staticmethod
    def _primary_key(conn: psycopg.Connection[Any], spec: _Spec) -> str | None:
        relation = spec.relation.as_string(conn)
        rows = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary",
            (relation,)).fetchall()
        return str(rows[0][0]) if len(rows) == 1 else None

    @staticmethod
    def _extent(conn: psycopg.Connection[Any], relation: sql.Composable, geometry: sql.Composable,
                srid: int) -> tuple[float, float, float, float] | None:
        row = conn.execute(sql.SQL(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent({g})::geometry AS e FROM {r}) AS x").format(
            g=geometry, r=relation)).fetchone()
        if row is None or row[0] is None:
            return None
        box = (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
        if srid == 4326:
            return box
        try:
            return transform_bounds(box, CRS.from_epsg(srid), crs84())
        except InvalidParameter:
            return None

    def _entry(self, collection_id: str) -> _Entry:
        self._sync()
        entry = self._entry_or_none(collection_id) if collection_id in self._specs else None
        if entry is None or not _visible(entry.info):  # another tenant's: as if unknown
            raise NoSuchLayer(f"there is no collection {collection_id!r}; GET /api/collections "
                              "lists the layers available")
        return entry

    def has(self, collection_id: str) -> bool:
        self._sync()
        return collection_id in self._specs

    # -- registered layers (``store.catalog_pgregistered``) ----------------------------------------
    def _sync(self, force: bool = False) -> None:
        """Follow the records of registered layers (another front process may write them)."""
        if self.registered is None or (not force and time.monotonic() - self._records_read < 1.0):
            return
        try:
            records = {r["id"]: r for r in self.registered.records()}
        except (psycopg.Error, PoolUnavailable) as exc:
            log.warning("the registered PostGIS layers cannot be read now: %s",
                        getattr(exc, "message", exc))
            self._records_read = time.monotonic()
            return
        with self._lock:
            for gone in set(self._records) - set(records):
                self._specs.pop(gone, None)
                self._entries.pop(gone, None)
            for layer_id, record in records.items():
                known = self._records.get(layer_id)
                if known != record:
                    self._entries.pop(layer_id, None)
                    self._failed.pop(layer_id, None)
                    self._specs[layer_id] = _Spec(
                        layer_id, self.registered.url, sql.Identifier(SCHEMA, layer_id), "geom",
                        "honua_fid", record["title"] or layer_id, record["description"] or "",
                        True, record)
            self._records = records
            self._records_read = time.monotonic()

    # -- queries -------------------------------------------------------------------------------
    def _select(self, entry: _Entry, query: FeatureQuery, *, window: bool,
                columns: tuple[str, ...] | None = None, exclude: Any = None
                ) -> tuple[sql.Composed, list[Any]]:
        geometry = sql.Identifier(entry.geometry_column)
        conditions: list[sql.Composable] = []
        params: list[Any] = []
        if query.bbox is not None:
            box = query.bbox
            if entry.srid != 4326:
                box = transform_bounds(box, crs84(), entry.info.crs)
            conditions.append(sql.SQL("{} && ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(
                geometry))
            params += [*box, entry.srid]
        if query.filter is not None:
            names = {*GEOMETRY_NAMES, entry.info.geometry_name, entry.geometry_column}
            where = where_clause(query.filter, geometry, names, entry.srid)
            conditions.append(where.clause)
            params += where.params
        if exclude is not None:
            names = {*GEOMETRY_NAMES, entry.info.geometry_name, entry.geometry_column}
            where = where_clause(exclude, geometry, names, entry.srid)
            conditions.append(sql.SQL("({}) IS NOT TRUE").format(where.clause))
            params += where.params
        wanted = [f.name for f in entry.info.fields] if columns is None else list(columns)
        ident = (sql.Identifier(entry.id_column) if entry.id_column is not None
                 else sql.SQL("NULL"))
        parts = [sql.SQL("{} AS {}").format(ident, sql.Identifier(ID_ALIAS)),
                 sql.SQL("{} AS {}").format(geometry, sql.Identifier(GEOMETRY_ALIAS)),
                 *[sql.Identifier(c) for c in wanted]]
        statement = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(parts),
                                                       entry.spec.relation)
        if conditions:
            statement = sql.SQL("{} WHERE {}").format(statement,
                                                      sql.SQL(" AND ").join(conditions))
        if window:
            if entry.id_column is not None:
                statement = sql.SQL("{} ORDER BY {}").format(statement, ident)
            if query.limit is not None:
                statement = sql.SQL("{} LIMIT %s").format(statement)
                params.append(int(query.limit))
            if query.offset:
                statement = sql.SQL("{} OFFSET %s").format(statement)
                params.append(int(query.offset))
        return statement, params

    @staticmethod
    def _wrapped(statement: sql.Composed, names: builtins.list[str]) -> sql.Composed:
        """The select with the geometry as WKB, for reading into shapely."""
        columns = [sql.SQL("q.{}").format(sql.Identifier(n)) for n in names]
        return sql.SQL("SELECT {} FROM ({}) AS q").format(sql.SQL(", ").join([
            sql.SQL("q.{}").format(sql.Identifier(ID_ALIAS)),
            sql.SQL("ST_AsBinary(q.{})").format(sql.Identifier(GEOMETRY_ALIAS)), *columns]),
            statement)

    @staticmethod
    def _collection(entry: _Entry, rows: builtins.list[tuple[Any, ...]],
                    names: builtins.list[str]) -> FeatureCollection:
        ids = [r[0] for r in rows]
        geometry = shapely.from_wkb(np.array([r[1] for r in rows], dtype=object)) if rows \
            else np.empty(0, dtype=object)
        offset = 2  # after the id and the WKB
        columns = {name: [_plain(r[offset + k]) for r in rows] for k, name in enumerate(names)}
        kinds = tuple(f for f in entry.info.fields if f.name in columns)
        return FeatureCollection(geometry, columns, entry.info.crs,
                                 ids if entry.id_column is not None else None, kinds)

    @contextlib.contextmanager
    def _reading(self, entry: _Entry) -> Iterator[psycopg.Connection[Any]]:
        """A read-only transaction on a pooled connection, database errors made clear."""
        try:
            with self.pools.connection(entry.spec.url) as conn, conn.transaction():
                read_only(conn, self.statement_timeout)
                yield conn
        except psycopg.errors.QueryCanceled:
            raise Conflict(f"reading collection {entry.info.id!r} took longer than "
                           f"{self.statement_timeout:g} s and was stopped") from None
        except psycopg.errors.DataError as exc:
            raise InvalidParameter(f"the filter cannot be evaluated: {exc.diag.message_primary}",
                                   parameter="filter") from None
        except psycopg.OperationalError as exc:
            raise PoolUnavailable(f"the database of collection {entry.info.id!r} failed: "
                                  f"{exc}") from None
        except (psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable,
                psycopg.errors.UndefinedFunction, psycopg.errors.UndefinedObject) as exc:
            # the table changed, or PostGIS was removed, since the layer was described
            with self._lock:
                self._entries.pop(entry.info.id, None)
            raise PoolUnavailable(f"collection {entry.info.id!r} cannot be read from its "
                                  f"database now: {exc.diag.message_primary}") from None

    def _fetch(self, entry: _Entry, statement: sql.Composed, params: builtins.list[Any]
               ) -> builtins.list[tuple[Any, ...]]:
        with self._reading(entry) as conn:
            rows: builtins.list[tuple[Any, ...]] = conn.execute(statement, params).fetchall()
            return rows

    def _stream(self, entry: _Entry, statement: sql.Composed, params: builtins.list[Any],
                chunk_size: int) -> Iterator[builtins.list[tuple[Any, ...]]]:
        with self._reading(entry) as conn, conn.cursor(name="honua_read") as cursor:
            cursor.itersize = chunk_size
            cursor.execute(statement, params)
            while rows := cursor.fetchmany(chunk_size):
                yield rows

    def list(self) -> list[LayerInfo]:
        self._sync()
        found = [self._entry_or_none(layer_id) for layer_id in sorted(self._specs)]
        return [e.info for e in found if e is not None and _visible(e.info)]

    def get(self, collection_id: str) -> LayerInfo:
        return self._entry(collection_id).info

    def read(self, collection_id: str, query: FeatureQuery) -> FeatureCollection:
        entry = self._entry(collection_id)
        names = list(query.properties) if query.properties is not None else [
            f.name for f in entry.info.fields]
        statement, params = self._select(entry, query, window=True, columns=tuple(names))
        rows = self._fetch(entry, self._wrapped(statement, names), params)
        return self._collection(entry, rows, names)

    def iter_chunks(self, collection_id: str, query: FeatureQuery,
                    chunk_size: int | None = None) -> Iterator[FeatureCollection]:
        entry = self._entry(collection_id)
        names = list(query.properties) if query.properties is not None else [
            f.name for f in entry.info.fields]
        statement, params = self._select(entry, query, window=True, columns=tuple(names))
        for rows in self._stream(entry, self._wrapped(statement, names), params,
                                 chunk_size or self.chunk_size):
            yield self._collection(entry, rows, names)

    def count(self, collection_id: str, query: FeatureQuery) -> int:
        entry = self._entry(collection_id)
        if query.filter is None and query.bbox is None and entry.spec.is_table:
            return entry.info.count
        statement, params = self._select(entry, replace(query, limit=None, offset=0),
                                         window=False, columns=())
        counted = sql.SQL("SELECT count(*) FROM ({}) AS q").format(statement)
        rows = self._fetch(entry, counted, params)
        return int(rows[0][0])

    def feature(self, collection_id: str, feature_id: str) -> FeatureCollection:
        entry = self._entry(collection_id)
        missing = NotFound(f"collection {collection_id!r} has no feature {feature_id!r}")
        if entry.id_column is None or len(feature_id) > 200:
            raise missing
        names = [f.name for f in entry.info.fields]
        statement, params = self._select(entry, FeatureQuery(), window=False,
                                         columns=tuple(names))
        statement = sql.SQL("{} WHERE q.{}::text = %s").format(
            self._wrapped(statement, names), sql.Identifier(ID_ALIAS))
        rows = self._fetch(entry, statement, [*params, feature_id])
        if len(rows) != 1:
            raise missing
        return self._collection(entry, rows, names)

    def layer_source(self, collection_id: str, query: FeatureQuery, *,
                     exclude: Any = None) -> LayerSource:
        """The features ``query`` selects, as SQL for a tier-2 statement to run over; with
        ``exclude`` (a checked filter), only those it does not select (unknown counts as
        not selected, as in tier 1's invert)."""
        entry = self._entry(collection_id)
        names = tuple(query.properties) if query.properties is not None else tuple(
            f.name for f in entry.info.fields)
        statement, params = self._select(entry, query, window=query.limit is not None,
                                         columns=names, exclude=exclude)
        fields = tuple(f for f in entry.info.fields if f.name in names)
        return LayerSource(entry.spec.url, statement, tuple(params), entry.srid, entry.info.crs,
                           fields, entry.info.geometry_type)

    def register(self, collection_id: str, chunks: Iterable[FeatureCollection], *, title: str = "",
                 description: str = "", owner: str = "", tenant: str = "",
                 expires: dt.datetime | None = None, overwrite: bool = False,
                 now: dt.datetime | None = None, job_id: str = "") -> LayerInfo:
        """Write ``chunks`` as the table of the new layer ``collection_id``; Conflict if the
        id is taken (unless ``overwrite`` by the same owner), as in the file catalog.
        ``job_id`` is not kept here yet (the records table has no column for it): a layer
        in PostGIS links to no job."""
        self._check_registrable(collection_id, owner, tenant, overwrite)
        assert self.registered is not None
        self.registered.write(collection_id, chunks, title=title or collection_id,
                              description=description, owner=owner, tenant=tenant,
                              created=now or dt.datetime.now(dt.UTC), expires=expires)
        self._sync(force=True)
        return self.get(collection_id)

    def register_select(self, conn: Any, collection_id: str, statement: Any, *,
                        title: str = "", description: str = "", owner: str = "",
                        tenant: str = "", expires: dt.datetime | None = None,
                        overwrite: bool = False, now: dt.datetime | None = None) -> None:
        """Write a tier-2 ``statement``'s rows (``executors.postgis_sql.Statement``) as the
        table of the new layer ``collection_id`` inside the database, in the transaction open
        on ``conn``; the same clash and ownership rules as ``register``. Call ``refresh``
        after the commit."""
        self._check_registrable(collection_id, owner, tenant, overwrite)
        assert self.registered is not None
        self.registered.write_select(conn, collection_id, statement.sql, statement.params,
                                     statement.fields, srid_of(statement.crs),
                                     title=title or collection_id, description=description,
                                     owner=owner, tenant=tenant,
                                     created=now or dt.datetime.now(dt.UTC), expires=expires)

    def refresh(self) -> None:
        """Read the registered layers' records again (one was written elsewhere)."""
        self._sync(force=True)

    def _check_registrable(self, collection_id: str, owner: str, tenant: str,
                           overwrite: bool) -> None:
        if self.registered is None:
            raise NotSupported("no PostGIS catalog store is configured (postgis_catalog_url)")
        check_layer_id(collection_id)
        self._sync(force=True)
        spec = self._specs.get(collection_id)
        if spec is not None and spec.record is None:
            raise Conflict(f"collection {collection_id!r} is a configured layer and cannot be "
                           "replaced; choose another collectionId")
        if spec is not None and spec.record is not None:
            if not overwrite:
                raise Conflict(f"collection {collection_id!r} already exists; choose another "
                               "collectionId, or ask to overwrite it (only its owner may)")
            if (spec.record["owner"], spec.record["tenant"]) != (owner, tenant):
                raise Forbidden(f"collection {collection_id!r} belongs to someone else; only "
                                "its owner may overwrite it")

    def remove(self, collection_id: str) -> None:
        self._sync(force=True)
        spec = self._specs.get(collection_id)
        if spec is not None and spec.record is None:
            raise Conflict(f"collection {collection_id!r} is a configured layer; remove it "
                           "from the configuration instead")
        if spec is None or self.registered is None:
            raise NoSuchLayer(f"there is no collection {collection_id!r}")
        self.registered.drop(collection_id)
        self._sync(force=True)

    def expired(self, now: dt.datetime) -> builtins.list[str]:
        self._sync(force=True)
        return sorted(layer_id for layer_id, record in self._records.items()
                      if record["expires"] is not None and record["expires"] <= now)

    def remove_expired(self, now: dt.datetime) -> int:
        removed = 0
        for collection_id in self.expired(now):
            with contextlib.suppress(NotFound):
                self.remove(collection_id)
                removed += 1
        return removed


def _visible(layer: LayerInfo) -> bool:
    """Configured layers are everyone's; a registered one its tenant's (and the admins')."""
    return not layer.registered or may_see(layer.tenant)


def _geometry_type(kind: Any) -> str:
    names = {"POINT": "Point", "MULTIPOINT": "MultiPoint", "LINESTRING": "LineString",
             "MULTILINESTRING": "MultiLineString", "POLYGON": "Polygon",
             "MULTIPOLYGON": "MultiPolygon", "GEOMETRYCOLLECTION": "GeometryCollection"}
    return names.get(str(kind or "").upper(), "Unknown")
