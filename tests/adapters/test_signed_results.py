"""Big job results on S3 go out as signed, expiring URLs; small ones as before.

The server keeps its artifacts on moto's S3 server (``tests/support/s3.py``); a
job's file output above ``signed_url_threshold_mb`` is handed to GPServer clients as
the result's ``value.url`` and to OGC API clients as a redirect or a results link,
each a presigned URL that any HTTP client can GET until it expires (then S3's 403).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.settings import Settings
from tests.adapters.gpserver.conftest import poll
from tests.plugins.blobs import blob
from tests.support.jobs import wait_for
from tests.support.layers import write_layer
from tests.support.s3 import S3Server

GP = "/arcgis/rest/services/Geoprocessing/GPServer/MakeBlob"
THRESHOLD_MB = 0.05  # about 52 kB
EXPIRY_SECONDS = 3.0
BIG = 200_000
SMALL = 5_000


@pytest.fixture
def s3_settings(tmp_path, s3_server: S3Server, s3_bucket: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", workers=1, job_timeout_seconds=60,
                    cleanup_interval_seconds=3600, process_modules=("tests.plugins.blobs",),
                    artifacts_url=f"s3://{s3_bucket}/site", signed_url_threshold_mb=THRESHOLD_MB,
                    signed_url_expiry_seconds=EXPIRY_SECONDS, **s3_server.settings())


@pytest.fixture
def s3_client(s3_settings: Settings) -> Iterator[TestClient]:
    app = create_app(s3_settings, services=build_services(s3_settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _gp_job(client: TestClient, size: int) -> str:
    job = client.post(f"{GP}/submitJob", data={"size": str(size), "f": "json"}).json()
    job_url = f"{GP}/jobs/{job['jobId']}"
    assert poll(client, job_url)["jobStatus"] == "esriJobSucceeded"
    return job_url


def _ogc_job(client: TestClient, size: int, **request: Any) -> str:
    response = client.post("/api/processes/make_blob/execution",
                           json={"inputs": {"size": size}, **request},
                           headers={"Prefer": "respond-async"})
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    assert wait_for(client, job_id)["status"] == "successful"
    return job_id


def _until_expired(url: str) -> httpx.Response:
    """GET ``url`` once its expiry has passed (bounded: never a machine-speed race)."""
    time.sleep(EXPIRY_SECONDS + 1.5)
    return httpx.get(url, timeout=30)


def test_gpserver_big_file_result_is_a_signed_url_that_expires(
        s3_client: TestClient, s3_server: S3Server) -> None:
    """``value.url`` of a big file result leads to S3 itself, gives the bytes, then 403."""
    job_url = _gp_job(s3_client, BIG)
    result = s3_client.get(f"{job_url}/results/blob", params={"f": "json"}).json()
    url = result["value"]["url"]
    assert url.startswith(s3_server.endpoint) and "X-Amz-Signature=" in url
    assert f"X-Amz-Expires={int(EXPIRY_SECONDS)}" in url
    fetched = httpx.get(url, timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == blob(BIG)
    data = s3_client.get(f"{job_url}/results/blob/data", follow_redirects=False)
    assert data.status_code == 302 and data.headers["location"].startswith(s3_server.endpoint)
    expired = _until_expired(url)
    assert expired.status_code == 403
    assert b"expired" in expired.content


def test_gpserver_small_file_result_is_served_as_before(s3_client: TestClient,
                                                        s3_server: S3Server) -> None:
    """A file under the threshold keeps its URL on this server, which sends the bytes."""
    job_url = _gp_job(s3_client, SMALL)
    result = s3_client.get(f"{job_url}/results/blob", params={"f": "json"}).json()
    assert result["value"]["url"].endswith(f"{job_url}/results/blob/data")
    data = s3_client.get(f"{job_url}/results/blob/data", follow_redirects=False)
    assert data.status_code == 200
    assert data.content == blob(SMALL)
    assert data.headers["content-disposition"] == 'attachment; filename="blob.bin"'


def test_ogcapi_big_output_redirects_to_a_signed_url(s3_client: TestClient,
                                                     s3_server: S3Server) -> None:
    """``/results/{output}`` of a big output is a 303 to S3, which sends the bytes."""
    job_id = _ogc_job(s3_client, BIG)
    answer = s3_client.get(f"/api/jobs/{job_id}/results/blob", follow_redirects=False)
    assert answer.status_code == 303
    url = answer.headers["location"]
    assert url.startswith(s3_server.endpoint)
    assert httpx.get(url, timeout=30).content == blob(BIG)
    assert _until_expired(url).status_code == 403


def test_ogcapi_results_document_links_big_outputs(s3_client: TestClient,
                                                   s3_server: S3Server) -> None:
    """The results document links a big output (href: the signed URL), never inlines it."""
    job_id = _ogc_job(s3_client, BIG, response="document")
    document = s3_client.get(f"/api/jobs/{job_id}/results").json()
    link = document["blob"]
    assert link["href"].startswith(s3_server.endpoint)
    assert link["type"] == "application/octet-stream"
    assert httpx.get(link["href"], timeout=30).content == blob(BIG)


def test_ogcapi_small_output_is_served_as_before(s3_client: TestClient) -> None:
    """A small output comes from this server, inline in the document and raw."""
    job_id = _ogc_job(s3_client, SMALL)
    raw = s3_client.get(f"/api/jobs/{job_id}/results/blob", follow_redirects=False)
    assert raw.status_code == 200
    assert raw.content == blob(SMALL)


def test_big_output_is_an_object_of_its_own_under_the_prefix(
        s3_client: TestClient, s3_server: S3Server, s3_bucket: str) -> None:
    """Where the bytes are: the file's own object beside outputs.json, under the prefix."""
    job_id = _ogc_job(s3_client, BIG)
    keys = s3_server.object_keys(s3_bucket)
    assert f"site/jobs/{job_id}/outputs/blob" in keys
    assert f"site/jobs/{job_id}/outputs.json" in keys
    assert all(key.startswith("site/") for key in keys)


def test_file_store_serves_big_outputs_itself(tmp_path) -> None:
    """On the default file store, a big output is kept apart too, but this server sends it."""
    settings = Settings(data_dir=tmp_path / "data", workers=1, job_timeout_seconds=60,
                        cleanup_interval_seconds=3600, process_modules=("tests.plugins.blobs",),
                        signed_url_threshold_mb=THRESHOLD_MB)
    app = create_app(settings, services=build_services(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        job_url = _gp_job(client, BIG)
        result = client.get(f"{job_url}/results/blob", params={"f": "json"}).json()
        assert result["value"]["url"].endswith("/results/blob/data")
        data = client.get(f"{job_url}/results/blob/data", follow_redirects=False)
        assert data.status_code == 200 and data.content == blob(BIG)
        raw = client.get(f"/api/jobs/{_ogc_job(client, BIG)}/results/blob",
                         follow_redirects=False)
        assert raw.status_code == 200 and raw.content == blob(BIG)
        assert raw.headers["content-type"] == "application/x-honua-blob"
    job_id = job_url.rsplit("/", 1)[1]
    assert (settings.resolved_artifacts_dir / "jobs" / job_id / "outputs" / "blob").read_bytes() \
        == blob(BIG)


@pytest.mark.parametrize("threshold_mb, signed", [(0.001, True), (5.0, False)])
def test_chunked_run_on_s3_streams_its_output_in_and_serves_it(
        tmp_path, s3_server: S3Server, s3_bucket: str, threshold_mb: float,
        signed: bool) -> None:
    """A layer-reference job runs in chunks; its GeoJSON file goes up to S3 and comes back
    from a signed URL when big, through this server when small, the same 25 features."""
    write_layer(tmp_path / "data" / "layers" / "cities.gpkg", 25)
    settings = Settings(data_dir=tmp_path / "data", workers=1, job_timeout_seconds=60,
                        cleanup_interval_seconds=3600, chunk_features=7,
                        artifacts_url=f"s3://{s3_bucket}/site",
                        signed_url_threshold_mb=threshold_mb, **s3_server.settings())
    app = create_app(settings, services=build_services(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/processes/buffer/execution",
                               headers={"Prefer": "respond-async"},
                               json={"inputs": {"features": {"layerReference": "cities"},
                                                "distance": {"value": 100, "unit": "meters"}}})
        assert response.status_code == 201, response.text
        job_id = response.json()["jobID"]
        assert wait_for(client, job_id)["status"] == "successful"
        assert f"site/jobs/{job_id}/outputs/result.geojson" in s3_server.object_keys(s3_bucket)
        answer = client.get(f"/api/jobs/{job_id}/results/result", follow_redirects=False)
        if signed:
            assert answer.status_code == 303
            answer = httpx.get(answer.headers["location"], timeout=30)
        assert answer.status_code == 200
        assert len(answer.json()["features"]) == 25
