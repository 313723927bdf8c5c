"""Uploads through the object store: what one front accepts, another front (its own folder,
as on another machine) finds, reads, and sees deleted."""

from __future__ import annotations

import pytest

from honua.store.artifacts_s3 import S3ArtifactStore
from honua.store.uploads import NoSuchUpload, UploadStore
from tests.support.layers import write_layer, zipped_shapefile
from tests.support.s3 import S3Server


@pytest.fixture
def shared(s3_server: S3Server, s3_bucket: str) -> S3ArtifactStore:
    return S3ArtifactStore(s3_bucket, "site", **s3_server.options())


@pytest.fixture
def fronts(tmp_path, shared: S3ArtifactStore) -> tuple[UploadStore, UploadStore]:
    """Two fronts' upload stores: separate folders, one S3 store."""
    return (UploadStore(tmp_path / "front-a" / "uploads", shared=shared),
            UploadStore(tmp_path / "front-b" / "uploads", shared=shared))


def test_an_upload_to_one_front_is_read_by_another(fronts, tmp_path, s3_server: S3Server,
                                                   s3_bucket: str) -> None:
    """A zipped shapefile accepted by front A is fetched, whole, by front B."""
    a, b = fronts
    upload = a.add(zipped_shapefile(tmp_path / "src"), "cities.zip", owner="ann", tenant="t1")
    keys = s3_server.object_keys(s3_bucket)
    assert f"site/uploads/{upload.id}/upload.json" in keys
    assert any(k.endswith(".shp") for k in keys)
    found = b.get(upload.id, owner="ann", tenant="t1")
    assert found == upload
    assert sorted(b.read_features(found).columns["name"]) == [f"city{i}" for i in range(5)]
    assert b.path(found).read_bytes() == a.path(upload).read_bytes()


def test_another_owner_or_tenant_fetches_nothing(fronts, tmp_path) -> None:
    """To anyone else the shared upload does not exist, and no copy is made for them."""
    a, b = fronts
    upload = a.add(write_layer(tmp_path / "src" / "c.geojson").read_bytes(), "c.geojson",
                   owner="ann", tenant="t1")
    for who in ({"owner": "bob", "tenant": "t1"}, {"owner": "ann", "tenant": "t2"}):
        with pytest.raises(NoSuchUpload):
            b.get(upload.id, **who)
    assert not (b.root / upload.id).exists()


def test_a_deletion_on_one_front_reaches_the_other(fronts, tmp_path, s3_server: S3Server,
                                                   s3_bucket: str) -> None:
    """Deleted on A after B fetched it: B's copy goes too, and no object is left."""
    a, b = fronts
    upload = a.add(write_layer(tmp_path / "src" / "c.geojson").read_bytes(), "c.geojson",
                   owner="ann")
    b.get(upload.id, owner="ann")
    a.delete(upload.id, owner="ann")
    with pytest.raises(NoSuchUpload):
        b.get(upload.id, owner="ann")
    assert not (b.root / upload.id).exists()
    assert not [k for k in s3_server.object_keys(s3_bucket) if upload.id in k]


@pytest.mark.parametrize("upload_id", ["../../site/x", "a" * 200, "", "..", "x/y"])
def test_hostile_ids_reach_no_object(fronts, upload_id: str) -> None:
    """An id that is not one of ours is unknown before the object store is asked."""
    with pytest.raises(NoSuchUpload):
        fronts[1].get(upload_id)


def test_every_front_lists_every_front_s_uploads(fronts, tmp_path) -> None:
    """The upload list is the same on each front (newest first, one owner's only), and
    listing fetches no upload's files."""
    a, b = fronts
    layer = write_layer(tmp_path / "src" / "c.geojson").read_bytes()
    first = a.add(layer, "first.geojson", owner="ann", tenant="t1")
    second = b.add(layer, "second.geojson", owner="ann", tenant="t1")
    a.add(layer, "bob.geojson", owner="bob", tenant="t1")
    for front in fronts:
        assert [u.id for u in front.list(owner="ann", tenant="t1")] == [second.id, first.id]
    assert len(a.list()) == 3
    assert not (a.root / second.id).exists() and not (b.root / first.id).exists()
    b.delete(first.id, owner="ann")
    assert [u.id for u in a.list(owner="ann")] == [second.id]
