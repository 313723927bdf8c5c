"""Starlette routes of OGC API - Features (``/api/collections``): glue to the catalog."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from honua.adapters.ogcapi import decode
from honua.adapters.ogcapi import features_encode as fenc
from honua.adapters.ogcapi.encode import link
from honua.adapters.ogcapi.responses import json_response
from honua.core.catalog import FeatureQuery, NoSuchLayer, check_filter
from honua.core.references import LayerReference, can_read
from honua.errors import Forbidden, InvalidParameter, NotSupported
from honua.geo.filter_limits import FilterLimits
from honua.geo.precision import DEFAULT, Precision, parse_decimals
from honua.settings import Settings
from honua.types import Catalog, JobService
from honua.web.body import public_base
from honua.web.downloads import download_response, requested_download
from honua.web.identity import principal_of
from honua.web.negotiate import wants_html

if TYPE_CHECKING:
    from honua.adapters.ogcapi.html import Pages

ITEMS_PARAMETERS = frozenset({"limit", "offset", "bbox", "bbox-crs", "properties", "filter",
                              "filter-lang", "filter-crs", "datetime", "f", "crs",
                              "precision"})
CRS84_NAMES = (fenc.CRS84_URI, "http://www.opengis.net/def/crs/OGC/1.3/CRS84h", "OGC:CRS84")
EPSG4326_NAMES = ("http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326")
"""WGS 84 with its official axis order, latitude first: only a bbox may be given in it."""


class Collections:
    def __init__(self, catalog: Catalog, settings: Settings, pages: Pages | None = None,
                 manager: JobService | None = None) -> None:
        self.catalog = catalog
        self.settings = settings
        self.manager = manager
        """For the provenance of registered layers (the run that made them)."""
        self.filter_limits = FilterLimits.from_settings(settings)
        self.pages = pages

    def _html(self, request: Request) -> Pages | None:
        """The page renderer when this request wants a page (a browser, ``f=html``)."""
        return self.pages if self.pages is not None and wants_html(request) else None

    def base(self, request: Request) -> str:
        return public_base(request, self.settings.base_url)

    def _layer(self, collection_id: str, request: Request) -> Any:
        caller = principal_of(request)
        layer = self.catalog.get(collection_id)
        if not can_read(layer, caller.subject, caller.tenant):  # another tenant's: unknown
            raise NoSuchLayer(f"there is no collection {collection_id!r}; GET /api/collections "
                              "lists the layers available")
        return layer

    async def collections(self, request: Request) -> Response:
        layers = await run_in_threadpool(self.catalog.list)
        caller = principal_of(request)
        visible = [layer for layer in layers if can_read(layer, caller.subject, caller.tenant)]
        document = fenc.collections(visible, self.base(request))
        if pages := self._html(request):
            return pages.page(request, "collections.html", pages.crumbs(("Collections", "")),
                              document=document, title="Collections")
        return json_response(document)

    async def collection(self, request: Request) -> Response:
        layer = await run_in_threadpool(self._layer, request.path_params["collection_id"], request)
        base = self.base(request)
        document = fenc.collection(layer, base)
        if self.manager is not None and layer.registered:
            record = await run_in_threadpool(self.manager.layer_provenance, layer.id)
            if record is not None:
                document["provenance"] = {
                    "jobID": record.job_id, "processID": record.process_id,
                    "processVersion": record.process_version, "finished": record.to_json()[
                        "finished"], "activity": f"{base}/api/jobs/{record.job_id}/provenance"}
                document.setdefault("links", []).append({
                    "href": f"{base}/api/jobs/{record.job_id}/provenance",
                    "rel": "http://www.w3.org/ns/prov#wasGeneratedBy",
                    "type": "application/json", "title": "The run that made this layer"})
        if pages := self._html(request):
            return pages.page(request, "collection.html", pages.crumbs(
                ("Collections", "/api/collections?f=html"), (layer.id, "")), document=document,
                bbox=list(layer.extent) if layer.extent is not None else None,
                title=layer.title or layer.id)
        return json_response(document)

    async def queryables(self, request: Request) -> Response:
        layer = await run_in_threadpool(self._layer, request.path_params["collection_id"], request)
        document = fenc.queryables(layer, self.base(request))
        if pages := self._html(request):
            return pages.page(request, "document.html", pages.crumbs(
                ("Collections", "/api/collections?f=html"),
                (layer.id, f"/api/collections/{layer.id}?f=html"), ("Queryables", "")),
                document=document, title=f"Queryables of {layer.id}")
        return json_response(document, media_type=fenc.SCHEMA_JSON)

    async def items(self, request: Request) -> Response:
        collection_id = request.path_params["collection_id"]
        layer = await run_in_threadpool(self._layer, collection_id, request)
        query, limit, offset = await run_in_threadpool(self._query, request, layer)  # CQL2 parse
        precision = _precision(request)
        download = requested_download(request)
        page = await run_in_threadpool(self.catalog.read, collection_id, query)
        if download is not None:  # the page as a file GIS tools open
            return await download_response(page, download, collection_id)
        matched = await run_in_threadpool(self.catalog.count, collection_id, query)
        links = self._page_links(request, collection_id, offset, limit, len(page), matched)
        body = await run_in_threadpool(fenc.items, page, matched=matched, links=links,
                                       now=dt.datetime.now(dt.UTC), precision=precision)
        if pages := self._html(request):
            document = orjson.loads(body)
            rows = document["features"]
            columns = list(dict.fromkeys(name for row in rows[:200]
                                         for name in (row.get("properties") or {})))[:40]
            map_url = request.url.remove_query_params(["f", "limit", "offset", "bbox"])
            return pages.page(
                request, "items.html", pages.crumbs(
                    ("Collections", "/api/collections?f=html"),
                    (layer.id, f"/api/collections/{layer.id}?f=html"), ("Items", "")),
                collection=layer, rows=rows, columns=columns, matched=matched,
                links=document["links"], title=f"Features of {layer.id}",
                bbox=list(layer.extent) if layer.extent is not None else None,
                map_url=f"{map_url.path}?{map_url.query}" if map_url.query else map_url.path)
        return Response(body, media_type=fenc.GEOJSON)

    async def item(self, request: Request) -> Response:
        collection_id, feature_id = (request.path_params["collection_id"],
                                     request.path_params["feature_id"])
        precision = _precision(request)
        await run_in_threadpool(self._layer, collection_id, request)
        found = await run_in_threadpool(self.catalog.feature, collection_id, feature_id)
        body = fenc.item(found, collection_id, feature_id, self.base(request), precision)
        if pages := self._html(request):
            return pages.page(
                request, "item.html", pages.crumbs(
                    ("Collections", "/api/collections?f=html"),
                    (collection_id, f"/api/collections/{collection_id}?f=html"),
                    ("Items", f"/api/collections/{collection_id}/items?f=html"),
                    (feature_id, "")),
                feature=orjson.loads(body), collection_id=collection_id, bbox=None,
                map_url=request.url.path, title=f"Feature {feature_id}")
        return Response(body, media_type=fenc.GEOJSON)

    async def delete(self, request: Request) -> Response:
        """``DELETE /api/collections/{id}``: a registered layer, by its owner (or an admin);
        204. Another tenant's layer is not there for the caller (404); another owner's in
        the same tenant, or a configured layer, is 403."""
        collection_id = request.path_params["collection_id"]
        caller = principal_of(request)
        admin = caller.is_admin(self.settings)
        layer = await run_in_threadpool(self.catalog.get, collection_id)
        if layer.registered and layer.tenant != caller.tenant and not admin:
            raise NoSuchLayer(f"there is no collection {collection_id!r}")
        if not layer.registered:
            raise Forbidden(f"collection {collection_id!r} is a configured layer; remove it "
                            "from the server's configuration instead")
        if layer.owner != caller.subject and not admin:
            raise Forbidden(f"collection {collection_id!r} belongs to someone else; only its "
                            "owner may delete it")
        await run_in_threadpool(self.catalog.remove, collection_id)
        return Response(status_code=204)

    # -- query parameters -----------------------------------------------------------------------
    def _query(self, request: Request, layer: Any) -> tuple[FeatureQuery, int, int]:
        params = request.query_params
        unknown = sorted(set(params) - ITEMS_PARAMETERS - {f.name for f in layer.fields})
        if unknown:
            raise InvalidParameter(
                f"unknown query parameter {unknown[0]!r}; use limit, offset, bbox, properties, "
                "filter, filter-lang, or a property name", parameter=unknown[0])
        for name in ("bbox-crs", "filter-crs", "crs"):
            allowed = CRS84_NAMES + EPSG4326_NAMES if name == "bbox-crs" else CRS84_NAMES
            if name in params and params[name] not in allowed:
                raise NotSupported(f"{name} {params[name]!r} is not supported; coordinates are "
                                   f"in {fenc.CRS84_URI} (longitude, latitude)", parameter=name)
        bbox = params.get("bbox")
        if bbox is not None and params.get("bbox-crs") in EPSG4326_NAMES:
            bbox = _lat_lon_bbox(bbox)
        s = self.settings
        limit = min(decode.int_param(params, "limit", s.features_default_limit, 1, 10**9),
                    s.features_max_limit)
        offset = decode.int_param(params, "offset", 0, 0, 10**12)
        # from_json: the wire forms (comma-separated bbox and properties) are converted there
        reference = LayerReference.from_json({
            "collectionId": layer.id, "filter": params.get("filter"),
            "filter-lang": params.get("filter-lang"), "bbox": bbox,
            "properties": params.get("properties")})
        query = reference.query(layer, self.filter_limits)
        equal = _property_filter(params, layer)
        if equal is not None:
            query = FeatureQuery(filter=equal if query.filter is None else _and(query.filter, equal),
                                 bbox=query.bbox, properties=query.properties)
        return FeatureQuery(query.filter, query.bbox, query.properties, limit, offset), limit, offset

    def _page_links(self, request: Request, collection_id: str, offset: int, limit: int,
                    returned: int, matched: int) -> list[dict[str, str]]:
        base = self.base(request)
        here = f"{base}{request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
        query = request.url.remove_query_params("offset")
        page = f"{base}{query.path}?"
        links = [link(here, "self", "This page", fenc.GEOJSON),
                 link(f"{base}/api/collections/{collection_id}", "collection", "The collection")]
        if offset + returned < matched:
            links.append(link(page + str(query.include_query_params(offset=offset + limit).query),
                              "next", "Next page", fenc.GEOJSON))
        if offset > 0:
            links.append(link(page + str(query.include_query_params(
                offset=max(0, offset - limit)).query), "prev", "Previous page", fenc.GEOJSON))
        return links



def _precision(request: Request) -> Precision:
    """``?precision=N``: decimals of the coordinates (default 7, as they are in degrees)."""
    return DEFAULT.asking(parse_decimals(request.query_params.get("precision")))


def _property_filter(params: Any, layer: Any) -> Any:
    """``?name=value`` on a queryable: the queryables-query-parameters equality filter."""
    from pygeofilter import ast

    parts = []
    for field in layer.fields:
        if field.name not in params:
            continue
        raw = params[field.name]
        value: Any = raw
        if field.type == "integer":
            value = _number(raw, int, field.name)
        elif field.type == "double":
            value = _number(raw, float, field.name)
        parts.append(ast.Equal(ast.Attribute(field.name), value))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = ast.And(combined, part)
    return check_filter(combined, layer)


def _lat_lon_bbox(text: str) -> str:
    """A bbox in EPSG:4326 order (lat, lon[, h], lat, lon[, h]) as CRS84's (lon, lat, ...)."""
    values = text.split(",")
    if len(values) == 4:
        return ",".join(values[i] for i in (1, 0, 3, 2))
    if len(values) == 6:
        return ",".join(values[i] for i in (1, 0, 2, 4, 3, 5))
    return text  # the core refuses it with its own message


def _number(raw: str, kind: Any, name: str) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a number, got {raw!r}", parameter=name) from None


def _and(left: Any, right: Any) -> Any:
    from pygeofilter import ast

    return ast.And(left, right)

