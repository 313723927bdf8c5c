"""The core's columnar feature collection.

A collection is a shapely geometry array, one list per attribute column and a
CRS. Processes work on whole columns with shapely's vectorised functions; no
list of per-feature dicts exists on the hot path. Missing geometries are
``None`` in the array; missing attribute values are ``None`` in the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from honua.geo.crs import crs84, parse_crs

FIELD_TYPES = ("string", "integer", "double", "boolean", "datetime", "date", "json")


@dataclass(frozen=True)
class Field:
    """An attribute column's name and neutral type (one of ``FIELD_TYPES``)."""

    name: str
    type: str = "string"


def _infer_type(values: Sequence[Any]) -> str:
    return type_of_kinds({type(v) for v in values if v is not None})


def type_of_kinds(kinds: set[type]) -> str:
    """The neutral type of a column whose non-null values are of the Python types ``kinds``
    (a column read in parts has the type of the union of its parts' kinds)."""
    if not kinds:
        return "string"
    if kinds <= {bool, np.bool_}:
        return "boolean"
    if kinds <= {int, np.int64, np.int32}:
        return "integer"
    if kinds <= {int, float, np.float64, np.int64, np.float32, np.int32}:
        return "double"
    if kinds <= {str}:
        return "string"
    if any(k in (dict, list) for k in kinds):
        return "json"
    return "string"


@dataclass(frozen=True, eq=False)
class FeatureCollection:
    """Features as columns: ``geometry[i]``, ``columns[name][i]`` and ``ids[i]`` are feature i."""

    geometry: np.ndarray
    columns: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    crs: CRS = field(default_factory=crs84)
    ids: Sequence[Any] | None = None
    fields: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        geometry = np.asarray(self.geometry, dtype=object)
        if geometry.ndim != 1:
            geometry = geometry.reshape(-1)
        object.__setattr__(self, "geometry", geometry)
        object.__setattr__(self, "crs", parse_crs(self.crs))
        n = len(geometry)
        for name, column in self.columns.items():
            if len(column) != n:
                raise ValueError(f"column {name!r} has {len(column)} values for {n} features")
        if self.ids is not None and len(self.ids) != n:
            raise ValueError(f"{len(self.ids)} ids for {n} features")
        known = {f.name for f in self.fields}
        inferred = tuple(
            Field(name, _infer_type(column))
            for name, column in self.columns.items()
            if name not in known
        )
        kept = tuple(f for f in self.fields if f.name in self.columns)
        object.__setattr__(self, "fields", kept + inferred)

    def __len__(self) -> int:
        return len(self.geometry)

    def __repr__(self) -> str:
        return f"FeatureCollection({len(self)} features, columns={list(self.columns)}, crs={self.crs.name!r})"

    @classmethod
    def from_geometries(
        cls, geometries: Iterable[Any], crs: Any = None, **columns: Sequence[Any]
    ) -> FeatureCollection:
        """Convenience constructor: ``FeatureCollection.from_geometries([Point(0, 0)], crs=4326)``."""
        return cls(np.asarray(list(geometries), dtype=object), columns, crs or crs84())

    def with_geometry(self, geometry: np.ndarray, crs: Any = None) -> FeatureCollection:
        """Same attributes, new geometry column (same length)."""
        return FeatureCollection(geometry, self.columns, crs if crs is not None else self.crs,
                                 self.ids, self.fields)

    def take(self, index: np.ndarray | Sequence[int]) -> FeatureCollection:
        """The features at ``index`` (positions or a boolean mask), in that order."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        positions: list[int] = index.tolist()
        columns = {name: [column[i] for i in positions] for name, column in self.columns.items()}
        ids = [self.ids[i] for i in positions] if self.ids is not None else None
        return FeatureCollection(self.geometry[index], columns, self.crs, ids, self.fields)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Overall (minx, miny, maxx, maxy), or None when there is no non-empty geometry."""
        present = self.geometry[~shapely.is_missing(self.geometry)]
        if len(present) == 0:
            return None
        box = shapely.total_bounds(present)
        if np.isnan(box).any():
            return None
        minx, miny, maxx, maxy = (float(v) for v in box)
        return minx, miny, maxx, maxy
