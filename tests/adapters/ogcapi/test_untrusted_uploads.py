"""Hostile uploads through OGC API (issue 10): virtual datasets in disguise, /vsicurl, the job
store as a target. Every payload is built here; each must be refused with a clear 400 that
names what the file is, and must leave the job store and the server process untouched."""

from __future__ import annotations

import codecs
import io
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest

from honua.settings import Settings
from tests.support.layers import write_layer
from tests.support.servers import counting_listener


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", workers=1, worker_max_jobs=50,
                    job_timeout_seconds=60, cleanup_interval_seconds=3600)


def _vrt(source: str, layer: str, *, relative: bool = False) -> bytes:
    flag = ' relativeToVRT="1"' if relative else ""
    return (f'<OGRVRTDataSource><OGRVRTLayer name="{layer}"><SrcDataSource{flag}>{source}'
            f"</SrcDataSource><SrcLayer>{layer}</SrcLayer></OGRVRTLayer>"
            "</OGRVRTDataSource>").encode()


PASSWD = _vrt("CSV:/etc/passwd", "passwd")
GDALG = (b'{"name": "roads", "description": "x", "type": "gdal_streamed_alg", '
         b'"command_line": "gdal vector pipeline ! read /etc/passwd ! write streamed_dataset"}')


def _upload(client, name, data, media_type="application/octet-stream"):
    return client.post("/api/uploads", files={"file": (name, data, media_type)})


def _refused(response, *words):
    assert response.status_code == 400, response.text
    text = response.text
    assert all(word in text for word in words), text
    assert "root:" not in text and "/etc/passwd" not in text
    return response.json()["detail"]


DISGUISES = {
    "plain VRT as .kml": ("roads.kml", b'<?xml version="1.0"?><kml/>' + PASSWD),
    "VRT with BOM, blanks and a <kml comment": (
        "roads.kml", codecs.BOM_UTF8 + b"\n\n  <!-- <kml> -->\n" + PASSWD),
    "UTF-16 VRT as .kml": ("roads.kml", codecs.BOM_UTF16_LE + PASSWD.decode().encode("utf-16-le")),
    "VRT after a CSV header": ("roads.csv", b"lon,lat\n" + PASSWD),
    "VRT as .geojson": ("roads.geojson", b"{ }" + PASSWD),
    "VRT as .gml": ("roads.gml", b'<x xmlns:gml="http://www.opengis.net/gml"/>' + PASSWD),
}


@pytest.mark.parametrize("case", list(DISGUISES))
def test_untrusted_disguised_vrt_is_refused_naming_it(client, services, case):
    name, data = DISGUISES[case]
    _refused(_upload(client, name, data), "VRT virtual dataset", "refused")
    assert services.uploads.list() == []


@pytest.mark.parametrize("data", [
    GDALG,
    b'  {"name": "r", "other": {"type": "x"}, "t\\u0079pe": "\\u0067dal_streamed_alg"}',
    codecs.BOM_UTF8 + b'{"features": [], "type": "gdal_streamed_alg"}',
])
def test_untrusted_gdalg_json_is_refused_naming_it(client, data):
    _refused(_upload(client, "roads.geojson", data), "GDALG")


def test_untrusted_vrt_at_the_job_store_leaves_it_intact(client, settings, buffer_request):
    """relativeToVRT="1" aimed at honua.db: refused; the store's WAL survives, jobs persist."""
    assert client.post("/api/processes/buffer/execution", json=buffer_request,
                       headers={"Prefer": "respond-async"}).status_code == 201
    database = settings.data_dir / "honua.db"
    wal = Path(f"{database}-wal")
    assert wal.exists()
    for depth in range(1, 6):
        _refused(_upload(client, "jobs.kml", _vrt("../" * depth + "honua.db", "jobs",
                                                  relative=True)), "VRT")
    _refused(_upload(client, "jobs.csv", b"lon,lat\n" + _vrt(str(database), "jobs")), "VRT")
    assert wal.exists() and Path(f"{database}-shm").exists()
    created = client.post("/api/processes/buffer/execution", json=buffer_request,
                          headers={"Prefer": "respond-async"})
    assert created.status_code == 201
    assert client.get(f"/api/jobs/{created.json()['jobID']}").status_code == 200
    assert len(client.get("/api/jobs").json()["jobs"]) == 2


def test_untrusted_error_text_is_the_same_for_existing_and_missing_files(client):
    existing = _refused(_upload(client, "a.kml", _vrt("CSV:/etc/passwd", "a")), "VRT")
    missing = _refused(_upload(client, "a.kml", _vrt("CSV:/no/such/file", "a")), "VRT")
    assert existing == missing


def test_untrusted_vsicurl_is_never_fetched(client):
    """A VRT, an OGC API href and a layer of /vsicurl/: refused; GDAL fetches nothing."""
    with counting_listener(b"lon,lat\n1,2\n") as (base, seen):
        _refused(_upload(client, "r.kml", _vrt(f"/vsicurl/{base}/r.csv", "r")), "VRT")
        body = {"inputs": {"features": {"href": f"/vsicurl/{base}/r.geojson"},
                           "distance": {"value": 1, "unit": "meters"}}}
        answer = client.post("/api/processes/buffer/execution", json=body)
        assert answer.status_code in (400, 501), answer.text
        layer = client.post("/api/processes/buffer/execution", json={"inputs": {
            "features": {"layerReference": {"collectionId": f"/vsicurl/{base}/r"}},
            "distance": {"value": 1, "unit": "meters"}}})
        assert layer.status_code in (400, 404), layer.text
    assert seen == []


def test_untrusted_zip_holding_a_vrt_is_refused(client):
    only_vrt = io.BytesIO()
    with zipfile.ZipFile(only_vrt, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("roads.vrt", PASSWD)
    _refused(_upload(client, "roads.zip", only_vrt.getvalue()), "exactly one Shapefile")
    disguised = io.BytesIO()
    with zipfile.ZipFile(disguised, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in ("roads.shp", "roads.shx", "roads.dbf"):
            archive.writestr(part, PASSWD)
    _refused(_upload(client, "roads.zip", disguised.getvalue()), ".shp is not a Shapefile")


def test_untrusted_geopackage_is_fine_but_plain_sqlite_is_refused(client, tmp_path):
    gpkg = write_layer(tmp_path / "src" / "cities.gpkg", 3).read_bytes()
    assert _upload(client, "cities.gpkg", gpkg).status_code == 201
    plain = tmp_path / "plain.sqlite"
    with sqlite3.connect(plain) as connection:
        connection.execute("create table jobs (id text, options text)")
        connection.execute("insert into jobs values ('j1', 'secret')")
    _refused(_upload(client, "jobs.gpkg", plain.read_bytes()), "not a GeoPackage")


def test_untrusted_server_process_keeps_no_gdal_handle(client, tmp_path, settings):
    """After an upload and a job on it, no file of the upload area is open in this process."""
    data = write_layer(tmp_path / "src" / "cities.gpkg", 4).read_bytes()
    upload_id = _upload(client, "cities.gpkg", data).json()["uploadId"]
    result = client.post("/api/processes/explode/execution", json={"inputs": {
        "features": {"uploadId": upload_id}}})
    assert result.status_code == 200, result.text
    area = str((settings.data_dir / "uploads").resolve())
    open_files = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            open_files.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    assert [f for f in open_files if f.startswith(area)] == []
    database = settings.data_dir / "honua.db"
    assert Path(f"{database}-wal").exists() and Path(f"{database}-shm").exists()


def test_untrusted_format_not_allowed_is_refused(tmp_path):
    """``allowed_formats`` narrows what is accepted; the refusal lists what is."""
    from starlette.testclient import TestClient

    from honua.app import create_app

    narrow = Settings(data_dir=tmp_path / "narrow", workers=1, allowed_formats=("GPKG",))
    with TestClient(create_app(narrow)) as client:
        answer = _upload(client, "cities.kml", write_layer(
            tmp_path / "src" / "cities.kml", 2).read_bytes())
        assert answer.status_code == 400 and "GeoPackage (.gpkg)" in answer.text
        assert "KML" not in answer.json()["detail"].split("accepted formats are")[1]
