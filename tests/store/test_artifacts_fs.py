"""What only the filesystem artifact store does: files on disk, written atomically."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from honua.errors import Unavailable
from honua.store.artifacts_fs import FilesystemArtifactStore


@pytest.fixture
def store(tmp_path: Path) -> FilesystemArtifactStore:
    return FilesystemArtifactStore(tmp_path / "artifacts")


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_filesystem_artifact_store_creates_root(tmp_path: Path) -> None:
    """The root folder is made, with its parents, when it does not exist."""
    FilesystemArtifactStore(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_filesystem_artifact_store_keys_are_paths_under_root(
        store: FilesystemArtifactStore) -> None:
    """A key's segments are folders under the root; nothing else is left behind."""
    store.put("jobs/a1/outputs.json", b"{}")
    assert files_under(store.root) == ["jobs/a1/outputs.json"]
    assert (store.root / "jobs" / "a1" / "outputs.json").read_bytes() == b"{}"


def test_filesystem_artifact_store_local_path_is_the_file(
        store: FilesystemArtifactStore) -> None:
    """``local_path`` gives the file to serve the artifact from."""
    store.put("jobs/a1/outputs.json", b"{}")
    path = store.local_path("jobs/a1/outputs.json")
    assert path == store.root / "jobs" / "a1" / "outputs.json"
    assert path is not None and path.read_bytes() == b"{}"


def test_filesystem_artifact_store_readers_never_see_half_a_file(
        store: FilesystemArtifactStore) -> None:
    """While one artifact is rewritten over and over, every read gets one whole version."""
    versions = [bytes([n]) * 300_000 for n in (1, 2)]
    store.put("big.bin", versions[0])
    seen: set[bytes] = set()
    done = threading.Event()

    def write() -> None:
        for n in range(20):
            store.put("big.bin", versions[n % 2])
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    while not done.is_set():
        data = store.get("big.bin")
        seen.add(data[:1] + data[-1:] + len(data).to_bytes(4, "big"))
    writer.join()
    whole = {v[:1] + v[-1:] + len(v).to_bytes(4, "big") for v in versions}
    assert seen <= whole


def test_filesystem_artifact_store_failed_write_keeps_old_file(
        store: FilesystemArtifactStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails midway leaves the previous bytes and no temporary file."""
    store.put("jobs/a1/outputs.json", b"old")

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(Unavailable, match="No space left") as caught:
        store.put("jobs/a1/outputs.json", b"new")
    assert isinstance(caught.value.__cause__, OSError)
    assert store.get("jobs/a1/outputs.json") == b"old"
    assert files_under(store.root) == ["jobs/a1/outputs.json"]


def test_filesystem_artifact_store_delete_prefix_removes_folder(
        store: FilesystemArtifactStore) -> None:
    """Deleting a job's prefix removes its folder, not just the files in it."""
    store.put("jobs/a1/parts/1.bin", b"x")
    store.put("jobs/b2/outputs.json", b"y")
    store.delete_prefix("jobs/a1/")
    assert sorted(p.name for p in (store.root / "jobs").iterdir()) == ["b2"]
