"""The job store's tables, one schema for SQLite and PostgreSQL, and row <-> Job.

Choices that keep both databases (and the in-memory store) answering alike:

- times go through ``UtcDateTime``: ``timestamptz`` on PostgreSQL, and on SQLite
  fixed-width ISO text in UTC, which sorts and compares as time does;
- job ids compare byte-wise everywhere (``COLLATE "C"`` on PostgreSQL, SQLite's
  default ``BINARY``), so ties in creation time are broken the same way;
- message ``seq`` is one auto-incrementing counter for the whole table: it keeps
  each job's messages in insertion order, and concurrent writers cannot clash
  on it as they could on a per-job ``max(seq) + 1``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from honua.core.jobs import Job, JobStatus
from honua.store.records import options_from_text, options_to_text

metadata = sa.MetaData()


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out; callers normalise with ``records.as_utc`` first."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None,
                           dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = value.astimezone(dt.UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None,
                             dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


_ID = sa.String().with_variant(sa.String(collation="C"), "postgresql")

jobs = sa.Table(
    "honua_jobs", metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("process_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("owner", sa.String(), nullable=False, default=""),
    sa.Column("tenant", sa.String(), nullable=False, default=""),
    sa.Column("options", sa.Text(), nullable=False, default="{}"),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("updated", UtcDateTime()),
    sa.Column("started", UtcDateTime()),
    sa.Column("finished", UtcDateTime()),
    sa.Column("expires", UtcDateTime()),
    sa.Column("progress", sa.Integer(), nullable=False, default=0),
    sa.Column("message", sa.Text(), nullable=False, default=""),
    sa.Column("error_kind", sa.String(), nullable=False, default=""),
    sa.Column("tier", sa.String(), nullable=False, default=""),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("has_outputs", sa.Boolean(), nullable=False, default=False),
    # (status, created) serves both the status filter and claim_next's "oldest submitted".
    sa.Index("ix_honua_jobs_status_created", "status", "created"),
    sa.Index("ix_honua_jobs_process_id", "process_id"),
    sa.Index("ix_honua_jobs_owner", "owner"),
    sa.Index("ix_honua_jobs_expires", "expires"),
)

job_messages = sa.Table(
    "honua_job_messages", metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
              primary_key=True, autoincrement=True),
    sa.Column("job_id", _ID, sa.ForeignKey("honua_jobs.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("time", UtcDateTime(), nullable=False),
    sa.Column("level", sa.String(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Index("ix_honua_job_messages_job_id_seq", "job_id", "seq"),
)

# Several front processes share one store (issue 11): each front says it is alive here, and
# each job it claims names it as holder, so that another front can take over the jobs of one
# that died (its heartbeat stops, or its pid is gone on this host).
fronts = sa.Table(
    "honua_fronts", metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("host", sa.String(), nullable=False),
    sa.Column("pid", sa.Integer(), nullable=False),
    sa.Column("heartbeat", UtcDateTime(), nullable=False),
)

job_holders = sa.Table(
    "honua_job_holders", metadata,
    sa.Column("job_id", _ID, sa.ForeignKey("honua_jobs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("front", _ID, nullable=False),
)

# The queue (resource class) of each queued job and its priority (core.queues): claims take
# the highest priority first and skip the queues whose concurrency is used up.
job_queue = sa.Table(
    "honua_job_queue", metadata,
    sa.Column("job_id", _ID, sa.ForeignKey("honua_jobs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("queue", sa.String(), nullable=False),
    sa.Column("priority", sa.Integer(), nullable=False, default=0),
)


def job_to_row(job: Job) -> dict[str, Any]:
    """The column values of ``job`` (already normalised by ``records.normalise_job``)."""
    return {
        "id": job.id, "process_id": job.process_id, "status": job.status.value,
        "owner": job.owner, "tenant": job.tenant, "options": options_to_text(job.options),
        "created": job.created, "updated": job.updated, "started": job.started,
        "finished": job.finished, "expires": job.expires, "progress": job.progress,
        "message": job.message, "error_kind": job.error_kind, "tier": job.tier,
        "attempts": job.attempts, "has_outputs": job.has_outputs,
    }


def row_to_job(row: Mapping[Any, Any]) -> Job:  # a RowMapping: keys are names or columns
    return Job(
        id=row["id"], process_id=row["process_id"], status=JobStatus(row["status"]),
        owner=row["owner"], tenant=row["tenant"], options=options_from_text(row["options"]),
        created=row["created"], updated=row["updated"], started=row["started"],
        finished=row["finished"], expires=row["expires"], progress=row["progress"],
        message=row["message"], error_kind=row["error_kind"], tier=row["tier"],
        attempts=row["attempts"], has_outputs=bool(row["has_outputs"]),
    )


provenance = sa.Table(
    # The ledger (``core.provenance``): one record per job, kept as JSON text; the columns
    # beside it are what it is looked up by (a workflow's steps, the cache, a layer's maker).
    "honua_provenance", metadata,
    sa.Column("job_id", _ID, primary_key=True),
    sa.Column("parent", _ID, nullable=False, default=""),
    sa.Column("tenant", sa.String(), nullable=False, default=""),
    sa.Column("status", sa.String(), nullable=False, default=""),
    sa.Column("cache_key", sa.String(), nullable=False, default=""),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sa.Index("ix_honua_provenance_parent", "parent"),
    sa.Index("ix_honua_provenance_cache", "tenant", "cache_key"),
)

provenance_layers = sa.Table(
    "honua_provenance_layers", metadata,
    sa.Column("collection_id", sa.String(), primary_key=True),
    sa.Column("job_id", _ID, nullable=False),
)
