"""The job store's schema under Alembic: created, stamped, upgraded, on SQLite and PostgreSQL.

The one comparison that matters is alembic's own autogenerate diff between the migrated
database and ``sql_schema.metadata``: no difference means a new database made by the
migrations is exactly what the store's code expects, tables, columns, types and indexes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from honua.cli import app
from honua.core.jobs import Job, JobStatus
from honua.errors import Unavailable
from honua.store import SqlJobStore, schema_versions
from honua.store.sql_schema import job_to_row, jobs, metadata
from tests.support import postgres

T0 = dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
SECOND = '''"""A test revision: a column with a default, so old rows get a value."""

import sqlalchemy as sa
from alembic import op

revision = "0002_test_note"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("honua_jobs", sa.Column("note", sa.String(), nullable=False,
                                          server_default="from-0002"))


def downgrade() -> None:
    with op.batch_alter_table("honua_jobs") as batch:
        batch.drop_column("note")
'''


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind (PostgreSQL: a new one, dropped after the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'honua.db'}"
        return
    with postgres.fresh_database("honua_migrate") as name:
        yield postgres.url(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """A plain engine on the database, to inspect it beside the store."""
    made = sa.create_engine(db_url)
    yield made
    made.dispose()


@pytest.fixture
def with_second_revision(tmp_path: Path) -> Path:
    """A copy of the shipped migrations with one more revision, as the next release has."""
    location = tmp_path / "migrations"
    shutil.copytree(schema_versions.MIGRATIONS, location,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (location / "versions" / "r0002_test_note.py").write_text(SECOND)
    return location


def _differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=schema_versions.OPTIONS)
        return list(compare_metadata(context, metadata))


def _job(job_id: str) -> Job:
    return Job(id=job_id, process_id="buffer", status=JobStatus.SUCCEEDED, owner="ann",
               tenant="t1", created=T0, updated=T0, progress=100, message="kept")


def _revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return schema_versions.versions(conn).current


def test_a_new_database_is_created_at_head_exactly_as_the_metadata(db_url, engine):
    SqlJobStore(db_url).close()
    assert _revision(engine) == schema_versions.head()
    assert _differences(engine) == []


def test_the_initial_revision_is_the_head_this_release_ships():
    # A change to sql_schema.py needs a revision: the test above then fails until it exists.
    assert schema_versions.head() == schema_versions.INITIAL


def test_a_database_from_before_migrations_is_stamped_and_keeps_its_rows(db_url, engine):
    metadata.create_all(engine)  # what every Honua did at start before migrations
    with engine.begin() as conn:
        conn.execute(sa.insert(jobs), [job_to_row(_job("old-1"))])
    with engine.connect() as conn:
        assert schema_versions.versions(conn).legacy
    store = SqlJobStore(db_url)
    try:
        assert store.get("old-1").message == "kept"
    finally:
        store.close()
    assert _revision(engine) == schema_versions.INITIAL
    assert _differences(engine) == []


def test_a_second_revision_upgrades_an_old_database_and_keeps_its_data(
        db_url, engine, with_second_revision):
    store = SqlJobStore(db_url)
    store.create(_job("before-upgrade"))
    store.close()
    postgres_ = engine.dialect.name == "postgresql"
    if postgres_:  # a shared database is not upgraded behind its operator's back
        with pytest.raises(Unavailable, match="run `honua migrate`"), engine.begin() as conn:
            schema_versions.ensure(conn, auto_migrate=False, location=with_second_revision)
        assert _revision(engine) == schema_versions.INITIAL
    with engine.begin() as conn:  # SQLite (embedded) upgrades whatever auto_migrate says
        before = schema_versions.ensure(conn, auto_migrate=postgres_,
                                        location=with_second_revision)
    assert before.current == schema_versions.INITIAL
    with engine.connect() as conn:
        assert schema_versions.versions(conn, with_second_revision).current == "0002_test_note"
        row = conn.execute(sa.text("SELECT message, note FROM honua_jobs WHERE id = :id"),
                           {"id": "before-upgrade"}).one()
    assert tuple(row) == ("kept", "from-0002")


def test_downgrade_to_nothing_and_upgrade_again(db_url, engine):
    SqlJobStore(db_url).close()
    with engine.begin() as conn:
        command.downgrade(schema_versions.config(conn), "base")
    with engine.connect() as conn:
        assert not set(sa.inspect(conn).get_table_names()) & set(metadata.tables)
    with engine.begin() as conn:
        command.upgrade(schema_versions.config(conn), "head")
    assert _differences(engine) == []


def test_a_database_migrated_by_a_newer_honua_is_refused(db_url, engine, with_second_revision):
    with engine.begin() as conn:
        command.upgrade(schema_versions.config(conn, location=with_second_revision), "head")
    with pytest.raises(Unavailable, match="newer Honua"):
        SqlJobStore(db_url)


runner = CliRunner()


def test_honua_migrate_shows_the_revisions_prints_sql_and_upgrades(db_url, engine, monkeypatch):
    monkeypatch.setenv("HONUA_DATABASE_URL", db_url)
    printed = runner.invoke(app, ["migrate", "--sql"])
    assert printed.exit_code == 0, printed.output
    assert "current revision none (empty), target 0001_initial" in printed.output
    assert "CREATE TABLE honua_jobs" in printed.stdout
    assert _revision(engine) is None  # --sql only prints
    with engine.connect() as conn:
        assert "honua_jobs" not in sa.inspect(conn).get_table_names()

    upgraded = runner.invoke(app, ["migrate"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "upgraded to 0001_initial" in upgraded.output
    assert _differences(engine) == []
    again = runner.invoke(app, ["migrate"])
    assert again.exit_code == 0 and "already up to date" in again.output


def test_honua_migrate_sql_of_a_database_from_before_migrations_only_stamps_it(
        db_url, engine, monkeypatch):
    metadata.create_all(engine)
    monkeypatch.setenv("HONUA_DATABASE_URL", db_url)
    printed = runner.invoke(app, ["migrate", "--sql"])
    assert printed.exit_code == 0, printed.output
    assert "made before migrations" in printed.output
    assert "CREATE TABLE honua_jobs" not in printed.stdout
    assert "INSERT INTO honua_alembic_version" in printed.stdout


def test_honua_migrate_fails_clearly_on_a_bad_url(monkeypatch):
    monkeypatch.setenv("HONUA_DATABASE_URL", "mysql://nobody@127.0.0.1/x")
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 1 and "SQLite or PostgreSQL" in result.output
