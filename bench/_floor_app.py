"""The floor for the engine benchmark: a bare WSGI app around the same computation.

Served by gunicorn (``gunicorn -w 2 _floor_app:app``): parse the OGC API execute
body with orjson, buffer the points on the ground with Honua's geodesic buffer,
answer GeoJSON. No validation beyond what parsing needs, no job record, no
isolation: what plain Python serves when it does nothing but the work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from honua.geo.buffer import buffer
from honua.geo.geojson import read_features, write_features


def compute(body: bytes) -> bytes:
    document = orjson.loads(body)
    collection = read_features(document["inputs"]["features"])
    distance = document["inputs"]["distance"]
    meters = float(distance["value"]) if isinstance(distance, dict) else float(distance)
    return write_features(collection.with_geometry(buffer(collection.geometry, meters,
                                                          collection.crs)))


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size) if size else b""
    try:
        out = compute(body)
    except Exception as exc:  # a bad request, answered plainly
        message = str(exc).encode()
        start_response("400 Bad Request", [("Content-Type", "text/plain"),
                                           ("Content-Length", str(len(message)))])
        return [message]
    start_response("200 OK", [("Content-Type", "application/geo+json"),
                              ("Content-Length", str(len(out)))])
    return [out]
