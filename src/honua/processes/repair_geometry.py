"""``repair_geometry``: invalid geometries made valid; null and empty ones optionally dropped."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.features import FeatureCollection
from honua.geo.validity import invalid_mask, repair


@process(
    "repair_geometry",
    title="Repair geometry",
    description=(
        "Makes invalid geometries valid (GEOS make_valid) and leaves valid ones untouched. "
        "'structure' rebuilds polygons from their rings: holes are cut out, overlapping parts "
        "unioned, bow-ties split into two polygons, and parts that collapse to lines or points "
        "are dropped unless 'keep_collapsed' is set, so polygons stay polygons. 'linework' "
        "nodes all the rings and rebuilds polygons from every enclosed area, which keeps more "
        "of the original line work (and may return lines or points beside polygons). With "
        "'drop_null' (default), features whose geometry is null or empty after repair are "
        "removed. Attributes are kept. The number of repaired and removed features is "
        "reported as a message."
    ),
    category="Geometry",
    keywords=("repair", "make valid", "validate", "fix geometry"),
)
def repair_geometry(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features of any geometry type.")],
    method: Annotated[Literal["structure", "linework"], Input(
        title="Method", description="How polygons are rebuilt: from their rings' structure, or "
                                    "from all their line work.")] = "structure",
    keep_collapsed: Annotated[bool, Input(
        title="Keep collapsed parts",
        description="With 'structure', keep parts that collapse to lines or points.")] = False,
    drop_null: Annotated[bool, Input(
        title="Drop null geometries",
        description="Remove features whose geometry is null or empty after repair.")] = True,
) -> FeatureCollection:
    """Make geometries valid."""
    ctx.progress(0, f"Checking {len(features)} features")
    broken = int(invalid_mask(features.geometry).sum())
    repaired = repair(features.geometry, method=method, keep_collapsed=keep_collapsed)
    out = features.with_geometry(repaired)
    dropped = 0
    if drop_null:
        blank = shapely.is_missing(repaired) | shapely.is_empty(repaired)
        dropped = int(blank.sum())
        if dropped:
            out = out.take(np.flatnonzero(~blank))
    ctx.message(f"{broken} geometries repaired, {dropped} null or empty removed")
    ctx.progress(100, "Repaired")
    return out
