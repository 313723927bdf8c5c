"""Fixtures shared by the whole suite: settings on a temporary data directory, the
real application (SQLite job store, local worker pool), an HTTP test client and a
live server for socket clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.settings import Settings
from tests.support.s3 import S3Server, moto_server
from tests.support.servers import serve


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", workers=2, worker_max_jobs=50,
                    job_timeout_seconds=60, cleanup_interval_seconds=3600)


@pytest.fixture
def services(settings):
    return build_services(settings)


@pytest.fixture
def app(settings, services):
    return create_app(settings, services=services)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def live_server(app):
    with serve(app) as base:
        yield base


@pytest.fixture(scope="session")
def postgis_layers_url():
    """A throwaway PostGIS database with the generated test layers (``tests/support/
    postgis_layers.py``), dropped at the end of the session; never skipped."""
    from tests.support import postgis_layers

    with postgis_layers.database() as url:
        yield url


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on loopback for the whole session (``tests/support/s3.py``)."""
    with moto_server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket on the session's S3 server."""
    return s3_server.create_bucket()
