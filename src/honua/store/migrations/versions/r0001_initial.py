"""The job store's schema as Honua created it before migrations (issue 13).

Revision ID: 0001_initial
Revises:
Create Date: 2026-12-03

Each table is created only where it is missing: on a database made by an earlier Honua
(tables there, no version table) this revision then just records itself, and any tables
that Honua version predates are added, as its ``create_all`` at start would have done.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the types sql_schema used at this revision.
_ID = sa.String().with_variant(sa.String(collation="C"), "postgresql")
_TIME = sa.DateTime(timezone=True)
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _jobs() -> None:
    op.create_table(
        "honua_jobs",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("process_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("created", _TIME, nullable=False),
        sa.Column("updated", _TIME),
        sa.Column("started", _TIME),
        sa.Column("finished", _TIME),
        sa.Column("expires", _TIME),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("error_kind", sa.String(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("has_outputs", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_honua_jobs_status_created", "honua_jobs", ["status", "created"])
    op.create_index("ix_honua_jobs_process_id", "honua_jobs", ["process_id"])
    op.create_index("ix_honua_jobs_owner", "honua_jobs", ["owner"])
    op.create_index("ix_honua_jobs_expires", "honua_jobs", ["expires"])


def _job_messages() -> None:
    op.create_table(
        "honua_job_messages",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("job_id", _ID, sa.ForeignKey("honua_jobs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_honua_job_messages_job_id_seq", "honua_job_messages", ["job_id", "seq"])


def _fronts() -> None:
    op.create_table(
        "honua_fronts",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("heartbeat", _TIME, nullable=False),
    )


def _job_holders() -> None:
    op.create_table(
        "honua_job_holders",
        sa.Column("job_id", _ID, sa.ForeignKey("honua_jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("front", _ID, nullable=False),
    )


def _job_queue() -> None:
    op.create_table(
        "honua_job_queue",
        sa.Column("job_id", _ID, sa.ForeignKey("honua_jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
    )


def _provenance() -> None:
    op.create_table(
        "honua_provenance",
        sa.Column("job_id", _ID, primary_key=True),
        sa.Column("parent", _ID, nullable=False),
        sa.Column("tenant", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("cache_key", sa.String(), nullable=False),
        sa.Column("created", _TIME, nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
    )
    op.create_index("ix_honua_provenance_parent", "honua_provenance", ["parent"])
    op.create_index("ix_honua_provenance_cache", "honua_provenance", ["tenant", "cache_key"])


def _provenance_layers() -> None:
    op.create_table(
        "honua_provenance_layers",
        sa.Column("collection_id", sa.String(), primary_key=True),
        sa.Column("job_id", _ID, nullable=False),
    )


# In dependency order: the tables with foreign keys come after honua_jobs.
_TABLES: dict[str, Callable[[], None]] = {
    "honua_jobs": _jobs, "honua_job_messages": _job_messages, "honua_fronts": _fronts,
    "honua_job_holders": _job_holders, "honua_job_queue": _job_queue,
    "honua_provenance": _provenance, "honua_provenance_layers": _provenance_layers,
}


def upgrade() -> None:
    existing: set[str] = set()
    if not context.is_offline_mode():
        existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in _TABLES.items():
        if name not in existing:
            create()


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name)
