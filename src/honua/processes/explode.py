"""``explode``: multipart features split into single-part features."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.columns import unique_name
from honua.geo.features import FeatureCollection
from honua.geo.parts import single_parts


@process(
    "explode",
    title="Multipart to singlepart",
    description=(
        "Splits multipart features (multipoints, multilines, multipolygons, collections) into "
        "one feature per part, each with the attributes of its feature plus 'source_index' "
        "(position of the feature in the input, from 0) and 'part_index' (position of the "
        "part in its feature, from 0). Names already used by input fields get a suffix (_1, "
        "_2...). Collections are flattened all the way down; their empty members are dropped. "
        "Features with a null or empty geometry are kept as one feature each. Feature ids are "
        "not carried (they would repeat)."
    ),
    category="Geometry",
    keywords=("explode", "multipart", "singlepart", "parts"),
)
def explode(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features of any geometry type.")],
) -> FeatureCollection:
    """Split multipart features into single parts."""
    ctx.progress(0, f"Exploding {len(features)} features")
    parts, source, number = single_parts(features.geometry)
    taken = features.take(source)
    columns = dict(taken.columns)
    columns[unique_name("source_index", columns)] = source.tolist()
    columns[unique_name("part_index", columns)] = number.tolist()
    ctx.progress(100, f"{len(parts)} parts")
    return FeatureCollection(parts, columns, features.crs, None, taken.fields)
