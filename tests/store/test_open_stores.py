"""The factory in ``honua.store``: settings pick the job store and the artifact store."""

from __future__ import annotations

from pathlib import Path

from honua.core.jobs import Job
from honua.settings import Settings
from honua.store import (
    FilesystemArtifactStore,
    SqlJobStore,
    open_artifact_store,
    open_job_store,
)


def test_open_job_store_defaults_to_sqlite_in_data_dir(tmp_path: Path) -> None:
    """With no database URL the job store is a SQLite file in the data folder."""
    store = open_job_store(Settings(data_dir=tmp_path / "data"))
    try:
        assert isinstance(store, SqlJobStore)
        store.create(Job(id="a", process_id="buffer"))
        assert (tmp_path / "data" / "honua.db").is_file()
    finally:
        store.close()


def test_open_job_store_uses_database_url(postgres_url: str) -> None:
    """A PostgreSQL URL in the settings opens the store on PostgreSQL."""
    store = open_job_store(Settings(database_url=postgres_url))
    try:
        assert isinstance(store, SqlJobStore)
        assert store.list(owner="nobody-at-all") == ([], 0)
        assert "postgresql+psycopg" in repr(store)
    finally:
        store.close()


def test_open_artifact_store_defaults_to_data_dir(tmp_path: Path) -> None:
    """Without an artifacts folder, artifacts live in ``<data_dir>/artifacts``."""
    store = open_artifact_store(Settings(data_dir=tmp_path / "data"))
    assert isinstance(store, FilesystemArtifactStore)
    store.put("jobs/a/outputs.json", b"{}")
    assert (tmp_path / "data" / "artifacts" / "jobs" / "a" / "outputs.json").is_file()


def test_open_artifact_store_uses_artifacts_dir(tmp_path: Path) -> None:
    """An explicit artifacts folder wins over the data folder."""
    store = open_artifact_store(Settings(data_dir=tmp_path / "data",
                                         artifacts_dir=tmp_path / "elsewhere"))
    assert isinstance(store, FilesystemArtifactStore)
    assert store.root == (tmp_path / "elsewhere").absolute()
