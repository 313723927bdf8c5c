"""Values <-> neutral JSON, for storing job inputs and outputs.

The stored form is what the parameter converters accept, so decoding is just
``Parameter.convert`` (the same path a client's request takes) and a stored
job re-runs exactly as it was asked. Feature collections are GeoJSON (with the
legacy ``crs`` member when not CRS84), readable by any GIS tool; features a
GPServer client sent as Esri JSON may stay so, as ``{"esriJSON": ...}``
(``core.esri_values``), read where the job runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from honua.core.esri_values import is_wrapped, read_wrapped
from honua.core.json_text import JSONText
from honua.core.parameters import DataType, Parameter
from honua.core.references import LayerReference
from honua.core.values import ArealUnit, Envelope, File, Geometry, LinearUnit, SpatialReference
from honua.errors import InvalidParameter
from honua.geo.crs import crs_name
from honua.geo.features import FeatureCollection
from honua.geo.geojson import write_features
from honua.geo.precision import Precision


def to_neutral(data_type: DataType, value: Any, precision: Precision | None = None) -> Any:
    """The JSON-able neutral form of one value (feature collections as pre-serialised JSON,
    coordinates rounded as ``precision`` says: outputs are, inputs never, so a stored job
    re-runs exactly as asked)."""
    if value is None:
        return None
    if isinstance(value, JSONText):  # text the front did not decode, or the worker wrote
        return orjson.Fragment(value.data)
    if isinstance(value, list | tuple) and data_type is not DataType.ENVELOPE:
        return [to_neutral(data_type, v, precision) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, LayerReference):  # a chunked job's input stays a reference
        return {"layerReference": value.to_json()}
    if isinstance(value, FeatureCollection):
        return orjson.Fragment(write_features(value, precision))
    if isinstance(value, Geometry):
        return orjson.Fragment(write_features(
            FeatureCollection.from_geometries([value.shape], crs=value.crs), precision))
    if isinstance(value, LinearUnit | ArealUnit):
        return {"value": value.value, "unit": value.unit}
    if isinstance(value, Envelope):
        return {"bbox": [value.minx, value.miny, value.maxx, value.maxy],
                "crs": crs_name(value.crs)}
    if isinstance(value, SpatialReference):
        return {"crs": value.name}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, File):
        return {"name": value.name, "mediaType": value.media_type,
                "data": base64.b64encode(value.read()).decode("ascii")}
    return value


def encode(parameters: Iterable[Parameter], values: Mapping[str, Any],
           precision: Precision | None = None) -> bytes:
    """JSON bytes of ``values`` (only those described by ``parameters``). Outputs are
    encoded with ``geo.precision.DEFAULT`` (7 decimals in degrees, 3 in metres: what a
    client needs, not float64's 17 digits), inputs with None (exactly as given)."""
    return join_parts(encode_parts(parameters, values, precision))


def encode_parts(parameters: Iterable[Parameter], values: Mapping[str, Any],
                 precision: Precision | None = None) -> dict[str, bytes]:
    """The JSON bytes of each value, as ``encode`` writes them (the provenance ledger hashes
    these, so a value is never parsed back to be hashed)."""
    by_name = {p.name: p for p in parameters}
    return {name: orjson.dumps(to_neutral(by_name[name].data_type, value, precision),
                               option=orjson.OPT_SERIALIZE_NUMPY)
            for name, value in values.items() if name in by_name}


def join_parts(parts: Mapping[str, bytes]) -> bytes:
    """The JSON object of ``encode_parts``' values: byte for byte what orjson writes."""
    return b"{" + b",".join(orjson.dumps(name) + b":" + part
                            for name, part in parts.items()) + b"}"


def decode(parameters: Iterable[Parameter], data: bytes) -> dict[str, Any]:
    """Values back from ``encode``'s bytes (InvalidParameter if they are not JSON: inputs
    given as ``JSONText`` are first decoded here, in the worker)."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"the inputs are not valid JSON: {exc}") from None
    out: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.name in raw:
            value = raw[parameter.name]
            if isinstance(value, Mapping) and "layerReference" in value:
                out[parameter.name] = LayerReference.from_json(value["layerReference"])
                continue
            if is_wrapped(parameter, value):  # features a GPServer client sent as Esri JSON
                out[parameter.name] = read_wrapped(parameter, value)
                continue
            if (isinstance(value, list) and value and all(  # a tier-2 job's list of layers
                    isinstance(v, Mapping) and "layerReference" in v for v in value)):
                out[parameter.name] = [LayerReference.from_json(v["layerReference"])
                                       for v in value]
                continue
            out[parameter.name] = None if value is None else parameter.convert(value)
    return out
