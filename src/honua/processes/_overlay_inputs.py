"""Input declarations and checks shared by the proximity and overlay processes.

Every overlay, join and proximity process describes its layers, statistics
and units the same way and refuses bad values with the same messages; the
wording lives here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.parameters import Input
from honua.errors import InvalidParameter
from honua.geo import statistics, units
from honua.geo.attributes import NUMERIC_TYPES, field_type, require_types, take_column
from honua.geo.columns import check_fields, unique_name
from honua.geo.features import FeatureCollection
from honua.geo.kinds import require_kinds
from honua.geo.reproject import to_crs
from honua.geo.validity import handle_invalid
from honua.processes._geometry_inputs import InvalidChoice

__all__ = [
    "CLASH_NOTE", "GROUND_NOTE", "NULLS_NOTE", "POLYGON_TYPES", "SECOND_LAYER_NOTE",
    "ArealUnitName", "InvalidChoice", "LinearUnitName", "Statistics", "StatisticsFields",
    "check_statistics", "feature_ids", "id_type", "overlay_progress", "prepare", "prepare_each",
    "statistic_columns",
]

SECOND_LAYER_NOTE = (
    " When the layers' coordinate systems differ, the second layer is reprojected to the "
    "first's, which is also the output's."
)
CLASH_NOTE = (
    " Attributes of both layers are carried; a field of the second layer whose name is "
    "already taken gets the suffix _1 (or _2, ... if that is taken too)."
)
NULLS_NOTE = " Features with a null or empty geometry take part in nothing and give no output."
GROUND_NOTE = (
    " Distances, lengths and areas are measured on the ground: geodesically on a geographic "
    "coordinate system (e.g. WGS 84), in the plane of a projected one (converted from its unit)."
)

POLYGON_TYPES = ("Polygon", "MultiPolygon")

if TYPE_CHECKING:  # choices built from the unit tables at run time; to mypy, plain strings
    LinearUnitName = str
    ArealUnitName = str
else:
    LinearUnitName = Literal[tuple(units.LINEAR_UNITS)]
    ArealUnitName = Literal[tuple(units.AREAL_UNITS)]

StatisticsFields = Annotated[list[str] | None, Input(
    title="Statistics fields",
    description="Fields to summarise. Each chosen statistic is computed for each field and "
                "written to a field named <statistic>_<field> (e.g. sum_population).")]
Statistics = Annotated[list[Literal[statistics.STATISTICS]] | None, Input(  # type: ignore[valid-type]
    title="Statistics",
    description="Statistics computed over the statistics fields: count (non-null values), "
                "sum, mean (numeric fields only), min, max, first (the value of the first "
                "feature, in input order). Nulls are skipped.")]


def prepare(collection: FeatureCollection, parameter: str, *, kinds: Sequence[str] = (),
            invalid: str = "keep", crs: Any = None) -> FeatureCollection:
    """``collection`` in ``crs`` (if given), of the allowed geometry ``kinds``, invalid handled."""
    if crs is not None:
        collection = to_crs(collection, crs)
    _require_latitudes(collection, parameter)
    if kinds:
        require_kinds(collection.geometry, kinds, parameter=parameter)
    if invalid != "keep" and _points_only(collection.geometry):
        return collection  # a point cannot be invalid (JSON has no NaN coordinates)
    geometry = handle_invalid(collection.geometry, invalid, parameter=parameter)
    if geometry is collection.geometry:
        return collection
    return collection.with_geometry(geometry)


def _require_latitudes(collection: FeatureCollection, parameter: str) -> None:
    """Refuse latitudes beyond the poles on a geographic CRS: nothing can be measured there."""
    bounds = collection.bounds if collection.crs.is_geographic else None
    if bounds is not None and max(abs(bounds[1]), abs(bounds[3])) > 90.0 + 1e-9:
        raise InvalidParameter(
            f"input {parameter!r}: latitudes run from {bounds[1]:g} to {bounds[3]:g}, beyond "
            f"+/-90 degrees, but the coordinate system is geographic; are the coordinates in "
            f"another system? Declare it (e.g. a 'crs' member), or fix the data",
            parameter=parameter)


def _points_only(geometry: np.ndarray) -> bool:
    kinds = shapely.get_type_id(geometry)  # -1 missing, 0 point, 4 multipoint
    return bool(((kinds <= 0) | (kinds == 4)).all())


def check_statistics(collection: FeatureCollection, fields: Sequence[str] | None,
                     chosen: Sequence[str] | None, *, parameter: str = "statistics_fields",
                     ) -> tuple[list[str], list[str]]:
    """(fields, statistics) checked: fields exist, sum/mean only on numbers, both or neither given."""
    fields = check_fields(collection, fields, parameter=parameter)
    chosen = list(dict.fromkeys(chosen or []))
    if fields and not chosen:
        raise InvalidParameter(
            "input 'statistics': choose one or more statistics for the statistics fields "
            f"({', '.join(statistics.STATISTICS)})", parameter="statistics")
    if chosen and not fields:
        raise InvalidParameter(
            f"input {parameter!r}: name the fields to compute {', '.join(chosen)} on",
            parameter=parameter)
    numeric_only = [s for s in chosen if s in statistics.NUMERIC_ONLY]
    if numeric_only:
        require_types(collection, fields, NUMERIC_TYPES, parameter=parameter,
                      why=" and ".join(numeric_only))
    return fields, chosen


def statistic_columns(source: FeatureCollection, rows: np.ndarray, codes: np.ndarray,
                      n_groups: int, fields: Sequence[str], chosen: Sequence[str],
                      taken: Sequence[str]) -> dict[str, tuple[list[Any], str]]:
    """``{name: (values, type)}``: each statistic of each field over the rows of each group.

    ``source.columns[field][rows[k]]`` belongs to group ``codes[k]``; output
    names are ``<statistic>_<field>``, made unique against ``taken``.
    """
    out: dict[str, tuple[list[Any], str]] = {}
    names = list(taken)
    for field in fields:
        values = take_column(source.columns[field], rows)
        kind = field_type(source, field)
        for statistic in chosen:
            name = unique_name(f"{statistic}_{field}", names)
            names.append(name)
            out[name] = (statistics.group_statistic(values, codes, n_groups, statistic, kind),
                         statistics.result_type(statistic, kind))
    return out


def feature_ids(collection: FeatureCollection) -> list[Any]:
    """Each feature's id, or its 0-based position where the collection has no ids."""
    if collection.ids is not None and all(i is not None for i in collection.ids):
        return list(collection.ids)
    return list(range(len(collection)))


def id_type(ids: Sequence[Any]) -> str:
    """The neutral field type of a column of feature ids."""
    return "integer" if all(isinstance(i, int) and not isinstance(i, bool) for i in ids) \
        else "string"


def prepare_each(collections: Sequence[FeatureCollection], parameter: str, *,
                 kinds: Sequence[str] = (), invalid: str = "keep") -> list[FeatureCollection]:
    """Every layer of a multi-layer input prepared; all in the first layer's CRS.

    Errors name the layer by its position (1-based) in the list.
    """
    if not collections:
        return []
    crs = collections[0].crs
    prepared = []
    for number, collection in enumerate(collections, start=1):
        try:
            prepared.append(prepare(collection, parameter, kinds=kinds, invalid=invalid, crs=crs))
        except InvalidParameter as exc:
            raise InvalidParameter(
                exc.message.replace(f"input {parameter!r}", f"input {parameter!r} (layer {number})"),
                parameter=parameter) from None
    return prepared


def overlay_progress(ctx: Context) -> Callable[[float], None]:
    """A geometry-step progress callback (fraction done) reported as 5-95 % of the job."""
    return lambda fraction: ctx.progress(5 + 90 * fraction)
