"""``merge``: several layers appended into one."""

from __future__ import annotations

from typing import Annotated

import numpy as np

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.errors import InvalidParameter
from honua.geo.columns import union_columns, unique_name
from honua.geo.features import FeatureCollection, Field
from honua.geo.reproject import to_crs


@process(
    "merge",
    title="Merge",
    description=(
        "Appends several layers into one, in the order given. The result is in the coordinate "
        "system of the first layer; the others are reprojected to it. Fields are the union of "
        "all layers' fields in order of first appearance; a feature lacks (null) the fields of "
        "other layers. A field whose type differs between layers becomes a double when the "
        "types are integer and double, text otherwise. With 'source_field', a field of that "
        "name records the position (from 0) of the layer each feature came from (a suffix _1, "
        "_2... is added if the name is taken). Geometry types may be mixed; null and empty "
        "geometries are kept. Feature ids are not carried (they could repeat)."
    ),
    category="Geometry",
    keywords=("merge", "append", "combine", "layers"),
)
def merge(
    ctx: Context,
    layers: Annotated[list[FeatureCollection], Input(
        title="Input layers", description="The layers to append, in order (one or more).",
        min_occurs=1)],
    source_field: Annotated[str, Input(
        title="Source field",
        description="Name of a field recording which layer each feature came from (empty: "
                    "none).")] = "",
) -> FeatureCollection:
    """Append layers into one."""
    if not layers:
        raise InvalidParameter("input 'layers': give at least one layer", parameter="layers")
    ctx.progress(0, f"Merging {len(layers)} layers")
    crs = layers[0].crs
    moved = [to_crs(layer, crs) for layer in layers]
    ctx.progress(50, "Appending")
    columns, fields = union_columns(moved)
    if source_field.strip():
        name = unique_name(source_field.strip(), columns)
        columns[name] = np.repeat(np.arange(len(moved)), [len(m) for m in moved]).tolist()
        fields = (*fields, Field(name, "integer"))
    geometry = (np.concatenate([m.geometry for m in moved]) if moved
                else np.empty(0, dtype=object))
    ctx.progress(100, f"{len(geometry)} features")
    return FeatureCollection(geometry, columns, crs, None, fields)
