"""A big job feature result answered as a GP result (``f=json``) in parts, never whole.

``results/<name>?f=json`` of a 200,000-feature job would otherwise decode the stored
GeoJSON into a collection, build the Esri feature set as Python objects and serialise it:
gigabytes in the front process. Instead, once it is over ``STREAM_ABOVE`` bytes, the stored
GeoJSON is read twice, ``BATCH`` features at a time (``core.json_text.feature_texts``): a
first pass gathers the feature set's head (``geo.esrijson.featureset_parts.Layout``) before
the answer starts, so that what cannot be answered (mixed geometry types) is refused with
the usual error; the second converts each batch as a whole answer would (``outSR``,
decimals, ``returnZ``) and writes its features. The document is the one ``encode.result``
makes, member for member; memory holds a batch. Results over ``maximumRecords`` skip the
second pass (their set is empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from pyproj import CRS

from honua.core.esri_values import ESRI_KEY, EsriEncoding, geometry_types, is_table
from honua.core.json_text import feature_texts
from honua.core.parameters import Parameter
from honua.core.stored_outputs import StoredValue
from honua.geo.esrijson import spatialref
from honua.geo.esrijson.featureset_parts import Layout, part
from honua.geo.geojson import crs_of_member, read_features
from honua.geo.precision import DEFAULT, rounded
from honua.geo.reproject import to_crs

__all__ = ["BATCH", "Prepared", "chunks", "prepare"]

BATCH = 1000
"""Features read, converted and written at a time: parsed GeoJSON costs ~15x its text in
Python objects, so 1,000 buffer polygons already hold ~30 MB; smaller batches cost little
more time (every step is a vectorised call per batch)."""
STREAM_ABOVE = 8 * 1024 * 1024
"""Stored GeoJSON up to this size is answered the whole way: two passes cost ~1.7x the
time of one (``bench/gp_results.py``), and below it the whole way's memory (~15x the
text) is bounded anyway."""
_WHAT = "the stored result"


@dataclass(frozen=True)
class Prepared:
    """What the first pass learnt: the set's head, the stored and the answer's CRS."""

    stored: StoredValue
    layout: Layout
    head: dict[str, Any]
    source: CRS
    target: CRS | None
    encoding: EsriEncoding
    tabular: bool

    @property
    def count(self) -> int:
        return self.layout.count


def _batches(stored: StoredValue, members: dict[str, bytes] | None) -> Iterator[list[Any]]:
    batch: list[bytes] = []
    for text in feature_texts(stored.chunks(), members, _WHAT):
        batch.append(text)
        if len(batch) == BATCH:
            yield orjson.loads(b"[" + b",".join(batch) + b"]")
            batch = []
    if batch:
        yield orjson.loads(b"[" + b",".join(batch) + b"]")


def prepare(stored: StoredValue, parameter: Parameter, encoding: EsriEncoding
            ) -> Prepared | None:
    """The first pass (blocking: run it on a worker thread); None when this result is
    answered the whole way (a small result, a feature-collection layer is asked, or the
    stored value is not GeoJSON)."""
    tabular = is_table(parameter)
    if stored.size <= STREAM_ABOVE or (encoding.feature_collection and not tabular):
        return None
    opening = next(iter(stored.chunks()), b"")[:200].lstrip()
    if not opening.startswith(b"{") or opening.startswith(b'{"' + ESRI_KEY.encode()):
        return None
    layout = Layout(return_z=encoding.return_z, ids_up_to=encoding.maximum_records,
                    where=_WHAT)
    members: dict[str, bytes] = {}
    for batch in _batches(stored, members):
        layout.add(batch)
    source = crs_of_member(members.get("crs"), _WHAT)
    target = spatialref.read(encoding.out_sr) if encoding.out_sr is not None else None
    kinds = geometry_types(parameter)
    head = layout.head(target or source, tabular=tabular,
                       geometry_hint=kinds[0] if len(kinds) == 1 else None)
    return Prepared(stored, layout, head, source, target, encoding, tabular)


def chunks(prepared: Prepared, name: str, data_type: str,
           messages: list[dict[str, str]] | None = None, callback: str = "") -> Iterator[bytes]:
    """The GP result document ``{paramName, dataType, value[, messages]}`` in parts (inside
    ``callback(...);`` for JSONP when given)."""
    exceeded = prepared.count > prepared.encoding.maximum_records
    yield ((callback.encode() + b"(") if callback else b"") + b'{"paramName":' + orjson.dumps(
        name) + b',"dataType":' + orjson.dumps(data_type) + b',"value":' + orjson.dumps(
        prepared.head)[:-1] + b',"features":['
    if not exceeded:
        written = 0
        for batch in _batches(prepared.stored, None):
            collection = read_features(batch, where=_WHAT, crs=prepared.source)
            if prepared.target is not None:
                collection = to_crs(collection, prepared.target)
            # the decimals asked (geometryPrecision), else those the CRS's unit needs, as
            # core.esri_outputs.write_features rounds a whole output
            collection = rounded(collection, DEFAULT.asking(prepared.encoding.precision))
            text = part(collection, prepared.layout,
                        prepared.layout.object_ids(batch, written), tabular=prepared.tabular)
            yield (b"," if written else b"") + text
            written += len(batch)
    tail = b'],"exceededTransferLimit":' + (b"true" if exceeded else b"false") + b"}"
    if messages:
        tail += b',"messages":' + orjson.dumps(messages)
    yield tail + b"}" + (b");" if callback else b"")

