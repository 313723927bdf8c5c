"""The durable job store: SQLAlchemy Core over SQLite (embedded) or PostgreSQL.

One instance is shared by every thread of a server process, and several processes may
open the same database; all coordination happens in the database. On PostgreSQL the
tables carry row-level security on tenant and every transaction declares the current
viewer's tenant first (``store.sql_tenants``). State changes are compare-and-set on the
stored status, and ``claim_next`` hands each queued job to exactly one caller (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL, an immediate transaction on SQLite). Every method is
one short transaction, committed before it returns.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from honua.core.context import MessageLevel
from honua.core.fronts import Front
from honua.core.jobs import FINISHED, Job, JobStatus, Message, no_such_job
from honua.core.provenance import ProvenanceRecord
from honua.store import schema_versions, sql_tenants
from honua.store.records import (
    as_utc,
    check_page,
    clamp_percent,
    normalise_job,
    normalise_message,
    normalise_statuses,
)
from honua.store.sql_engine import Database, parse_url, translated
from honua.store.sql_schema import (
    fronts,
    job_holders,
    job_messages,
    job_queue,
    job_to_row,
    jobs,
    metadata,
    provenance,
    provenance_layers,
    row_to_job,
)

__all__ = ["BROKER", "SqlJobStore", "provenance_row"]

BROKER = "broker"
"""The holder of a submitted job that was published to the broker (Celery mode)."""

# Serialises table creation when several processes start at once on PostgreSQL.
_CLAIM_LOCK_KEY = 0x686F6E7563  # claims that count running jobs take turns on PostgreSQL
# Built once: a statement built per call with its values inlined costs SQLAlchemy ~4 ms of
# cache-key work per write, ten times the SQLite commit itself (bench/engine.py --store).
_INSERT_JOB = sa.insert(jobs)
_INSERT_MESSAGE = sa.insert(job_messages)
_INSERT_QUEUE = sa.insert(job_queue)
_UPDATE_JOB = sa.update(jobs).where(jobs.c.id == sa.bindparam("b_id"))
_UPDATE_JOB_IF = _UPDATE_JOB.where(jobs.c.status == sa.bindparam("b_expected"))
_FINISHED_VALUES = sorted(status.value for status in FINISHED)


class SqlJobStore:
    """``honua.types.JobStore`` on the database at ``url`` (``sqlite:///...`` or
    ``postgresql+psycopg://...``); creates or upgrades its schema as
    ``store.schema_versions`` explains (``auto_migrate``: whether a stamped PostgreSQL
    database of an older revision is upgraded at start, or refused)."""

    def __init__(self, url: str, *, auto_migrate: bool = True) -> None:
        postgres = parse_url(url).get_backend_name() == "postgresql"

        def create(conn: sa.Connection) -> None:
            schema_versions.ensure(conn, auto_migrate=auto_migrate)

        self._database = Database(url, metadata, what="job", create=create,
                                  prepare=sql_tenants.install if postgres else None)
        self._engine = self._database.engine
        if postgres:
            sql_tenants.listen(self._engine)
        self._write = self._database.write

    def __repr__(self) -> str:
        return f"SqlJobStore({self._database!r})"

    def create(self, job: Job, messages: Sequence[Message] = (), *, queue: str = "",
               priority: int = 0, holder: str = "") -> None:
        row = job_to_row(normalise_job(job))
        notes = self._message_rows(job.id, messages)
        with translated(f"store job {job.id}", conflict=f"a job with id {job.id!r} already "
                        "exists"), self._write() as conn:
            conn.execute(_INSERT_JOB, row)
            if queue:
                conn.execute(_INSERT_QUEUE, {"job_id": job.id, "queue": queue,
                                             "priority": priority})
            if notes:
                conn.execute(_INSERT_MESSAGE, notes)
            if holder:
                conn.execute(sa.insert(job_holders).values(job_id=job.id, front=holder))

    def get(self, job_id: str) -> Job:
        with translated(f"read job {job_id}"), self._engine.connect() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).mappings().first()
        if row is None:
            raise no_such_job(job_id)
        return row_to_job(row)

    def update(self, job: Job, *, expected: JobStatus | None = None,
               messages: Sequence[Message] = ()) -> bool:
        row = job_to_row(normalise_job(job))
        row["b_id"] = row.pop("id")
        if expected is not None:
            row["b_expected"] = JobStatus(expected).value
        notes = self._message_rows(job.id, messages)
        with translated(f"update job {job.id}"), self._write() as conn:
            statement = _UPDATE_JOB if expected is None else _UPDATE_JOB_IF
            written = conn.execute(statement, row).rowcount == 1
            if written and notes:
                conn.execute(_INSERT_MESSAGE, notes)
            return written

    @staticmethod
    def _message_rows(job_id: str, messages: Sequence[Message]) -> list[dict[str, Any]]:
        return [{"job_id": job_id, "time": m.time, "level": m.level.value, "text": m.text}
                for m in map(normalise_message, messages)]

    def set_progress(self, job_id: str, percent: int, message: str | None,
                     now: dt.datetime) -> None:
        values: dict[str, object] = {"progress": clamp_percent(percent),
                                     "updated": as_utc(now, name="now")}
        if message is not None:
            values["message"] = message
        statement = (sa.update(jobs).values(values)
                     .where(jobs.c.id == job_id, jobs.c.status == JobStatus.RUNNING.value))
        with translated(f"record progress of job {job_id}"), self._write() as conn:
            conn.execute(statement)

    def claim_next(self, now: dt.datetime, *, front: str = "", limit: int | None = None,
                   queues: Mapping[str, int] | None = None) -> Job | None:
        now = as_utc(now, name="now")
        submitted = jobs.c.status == JobStatus.SUBMITTED.value
        with translated("claim the next queued job"), self._write() as conn:
            if (limit is not None or queues) and conn.dialect.name == "postgresql":
                # claims that count running jobs take turns, so that the counts hold
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                             {"key": _CLAIM_LOCK_KEY})
            if limit is not None:  # the server-wide worker count, whichever front claims
                running = conn.execute(sa.select(sa.func.count()).select_from(jobs).where(
                    jobs.c.status == JobStatus.RUNNING.value)).scalar_one()
                if running >= limit:
                    return None
            full: builtins.list[str] = []
            if queues:  # each queue's concurrency, counted over the whole store
                per_queue = conn.execute(
                    sa.select(job_queue.c.queue, sa.func.count())
                    .select_from(jobs.join(job_queue, job_queue.c.job_id == jobs.c.id))
                    .where(jobs.c.status == JobStatus.RUNNING.value)
                    .group_by(job_queue.c.queue)).all()
                full = [name for name, count in per_queue if count >= queues.get(name, count + 1)]
            queue_name = sa.func.coalesce(job_queue.c.queue, "")
            first = (sa.select(jobs.c.id)
                     .select_from(jobs.outerjoin(job_queue, job_queue.c.job_id == jobs.c.id))
                     .where(submitted, queue_name.not_in(full) if full else sa.true())
                     .order_by(sa.func.coalesce(job_queue.c.priority, 0).desc(), jobs.c.created,
                               jobs.c.id)
                     .limit(1).with_for_update(skip_locked=True, of=jobs).scalar_subquery())
            # The same fields as Job.apply(JobEvent.START, now).
            statement = (sa.update(jobs).where(jobs.c.id == first, submitted)
                         .values(status=JobStatus.RUNNING.value, started=now, updated=now,
                                 attempts=jobs.c.attempts + 1, progress=0)
                         .returning(*jobs.c))
            row = conn.execute(statement).mappings().first()
            if row is not None and front:
                conn.execute(sa.delete(job_holders).where(job_holders.c.job_id == row["id"]))
                conn.execute(sa.insert(job_holders).values(job_id=row["id"], front=front))
        return None if row is None else row_to_job(row)

    # -- jobs handed to a broker (executors.celery_app) -------------------------------------------
    def claim(self, job_id: str, now: dt.datetime, *, front: str) -> Job | None:
        """Move job ``job_id`` from submitted to running with ``front`` as its holder, the
        same fields as ``claim_next``; None when it is not submitted (claimed by someone
        else, cancelled, gone): the compare-and-set a Celery worker's task starts with."""
        now = as_utc(now, name="now")
        statement = (sa.update(jobs)
                     .where(jobs.c.id == job_id, jobs.c.status == JobStatus.SUBMITTED.value)
                     .values(status=JobStatus.RUNNING.value, started=now, updated=now,
                             attempts=jobs.c.attempts + 1, progress=0)
                     .returning(*jobs.c))
        with translated(f"claim job {job_id}"), self._write() as conn:
            row = conn.execute(statement).mappings().first()
            if row is not None:
                conn.execute(sa.delete(job_holders).where(job_holders.c.job_id == job_id))
                conn.execute(sa.insert(job_holders).values(job_id=job_id, front=front))
        return None if row is None else row_to_job(row)

    def holder(self, job_id: str) -> str | None:
        """The front (or worker, or ``BROKER``) recorded as holding the job, if any."""
        query = sa.select(job_holders.c.front).where(job_holders.c.job_id == job_id)
        with translated(f"read the holder of job {job_id}"), self._engine.connect() as conn:
            return conn.execute(query).scalar()

    def unpublished(self, limit: int = 100) -> builtins.list[Job]:
        """Submitted jobs not yet marked as handed to the broker (``mark_published``), in
        claim order: a job re-queued by a front's ``reclaim`` is held by its dead front (or
        worker) again, not by the broker, so it shows up here and is published again."""
        holder = (sa.select(job_holders.c.front).where(job_holders.c.job_id == jobs.c.id)
                  .scalar_subquery())
        query = (sa.select(jobs)
                 .select_from(jobs.outerjoin(job_queue, job_queue.c.job_id == jobs.c.id))
                 .where(jobs.c.status == JobStatus.SUBMITTED.value,
                        sa.or_(holder.is_(None), holder != BROKER))
                 .order_by(sa.func.coalesce(job_queue.c.priority, 0).desc(), jobs.c.created,
                           jobs.c.id)
                 .limit(limit))
        with translated("list the jobs to publish"), self._engine.connect() as conn:
            return [row_to_job(r) for r in conn.execute(query).mappings()]

    def mark_published(self, job_id: str) -> bool:
        """Record ``BROKER`` as the holder of job ``job_id`` if it is still submitted (a
        worker may have claimed it already: then nothing changes); True if marked."""
        still = sa.select(jobs.c.id).where(jobs.c.id == job_id,
                                           jobs.c.status == JobStatus.SUBMITTED.value
                                           ).with_for_update()
        with translated(f"mark job {job_id} as published"), self._write() as conn:
            if conn.execute(still).first() is None:
                return False
            conn.execute(sa.delete(job_holders).where(job_holders.c.job_id == job_id))
            conn.execute(sa.insert(job_holders).values(job_id=job_id, front=BROKER))
            return True

    def queue_stats(self, queue: str, since: dt.datetime) -> tuple[int, int]:
        """Jobs waiting in ``queue``, and jobs of it that finished since ``since``."""
        since = as_utc(since, name="since")
        joined = jobs.join(job_queue, job_queue.c.job_id == jobs.c.id)
        waiting = (sa.select(sa.func.count()).select_from(joined)
                   .where(job_queue.c.queue == queue,
                          jobs.c.status == JobStatus.SUBMITTED.value))
        done = (sa.select(sa.func.count()).select_from(joined)
                .where(job_queue.c.queue == queue, jobs.c.finished >= since))
        with translated(f"count the {queue} queue"), self._engine.connect() as conn:
            return conn.execute(waiting).scalar_one(), conn.execute(done).scalar_one()

    # -- front processes (core.fronts) ------------------------------------------------------------
    def heartbeat(self, front: Front, now: dt.datetime) -> None:
        now = as_utc(now, name="now")
        with translated("record a front process's heartbeat"), self._write() as conn:
            written = conn.execute(sa.update(fronts).where(fronts.c.id == front.id)
                                   .values(heartbeat=now)).rowcount
            if not written:
                conn.execute(sa.insert(fronts).values(id=front.id, host=front.host,
                                                      pid=front.pid, heartbeat=now))

    def fronts(self) -> builtins.list[Front]:
        with translated("list the front processes"), self._engine.connect() as conn:
            rows = conn.execute(sa.select(fronts)).mappings().all()
        return [Front(r["id"], r["host"], r["pid"], r["heartbeat"]) for r in rows]

    def forget_fronts(self, ids: Iterable[str]) -> None:
        ids = builtins.list(ids)
        if ids:
            with translated("forget dead front processes"), self._write() as conn:
                conn.execute(sa.delete(fronts).where(fronts.c.id.in_(ids)))

    def orphans(self, live: Iterable[str]) -> builtins.list[Job]:
        """Running or cancelling jobs whose holder is not one of the ``live`` fronts."""
        live = builtins.list(live)
        holder = (sa.select(job_holders.c.front).where(job_holders.c.job_id == jobs.c.id)
                  .scalar_subquery())
        statement = sa.select(jobs).where(
            jobs.c.status.in_([JobStatus.RUNNING.value, JobStatus.CANCELLING.value]),
            sa.or_(holder.is_(None), holder.not_in(live)) if live else sa.true())
        with translated("list orphaned jobs"), self._engine.connect() as conn:
            return [row_to_job(r) for r in conn.execute(statement).mappings()]

    def add_messages(self, job_id: str, messages: Sequence[Message]) -> None:
        """Append messages; those of a job that no longer exists are dropped.

        Worker listeners report messages from their own threads and must not
        fail when a job was dismissed while it ran.
        """
        rows = self._message_rows(job_id, messages)
        if not rows:
            return
        # FOR KEY SHARE (PostgreSQL) holds off a concurrent delete until the insert is done.
        job = (sa.select(jobs.c.id).where(jobs.c.id == job_id)
               .with_for_update(read=True, key_share=True))
        with translated(f"add messages to job {job_id}"), self._write() as conn:
            if conn.execute(job).first() is not None:
                conn.execute(sa.insert(job_messages), rows)

    def messages(self, job_id: str) -> list[Message]:
        """The job's messages in the order they were added; raises ``NoSuchJob``."""
        query = (sa.select(job_messages.c.time, job_messages.c.level, job_messages.c.text)
                 .where(job_messages.c.job_id == job_id).order_by(job_messages.c.seq))
        with translated(f"read messages of job {job_id}"), self._engine.connect() as conn:
            found = conn.execute(sa.select(jobs.c.id).where(jobs.c.id == job_id)).first()
            rows = conn.execute(query).all() if found else None
        if rows is None:
            raise no_such_job(job_id)
        return [Message(time, MessageLevel(level), text) for time, level, text in rows]

    def list(self, *, statuses: Iterable[JobStatus] | None = None,
             process_id: str | None = None, owner: str | None = None,
             tenant: str | None = None,
             created_from: dt.datetime | None = None, created_to: dt.datetime | None = None,
             limit: int = 100, offset: int = 0) -> tuple[list[Job], int]:
        check_page(limit, offset)
        wanted = normalise_statuses(statuses)
        conditions = []
        if created_from is not None:
            conditions.append(jobs.c.created >= as_utc(created_from, name="created_from"))
        if created_to is not None:
            conditions.append(jobs.c.created <= as_utc(created_to, name="created_to"))
        if wanted is not None:
            conditions.append(jobs.c.status.in_([status.value for status in wanted]))
        if process_id is not None:
            conditions.append(jobs.c.process_id == process_id)
        if owner is not None:
            conditions.append(jobs.c.owner == owner)
        if tenant is not None:
            conditions.append(jobs.c.tenant == tenant)
        page = (sa.select(jobs).where(*conditions)
                .order_by(jobs.c.created.desc(), jobs.c.id.desc()).limit(limit).offset(offset))
        count = sa.select(sa.func.count()).select_from(jobs).where(*conditions)
        with translated("list jobs"), self._engine.connect() as conn:
            rows = conn.execute(page).mappings().all()
            total = conn.execute(count).scalar_one()
        return [row_to_job(row) for row in rows], int(total)

    def expired(self, now: dt.datetime) -> builtins.list[str]:  # list: the method above
        """Finished jobs whose expiry is strictly before ``now``, soonest expired first."""
        query = (sa.select(jobs.c.id)
                 .where(jobs.c.status.in_(_FINISHED_VALUES), jobs.c.expires.is_not(None),
                        jobs.c.expires < as_utc(now, name="now"))
                 .order_by(jobs.c.expires, jobs.c.id))
        with translated("find expired jobs"), self._engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def delete(self, job_id: str) -> None:
        """Remove the job and its messages; nothing happens if it is already gone."""
        with translated(f"delete job {job_id}"), self._write() as conn:
            conn.execute(sa.delete(job_messages).where(job_messages.c.job_id == job_id))
            conn.execute(sa.delete(jobs).where(jobs.c.id == job_id))
            made_layers = sa.select(provenance_layers.c.job_id).where(
                provenance_layers.c.job_id == job_id).exists()
            conn.execute(sa.delete(provenance).where(provenance.c.job_id == job_id,
                                                     ~made_layers))

    # -- the provenance ledger ------------------------------------------------------------------
    def put_provenance(self, record: ProvenanceRecord) -> None:
        row = provenance_row(record)
        with translated(f"record the provenance of job {record.job_id}"), self._write() as conn:
            conn.execute(sa.delete(provenance).where(provenance.c.job_id == record.job_id))
            conn.execute(sa.insert(provenance).values(row))
            for layer in record.layers:
                conn.execute(sa.delete(provenance_layers).where(
                    provenance_layers.c.collection_id == layer))
                conn.execute(sa.insert(provenance_layers).values(collection_id=layer,
                                                                 job_id=record.job_id))

    def provenance(self, job_id: str) -> ProvenanceRecord | None:
        query = sa.select(provenance.c.record).where(provenance.c.job_id == job_id)
        with translated(f"read the provenance of job {job_id}"), self._engine.connect() as conn:
            text = conn.execute(query).scalar()
        return None if text is None else ProvenanceRecord.from_json(json.loads(text))

    def provenance_children(self, parent: str) -> builtins.list[ProvenanceRecord]:
        query = (sa.select(provenance.c.record).where(provenance.c.parent == parent)
                 .order_by(provenance.c.created, provenance.c.job_id))
        with translated(f"read the steps of job {parent}"), self._engine.connect() as conn:
            texts = conn.execute(query).scalars().all()
        return [ProvenanceRecord.from_json(json.loads(text)) for text in texts]

    def provenance_of_layer(self, collection_id: str) -> ProvenanceRecord | None:
        query = sa.select(provenance_layers.c.job_id).where(
            provenance_layers.c.collection_id == collection_id)
        with translated(f"read the provenance of {collection_id}"), self._engine.connect() as c:
            job_id = c.execute(query).scalar()
        return None if job_id is None else self.provenance(job_id)

    def reusable(self, tenant: str, key: str) -> builtins.list[ProvenanceRecord]:
        query = (sa.select(provenance.c.record)
                 .where(provenance.c.tenant == tenant, provenance.c.cache_key == key,
                        provenance.c.status == JobStatus.SUCCEEDED.value)
                 .order_by(provenance.c.created.desc(), provenance.c.job_id).limit(5))
        with translated("look up the result cache"), self._engine.connect() as conn:
            texts = conn.execute(query).scalars().all()
        return [ProvenanceRecord.from_json(json.loads(text)) for text in texts]

    def probe_write(self) -> None:
        """Insert a job row and roll it back: the database must grant the write lock and
        accept the row (a read-only file, a full disk, a stuck writer all fail here)."""
        probe = job_to_row(normalise_job(Job(id="honua-ready-probe", process_id="honua.probe")))
        with translated("write to the job store"), self._write() as conn:
            conn.execute(sa.insert(jobs).values(probe))
            conn.rollback()

    def close(self) -> None:
        self._engine.dispose()


def provenance_row(record: ProvenanceRecord) -> dict[str, Any]:
    created = record.created or record.finished or dt.datetime.now(dt.UTC)
    return {"job_id": record.job_id, "parent": record.parent, "tenant": record.tenant,
            "status": record.status, "cache_key": record.cache_key if record.inputs else "",
            "created": as_utc(created, name="created"),
            "record": json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":"))}
