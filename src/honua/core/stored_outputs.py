"""Reading a job's stored outputs: values inline, or artifacts named by ``{"$artifact": key}``.

A run chunk by chunk (``core.chunked``) writes each feature output to a GeoJSON
file artifact and stores only its key; ``materialise`` turns the stored
outputs back into ordinary neutral JSON for clients that want values, and
``artifact_path`` lets adapters stream the file as it is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from honua.errors import HonuaError

if TYPE_CHECKING:
    from honua.types import ArtifactStore

__all__ = ["ARTIFACT", "StoredOutputs", "artifact_path", "materialise"]

ARTIFACT = "$artifact"


def _artifacts_in(data: bytes) -> dict[str, str]:
    document = orjson.loads(data)
    return {name: value[ARTIFACT] for name, value in document.items()
            if isinstance(value, Mapping) and ARTIFACT in value}


def materialise(data: bytes, artifacts: ArtifactStore) -> bytes:
    """Stored outputs with every ``{"$artifact": key}`` replaced by the artifact's content."""
    names = _artifacts_in(data) if ARTIFACT.encode() in data else {}
    if not names:
        return data
    document = orjson.loads(data)
    for name, key in names.items():
        document[name] = orjson.Fragment(artifacts.get(key))
    return orjson.dumps(document)


def artifact_path(data: bytes, name: str, artifacts: ArtifactStore) -> Path | None:
    """The local file holding output ``name``, when it was stored as an artifact."""
    key = _artifacts_in(data).get(name) if ARTIFACT.encode() in data else None
    if key is None:
        return None
    with contextlib.suppress(HonuaError):
        return artifacts.local_path(key)
    return None


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
