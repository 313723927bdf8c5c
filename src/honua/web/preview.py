"""A job's feature output as a map draws it: the part in view, limited and simplified.

A result can be a million polygons; the map on a job page never fetches it
whole. It asks for the features intersecting its view (``bbox``, lon/lat),
at most ``limit`` of them, simplified by ``tolerance`` (degrees, from the
map's zoom: about one screen pixel), and the answer says how many matched.
The decoded output is kept in a small cache, since a map asks again at
every pan and zoom and a succeeded job's outputs never change.

Both surfaces' job pages use this (OGC API at ``/api/jobs/{id}/results/{output}/map``,
GPServer at ``.../jobs/{id}/results/{param}/map``); the caller's tenant rules hold
because the outputs are read through the job manager.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
import shapely

from honua.errors import InvalidParameter, NotFound
from honua.geo.crs import crs84
from honua.geo.features import FeatureCollection
from honua.geo.geojson import feature_dicts
from honua.geo.reproject import to_crs
from honua.types import JobService

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "PreviewCache", "view"]

DEFAULT_LIMIT = 2_000
MAX_LIMIT = 10_000
CACHED_JOBS = 4
Entry = tuple[FeatureCollection, Any, "tuple[float, float, float, float] | None"]


class PreviewCache:
    """The last few jobs' feature outputs, decoded and in lon/lat (see the module docstring)."""

    def __init__(self, size: int = CACHED_JOBS) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._outputs: OrderedDict[tuple[str, str], Entry] = OrderedDict()

    def features(self, manager: JobService, job_id: str, output: str) -> Entry:
        """(features in lon/lat, their spatial index, their bounds) of output ``output`` of
        ``job_id``."""
        job = manager.get(job_id)  # visibility first: another tenant's job is unknown here
        key = (job.id, output)
        with self._lock:
            if key in self._outputs:
                self._outputs.move_to_end(key)
                return self._outputs[key]
        value = manager.results(job_id).get(output)
        if not isinstance(value, FeatureCollection):
            raise NotFound(f"output {output!r} of job {job_id} is not a set of features")
        lonlat = value if value.crs.equals(crs84(), ignore_axis_order=True) else to_crs(
            value, crs84())
        entry = (lonlat, shapely.STRtree(lonlat.geometry), lonlat.bounds)
        with self._lock:
            self._outputs[key] = entry
            while len(self._outputs) > self.size:
                self._outputs.popitem(last=False)
        return entry


def _float(params: Mapping[str, str], name: str, default: float, low: float,
           high: float) -> float:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be a number, got {raw[:40]!r}",
                               parameter=name) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidParameter(f"{name} must be between {low:g} and {high:g}", parameter=name)
    return value


def _bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise InvalidParameter("bbox is four numbers: west,south,east,north", parameter="bbox")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidParameter("bbox is four numbers: west,south,east,north",
                               parameter="bbox") from None
    if not all(map(math.isfinite, (west, south, east, north))) or west > east or south > north:
        raise InvalidParameter("bbox must be finite with west <= east and south <= north",
                               parameter="bbox")
    return west, south, east, north


def view(cache: PreviewCache, manager: JobService, job_id: str, output: str,
         params: Mapping[str, str]) -> bytes:
    """The GeoJSON a map draws (see the module docstring), with ``numberMatched`` and
    ``numberReturned``; parameters ``bbox``, ``limit``, ``tolerance``."""
    limit = int(_float(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT))
    tolerance = _float(params, "tolerance", 0.0, 0.0, 10.0)
    bbox = _bbox(params.get("bbox"))
    features, tree, bounds = cache.features(manager, job_id, output)
    if bbox is None:
        index = np.flatnonzero(~shapely.is_missing(features.geometry))
    else:
        index = np.sort(tree.query(shapely.box(*bbox), predicate="intersects"))
    shown = features.take(index[:limit])
    geometry = shown.geometry
    if tolerance > 0 and len(geometry):
        geometry = shapely.simplify(geometry, tolerance, preserve_topology=True)
    shown = shown.with_geometry(geometry)
    return orjson.dumps({
        "type": "FeatureCollection",
        "features": feature_dicts(shown),
        "numberMatched": int(len(index)),
        "numberReturned": len(shown),
        "bbox": list(bounds) if bounds is not None else None,
    }, option=orjson.OPT_SERIALIZE_NUMPY)
