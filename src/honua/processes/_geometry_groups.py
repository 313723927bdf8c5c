"""Per feature, per group of equal field values, or all at once: the shared grouping step.

``convex_hull`` and ``minimum_bounding_geometry`` build one result per
feature, per group or for everything. This gives them the geometry to work
on (a GeometryCollection of each group's geometries) and the attributes of
the output features: every input attribute per feature; the group fields
and a ``count`` of the features with a geometry per group; only the
``count`` for everything.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from honua.errors import InvalidParameter
from honua.geo.columns import check_fields, unique_name
from honua.geo.features import FeatureCollection, Field
from honua.geo.grouping import collect, group_codes


def grouped(features: FeatureCollection, group: str,
            group_fields: Sequence[str] | None) -> FeatureCollection:
    """The features to work on: one per input feature, per group, or one for all."""
    names = check_fields(features, group_fields, parameter="group_fields")
    if group == "fields" and not names:
        raise InvalidParameter("input 'group_fields': name at least one field to group by "
                               "when 'group' is 'fields'", parameter="group_fields")
    if names and group != "fields":
        raise InvalidParameter(f"input 'group_fields' is used only when 'group' is 'fields' "
                               f"(it is {group!r})", parameter="group_fields")
    if group == "none":
        return features
    if len(features) == 0:
        return FeatureCollection(np.empty(0, dtype=object), {n: [] for n in names}, features.crs,
                                 fields=_fields(features, names))
    columns = [features.columns[n] for n in names]
    codes, first = group_codes(columns, len(features))
    geometry = collect(features.geometry, codes, len(first))
    present = ~(shapely.is_missing(features.geometry) | shapely.is_empty(features.geometry))
    out = {n: [features.columns[n][i] for i in first] for n in names}
    out[unique_name("count", names)] = np.bincount(codes[present], minlength=len(first)).tolist()
    return FeatureCollection(geometry, out, features.crs, fields=_fields(features, names))


def _fields(features: FeatureCollection, names: Sequence[str]) -> tuple[Field, ...]:
    return tuple(f for f in features.fields if f.name in names)
