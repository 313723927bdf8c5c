"""A stored GeoJSON result converted as it is sent: reprojected and rounded batch by batch.

When a client asks a stored feature result in another CRS (GPServer ``outSR``) or with
other decimals (``geometryPrecision``), the stored GeoJSON cannot go out as it is. Rather
than decoding the whole (a 100 MB result as a gigabyte of objects), its features are
read ``BATCH`` at a time (``core.json_text.feature_texts``), each batch converted with the
same functions a whole conversion uses (``to_crs``, ``rounded``, the server's GeoJSON
writer) and written, so memory holds a batch, not the result. The stored ``crs`` member
comes after the features, so a first pass reads the collection's other members.

Features are converted independently, so the answer is the one a whole conversion gives,
but for one case the server's own writer never makes: a property some features lack
altogether is written as ``null`` by a whole conversion only if another feature of the
same batch has it.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from pyproj import CRS

from honua.core.json_text import feature_texts
from honua.core.stored_outputs import StoredValue
from honua.geo.geojson import crs_member, crs_of_member, feature_dicts, read_features
from honua.geo.precision import DEFAULT, Precision, rounded
from honua.geo.reproject import to_crs

__all__ = ["BATCH", "converted"]

BATCH = 5000
"""Features converted at a time."""
_WHAT = "the stored result"


def converted(stored: StoredValue, crs: CRS | None, precision: Precision) -> Iterator[bytes]:
    """The stored FeatureCollection's GeoJSON in ``crs`` (None: its own), coordinates
    rounded as ``precision`` says and written at the default precision, as
    ``download_response`` writes a converted collection."""
    head: dict[str, bytes] = {}
    for _ in feature_texts(stored.chunks(), head, _WHAT):  # the members beside the features
        pass
    crs_text = head.get("crs")
    tail = b',"crs":' + crs_text if crs_text else b""
    target = crs or crs_of_member(crs_text, _WHAT)
    yield b'{"type":"FeatureCollection","features":['
    batch: list[bytes] = []
    first = True
    for text in feature_texts(stored.chunks(), None, _WHAT):
        batch.append(text)
        if len(batch) == BATCH:
            yield _written(batch, tail, crs, precision, first)
            batch, first = [], False
    if batch:
        yield _written(batch, tail, crs, precision, first)
    member = crs_member(target)
    yield b"]" + (b',"crs":' + orjson.dumps(member) if member is not None else b"") + b"}"


def _written(batch: list[bytes], tail: bytes, crs: CRS | None, precision: Precision,
             first: bool) -> bytes:
    collection = read_features(b'{"type":"FeatureCollection","features":[' + b",".join(batch)
                               + b"]" + tail + b"}", where=_WHAT)
    if crs is not None:
        collection = to_crs(collection, crs)
    collection = rounded(collection, precision)
    text = orjson.dumps(feature_dicts(collection, DEFAULT), option=orjson.OPT_SERIALIZE_NUMPY)
    return (b"" if first else b",") + text[1:-1]
