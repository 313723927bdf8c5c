"""Downloads as a GIS user opens them: FlatGeobuf, GeoPackage and GeoJSON files of job
results and of collection items, read back with GDAL (pyogrio), KMZ (doc.kml in
longitude/latitude), and GPServer's ``f=geojson`` and ``f=kmz`` results."""

from __future__ import annotations

import io
import json
import time

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
    assert answer.status_code == 200 and "jobId" in answer.json(), answer.text[:300]
    job_id = answer.json()["jobId"]
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


def _kml_of(content: bytes, tmp_path):
    """The ``doc.kml`` of a KMZ, read back with GDAL: (longitudes, latitudes, info)."""
    import zipfile

    import shapely

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == ["doc.kml"]
        document = archive.read("doc.kml")
    assert b"<kml" in document
    path = tmp_path / "doc.kml"
    path.write_bytes(document)
    info = pyogrio.read_info(path)
    shapes = shapely.from_wkb(pyogrio.raw.read(path)[2])
    centres = shapely.centroid(shapes)
    return shapely.get_x(centres), shapely.get_y(centres), info


BERLIN_3857 = (1_492_237.0, 6_894_699.0)
"""(13.405 E, 52.52 N) in web Mercator: KML must carry the longitude/latitude."""


def test_gpserver_result_as_kmz_in_longitude_latitude(client, tmp_path):
    import time

    features = point_set(BERLIN_3857, wkid=3857)
    answer = client.get(f"{GP}/Buffer/submitJob", params={
        "f": "json", "features": json.dumps(features), "distance": METERS})
    assert answer.status_code == 200 and "jobId" in answer.json(), answer.text
    job_id = answer.json()["jobId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get(f"{GP}/Buffer/jobs/{job_id}", params={"f": "json"}).json()
        if status["jobStatus"] in ("esriJobSucceeded", "esriJobFailed"):
            break
        time.sleep(0.05)
    assert status["jobStatus"] == "esriJobSucceeded", status
    result = client.get(f"{GP}/Buffer/jobs/{job_id}/results/result", params={"f": "kmz"})
    assert result.status_code == 200, result.text
    assert result.headers["content-type"].startswith("application/vnd.google-earth.kmz")
    assert result.headers.get("content-encoding") is None  # a zip is not compressed again
    lons, lats, info = _kml_of(result.content, tmp_path)
    assert info["features"] == 1 and info["crs"] == "EPSG:4326"
    assert abs(lons[0] - 13.405) < 1e-3 and abs(lats[0] - 52.52) < 1e-3


def test_job_result_and_collection_items_as_kmz(client, tmp_path):
    job_id = run_async_buffer(client, n=4)["jobID"]
    answer = client.get(f"/api/jobs/{job_id}/results/result?f=kmz")
    assert answer.status_code == 200, answer.text
    assert '.kmz"' in answer.headers["content-disposition"]
    assert _kml_of(answer.content, tmp_path)[2]["features"] == 4
    items = client.get("/api/collections/cities/items?limit=5",
                       headers={"Accept": "application/vnd.google-earth.kmz"})
    assert items.status_code == 200, items.text
    lons, lats, info = _kml_of(items.content, tmp_path)
    assert info["features"] == 5
    assert ((lons >= -180) & (lons <= 180) & (lats >= -90) & (lats <= 90)).all()
