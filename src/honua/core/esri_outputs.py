"""Feature outputs written as Esri JSON where they were made, answered as they are.

A GPServer answer of a million vertices costs hundreds of megabytes as Python
objects in the front process. With an ``EsriEncoding`` on its work item, the
worker writes each feature output as the GP feature set the client asked for
(``encode_parts``: spatial reference, ``returnZ``, decimals, ``maximumRecords``
applied there), and the front answers with that text as it is (``answered``).
The inputs' way is ``core.esri_values``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from honua.core import codec
from honua.core.esri_values import (
    ESRI_KEY,
    FEATURE_TYPES,
    WRAPPER_KEYS,
    EsriEncoding,
    geometry_types,
    is_table,
)
from honua.core.json_text import JSONText, members
from honua.core.parameters import Parameter
from honua.core.values import Geometry
from honua.geo.esrijson import featureset, spatialref
from honua.geo.features import FeatureCollection
from honua.geo.precision import DEFAULT, rounded
from honua.geo.reproject import to_crs

__all__ = ["EsriFeatures", "answered", "encode_parts", "write_features"]


# -- writing ------------------------------------------------------------------------------------
def write_features(parameter: Parameter, item: FeatureCollection | Geometry,
                   encoding: EsriEncoding, maximum_records: int | None = None) -> Any:
    """A feature output as a GP feature set (or a feature collection layer)."""
    if isinstance(item, Geometry):
        item = FeatureCollection.from_geometries([item.shape], crs=item.crs)
    if encoding.out_sr is not None:
        item = to_crs(item, spatialref.read(encoding.out_sr))
    item = rounded(item, DEFAULT.asking(encoding.precision))  # digits the CRS's unit needs
    kinds = geometry_types(parameter)
    limit = encoding.maximum_records if maximum_records is None else maximum_records
    options = featureset.WriteOptions(return_z=encoding.return_z, maximum_records=limit,
                                      geometry_hint=kinds[0] if len(kinds) == 1 else None)
    document = featureset.write(item, options, tabular=is_table(parameter))
    if encoding.feature_collection and not is_table(parameter):
        return featureset.layer_definition(document, parameter.name)
    return document


def encode_parts(parameters: Iterable[Parameter], values: Mapping[str, Any],
                 encoding: EsriEncoding) -> dict[str, bytes]:
    """Each output's JSON for the answer: a single feature value as
    ``{"esriJSON": <feature set>, "count": n}`` (and, past ``maximumRecords``, its whole
    neutral ``value`` beside the empty set, for the front to keep), others neutral."""
    by_name = {p.name: p for p in parameters}
    parts: dict[str, bytes] = {}
    for name, value in values.items():
        parameter = by_name.get(name)
        if parameter is None:
            continue
        if not isinstance(value, FeatureCollection | Geometry):
            parts.update(codec.encode_parts([parameter], {name: value}, DEFAULT))
            continue
        count = len(value) if isinstance(value, FeatureCollection) else 1
        document = orjson.dumps(write_features(parameter, value, encoding),
                                option=orjson.OPT_SERIALIZE_NUMPY)
        extra = b""
        if count > encoding.maximum_records:
            extra = b',"value":' + codec.encode_parts([parameter], {name: value}, DEFAULT)[name]
        parts[name] = (b'{"' + ESRI_KEY.encode() + b'":' + document
                       + b',"count":' + str(count).encode() + extra + b"}")
    return parts


@dataclass(frozen=True, eq=False)
class EsriFeatures:
    """A feature output the worker wrote as Esri JSON: the feature set's text as it is
    answered, how many features it has, and (past ``maximumRecords``, where the set is
    empty) the whole value's neutral JSON, to be kept for its download."""

    data: bytes
    count: int
    whole: JSONText | None = None

    def __len__(self) -> int:
        return self.count


def answered(parameter: Parameter, value: JSONText) -> EsriFeatures | Any:
    """An output the worker sent as JSON text: ``EsriFeatures`` when it wrote it as Esri
    JSON, else the core value (small values, and executors that write neutral JSON)."""
    if parameter.data_type in FEATURE_TYPES and value.data.startswith(
            b'{"' + ESRI_KEY.encode() + b'":'):
        parts = members(value.data, f"output {parameter.name!r}")
        if set(parts) <= WRAPPER_KEYS and ESRI_KEY in parts:
            whole = parts.get("value")
            return EsriFeatures(parts[ESRI_KEY], int(parts.get("count") or 0),
                                JSONText(whole) if whole is not None else None)
    name = parameter.name
    return codec.decode([parameter], b'{' + orjson.dumps(name) + b":" + value.data + b"}")[name]
