"""Row-level security on tenant in the PostgreSQL job store: the store connects as an ordinary
role, and even a deliberately unfiltered query through its own connection, made as tenant A,
returns nothing of tenant B."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from honua.core.context import MessageLevel
from honua.core.jobs import Job, Message
from honua.core.tenancy import Viewer, viewing_as
from honua.errors import NoSuchJob, Unavailable
from honua.store.jobs_sql import SqlJobStore
from tests.support import postgres

MakeJob = Callable[..., Job]


@pytest.fixture(scope="module")
def app_database() -> Iterator[str]:
    """A database owned by the ordinary role the server connects as."""
    role = postgres.app_role()
    with postgres.fresh_database("honua_rls", owner=role) as name:
        yield name


@pytest.fixture(scope="module")
def store(app_database: str) -> Iterator[SqlJobStore]:
    store = SqlJobStore(postgres.url(app_database, user=postgres.APP_ROLE))
    yield store
    store.close()


@pytest.fixture
def two_tenants(store: SqlJobStore, make_job: MakeJob, t0: dt.datetime) -> tuple[Job, Job]:
    """One job of tenant A and one of tenant B, each with a message (written by the server)."""
    with store._engine.begin() as conn:  # as the server itself: every tenant
        conn.execute(sa.text("DELETE FROM honua_jobs"))
    a, b = make_job(tenant="A", owner="user:a"), make_job(tenant="B", owner="user:b")
    for job in (a, b):
        store.create(job, [Message(t0, MessageLevel.INFO, f"note of {job.tenant}")])
    return a, b


def _unfiltered(store: SqlJobStore, sql: str) -> list[Any]:
    with store._engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).mappings())


def test_an_unfiltered_select_as_tenant_a_returns_no_row_of_tenant_b(store, two_tenants):
    a, b = two_tenants
    with viewing_as(Viewer("A")):
        jobs = _unfiltered(store, "SELECT * FROM honua_jobs")
        notes = _unfiltered(store, "SELECT * FROM honua_job_messages")
    assert [row["id"] for row in jobs] == [a.id]
    assert [row["text"] for row in notes] == ["note of A"]
    with viewing_as(Viewer("B")):
        assert [row["id"] for row in _unfiltered(store, "SELECT id FROM honua_jobs")] == [b.id]


def test_the_store_answers_another_tenants_job_as_unknown(store, two_tenants):
    a, b = two_tenants
    with viewing_as(Viewer("A")):
        assert store.get(a.id) == a
        with pytest.raises(NoSuchJob):
            store.get(b.id)
        with pytest.raises(NoSuchJob):
            store.messages(b.id)
        assert store.list(tenant=None) == ([a], 1)  # the forgotten filter is the database's
        store.delete(b.id)                          # a delete that does not reach B
    assert store.get(b.id) == b


def test_writes_as_tenant_a_cannot_touch_or_create_rows_of_tenant_b(store, two_tenants,
                                                                   make_job):
    a, b = two_tenants
    with viewing_as(Viewer("A")):
        assert store.update(b) is False
        with pytest.raises(Unavailable):  # WITH CHECK: a row of B cannot be written as A
            store.create(make_job(tenant="B"))
        with store._engine.begin() as conn:
            changed = conn.execute(sa.text("UPDATE honua_jobs SET message = 'owned'")).rowcount
    assert changed == 1
    assert store.get(b.id).message == b.message


def test_admins_and_the_server_itself_see_every_tenant(store, two_tenants):
    expected = {job.id for job in two_tenants}
    with viewing_as(Viewer("ops", admin=True)):
        assert {r["id"] for r in _unfiltered(store, "SELECT id FROM honua_jobs")} == expected
    assert {r["id"] for r in _unfiltered(store, "SELECT id FROM honua_jobs")} == expected


def test_a_connection_that_declares_no_tenant_sees_nothing(app_database, two_tenants):
    """Another program connecting as the server's role, without Honua's declaration."""
    with postgres.connect(app_database, user=postgres.APP_ROLE) as conn:
        assert conn.execute("SELECT count(*) FROM honua_jobs").fetchone() == (0,)
        conn.execute("SELECT set_config('honua.tenant', '', false)")  # as after a SET LOCAL
        assert conn.execute("SELECT count(*) FROM honua_jobs").fetchone() == (0,)


def test_the_tables_force_row_security(postgres_admin, app_database, store):
    with postgres.connect(app_database) as conn:
        rows = conn.execute("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                            "WHERE relname IN ('honua_jobs', 'honua_job_messages') "
                            "ORDER BY relname").fetchall()
    assert rows == [("honua_job_messages", True, True), ("honua_jobs", True, True)]


def test_a_superuser_connection_is_warned_about(postgres_url, caplog):
    with caplog.at_level(logging.WARNING, logger="honua.store.sql_tenants"):
        SqlJobStore(postgres_url).close()
    assert "row-level security on tenant does not apply" in caplog.text
