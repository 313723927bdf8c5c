"""Reading a job's stored outputs: values inline, or artifacts named by ``{"$artifact": key}``.

A run chunk by chunk (``core.chunked``) writes each feature output to a GeoJSON
file artifact and stores only its key; ``materialise`` turns the stored
outputs back into ordinary neutral JSON for clients that want values, and
``artifact_path`` lets adapters stream the file as it is; ``stored_values`` hands out each
output's stored JSON in chunks, so that an adapter can send it (or splice it into its
own document) without decoding it. ``externalise`` moves any
output bigger than the signed-URL threshold into an artifact of its own when a job's
outputs are kept, so that a store on S3 can hand it out as a signed URL
(``artifact_of`` finds it again).
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from honua.core.json_text import members
from honua.errors import HonuaError

if TYPE_CHECKING:
    from honua.types import ArtifactStore

__all__ = ["ARTIFACT", "StoredArtifact", "StoredOutputs", "StoredValue", "artifact_of",
           "artifact_path", "externalise", "materialise", "stored_values"]

ARTIFACT = "$artifact"
GEOJSON = "application/geo+json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
_FEATURES = re.compile(rb'\{\s*"type"\s*:\s*"FeatureCollection"\s*,')


def _artifacts_in(data: bytes) -> dict[str, str]:
    document = orjson.loads(data)
    return {name: value[ARTIFACT] for name, value in document.items()
            if isinstance(value, Mapping) and ARTIFACT in value}


def externalise(data: bytes, job_id: str, threshold: int) -> tuple[bytes, dict[str, bytes]]:
    """Stored outputs with each value bigger than ``threshold`` bytes moved to an artifact of
    its own (``jobs/<id>/outputs/<name>``), and those artifacts' bytes by key.

    A file output's artifact holds the file's own bytes (not base64), so that a signed URL
    to it hands a client the file itself; any other value's holds its neutral JSON (GeoJSON
    for features), as a chunked run writes them. Small outputs stay inline, as before.
    """
    if len(data) <= threshold:
        return data, {}
    try:  # each value's text, found without decoding the whole document
        texts = members(data, "the stored outputs")
    except HonuaError:
        texts = None
    if texts is None:
        return _externalise_values(data, job_id, threshold)
    kept: dict[str, bytes] = {}
    entries: dict[str, bytes] = {}
    for name, text in texts.items():
        if len(text) <= threshold:
            entries[name] = text
        elif _FEATURES.match(text[:200]):  # GeoJSON as it is: nothing to decode
            key = f"jobs/{job_id}/outputs/{_safe(name)}.geojson"
            kept[key] = text
            entries[name] = orjson.dumps({ARTIFACT: key, "mediaType": GEOJSON})
        else:
            single, moved = _externalise_values(b"{" + orjson.dumps(name) + b":" + text + b"}",
                                                job_id, threshold)
            kept.update(moved)
            entries[name] = single[len(orjson.dumps(name)) + 2:-1] if moved else text
    if not kept:
        return data, {}
    return _join(entries), kept


def _join(entries: Mapping[str, bytes]) -> bytes:
    """The JSON object of ``entries``' value texts, in order."""
    return b"{" + b",".join(orjson.dumps(name) + b":" + text
                            for name, text in entries.items()) + b"}"


def _externalise_values(data: bytes, job_id: str, threshold: int
                        ) -> tuple[bytes, dict[str, bytes]]:
    """``externalise`` by decoding the document (values that are not GeoJSON text)."""
    document = orjson.loads(data)
    if not isinstance(document, dict):
        return data, {}
    kept: dict[str, bytes] = {}
    for name, value in document.items():
        key = f"jobs/{job_id}/outputs/{_safe(name)}"
        if _is_file(value) and len(value["data"]) * 3 // 4 > threshold:
            kept[key] = base64.b64decode(value["data"])
            document[name] = {ARTIFACT: key, "file": True, "name": value.get("name", name),
                              "mediaType": value.get("mediaType", "application/octet-stream")}
            continue
        encoded = orjson.dumps(value)
        if len(encoded) > threshold:
            features = isinstance(value, Mapping) and value.get("type") == "FeatureCollection"
            key += ".geojson" if features else ".json"
            kept[key] = encoded
            document[name] = {ARTIFACT: key,
                              "mediaType": "application/geo+json" if features
                              else "application/json"}
    if not kept:
        return data, {}
    return orjson.dumps(document), kept


def materialise(data: bytes, artifacts: ArtifactStore, skip: Collection[str] = ()) -> bytes:
    """Stored outputs with every ``{"$artifact": key}`` replaced by the artifact's content
    (a file's bytes as the base64 of the stored form); outputs in ``skip`` are left out."""
    names = _artifacts_in(data) if ARTIFACT.encode() in data else {}
    if not names:
        return data
    document = orjson.loads(data)
    for name in skip:
        document.pop(name, None)
    for name, key in names.items():
        if name in skip:
            continue
        entry = document[name]
        if entry.get("file"):
            document[name] = {"name": entry.get("name", name), "mediaType": entry["mediaType"],
                              "data": base64.b64encode(artifacts.get(key)).decode("ascii")}
        else:
            document[name] = orjson.Fragment(artifacts.get(key))
    return orjson.dumps(document)


@dataclass(frozen=True)
class StoredArtifact:
    """Where output ``name`` of a job is kept, when it is an artifact of its own."""

    key: str
    media_type: str
    filename: str | None
    """The file's name, for a file output; None for features and other values."""


def artifact_of(data: bytes, name: str) -> StoredArtifact | None:
    """The artifact holding output ``name``, or None when it is stored inline."""
    if ARTIFACT.encode() not in data:
        return None
    entry = orjson.loads(data).get(name)
    if not isinstance(entry, Mapping) or ARTIFACT not in entry:
        return None
    return StoredArtifact(entry[ARTIFACT], str(entry.get("mediaType", GEOJSON)),
                          str(entry.get("name", name)) if entry.get("file") else None)


def _is_file(value: Any) -> bool:
    return (isinstance(value, Mapping) and isinstance(value.get("data"), str)
            and set(value) <= {"name", "mediaType", "data"})


def _safe(name: str) -> str:
    """An output name as one key segment (names are identifiers; this is belt and braces)."""
    cleaned = _UNSAFE.sub("_", name)[:100].strip(".")
    return cleaned or "output"


def artifact_path(data: bytes, name: str, artifacts: ArtifactStore) -> Path | None:
    """The local GeoJSON file holding feature output ``name``, when it was stored as an
    artifact (other artifacts go out encoded as their output type says, not as stored)."""
    artifact = artifact_of(data, name)
    if artifact is None or artifact.filename is not None or artifact.media_type != GEOJSON:
        return None
    key = artifact.key
    with contextlib.suppress(HonuaError):
        return artifacts.local_path(key)
    return None


@dataclass(frozen=True)
class StoredValue:
    """One output's stored neutral JSON (GeoJSON for features), as chunks of bytes.

    ``chunks`` may be called more than once (a conversion that needs a first pass over
    the features reads them twice); each call starts a fresh read of the store.
    """

    size: int
    chunks: Callable[[], Iterator[bytes]]


def stored_values(data: bytes, artifacts: ArtifactStore) -> dict[str, StoredValue | None]:
    """Each output of the stored outputs ``data`` (in their stored order) as its stored
    JSON text in chunks: read from its artifact when it was kept as one (big values:
    ``externalise``; chunked runs), else cut out of ``data`` (small by construction).
    None for a file kept as an artifact: its bytes are the file, not JSON."""
    found: dict[str, StoredValue | None] = {}
    for name, text in members(data, "stored outputs").items():
        if text.startswith(b"{") and ARTIFACT.encode() in text[:200]:
            artifact = artifact_of(data, name)
            if artifact is not None:
                found[name] = None if artifact.filename is not None else _artifact_value(
                    artifacts, artifact.key)
                continue
        found[name] = StoredValue(len(text), partial(_slices, text))
    return found


SLICE_BYTES = 1024 * 1024
"""An inline value is handed out in pieces this big, as an artifact's are read."""


def _slices(text: bytes) -> Iterator[bytes]:
    view = memoryview(text)
    for start in range(0, len(text), SLICE_BYTES):
        yield bytes(view[start:start + SLICE_BYTES])


def _artifact_value(artifacts: ArtifactStore, key: str) -> StoredValue:
    return StoredValue(artifacts.size(key), partial(artifacts.iter_bytes, key))


class StoredOutputs(Mapping[str, Any]):
    """The outputs of a chunked synchronous run, read from the job's artifacts on first use."""

    def __init__(self, load: Callable[[], dict[str, Any]], names: tuple[str, ...]) -> None:
        self._load = load
        self._names = names
        self._values: dict[str, Any] | None = None

    def _all(self) -> dict[str, Any]:
        if self._values is None:
            self._values = self._load()
        return self._values

    def __getitem__(self, name: str) -> Any:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)
