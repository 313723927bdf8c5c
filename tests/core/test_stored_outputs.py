"""Big outputs kept apart: ``externalise`` moves them out of ``outputs.json``, ``materialise``
brings them back the same, and a reused job's copy outlives the job it copied."""

from __future__ import annotations

import base64
import datetime as dt

import orjson

from honua.core import stored_outputs
from honua.core.recorder import JobRecorder, outputs_key
from honua.core.registry import Registry
from honua.store import MemoryArtifactStore, MemoryJobStore

BLOB = bytes(range(256)) * 40  # 10 kB
FEATURES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"n": i}, "geometry": {"type": "Point", "coordinates": [i, 0]}}
    for i in range(200)]}
OUTPUTS = orjson.dumps({"blob": {"name": "b.bin", "mediaType": "application/x-b",
                                 "data": base64.b64encode(BLOB).decode()},
                        "features": FEATURES, "count": 3})


def test_big_values_go_to_artifacts_and_come_back_the_same() -> None:
    """A big file is kept as its own bytes, big features as GeoJSON; small ones stay inline."""
    document, parts = stored_outputs.externalise(OUTPUTS, "j1", threshold=4000)
    assert parts["jobs/j1/outputs/blob"] == BLOB
    assert orjson.loads(parts["jobs/j1/outputs/features.geojson"]) == FEATURES
    assert orjson.loads(document)["count"] == 3
    assert len(document) < 1000
    store = MemoryArtifactStore()
    for key, data in parts.items():
        store.put(key, data)
    assert orjson.loads(stored_outputs.materialise(document, store)) == orjson.loads(OUTPUTS)
    artifact = stored_outputs.artifact_of(document, "blob")
    assert artifact == stored_outputs.StoredArtifact("jobs/j1/outputs/blob", "application/x-b",
                                                     "b.bin")
    assert stored_outputs.artifact_of(document, "count") is None


def test_outputs_under_the_threshold_are_left_alone() -> None:
    """Nothing moves, not a byte of the document changes."""
    assert stored_outputs.externalise(OUTPUTS, "j1", threshold=10**6) == (OUTPUTS, {})


def test_skipped_outputs_are_never_read() -> None:
    """``skip`` leaves an output out without reading its artifact (it may be huge)."""
    document, parts = stored_outputs.externalise(OUTPUTS, "j1", threshold=4000)
    store = MemoryArtifactStore()
    store.put("jobs/j1/outputs/features.geojson", parts["jobs/j1/outputs/features.geojson"])
    values = orjson.loads(stored_outputs.materialise(document, store, skip=["blob"]))
    assert set(values) == {"features", "count"}


def test_reused_outputs_outlive_the_job_they_copy() -> None:
    """A cache hit copies the big artifacts to the new job: deleting the old job's leaves
    the new job's outputs whole."""
    store = MemoryArtifactStore()
    recorder = JobRecorder(MemoryJobStore(), store, Registry(), retention=dt.timedelta(hours=1),
                           clock=lambda: dt.datetime.now(dt.UTC))
    recorder.externalise_bytes = 4000
    recorder.keep_outputs_json("old", OUTPUTS, "t1")
    recorder._copy_outputs("old", "new", "t1")
    store.delete_prefix("jobs/old/")
    copied = stored_outputs.materialise(store.get(outputs_key("new")), store)
    assert orjson.loads(copied) == orjson.loads(OUTPUTS)
