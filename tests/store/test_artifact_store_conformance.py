"""What every ``ArtifactStore`` does, run against memory, the filesystem and S3 (moto) alike."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from honua.errors import Conflict, NotFound
from honua.types import ArtifactStore

UNSAFE_KEYS = ["", "/etc/passwd", "../outside", "jobs/../../outside", "jobs/..", "./jobs",
               "jobs//a", "jobs/a/", "jobs/.", "jobs\\a", "jobs/a\0.json"]


def stored_keys(store: ArtifactStore, keys: list[str]) -> list[str]:
    return [key for key in keys if store.exists(key)]


def test_artifact_store_put_then_get_round_trips(artifact_store: ArtifactStore) -> None:
    """Bytes come back exactly, in nested and flat keys, empty ones included."""
    payloads = {"jobs/a1/outputs.json": b'{"x": 1}', "top.bin": bytes(range(256)),
                "jobs/a1/empty": b""}
    for key, data in payloads.items():
        artifact_store.put(key, data)
    assert {key: artifact_store.get(key) for key in payloads} == payloads


def test_artifact_store_put_replaces_existing(artifact_store: ArtifactStore) -> None:
    """Storing under an existing key replaces the bytes."""
    artifact_store.put("jobs/a1/outputs.json", b"old")
    artifact_store.put("jobs/a1/outputs.json", b"new")
    assert artifact_store.get("jobs/a1/outputs.json") == b"new"


def test_artifact_store_get_missing_raises_not_found(artifact_store: ArtifactStore) -> None:
    """A missing key is NotFound, naming the key; ``exists`` says False."""
    with pytest.raises(NotFound, match="'jobs/none/outputs.json'"):
        artifact_store.get("jobs/none/outputs.json")
    assert not artifact_store.exists("jobs/none/outputs.json")


def test_artifact_store_folder_is_not_an_artifact(artifact_store: ArtifactStore) -> None:
    """The folder part of a stored key is neither readable nor said to exist."""
    artifact_store.put("jobs/a1/outputs.json", b"x")
    assert not artifact_store.exists("jobs/a1")
    with pytest.raises(NotFound):
        artifact_store.get("jobs/a1")


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_artifact_store_refuses_unsafe_keys(artifact_store: ArtifactStore, key: str) -> None:
    """Absolute, traversing, empty-segment, backslash and NUL keys are refused everywhere."""
    for call in (lambda: artifact_store.put(key, b"x"), lambda: artifact_store.get(key),
                 lambda: artifact_store.exists(key), lambda: artifact_store.local_path(key)):
        with pytest.raises(ValueError):
            call()


@pytest.mark.parametrize("prefix", ["", "/", "/jobs/", "../", "jobs/../", "jobs//",
                                    "jobs/..", "a\\b", "a\0"])
def test_artifact_store_delete_prefix_refuses_unsafe_prefixes(artifact_store: ArtifactStore,
                                                              prefix: str) -> None:
    """A prefix that could reach outside the store, or select all of it, is refused."""
    artifact_store.put("jobs/a1/outputs.json", b"x")
    with pytest.raises(ValueError):
        artifact_store.delete_prefix(prefix)
    assert artifact_store.exists("jobs/a1/outputs.json")


@pytest.fixture
def populated(artifact_store: ArtifactStore) -> ArtifactStore:
    for key in KEYS:
        artifact_store.put(key, key.encode())
    return artifact_store


KEYS = ["jobs/a1/inputs.json", "jobs/a1/outputs.json", "jobs/a1/parts/1.bin",
        "jobs/a12/inputs.json", "jobs/b2/outputs.json", "jobs/a1.json"]


@pytest.mark.parametrize("prefix, remaining", [
    ("jobs/a1/", ["jobs/a12/inputs.json", "jobs/b2/outputs.json", "jobs/a1.json"]),
    ("jobs/a1/outputs.json", [k for k in KEYS if k != "jobs/a1/outputs.json"]),
    ("jobs/a1/out", [k for k in KEYS if k != "jobs/a1/outputs.json"]),
    ("jobs/a1", ["jobs/b2/outputs.json"]),
    ("jobs/", []),
    ("jobs/none/", KEYS),
    ("nothing/", KEYS),
    ("jobs/a1/inputs.json/", KEYS),
])
def test_artifact_store_delete_prefix_removes_keys_starting_with_it(
        populated: ArtifactStore, prefix: str, remaining: list[str]) -> None:
    """Keys are selected by their first characters, as on S3, and nothing else goes."""
    populated.delete_prefix(prefix)
    assert stored_keys(populated, KEYS) == remaining


def test_artifact_store_key_cannot_be_file_and_folder(artifact_store: ArtifactStore) -> None:
    """A key under a stored artifact, or above stored ones, is a conflict, as on a disk."""
    artifact_store.put("jobs/a1/outputs.json", b"x")
    with pytest.raises(Conflict):
        artifact_store.put("jobs/a1/outputs.json/more", b"y")
    with pytest.raises(Conflict):
        artifact_store.put("jobs/a1", b"y")
    assert artifact_store.get("jobs/a1/outputs.json") == b"x"


def test_artifact_store_local_path_of_missing_raises_not_found(
        artifact_store: ArtifactStore) -> None:
    """There is no path to serve a missing artifact from."""
    with pytest.raises(NotFound):
        artifact_store.local_path("jobs/none/outputs.json")


def test_artifact_store_put_file_takes_the_file(artifact_store: ArtifactStore,
                                                tmp_path: Path) -> None:
    """A file stored by path comes back byte for byte, in chunks too, and is taken."""
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "staged.bin"
    path.write_bytes(data)
    artifact_store.put_file("jobs/a1/outputs/big.bin", path)
    assert not path.exists()
    assert artifact_store.size("jobs/a1/outputs/big.bin") == len(data)
    assert b"".join(artifact_store.iter_bytes("jobs/a1/outputs/big.bin")) == data
    assert artifact_store.get("jobs/a1/outputs/big.bin") == data


def test_artifact_store_put_file_keeps_the_file_folder_rule(artifact_store: ArtifactStore,
                                                            tmp_path: Path) -> None:
    """``put_file`` refuses a key under a stored artifact, as ``put`` does."""
    artifact_store.put("jobs/a1/outputs.json", b"x")
    path = tmp_path / "staged.bin"
    path.write_bytes(b"y")
    with pytest.raises(Conflict):
        artifact_store.put_file("jobs/a1/outputs.json/more", path)
    assert artifact_store.get("jobs/a1/outputs.json") == b"x"


def test_artifact_store_size_and_chunks_of_missing_raise_not_found(
        artifact_store: ArtifactStore) -> None:
    """Nothing to measure or stream: NotFound, before any bytes."""
    with pytest.raises(NotFound):
        artifact_store.size("jobs/none/outputs.json")
    with pytest.raises(NotFound):
        artifact_store.iter_bytes("jobs/none/outputs.json")


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_artifact_store_new_calls_refuse_unsafe_keys(artifact_store: ArtifactStore,
                                                     key: str, tmp_path: Path) -> None:
    """``put_file``, ``size``, ``iter_bytes`` and ``signed_url`` check keys as the rest do."""
    path = tmp_path / "staged.bin"
    path.write_bytes(b"x")
    for call in (lambda: artifact_store.put_file(key, path), lambda: artifact_store.size(key),
                 lambda: artifact_store.iter_bytes(key),
                 lambda: artifact_store.signed_url(key, dt.timedelta(minutes=1))):
        with pytest.raises(ValueError):
            call()
    assert path.exists()


def test_artifact_store_folders_lists_the_folders_directly_inside(
        artifact_store: ArtifactStore) -> None:
    """What another front stored is found by listing, one level at a time."""
    for key in ("uploads/b/upload.json", "uploads/a/upload.json", "uploads/a/data/x.shp",
                "uploads/loose.json", "jobs/j/outputs.json"):
        artifact_store.put(key, b"x")
    assert artifact_store.folders("uploads") == ["a", "b"]
    assert artifact_store.folders("uploads/a") == ["data"]
    assert artifact_store.folders("nothing-here") == []
    with pytest.raises(ValueError):
        artifact_store.folders("../uploads")
