"""This server's own collection URLs as layer references (no HTTP round trip).

WPS ``Reference`` hrefs, GPServer ``{"url": ...}`` feature sets and OGC API
``href`` inputs may point at ``/api/collections/{id}/items`` on this very
server; every adapter needs to recognise them the same way, and the URL
layout is HTTP knowledge the core should not hold, so it lives here.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from honua.core.references import LayerReference
from honua.errors import InvalidParameter

__all__ = ["reference_from_url"]


_COLLECTION_PATH = re.compile(r"^(?P<prefix>.*?)/collections/(?P<id>[^/]+)(?P<items>/items)?/?$")
_URL_PARAMETERS = frozenset({"filter", "filter-lang", "bbox", "properties", "limit", "f"})
_URL_CRS84 = frozenset({"http://www.opengis.net/def/crs/OGC/1.3/CRS84", "OGC:CRS84"})


def reference_from_url(url: str, base_url: str) -> LayerReference | None:
    """A ``LayerReference`` if ``url`` is this server's own collection or items URL, else None.

    ``base_url`` is the server's public root (``http://host:port``, perhaps with a
    path); the query string's ``filter``, ``filter-lang``, ``bbox``,
    ``properties`` and ``limit`` carry over. For WPS ``Reference`` inputs and
    GPServer ``{"url": ...}`` feature sets: resolved with no HTTP round trip.
    """
    if not isinstance(url, str) or not base_url:
        return None
    try:
        target, base = urlsplit(url), urlsplit(base_url.rstrip("/"))
    except ValueError:  # e.g. an unclosed [IPv6]: not ours; the fetcher refuses it clearly
        return None
    if (target.scheme.lower(), target.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
        return None
    path = target.path
    if not path.startswith(base.path + "/"):
        return None
    match = _COLLECTION_PATH.match(path[len(base.path):])
    if match is None or match.group("prefix") not in ("", "/api"):
        return None
    params = {k.lower(): v[-1] for k, v in parse_qs(target.query, keep_blank_values=False).items()}
    for name, value in params.items():
        if name in _URL_PARAMETERS or (name == "bbox-crs" and value in _URL_CRS84):
            continue
        raise InvalidParameter(
            f"the collection URL's query parameter {name}={value!r} cannot be applied to a layer "
            "reference (it would be ignored and select other features than the URL does); use "
            "filter (CQL2, e.g. filter=name='x'), filter-lang, bbox (lon/lat), properties or limit",
            parameter=name)
    limit = params.get("limit")
    if limit is not None and not (limit.isascii() and limit.isdigit()):
        raise InvalidParameter(f"the collection URL's limit must be a whole number, got {limit!r}",
                               parameter="limit")
    # from_json: the same wire-form conversion (bbox and properties as comma lists)
    return LayerReference.from_json({
        "collectionId": unquote(match.group("id")), "filter": params.get("filter"),
        "filter-lang": params.get("filter-lang"), "bbox": params.get("bbox"),
        "properties": params.get("properties"), "limit": int(limit) if limit else None})
