"""Downloads as a GIS user opens them: FlatGeobuf, GeoPackage and GeoJSON files of job
results and of collection items, read back with GDAL (pyogrio), and GPServer's
``f=geojson`` result."""

from __future__ import annotations

import io
import json

import pyogrio
import pytest

from tests.adapters.gpserver.conftest import GP, METERS, point_set
from tests.support.jobs import run_async_buffer
from tests.support.layers import write_layer


@pytest.fixture
def settings(settings):
    write_layer(settings.data_dir / "layers" / "cities.gpkg", 12)
    return settings


def _read(content: bytes, suffix: str, tmp_path):
    path = tmp_path / f"download{suffix}"
    path.write_bytes(content)
    return pyogrio.read_info(path), path


FILES = [("fgb", "application/flatgeobuf", ".fgb"),
         ("gpkg", "application/geopackage+sqlite3", ".gpkg"),
         ("geojson", "application/geo+json", ".geojson")]


@pytest.mark.parametrize("key, media_type, suffix", FILES)
def test_job_result_downloads(client, tmp_path, key, media_type, suffix):
    job_id = run_async_buffer(client, n=5)["jobID"]
    answer = client.get(f"/api/jobs/{job_id}/results/result?f={key}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(media_type)
    assert f'{suffix}"' in answer.headers["content-disposition"]
    info, _ = _read(answer.content, suffix, tmp_path)
    assert info["features"] == 5 and info["geometry_type"] in ("Polygon", "Unknown")


@pytest.mark.parametrize("key, media_type, suffix", FILES[:2])
def test_downloads_by_accept_and_of_the_one_feature_output(client, tmp_path, key, media_type,
                                                           suffix):
    job_id = run_async_buffer(client, n=3)["jobID"]
    answer = client.get(f"/api/jobs/{job_id}/results", headers={"Accept": media_type})
    assert answer.status_code == 200, answer.text
    assert _read(answer.content, suffix, tmp_path)[0]["features"] == 3


@pytest.mark.parametrize("key, media_type, suffix", FILES)
def test_collection_items_download(client, tmp_path, key, media_type, suffix):
    answer = client.get(f"/api/collections/cities/items?f={key}&limit=7")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(media_type)
    assert _read(answer.content, suffix, tmp_path)[0]["features"] == 7


def test_no_temporary_files_are_left_behind(client, tmp_path, monkeypatch):
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    for key in ("fgb", "gpkg"):
        assert client.get(f"/api/collections/cities/items?f={key}").status_code == 200
    assert list(folder.iterdir()) == []


def test_unknown_format_keeps_the_usual_answer_or_refuses(client):
    assert client.get("/api/collections/cities/items?f=json").status_code == 200
    assert client.get("/api/collections/cities/items?f=shp").status_code in (200, 400)


def test_gpserver_result_as_geojson(client):
    features = point_set((13.4, 52.5))
    answer = client.get(f"{GP}/Buffer/submitJob", params={
        "f": "json", "features": json.dumps(features), "distance": METERS})
    if answer.status_code != 200 or "jobId" not in answer.json():
        pytest.skip(f"Buffer is synchronous here: {answer.text[:120]}")
    job_id = answer.json()["jobId"]
    import time
    for _ in range(600):
        status = client.get(f"{GP}/Buffer/jobs/{job_id}", params={"f": "json"}).json()
        if status["jobStatus"] in ("esriJobSucceeded", "esriJobFailed"):
            break
        time.sleep(0.05)
    result = client.get(f"{GP}/Buffer/jobs/{job_id}/results/result", params={"f": "geojson"})
    assert result.status_code == 200, result.text
    document = json.load(io.BytesIO(result.content))
    assert document["type"] == "FeatureCollection"
    assert document["features"][0]["geometry"]["type"] == "Polygon"
