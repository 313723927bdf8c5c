"""An Esri feature set written in parts, from GeoJSON features read batch by batch.

A feature set's head says what only all its features know: the fields (each attribute's
type is that of all its values, a string field as long as its longest value), the one
geometry type, whether any geometry has Z, and whether the features' own ids can be the
object ids (all integers, none repeated). ``Layout`` gathers that over the features' parsed
GeoJSON, a batch at a time, in a first pass that builds no geometry (but for ``hasZ``,
only asked with ``returnZ``); the second pass converts each batch and writes its features
with ``part``. What comes out is, member for member, what ``featureset.write`` makes of the
whole collection, without the whole collection ever being in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import shapely
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo.esrijson import featureset
from honua.geo.esrijson import geometry as esrigeom
from honua.geo.features import FeatureCollection, type_of_kinds
from honua.geo.geojson import parse_geometries

__all__ = ["Layout", "part"]

_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4,
             "MultiLineString": 5, "MultiPolygon": 6, "GeometryCollection": 7}
"""GeoJSON geometry type -> shapely's type id (what ``geometry.family`` reads)."""


class Layout:
    """The head of a feature set, gathered over its features' GeoJSON (see the module
    docstring). ``ids_up_to``: the features' own ids are followed only while there are at
    most this many (past ``maximumRecords`` no feature is written)."""

    def __init__(self, *, return_z: bool, ids_up_to: int, where: str) -> None:
        self.count = 0
        self.return_z = return_z
        self.has_z = False
        self.where = where
        self._ids_up_to = ids_up_to
        self._kinds: dict[str, set[type]] = {}
        self._longest: dict[str, int] = {}
        self._type_ids: set[int] = set()
        self._ids: set[int] | None = set()

    def add(self, features: Sequence[Any]) -> None:
        """Take a batch of parsed GeoJSON features into account."""
        for feature in features:
            if type(feature) is not dict or feature.get("type") != "Feature":
                raise InvalidParameter(f"{self.where}: item {self.count} of 'features' is not "
                                       "a GeoJSON Feature")
            self._properties(feature.get("properties") or {})
            self._id(feature.get("id"))
            geometry = feature.get("geometry")
            kind = geometry.get("type") if type(geometry) is dict else None
            self._type_ids.add(-1 if geometry is None else _TYPE_IDS.get(str(kind), -2))
            self.count += 1
        if -2 in self._type_ids:
            raise InvalidParameter(f"{self.where}: a feature has no valid GeoJSON geometry")
        if self.return_z and not self.has_z:
            shapes = parse_geometries([f.get("geometry") for f in features], where=self.where)
            self.has_z = bool(shapely.has_z(shapes[~shapely.is_missing(shapes)]).any())

    def _properties(self, properties: Any) -> None:
        if type(properties) is not dict:
            raise InvalidParameter(f"{self.where}: feature properties must be JSON objects")
        for name, value in properties.items():
            kinds = self._kinds.get(name)
            if kinds is None:
                kinds = self._kinds[name] = set()
                self._longest[name] = 0
            if value is not None:
                kinds.add(type(value))
                length = len(value) if type(value) is str else len(str(value))
                if length > self._longest[name]:
                    self._longest[name] = length

    def _id(self, value: Any) -> None:
        ids = self._ids
        if ids is None:
            return
        if self.count >= self._ids_up_to or type(value) is not int or value in ids:
            self._ids = None  # object ids 1..n (or no feature written at all)
        else:
            ids.add(value)

    @property
    def kinds(self) -> dict[str, str]:
        """Each attribute's neutral type, in the order the attributes first appear."""
        return {name: type_of_kinds(kinds) for name, kinds in self._kinds.items()}

    @property
    def family(self) -> str | None:
        """The set's one Esri geometry type (None when no feature has a geometry)."""
        return esrigeom.family_of_types(self._type_ids)

    @property
    def oid(self) -> str:
        return featureset.object_id_name(list(self._kinds))

    def head(self, crs: CRS, *, tabular: bool, geometry_hint: str | None) -> dict[str, Any]:
        """The feature set's members but ``features`` and ``exceededTransferLimit``."""
        oid = self.oid
        fields = [featureset.oid_field(oid)] + [
            featureset.field_entry(name, kind, self._longest[name])
            for name, kind in self.kinds.items()]
        geometry_type = None if tabular else self.family or geometry_hint
        return featureset.head(geometry_type, crs, self.has_z, fields, tabular=tabular)

    def object_ids(self, features: Sequence[Mapping[str, Any]], first: int) -> list[int]:
        """The object ids of a batch whose first feature is feature number ``first`` (0-based)."""
        if self._ids is not None:
            return [int(f["id"]) for f in features]
        return list(range(first + 1, first + 1 + len(features)))


def part(collection: FeatureCollection, layout: Layout, ids: list[int], *,
         tabular: bool) -> bytes:
    """The features of one converted batch as the text between a feature set's ``[`` and
    ``]`` (no separator around it)."""
    written = featureset.features(collection, layout.kinds, layout.oid, ids, tabular=tabular,
                                  return_z=layout.return_z,
                                  whole=(layout.family, layout.has_z))
    return orjson.dumps(written, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]

