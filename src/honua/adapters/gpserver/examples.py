"""Example values and hints for the task forms (``execute`` / ``submitJob`` pages).

An empty box teaches nothing: each feature-set input starts with a value
that runs (a catalog layer by ``{"url": ...}`` when the server has layers, else
a small Esri JSON feature set), linear units with ``{"distance", "units"}``,
and every input that can take data says how: ``{"url": ".../collections/<id>"}``
for a layer of this server, ``{"itemID": ...}`` for an upload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

__all__ = ["examples"]

POINTS = {"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
          "fields": [{"name": "name", "type": "esriFieldTypeString", "alias": "name"}],
          "features": [{"geometry": {"x": -157.8583, "y": 21.3069}, "attributes": {"name": "Honolulu"}},
                       {"geometry": {"x": -155.09, "y": 19.7241}, "attributes": {"name": "Hilo"}}]}
DISTANCE = {"distance": 10, "units": "esriKilometers"}


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def examples(parameters: Sequence[Mapping[str, Any]], base: str, layers: Sequence[str],
             uploads: bool, uploads_url: str) -> dict[str, dict[str, str]]:
    """Per input name: ``example`` (text to start the box with, or "") and ``hint``."""
    out: dict[str, dict[str, str]] = {}
    features_seen = 0
    for p in parameters:
        kind, example, hint = p.get("dataType", ""), "", ""
        default = p.get("defaultValue")
        if kind in ("GPFeatureRecordSetLayer", "GPRecordSet"):
            layer = layers[min(features_seen, len(layers) - 1)] if layers else ""
            if default not in (None, "", {}) and (default or {}).get("features"):
                example = _json(default)
            elif layer:
                example = _json({"url": f"{base}/api/collections/{layer}"})
            elif kind == "GPFeatureRecordSetLayer":
                example = _json(POINTS)
            features_seen += 1
            hint = ('A layer of this server: {"url": "' + base + '/api/collections/'
                    + (layer or "<id>") + '"} (filter with ?filter=...), an Esri JSON feature set'
                    + (', or an upload: {"itemID": "<id>"}' if uploads else ""))
        elif kind == "GPLinearUnit":
            example = _json(default) if isinstance(default, dict) and default else _json(DISTANCE)
            hint = 'A distance and its unit: {"distance": 10, "units": "esriKilometers"}'
        elif kind == "GPArealUnit":
            hint = 'An area and its unit: {"area": 1, "units": "esriSquareKilometers"}'
        elif kind == "GPDataFile":
            hint = ('Upload the file first (' + uploads_url + '), then {"itemID": "<id>"}'
                    if uploads else 'A file by URL: {"url": "https://..."}')
        elif kind == "GPMultiValue:GPString" or kind.startswith("GPMultiValue"):
            hint = 'Several values: a JSON array, e.g. ["a", "b"]'
        elif default is not None and not isinstance(default, dict | list):
            example = str(default).lower() if isinstance(default, bool) else str(default)
        out[str(p["name"])] = {"example": example, "hint": hint}
    return out
