"""``delaunay``: the Delaunay triangulation of points."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.attributes import take_column
from honua.geo.features import FeatureCollection, Field
from honua.geo.tessellation import delaunay_triangles
from honua.processes._overlay_inputs import feature_ids, id_type, prepare


@process(
    "delaunay",
    title="Delaunay triangulation",
    description=(
        "Triangulates input points (and the vertices of multipoints, lines or polygons): "
        "triangles whose circumcircles hold no other point. Each triangle carries 'node_a', "
        "'node_b' and 'node_c', the ids (or 0-based positions) of the features at its "
        "corners; corners keep the points' exact coordinates. On geographic coordinate "
        "systems the triangulation is chosen in a transverse Mercator projection centred on "
        "the points, so that it is the Delaunay triangulation on the ground. Coincident "
        "points are one node (the first feature's id); null and empty geometries are skipped; "
        "fewer than three distinct, non-collinear points give no triangle."
    ),
    category="Proximity",
    keywords=("delaunay", "triangulation", "TIN"),
)
def delaunay(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points (or any features: their vertices).")],
) -> FeatureCollection:
    """Delaunay triangles of points."""
    features = prepare(features, "features")
    vertices, owner = _vertices(features)
    ctx.progress(5, f"Triangulating {len(vertices)} points")
    triangles, nodes = delaunay_triangles(vertices, features.crs)
    ids = feature_ids(features)
    owners = owner[nodes] if len(nodes) else np.empty((0, 3), dtype=np.intp)
    kind = id_type(ids)
    columns = {name: take_column(ids, owners[:, k]) for k, name in
               enumerate(("node_a", "node_b", "node_c"))}
    ctx.progress(100, f"{len(triangles)} triangles")
    return FeatureCollection(triangles, columns, features.crs, None,
                             tuple(Field(name, kind) for name in columns))


def _vertices(features: FeatureCollection) -> tuple[np.ndarray, np.ndarray]:
    """Every vertex as a point, with the position of the feature it belongs to."""
    xy, owner = shapely.get_coordinates(features.geometry, return_index=True)
    return shapely.points(xy), owner
