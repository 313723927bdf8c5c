"""Tier 2: run a process as one SQL statement in PostGIS, where its layers live.

``PostGISTier`` is both the tier's ``TierBackend`` (``core.tiers``: may it run this
request, can it run it now) and its ``Executor``. Jobs wait in its own queue and
run on as many threads as the pool has connections, so db-heavy jobs are bounded
by the pool, never failed for want of a connection. A statement runs on a pooled
connection in a READ ONLY transaction under the job's own time limit as statement
timeout, and its rows stream back from a server-side cursor in chunks.
Cancelling a job cancels its query on the server at once (the connection's
cancel). A statement the database refuses (extension missing, an error, no
connection) falls back to tier 1 through ``fallback`` with a warning on the job,
unless the request pinned the tier: then it is a clear job failure. The pool
stays healthy either way: a failed transaction is rolled back before the
connection is returned.

A job whose result is registered as a layer (``registerAs``) in the database its
layers are in (``postgis_catalog_url``) never brings its rows into Python: the
statement becomes ``CREATE TABLE honua_registered."<id>" AS ...`` with the layer's
record, in one transaction, and the job's output is a reference to that layer.

The SQL of each process is in ``executors.postgis_sql``; the layers are read
through ``sql_layers`` (``store.catalog_postgis``, given by the app).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import orjson
import psycopg
import shapely

from honua.core import codec
from honua.core.catalog import FeatureQuery, check_filter, parse_filter
from honua.core.description import ProcessDescription
from honua.core.execution import ExecutionListener, Outcome, OutcomeStatus, WorkItem
from honua.core.references import (
    LayerReference,
    LayerService,
    ReferenceResolver,
    Registration,
    layer_references,
)
from honua.core.registry import Registry
from honua.core.tiers import POSTGIS
from honua.errors import HonuaError
from honua.executors.postgis_sql import BUILDERS, Builder, Statement, as_geojson
from honua.executors.threads import ThreadQueue
from honua.geo.features import FeatureCollection
from honua.geo.geojson import crs_member

__all__ = ["PostGISTier"]

log = logging.getLogger(__name__)

Fallback = Callable[[WorkItem, ExecutionListener, str], None]
Connect = Callable[[str, float], AbstractContextManager[psycopg.Connection[Any]]]
_HEALTH_SECONDS = 10.0


class SqlLayers(Protocol):
    """What tier 2 needs of the catalog (``store.catalog_union.CatalogUnion``)."""

    def holds(self, collection_id: str) -> bool: ...

    def layer_source(self, collection_id: str, query: FeatureQuery, *,
                     exclude: Any = None) -> Any: ...

    def registered_url(self) -> str | None: ...

    def register_select(self, conn: Any, collection_id: str, statement: Any, *, title: str,
                        description: str, owner: str, tenant: str,
                        expires: dt.datetime | None, overwrite: bool) -> None: ...

    def refresh(self) -> None: ...


class _Refused(Exception):
    """The database would not run the statement: tier 1 may (unless the tier is pinned)."""


@dataclass
class _Running:
    cancel: threading.Event
    connection: psycopg.Connection[Any] | None = None


def _same_database(a: str, b: str) -> bool:
    """Whether two database URLs name one database (``postgresql+psycopg://`` or not)."""
    def plain(url: str) -> str:
        return url.partition("://")[2].rstrip("/")
    return plain(a) == plain(b)


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


_RESULT = b'{"result":'


def _result_hash(document: bytes) -> dict[str, Any]:
    """The provenance hash of ``_fetch_json``'s one output (``{"result": <value>}``), over
    the value's bytes as they are stored: without it the recorder would parse and re-encode
    the whole output to find them (``provenance.parts_of``), seconds for a big result."""
    assert document.startswith(_RESULT) and document.endswith(b"}")
    value = memoryview(document)[len(_RESULT):-1]
    return {"result": {"sha256": hashlib.sha256(value).hexdigest(), "bytes": len(value)}}


class PostGISTier:
    """Tier ``postgis`` (see the module docstring)."""

    name = POSTGIS

    def __init__(self, registry: Registry, resolver: ReferenceResolver, sql_layers: SqlLayers,
                 connect: Connect, *, threads: int = 4, chunk_size: int = 50000,
                 connect_timeout: float = 5.0, close: Callable[[], None] | None = None) -> None:
        self.registry = registry
        self.close = close
        """Closes the tier's pool (``Pools.close``) when the tier stops with the server."""
        self.connect = connect
        """A pooled connection to a database URL, within a timeout: the tier's own pool
        (``store.pg_pools``), apart from the catalog's reads, so that a full tier-2 pool
        still lets tier 1 read the layer it falls back to."""
        self.resolver = resolver
        self.sql_layers = sql_layers
        self.threads = max(1, threads)
        self.chunk_size = chunk_size
        self.connect_timeout = connect_timeout
        self.fallback: Fallback | None = None
        """Runs a work item on tier 1 instead (set by the job manager)."""
        self._queue: ThreadQueue[_Running] = ThreadQueue(
            "honua-postgis", self.threads, self._serve, lambda: _Running(threading.Event()))
        self._healthy: dict[str, float] = {}

    # -- the tier backend ---------------------------------------------------------------------
    def input_names(self, description: ProcessDescription) -> tuple[str, ...]:
        builder = BUILDERS.get(description.id)
        return builder.feature_inputs if builder is not None else ()

    def eligible(self, description: ProcessDescription, raw_inputs: Mapping[str, Any]
                 ) -> str | None:
        builder = BUILDERS.get(description.id)
        if builder is None:
            return f"process {description.id!r} has no SQL form"
        for name in builder.feature_inputs:
            references = layer_references(raw_inputs.get(name))
            if references is None:
                return (f"input {name!r} is not a reference to a PostGIS layer (inline data "
                        "runs on tier 1)")
            for reference in references:
                if not self.sql_layers.holds(reference.collection_id):
                    return f"collection {reference.collection_id!r} is not held in PostGIS"
        why_not = builder.refuse(raw_inputs)
        if why_not is not None:
            return why_not
        try:
            self.statement(description.id, raw_inputs)
        except HonuaError as exc:
            return exc.message
        return None

    def ready(self, raw_inputs: Mapping[str, Any]) -> str | None:
        urls = {self._url(r) for v in raw_inputs.values() for r in layer_references(v) or ()
                if self.sql_layers.holds(r.collection_id)}
        for url in urls:
            if time.monotonic() < self._healthy.get(url, 0.0):
                continue
            try:
                with self.connect(url, self.connect_timeout) as conn:
                    found = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'"
                                         ).fetchone()
                    conn.rollback()
            except (HonuaError, psycopg.Error) as exc:
                return getattr(exc, "message", None) or f"the database failed: {exc}"
            if found is None:
                return "the PostGIS extension is not installed in the layer's database"
            self._healthy[url] = time.monotonic() + _HEALTH_SECONDS
        return None

    def _url(self, reference: LayerReference) -> str:
        layer, query = self.resolver.check(reference)
        return str(self.sql_layers.layer_source(layer.id, query).url)

    # -- statements ---------------------------------------------------------------------------
    def statement(self, process_id: str, inputs: Mapping[str, Any]) -> tuple[str, Statement]:
        """(database URL, statement) of one run; HonuaError for a request it cannot take."""
        builder = BUILDERS[process_id]
        sources: dict[str, Any] = {}
        for name in builder.feature_inputs:
            value = inputs[name]
            if isinstance(value, list):  # a list of layers: a list of sources
                sources[name] = [self._source(r) for r in value]
            else:
                sources[name] = self._source(
                    value, builder if name == builder.feature_inputs[0] else None, inputs)
        urls = {s.url for value in sources.values()
                for s in (value if isinstance(value, list) else [value])}
        if len(urls) != 1:
            raise HonuaError("the layers are in different databases")
        return urls.pop(), builder.build(inputs, sources)

    def _source(self, reference: LayerReference, builder: Builder | None = None,
                inputs: Mapping[str, Any] | None = None) -> Any:
        """The SQL of one layer reference's features; with ``builder`` (its first input),
        narrowed by the builder's filter input."""
        layer, query = self.resolver.check(reference)
        exclude = None
        if builder is not None and builder.filter_input is not None and inputs is not None:
            ast = check_filter(parse_filter(inputs.get(builder.filter_input), None
                                            if inputs.get("filter_lang", "auto") == "auto"
                                            else inputs.get("filter_lang")), layer)
            if builder.invert_input and inputs.get(builder.invert_input):
                exclude = ast
            elif ast is not None:
                from pygeofilter import ast as nodes

                combined = ast if query.filter is None else nodes.And(query.filter, ast)
                query = FeatureQuery(combined, query.bbox, query.properties, query.limit)
        return self.sql_layers.layer_source(layer.id, query, exclude=exclude)

    # -- the executor -------------------------------------------------------------------------
    def start(self) -> None:
        self._queue.start()

    def stop(self) -> None:
        self._queue.stop(Outcome(OutcomeStatus.CANCELLED, error="the server is shutting down",
                                 error_kind="unavailable"), self._abort)
        if self.close is not None:  # reopened lazily if the tier starts again
            self.close()

    def free_slots(self) -> int:
        return self._queue.free_slots()

    def submit(self, item: WorkItem, listener: ExecutionListener, *, priority: bool = False) -> None:
        self._queue.submit(item, listener, priority=priority)

    def cancel(self, job_id: str) -> bool:
        return self._queue.cancel(job_id, self._abort)

    @classmethod
    def _abort(cls, running: _Running) -> None:
        running.cancel.set()
        cls._cancel_query(running)

    @staticmethod
    def _cancel_query(running: _Running) -> None:
        connection = running.connection
        if connection is not None:
            try:
                connection.cancel_safe(timeout=2.0)
            except Exception:  # the query ended meanwhile, or the server is gone
                log.debug("cancelling a tier-2 query failed", exc_info=True)

    def _serve(self, item: WorkItem, listener: ExecutionListener, running: _Running) -> None:
        try:
            self._run(item, listener, running)
        except Exception as exc:  # never lose a job to a bug here
            log.exception("tier-2 run of job %s failed", item.job_id)
            listener.on_finish(item.job_id, Outcome(OutcomeStatus.FAILED,
                                                    error=f"{type(exc).__name__}: {exc}"))

    def _run(self, item: WorkItem, listener: ExecutionListener, running: _Running) -> None:
        if running.cancel.is_set():
            listener.on_finish(item.job_id, Outcome(OutcomeStatus.CANCELLED, error="Job cancelled"))
            return
        started = time.monotonic()
        description = self.registry.get(item.process_id).description
        try:
            inputs: Mapping[str, Any] = item.inputs if item.inputs is not None else codec.decode(
                description.inputs, item.inputs_json or b"{}")
            listener.on_start(item.job_id)
            url, statement = self.statement(item.process_id, inputs)
            registration = self._in_place(item, description, url)
            result: Any
            if registration is not None:
                result = self._register(item, running, url, statement, registration)
            elif item.return_json and {p.name for p in description.outputs} == {"result"}:
                result = self._in_transaction(item, running, url, lambda conn: self._fetch_json(
                    item, listener, conn, statement))
            else:
                result = self._execute(item, listener, running, url, statement)
        except _Refused as refused:
            if item.pinned_tier == POSTGIS or self.fallback is None:
                listener.on_finish(item.job_id, Outcome(
                    OutcomeStatus.FAILED, error=f"The SQL statement of tier 'postgis' failed: "
                    f"{refused}", duration=time.monotonic() - started))
            else:
                self.fallback(item, listener, str(refused))
            return
        except HonuaError as error:
            listener.on_finish(item.job_id, Outcome(OutcomeStatus.FAILED, error=error.message,
                                                    error_kind=error.kind,
                                                    duration=time.monotonic() - started))
            return
        except psycopg.errors.QueryCanceled:
            duration = time.monotonic() - started
            if running.cancel.is_set():
                listener.on_finish(item.job_id, Outcome(OutcomeStatus.CANCELLED,
                                                        error="Job cancelled", duration=duration))
            else:
                listener.on_finish(item.job_id, Outcome(
                    OutcomeStatus.TIMED_OUT, duration=duration,
                    error=f"the job exceeded its time limit of {item.limits.timeout_seconds:g} s"))
            return
        duration = time.monotonic() - started
        if isinstance(result, bytes):  # the stored outputs, written by PostgreSQL
            listener.on_finish(item.job_id, Outcome(OutcomeStatus.SUCCEEDED, duration=duration,
                                                    outputs_json=result,
                                                    output_hashes=_result_hash(result)))
            return
        outputs = {"result": result}
        if item.return_json:
            listener.on_finish(item.job_id, Outcome(OutcomeStatus.SUCCEEDED, duration=duration,
                                                    outputs_json=codec.encode(
                                                        description.outputs, outputs)))
        else:
            listener.on_finish(item.job_id, Outcome(OutcomeStatus.SUCCEEDED, outputs=outputs,
                                                    duration=duration))

    def _in_place(self, item: WorkItem, description: ProcessDescription, url: str
                  ) -> Registration | None:
        """The registration of the result, when it can be written where it is computed."""
        job = item.job
        if job is None or "result" not in job.options.registrations:
            return None
        target = self.sql_layers.registered_url()
        if target is None or not _same_database(target, url):
            return None
        if not isinstance(self.resolver, LayerService):
            return None
        return self.resolver.registrations(description, job.options, owner=job.owner,
                                           tenant=job.tenant).get("result")

    def _register(self, item: WorkItem, running: _Running, url: str, statement: Statement,
                  registration: Registration) -> LayerReference:
        """Run the statement into a registered layer's table (see the module docstring)."""
        job = item.job
        assert job is not None

        def write(conn: psycopg.Connection[Any]) -> None:
            self.sql_layers.register_select(
                conn, registration.collection_id, statement, title=registration.title,
                description=registration.description, owner=job.owner, tenant=job.tenant,
                expires=dt.datetime.now(dt.UTC) + registration.ttl,
                overwrite=registration.overwrite)

        self._in_transaction(item, running, url, write, read_only=False)
        self.sql_layers.refresh()
        return LayerReference(registration.collection_id)

    def _execute(self, item: WorkItem, listener: ExecutionListener, running: _Running, url: str,
                 statement: Statement) -> FeatureCollection:
        result: FeatureCollection = self._in_transaction(
            item, running, url, lambda conn: self._fetch(item, listener, conn, statement))
        return result

    def _in_transaction(self, item: WorkItem, running: _Running, url: str,
                        work: Callable[[psycopg.Connection[Any]], Any], *,
                        read_only: bool = True) -> Any:
        """``work`` on a pooled connection, in a transaction under the job's time limit that
        its cancel can stop; a database error is ``_Refused``."""
        try:
            with self.connect(url, self.connect_timeout) as conn:
                with self._queue.lock:
                    running.connection = conn
                if running.cancel.is_set():
                    raise psycopg.errors.QueryCanceled("cancelled before it started")
                try:
                    with conn.transaction():
                        if read_only:
                            conn.execute("SET TRANSACTION READ ONLY")
                        milliseconds = max(1, int(item.limits.timeout_seconds * 1000))
                        conn.execute("SELECT set_config('statement_timeout', %s, true)",
                                     (str(milliseconds),))
                        return work(conn)
                finally:
                    with self._queue.lock:
                        running.connection = None
        except psycopg.errors.QueryCanceled:
            raise
        except HonuaError as exc:
            if exc.kind == "unavailable":  # no connection: the pool's PoolUnavailable
                raise _Refused(exc.message) from None
            raise
        except psycopg.Error as exc:
            diag = getattr(exc, "diag", None)
            text = (diag.message_primary if diag is not None and diag.message_primary
                    else str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            raise _Refused(text) from None

    def _chunks(self, item: WorkItem, listener: ExecutionListener,
                conn: psycopg.Connection[Any], query: Any, params: Any, *, binary: bool
                ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``query`` in lists of ``chunk_size``, streamed (libpq chunked mode)
        rather than from a server-side cursor: PostgreSQL plans a cursor for its first rows
        and never in parallel, a streamed statement as ``psql`` runs it."""
        rows: list[tuple[Any, ...]] = []
        count = 0
        with conn.cursor() as cursor:
            for row in cursor.stream(query, params, binary=binary, size=1000):
                rows.append(row)
                if len(rows) >= self.chunk_size:
                    count += len(rows)
                    yield rows
                    rows = []
                    listener.on_progress(item.job_id, 50, f"{count} features from PostGIS")
        if rows:
            yield rows

    def _fetch_json(self, item: WorkItem, listener: ExecutionListener,
                    conn: psycopg.Connection[Any], statement: Statement) -> bytes:
        """The job's stored outputs (``{"result": <GeoJSON>}``) with every feature written
        as GeoJSON by PostgreSQL: no per-feature work in Python but joining the texts."""
        query, params = as_geojson(statement)
        pieces: list[bytes] = [_RESULT + b'{"type":"FeatureCollection","features":[']
        for rows in self._chunks(item, listener, conn, query, params, binary=False):
            if len(pieces) > 1:
                pieces.append(b",")
            pieces.append(",".join([row[0] for row in rows]).encode())
        member = crs_member(statement.crs)
        pieces.append(b"]}}" if member is None else b'],"crs":' + orjson.dumps(member) + b"}}")
        return b"".join(pieces)  # one copy of the whole output

    def _fetch(self, item: WorkItem, listener: ExecutionListener, conn: psycopg.Connection[Any],
               statement: Statement) -> FeatureCollection:
        parts: list[list[tuple[Any, ...]]] = []
        count = 0
        # binary: WKB arrives as bytes, not as hex text to decode
        for chunk in self._chunks(item, listener, conn, statement.sql, statement.params,
                                  binary=True):
            parts.append(chunk)
            count += len(chunk)
        rows = [row for part in parts for row in part]
        parts.clear()
        columns_ = list(zip(*rows, strict=True)) if rows else [()] * (2 + len(statement.fields))
        rows.clear()
        ids = list(columns_[0])
        geometry = shapely.from_wkb(np.array(columns_[1], dtype=object)) if count else np.empty(
            0, dtype=object)
        columns = {f.name: [_plain(v) for v in columns_[2 + k]]
                   for k, f in enumerate(statement.fields)}
        return FeatureCollection(geometry, columns, statement.crs,
                                 ids if statement.keep_ids else None, statement.fields)

