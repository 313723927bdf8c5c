"""The factory in ``honua.store``: settings pick the job store and the artifact store."""

from __future__ import annotations

from pathlib import Path

import pytest

from honua.core.jobs import Job
from honua.settings import Settings
from honua.store import (
    FilesystemArtifactStore,
    SqlJobStore,
    open_artifact_store,
    open_job_store,
)
from honua.store.artifacts_s3 import S3ArtifactStore
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server


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


def test_open_artifact_store_file_url_is_a_folder(tmp_path: Path) -> None:
    """``artifacts_url = "file:///..."`` is the file store in that folder."""
    store = open_artifact_store(Settings(data_dir=tmp_path / "data",
                                         artifacts_url=(tmp_path / "f").as_uri()))
    assert isinstance(store, FilesystemArtifactStore)
    store.put("jobs/a/outputs.json", b"{}")
    assert (tmp_path / "f" / "jobs" / "a" / "outputs.json").is_file()


def test_open_artifact_store_s3_url_stores_objects_under_prefix(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:
    """``s3://bucket/prefix`` with the endpoint settings puts objects in that bucket."""
    store = open_artifact_store(Settings(data_dir=tmp_path / "data",
                                         artifacts_url=f"s3://{s3_bucket}/honua/site",
                                         **s3_server.settings()))
    assert isinstance(store, S3ArtifactStore)
    store.put("jobs/a/outputs.json", b"{}")
    assert s3_server.object_keys(s3_bucket) == ["honua/site/jobs/a/outputs.json"]
    assert not (tmp_path / "data" / "artifacts").exists()


def test_open_artifact_store_s3_takes_standard_aws_variables(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With no credential settings, AWS_ACCESS_KEY_ID & co. (and AWS_ENDPOINT_URL) apply."""
    for name, value in {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                        "AWS_REGION": REGION, "AWS_ENDPOINT_URL": s3_server.endpoint}.items():
        monkeypatch.setenv(name, value)
    store = open_artifact_store(Settings(artifacts_url=f"s3://{s3_bucket}"))
    store.put("top.bin", b"x")
    assert s3_server.object_keys(s3_bucket) == ["top.bin"]


@pytest.mark.parametrize("url", ["ftp://host/x", "s3:///no-bucket", "gs://bucket/x"])
def test_open_artifact_store_refuses_unknown_urls(url: str) -> None:
    """A URL the server cannot store artifacts at stops the start, saying which forms work."""
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        open_artifact_store(Settings(artifacts_url=url))
