"""``select_by_attribute``: the features matching a CQL2 filter."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import SpatialReference
from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection
from honua.geo.filters import filter_mask, parse_filter


@process(
    "select_by_attribute",
    title="Select by attribute",
    description=(
        "Returns the features that match an OGC CQL2 filter, written as text (e.g. "
        "\"population > 10000 AND name LIKE 'San%'\") or as CQL2 JSON. Supported: AND, OR, NOT, "
        "comparisons, BETWEEN, LIKE (% any run of characters, _ one character), IN, IS NULL, "
        "arithmetic, CASEI/ACCENTI, TIMESTAMP/DATE comparisons with ISO 8601 text fields, "
        "T_AFTER/T_BEFORE/T_EQUALS/T_DISJOINT/T_DURING, array predicates on list fields, and "
        "spatial predicates on the feature geometry (S_INTERSECTS, S_WITHIN, S_CONTAINS... "
        "BBOX, and DWITHIN/BEYOND measured on the ground) with literals in CRS84 unless "
        "'filter_crs' is given. Nulls follow SQL: a comparison with null is unknown and "
        "unknown is never selected (even under NOT). An unknown field name fails the request "
        "naming it (an empty layer gives an empty result once the filter's syntax is checked). "
        "'invert' returns the features that do not match (including those whose "
        "test was unknown). Attributes and geometries are returned unchanged."
    ),
    category="Selection",
    keywords=("select", "filter", "query", "cql2", "where"),
    tiers=("shapely", "postgis"),
)
def select_by_attribute(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features to select from.")],
    filter: Annotated[str, Input(
        title="Filter", description="A CQL2 text expression or a CQL2 JSON document.")],
    filter_lang: Annotated[Literal["auto", "cql2-text", "cql2-json"], Input(
        title="Filter language",
        description="The filter's encoding; 'auto' reads JSON when the filter starts with '{'.")
    ] = "auto",
    filter_crs: Annotated[SpatialReference | None, Input(
        title="Filter CRS",
        description="Coordinate system of geometry literals in the filter (default CRS84).")
    ] = None,
    invert: Annotated[bool, Input(
        title="Invert", description="Return the features that do not match instead.")] = False,
) -> FeatureCollection:
    """Select features with a CQL2 filter."""
    try:
        tree = parse_filter(filter, filter_lang)
        if len(features) == 0:  # an empty layer has no fields to check: nothing to select
            return features
        ctx.progress(0, f"Filtering {len(features)} features")
        mask = filter_mask(features, tree, filter_crs=filter_crs.crs if filter_crs else None)
    except InvalidParameter as exc:
        raise InvalidParameter(exc.message, parameter=exc.parameter or "filter") from None
    if invert:
        mask = ~mask
    ctx.progress(100, f"{int(mask.sum())} of {len(features)} features selected")
    return features.take(np.flatnonzero(mask))
