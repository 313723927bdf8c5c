"""Partial-result cache keys remembered by a step's raw inputs, so that a hit skips decoding.

A step's cache key hashes its *bound* inputs (the neutral encoding of what the process
would get), so finding it means parsing every input and encoding it again: for a
5,000-polygon GeoJSON that is most of what a cold run costs, and a hit would save little.
A raw value that names no data held elsewhere (no layer, upload, URL or job) binds to the
same value every time for the same process definition, so the key found once for it can be
remembered by the hash of the raw value itself. A raw value that does name such data (whose
content may change) is never remembered and is always bound again; so is any value whose
JSON merely *looks* like a reference (a property called ``url``): a miss costs time only.

The memo is per process and bounded; a restart or another front simply binds once more.
Raw values come from JSON documents (request bodies, stored results), which hold no NaN;
an earlier step's output is its stored text (``JSONText``), hashed as it is.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

from honua.core.description import ProcessDefinition
from honua.core.json_text import as_fragment

REFERENCE_MARKS = (b'"href"', b'"layerReference"', b'"uploadId"', b'"url"', b'"itemID"',
                   b'"collectionId"', b'"collection"', b'"jobId"', b'"jobID"', b'"$ref"')
"""JSON member names by which an input value can point at data held elsewhere."""


def raw_hash(raw: Mapping[str, Any]) -> str | None:
    """The hash of a step's raw inputs, or None when they may name data held elsewhere."""
    try:
        data = orjson.dumps(raw, default=as_fragment,
                           option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS)
    except TypeError:
        return None
    if any(mark in data for mark in REFERENCE_MARKS):
        return None
    return hashlib.sha256(data).hexdigest()


class CacheKeyMemo:
    """Raw-input hash -> cache key, per process definition (the same object: a process
    deployed again under the same id and version is a new definition)."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str, str], tuple[ProcessDefinition, str]] = \
            OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _slot(definition: ProcessDefinition, raw: str) -> tuple[str, str, str]:
        return definition.id, definition.description.version, raw

    def get(self, definition: ProcessDefinition, raw: str) -> str | None:
        slot = self._slot(definition, raw)
        with self._lock:
            entry = self._entries.get(slot)
            if entry is None or entry[0] is not definition:
                return None
            self._entries.move_to_end(slot)
            return entry[1]

    def remember(self, definition: ProcessDefinition, raw: str, key: str) -> None:
        slot = self._slot(definition, raw)
        with self._lock:
            self._entries[slot] = (definition, key)
            self._entries.move_to_end(slot)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
