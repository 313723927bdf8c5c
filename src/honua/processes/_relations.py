"""Which features of two layers relate, by a predicate chosen by the user.

Shared by ``spatial_join`` and ``select_by_location``: the predicate list,
the search distance's rules and the pairs (with ground distances where the
predicate is about distance).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.errors import InvalidParameter
from honua.geo import predicates
from honua.geo.features import FeatureCollection

PREDICATE_DESCRIPTION = (
    "How features must relate: intersects, within (the input feature lies within the other), "
    "contains (it contains the other), touches (boundaries meet, interiors do not), crosses, "
    "overlaps (same dimension, partly shared), within_distance (at most the search distance "
    "apart on the ground) or nearest (the closest, within the search distance if one is given)."
)

Predicate = Annotated[Literal[predicates.PREDICATES], Input(  # type: ignore[valid-type]
    title="Spatial relationship", description=PREDICATE_DESCRIPTION)]

SearchDistance = Annotated[LinearUnit | None, Input(
    title="Search distance",
    description="For within_distance (required) and nearest (optional limit): a distance "
                "measured on the ground (geodesic on geographic coordinate systems).",
    unit="meters")]


def search_meters(predicate: str, distance: LinearUnit | None) -> float | None:
    """The search distance in metres, checked against the predicate."""
    if distance is None:
        if predicate == "within_distance":
            raise InvalidParameter(
                "input 'search_distance': the within_distance relationship needs a search "
                "distance", parameter="search_distance")
        return None
    if predicate in predicates.TOPOLOGICAL:
        raise InvalidParameter(
            f"input 'search_distance': a search distance applies to within_distance and "
            f"nearest only, not to {predicate}", parameter="search_distance")
    if distance.meters < 0:
        raise InvalidParameter("input 'search_distance' must be zero or more",
                               parameter="search_distance")
    return distance.meters


def relate(left: FeatureCollection, right: FeatureCollection, predicate: str,
           distance_m: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(il, ir, ground distance in metres or None): pairs of related features.

    Pairs come by left feature; for each, nearest first for the distance
    predicates, else in the right layer's order.
    """
    if predicate == "nearest":
        return predicates.nearest_pairs(left.geometry, right.geometry, left.crs, distance_m)
    if predicate == "within_distance":
        il, ir, d = predicates.within_distance_pairs(
            left.geometry, right.geometry, distance_m or 0.0, left.crs)
        order = np.lexsort((ir, d, il))
        return il[order], ir[order], d[order]
    il, ir = predicates.related_pairs(left.geometry, right.geometry, predicate)
    return il, ir, None
