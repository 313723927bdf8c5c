"""Feature values given as Esri JSON, read where the job runs.

A GPServer feature set of a million vertices costs hundreds of megabytes as
Python objects, and its Esri JSON answer as many again. The front process need
not build either: it wraps the feature set's text as ``{"esriJSON": ...}``
(``wrap_input``), which the worker's ``codec.decode`` reads here
(``read_wrapped``) under the job's limits (the way back is ``core.esri_outputs``).
The Esri JSON codec is
``geo.esrijson``; what a GP parameter takes (a geometry type, a table) is read
from the neutral ``Parameter`` here, so the front and the worker refuse the
same inputs with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from honua.core.json_text import JSONText
from honua.core.parameters import DataType, Parameter
from honua.core.values import Geometry
from honua.errors import InvalidParameter
from honua.geo.esrijson import featureset
from honua.geo.esrijson import geometry as esrigeom
from honua.geo.features import FeatureCollection

__all__ = ["ESRI_KEY", "EsriEncoding", "FEATURE_TYPES", "WRAPPER_KEYS", "check_geometry", "geometry_types",
           "is_table", "is_wrapped", "read_features", "read_wrapped", "wrap_input"]

ESRI_KEY = "esriJSON"
"""The one member of a feature value carried as Esri JSON (``{"esriJSON": featureSet}``)."""
WRAPPER_KEYS = frozenset({ESRI_KEY, "count", "value"})
FEATURE_TYPES = (DataType.FEATURES, DataType.GEOMETRY)

TABLE_MARKERS = frozenset({"none", "table"})
_GEOMETRY_NAMES = {
    "point": esrigeom.POINT, "multipoint": esrigeom.MULTIPOINT,
    "linestring": esrigeom.POLYLINE, "multilinestring": esrigeom.POLYLINE,
    "line": esrigeom.POLYLINE, "polyline": esrigeom.POLYLINE,
    "polygon": esrigeom.POLYGON, "multipolygon": esrigeom.POLYGON,
}


# -- what a parameter takes ---------------------------------------------------------------------
def is_table(parameter: Parameter) -> bool:
    """A feature parameter declared without geometry (``geometry_types=("none",)``): a
    GP record set."""
    return parameter.data_type is DataType.FEATURES and bool(parameter.geometry_types) and all(
        g.lower() in TABLE_MARKERS for g in parameter.geometry_types)


def geometry_types(parameter: Parameter) -> tuple[str, ...]:
    """The Esri geometry types a feature parameter accepts (empty = any)."""
    found: list[str] = []
    for name in parameter.geometry_types:
        kind = _GEOMETRY_NAMES.get(name.lower().removeprefix("esrigeometry"))
        if kind and kind not in found:
            found.append(kind)
    return tuple(found)


def check_geometry(parameter: Parameter, collection: FeatureCollection, declared: Any,
                   where: str) -> None:
    """Refuse features of a geometry type the parameter does not take."""
    allowed = geometry_types(parameter)
    if not allowed:
        return
    kind = declared or esrigeom.family(collection.geometry)
    if kind and kind not in allowed:
        raise InvalidParameter(f"{where} takes {' or '.join(allowed)} features, got {kind}",
                               parameter=parameter.name)


# -- reading ------------------------------------------------------------------------------------
def read_features(parameter: Parameter, value: Any, where: str) -> FeatureCollection | Geometry:
    """An inline feature set (or, for a geometry parameter, one Esri geometry) as the
    parameter's core value, its geometry type checked."""
    tabular = is_table(parameter)
    if parameter.data_type is DataType.GEOMETRY and isinstance(value, Mapping) and \
            esrigeom.kind_of(value):
        value = {"features": [{"geometry": value}],
                 "spatialReference": value.get("spatialReference")}
    collection = featureset.read(value, where, tabular=tabular)
    if not tabular:
        declared = value.get("geometryType") if isinstance(value, Mapping) else None
        check_geometry(parameter, collection, declared, where)
    if parameter.data_type is DataType.GEOMETRY:
        return Geometry.only_one(collection, parameter.name)
    return collection


def wrap_input(text: bytes) -> JSONText:
    """A feature set's Esri JSON text, to be read in the worker (``read_wrapped``)."""
    return JSONText(b'{"' + ESRI_KEY.encode() + b'":' + text + b"}")


def is_wrapped(parameter: Parameter, value: Any) -> bool:
    """Whether a neutral value is a feature value carried as Esri JSON."""
    return (parameter.data_type in FEATURE_TYPES and isinstance(value, Mapping)
            and ESRI_KEY in value and set(value) <= WRAPPER_KEYS)


def read_wrapped(parameter: Parameter, value: Mapping[str, Any]) -> Any:
    """The core value of ``{"esriJSON": ...}`` (its neutral ``value`` when it has one)."""
    if value.get("value") is not None:
        return parameter.convert(value["value"])
    try:
        return read_features(parameter, value[ESRI_KEY], f"input {parameter.name!r}")
    except InvalidParameter as exc:
        exc.parameter = exc.parameter or parameter.name
        raise


@dataclass(frozen=True)
class EsriEncoding:
    """How a run's feature outputs are written as Esri JSON where they were made: the
    answer's spatial reference (its Esri JSON; None = the output's own), ``returnZ``,
    decimals (None = ``geo.precision``'s default), ``returnFeatureCollection`` and the
    service's ``maximumRecords``."""

    out_sr: Mapping[str, Any] | None = None
    return_z: bool = False
    precision: int | None = None
    feature_collection: bool = False
    maximum_records: int = 1000
