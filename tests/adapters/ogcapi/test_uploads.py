"""Two-step uploads through OGC API: POST /api/uploads, then {"uploadId": ...} as an input."""

from __future__ import annotations

import io
import zipfile

import pytest

from honua.settings import Settings
from tests.support.layers import files_under, write_layer, zipped_shapefile


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", workers=1, worker_max_jobs=50,
                    job_timeout_seconds=60, cleanup_interval_seconds=3600, upload_max_mb=1,
                    upload_max_ratio=20)


@pytest.fixture
def outside(tmp_path):
    """Every file under tmp_path outside the upload area (the job store's files aside)."""
    def snapshot():
        return {p for p in files_under(tmp_path)
                if "uploads" not in p.parts and not p.name.startswith("honua.db")}
    return snapshot


def _upload(client, name, data, media_type="application/octet-stream", **fields):
    return client.post("/api/uploads", files={"file": (name, data, media_type)}, data=fields)


def test_upload_then_use_it_as_an_input(client, tmp_path):
    data = write_layer(tmp_path / "src" / "cities.gpkg", 4).read_bytes()
    response = _upload(client, "cities.gpkg", data, description="four cities")
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["format"] == "geopackage" and document["size"] == len(data)
    assert response.headers["location"].endswith(f"/api/uploads/{document['uploadId']}")
    assert client.get(f"/api/uploads/{document['uploadId']}").json()["description"] == "four cities"
    body = {"inputs": {"features": {"uploadId": document["uploadId"]},
                       "distance": {"value": 1, "unit": "kilometers"}}}
    result = client.post("/api/processes/buffer/execution", json=body)
    assert result.status_code == 200, result.text
    assert sorted(f["properties"]["name"] for f in result.json()["features"]) == [
        "city0", "city1", "city2", "city3"]


def test_upload_zipped_shapefile_and_csv(client, tmp_path):
    shp = _upload(client, "cities.zip", zipped_shapefile(tmp_path / "src", 3), "application/zip")
    assert shp.status_code == 201 and shp.json()["format"] == "shapefile"
    csv = _upload(client, "points.csv", b"name,lon,lat\nA,1,2\n", "text/csv")
    assert csv.status_code == 201 and csv.json()["format"] == "csv"


def test_upload_delete_then_unknown(client, tmp_path):
    upload_id = _upload(client, "c.geojson", write_layer(
        tmp_path / "src" / "c.geojson").read_bytes()).json()["uploadId"]
    assert client.delete(f"/api/uploads/{upload_id}").status_code == 204
    assert client.get(f"/api/uploads/{upload_id}").status_code == 404
    body = {"inputs": {"features": {"uploadId": upload_id}, "distance": 10}}
    response = client.post("/api/processes/buffer/execution", json=body)
    assert response.status_code == 400 and "no upload" in response.json()["detail"]


def _zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data", "status", "message"), [
    ("bomb.zip", _zip([("a.shp", b"\x00" * (4 << 20)), ("a.shx", b"x"), ("a.dbf", b"x")]), 413,
     "zip bomb"),
    ("evil.zip", _zip([("../../evil.shp", b"x"), ("evil.shx", b"x"), ("evil.dbf", b"x")]), 400,
     "outside its folder"),
    ("photo.geojson", b"\xff\xd8\xff\xe0" + b"\x00" * 100, 400, "name says GeoJSON"),
    ("big.geojson", b"{" + b" " * (2 << 20) + b"}", 413, "larger than the limit of 1 MB"),
    ("notes.docx", b"PK\x03\x04", 400, "accepted formats"),
    ("broken.geojson", b'{"type": "FeatureCollection", "features": [{"type": "Feat', 400,
     "cannot be read"),
])
def test_upload_hostile_files_are_refused_and_nothing_is_written_elsewhere(
        client, outside, tmp_path, name, data, status, message):
    before = outside()
    response = _upload(client, name, data)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]
    assert str(tmp_path) not in response.text
    assert outside() == before
    uploads = tmp_path / "data" / "uploads"
    assert [p for p in uploads.iterdir() if not p.name.startswith(".")] == []
    assert list((uploads / ".incoming").iterdir()) == []
    assert not (tmp_path / "evil.shp").exists()


def test_upload_without_a_file_part_is_400(client):
    response = client.post("/api/uploads", data={"description": "nothing"},
                           files={"other": ("x.txt", b"x", "text/plain")})
    assert response.status_code == 400 and 'field named "file"' in response.json()["detail"]
    response = client.post("/api/uploads", content=b"{}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and "multipart/form-data" in response.json()["detail"]


def test_upload_part_names_outside_latin_1_are_read_not_a_500(client, tmp_path):
    """Part headers carry raw UTF-8 (browsers send names so): a field name outside latin-1
    and a Japanese filename are read as UTF-8 (schemathesis found a 500 here)."""
    data = write_layer(tmp_path / "src" / "cities.gpkg", 2).read_bytes()
    boundary = "b0undary"
    body = b"".join([
        f"--{boundary}\r\n".encode(),
        'Content-Disposition: form-data; name="\U000d81d9x"\r\n\r\n1\r\n'.encode(),
        f"--{boundary}\r\n".encode(),
        'Content-Disposition: form-data; name="description"\r\n\r\nStädte 東京\r\n'.encode(),
        f"--{boundary}\r\n".encode(),
        'Content-Disposition: form-data; name="file"; filename="東京.gpkg"\r\n'.encode(),
        b"Content-Type: application/octet-stream\r\n\r\n", data, b"\r\n",
        f"--{boundary}--\r\n".encode()])
    response = client.post("/api/uploads", content=body,
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 201, response.text
    upload = client.get(f"/api/uploads/{response.json()['uploadId']}").json()
    assert upload["description"] == "Städte 東京"
