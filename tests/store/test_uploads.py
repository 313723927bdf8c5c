"""The upload store: accepted formats, ownership, expiry, and hostile files refused harmlessly."""

from __future__ import annotations

import datetime as dt
import io
import stat
import zipfile

import pytest

from honua.errors import InvalidParameter, OverQuota, PayloadTooLarge
from honua.store.memory import MemoryUsageLedger
from honua.store.uploads import NoSuchUpload, Upload, UploadLimits, UploadStore
from honua.store.uploads_checks import ArchiveLimits, remove_tree
from tests.support.layers import files_under, write_layer, zipped_shapefile

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def area(tmp_path):
    """The upload area, inside a folder whose other contents must never change."""
    return tmp_path / "data" / "uploads"


@pytest.fixture
def store(area, clock):
    limits = UploadLimits(max_bytes=2 << 20, archive=ArchiveLimits(
        max_uncompressed_bytes=4 << 20, max_ratio=50, max_entries=20), ttl=dt.timedelta(hours=2))
    return UploadStore(area, limits, clock=clock)


@pytest.fixture
def outside(tmp_path):
    """Everything under tmp_path except the upload area, to compare before/after."""
    def snapshot():
        return {p for p in files_under(tmp_path) if "uploads" not in p.relative_to(tmp_path).parts}
    return snapshot


def _bytes_of(path):
    return path.read_bytes()


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb", ".kml"])
def test_uploads_single_file_formats_are_accepted_and_readable(store, tmp_path, suffix):
    """Each single-file format comes back as the same five features."""
    data = _bytes_of(write_layer(tmp_path / "src" / f"cities{suffix}"))
    upload = store.add(data, f"cities{suffix}", owner="ann")
    features = store.read_features(upload)
    assert len(features) == 5
    assert upload.size == len(data) and upload.owner == "ann"
    assert str(store.path(upload)).startswith(str(store.root))


def test_uploads_zipped_shapefile_is_extracted_and_readable(store, tmp_path):
    upload = store.add(zipped_shapefile(tmp_path / "src"), "cities.zip", owner="ann")
    assert upload.format == "shapefile"
    assert store.path(upload).suffix == ".shp"
    assert sorted(store.read_features(upload).columns["name"]) == [f"city{i}" for i in range(5)]


@pytest.mark.parametrize("text", [
    b"name,lon,lat\nA,10.5,20.25\nB,11,21\n",
    b'name;wkt\nA;"POINT (10.5 20.25)"\nB;"POINT (11 21)"\n',
])
def test_uploads_csv_with_coordinates_or_wkt_gives_points(store, text):
    features = store.read_features(store.add(text, "points.csv"))
    assert len(features) == 2
    assert (features.geometry[0].x, features.geometry[0].y) == (10.5, 20.25)


def test_uploads_csv_without_coordinate_columns_is_refused(store, area, outside):
    before = outside()
    with pytest.raises(InvalidParameter, match="longitude and latitude"):
        store.add(b"name,value\nA,1\n", "table.csv")
    assert outside() == before and not store.list()


def test_uploads_unknown_format_is_refused_before_writing(store, area):
    with pytest.raises(InvalidParameter, match="accepted formats"):
        store.begin("notes.docx")
    assert list((area / ".incoming").iterdir()) == []


def test_uploads_bare_shp_is_refused_with_advice(store):
    with pytest.raises(InvalidParameter, match="zip the .shp"):
        store.begin("roads.shp")


@pytest.mark.parametrize(("name", "content"), [
    ("cities.geojson", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ("cities.gpkg", b'{"type": "FeatureCollection", "features": []}'),
    ("cities.fgb", b"PK\x03\x04 not a flatgeobuf"),
    ("cities.zip", b"SQLite format 3\x00" + b"\x00" * 100),
    ("cities.kml", b"<html><body>not kml</body></html>"),
])
def test_uploads_content_not_matching_the_name_is_refused(store, outside, name, content):
    before = outside()
    with pytest.raises(InvalidParameter, match="name says"):
        store.add(content, name)
    assert outside() == before
    assert not store.list()


def test_uploads_unreadable_geojson_is_refused_without_paths(store, area):
    with pytest.raises(InvalidParameter) as caught:
        store.add(b'{"type": "FeatureCollection", "features": [', "broken.geojson")
    assert str(area) not in caught.value.message and "/tmp" not in caught.value.message


def test_uploads_kml_with_entities_is_refused(store):
    kml = (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]>'
           b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>')
    with pytest.raises(InvalidParameter, match="DOCTYPE"):
        store.add(kml, "bomb.kml")


def test_uploads_oversize_is_refused_while_streaming(store, area, outside):
    """The limit stops the upload mid-stream; the partial file is gone."""
    before = outside()
    incoming = store.begin("big.geojson")
    incoming.write(b"{" + b" " * (1 << 20))
    with pytest.raises(PayloadTooLarge, match="2 MB"):
        incoming.write(b" " * (2 << 20))
    assert list((area / ".incoming").iterdir()) == []
    assert outside() == before


def _zip(entries, *, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo):
                archive.writestr(name, data)
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


def test_uploads_zip_bomb_by_ratio_is_refused(store, outside):
    bomb = _zip([("a.shp", b"\x00" * (3 << 20)), ("a.shx", b"x"), ("a.dbf", b"x")])
    before = outside()
    with pytest.raises(PayloadTooLarge, match="zip bomb"):
        store.add(bomb, "bomb.zip")
    assert outside() == before and not store.list()


def test_uploads_zip_bomb_by_total_size_is_refused(store, tmp_path):
    import os

    noise = os.urandom(1 << 20)  # incompressible: ratio ~1, total 5 MB > 4 MB
    entries = [(f"part{i}.dbf", noise) for i in range(5)]
    limits = UploadLimits(max_bytes=64 << 20, archive=ArchiveLimits(max_uncompressed_bytes=4 << 20))
    big = UploadStore(tmp_path / "data" / "uploads", limits)
    with pytest.raises(PayloadTooLarge, match="expands to more than 4 MB"):
        big.add(_zip(entries, method=zipfile.ZIP_STORED), "big.zip")


def test_uploads_zip_with_too_many_entries_is_refused(store):
    with pytest.raises(PayloadTooLarge, match="at most 20"):
        store.add(_zip([(f"f{i}.txt", b"x") for i in range(30)]), "many.zip")


@pytest.mark.parametrize("entry", ["../evil.shp", "/etc/evil.shp", "a/../../evil.shp",
                                   "..\\evil.shp", "C:/evil.shp"])
def test_uploads_zip_path_traversal_is_refused(store, tmp_path, outside, entry):
    before = outside()
    archive = _zip([(entry, b"x"), ("evil.shx", b"x"), ("evil.dbf", b"x")])
    with pytest.raises(InvalidParameter, match="outside its folder"):
        store.add(archive, "evil.zip")
    assert outside() == before
    assert not (tmp_path / "evil.shp").exists() and not (tmp_path / "data" / "evil.shp").exists()


def test_uploads_zip_symlink_entry_is_refused(store, outside):
    link = zipfile.ZipInfo("cities.shp")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    before = outside()
    with pytest.raises(InvalidParameter, match="symbolic link"):
        store.add(_zip([(link, "/etc/passwd"), ("cities.shx", b"x"), ("cities.dbf", b"x")]),
                  "link.zip")
    assert outside() == before


def test_uploads_zip_lying_about_sizes_is_stopped_while_extracting(store, tmp_path):
    """A directory entry that under-states the size does not get past the byte count."""
    payload = b"\x00" * (6 << 20)
    data = bytearray(_zip([("a.shp", payload), ("a.shx", b"x"), ("a.dbf", b"x")]))
    # shrink the declared uncompressed size of a.shp in the central directory to 1 KB
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x01\x02")))
    data[central + 24:central + 28] = (1024).to_bytes(4, "little")
    lenient = UploadStore(tmp_path / "data" / "uploads", UploadLimits(
        max_bytes=8 << 20, archive=ArchiveLimits(max_uncompressed_bytes=4 << 20, max_ratio=1e9)))
    with pytest.raises((PayloadTooLarge, InvalidParameter)):
        lenient.add(bytes(data), "liar.zip")
    assert not any(p.name == "a.shp" for p in files_under(lenient.root))


def test_uploads_belong_to_their_uploader(store, tmp_path):
    upload = store.add(_bytes_of(write_layer(tmp_path / "src" / "c.geojson")), "c.geojson",
                       owner="ann", tenant="t1")
    assert store.get(upload.id, owner="ann", tenant="t1") == upload
    for owner, tenant in (("bob", "t1"), ("ann", "t2")):
        with pytest.raises(NoSuchUpload):
            store.get(upload.id, owner=owner, tenant=tenant)
        with pytest.raises(NoSuchUpload):
            store.delete(upload.id, owner=owner, tenant=tenant)
    assert [u.id for u in store.list(owner="ann")] == [upload.id]
    assert store.list(owner="bob") == []


@pytest.mark.parametrize("bad_id", ["../../etc", "", "x" * 200, "a/b" * 10])
def test_uploads_malformed_ids_are_unknown(store, bad_id):
    with pytest.raises(NoSuchUpload):
        store.get(bad_id)


def test_uploads_expire_and_cleanup_removes_them(store, clock, tmp_path):
    upload = store.add(_bytes_of(write_layer(tmp_path / "src" / "c.geojson")), "c.geojson")
    assert store.cleanup() == 0
    clock.now = NOW + dt.timedelta(hours=3)
    with pytest.raises(NoSuchUpload, match="expire"):
        store.get(upload.id)
    assert store.cleanup() == 1
    assert not (store.root / upload.id).exists()


def test_uploads_survive_a_new_store_on_the_same_folder(store, area, clock, tmp_path):
    upload = store.add(_bytes_of(write_layer(tmp_path / "src" / "c.gpkg")), "c.gpkg", owner="ann")
    again = UploadStore(area, store.limits, clock=clock)
    assert again.get(upload.id, owner="ann") == upload


# -- quotas: a running per-tenant total, right after deletes, expiry and restarts -------------
def _quota_store(area, clock, usage, **limits):
    return UploadStore(area, UploadLimits(ttl=dt.timedelta(hours=2), **limits), clock=clock,
                       usage=usage)


def test_uploads_quota_reads_the_ledger_not_the_folder(area, clock, tmp_path, monkeypatch):
    body = _bytes_of(write_layer(tmp_path / "src" / "c.geojson"))
    store = _quota_store(area, clock, MemoryUsageLedger(), tenant_quota_bytes=3 * len(body))
    store.add(body, "c.geojson", tenant="t1")

    def walked(*args, **kwargs):
        raise AssertionError("the quota walked the upload folder")

    monkeypatch.setattr(UploadStore, "list", walked)
    monkeypatch.setattr(Upload, "from_json", walked)
    store.add(body, "c.geojson", tenant="t1")
    with pytest.raises(OverQuota, match="upload quota"):
        store.add(body + b" " * len(body), "c.geojson", tenant="t1")
    assert store.usage.total("t1") == 2 * len(body)


def test_uploads_quota_is_freed_by_delete_and_by_expiry(area, clock, tmp_path):
    body = _bytes_of(write_layer(tmp_path / "src" / "c.geojson"))
    store = _quota_store(area, clock, MemoryUsageLedger(), tenant_quota_bytes=len(body))
    first = store.add(body, "c.geojson", tenant="t1")
    with pytest.raises(OverQuota):
        store.add(body, "c.geojson", tenant="t1")
    store.add(body, "c.geojson", tenant="t2")  # another tenant has its own quota
    store.delete(first.id)
    second = store.add(body, "c.geojson", tenant="t1")
    clock.now = NOW + dt.timedelta(hours=3)
    assert store.cleanup() == 2
    assert store.usage.total("t1") == store.usage.total("t2") == 0
    assert second.id and store.add(body, "c.geojson", tenant="t1")


def test_uploads_stored_quota_counts_job_results_too(area, clock, tmp_path):
    body = _bytes_of(write_layer(tmp_path / "src" / "c.geojson"))
    usage = MemoryUsageLedger()
    usage.add("jobs/j1/outputs.json", "t1", 10 * len(body))  # results the tenant keeps
    store = _quota_store(area, clock, usage, tenant_stored_bytes=10 * len(body))
    with pytest.raises(OverQuota, match="stored quota"):
        store.add(body, "c.geojson", tenant="t1")
    usage.remove_prefix("jobs/j1/")
    store.add(body, "c.geojson", tenant="t1")


def test_uploads_are_counted_again_when_a_store_opens(area, clock, tmp_path):
    """A crash between removing a folder and forgetting it cannot leave the count wrong."""
    body = _bytes_of(write_layer(tmp_path / "src" / "c.geojson"))
    usage = MemoryUsageLedger()
    store = _quota_store(area, clock, usage)
    kept, lost = (store.add(body, "c.geojson", tenant="t1") for _ in range(2))
    remove_tree(area / lost.id)   # gone from disk, still in the ledger
    usage.add("uploads/ghost/", "t1", 10**9)
    _quota_store(area, clock, usage)
    assert usage.total("t1") == len(body) and kept.size == len(body)
