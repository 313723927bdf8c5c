"""One small, valid request for every built-in process, in its neutral wire form.

Tests that must hold for the whole toolbox (reproduce matches, workflows over any
step) take their inputs from here; ``missing`` names processes without an entry,
so that a new built-in cannot slip past them.
"""

from __future__ import annotations

from typing import Any


def _square(x: float, y: float, size: float, **properties: Any) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


POLYGONS = _collection(_square(10.0, 50.0, 0.01, name="a", value=1.5, group="x"),
                       _square(10.005, 50.004, 0.01, name="b", value=2.25, group="x"),
                       _square(10.02, 50.0, 0.008, name="c", value=3.0, group="y"))
OTHER_POLYGONS = _collection(_square(10.003, 50.002, 0.012, kind="k1", weight=7),
                             _square(10.019, 49.999, 0.004, kind="k2", weight=1))
POINTS = _collection(*[{"type": "Feature", "properties": {"n": i, "score": i * 0.1},
                        "geometry": {"type": "Point",
                                     "coordinates": [10.001 + i * 0.0031, 50.002 + i * 0.0007]}}
                       for i in range(8)])
LINES = _collection({"type": "Feature", "properties": {"road": "r1"}, "geometry": {
    "type": "LineString", "coordinates": [[9.99, 50.006], [10.04, 50.007]]}},
    {"type": "Feature", "properties": {"road": "r2"}, "geometry": {
        "type": "LineString", "coordinates": [[10.012, 49.99], [10.013, 50.02], [10.03, 50.03]]}})
METERS = {"value": 25, "unit": "meters"}

REQUESTS: dict[str, dict[str, Any]] = {
    "add_geometry_attributes": {"features": POLYGONS,
                                "properties": ["area", "perimeter", "centroid_x"]},
    "buffer": {"features": POINTS, "distance": {"value": 100, "unit": "meters"}},
    "centroid": {"features": POLYGONS},
    "clip": {"features": LINES, "clip_features": POLYGONS},
    "convex_hull": {"features": POINTS},
    "create_grid": {"cell_size": {"value": 500, "unit": "meters"}, "features": POLYGONS},
    "define_projection": {"features": POINTS, "crs": "EPSG:4326"},
    "delaunay": {"features": POINTS},
    "densify": {"features": LINES, "max_segment_length": {"value": 200, "unit": "meters"}},
    "dissolve": {"features": POLYGONS},
    "erase": {"features": POLYGONS, "erase_features": OTHER_POLYGONS},
    "explode": {"features": POLYGONS},
    "feature_vertices_to_points": {"features": LINES},
    "identity": {"features": POLYGONS, "identity_features": OTHER_POLYGONS},
    "intersect": {"layers": [POLYGONS, OTHER_POLYGONS]},
    "merge": {"layers": [POLYGONS, OTHER_POLYGONS]},
    "minimum_bounding_geometry": {"features": POINTS},
    "multiple_ring_buffer": {"features": POINTS, "distances": [50, 120]},
    "near": {"features": POINTS, "near_features": LINES},
    "point_distance": {"input_features": POINTS, "near_features": POINTS},
    "polygon_to_line": {"features": POLYGONS},
    "project": {"features": POLYGONS, "output_crs": "EPSG:3857"},
    "repair_geometry": {"features": POLYGONS},
    "select_by_attribute": {"features": POLYGONS, "filter": "value > 2"},
    "select_by_location": {"features": POINTS, "selecting_features": POLYGONS},
    "simplify": {"features": LINES, "tolerance": METERS},
    "smooth": {"features": LINES, "tolerance": METERS},
    "snap": {"features": LINES, "snap_features": POINTS, "tolerance": METERS},
    "spatial_join": {"target_features": POINTS, "join_features": POLYGONS},
    "split": {"features": POLYGONS, "split_features": OTHER_POLYGONS},
    "summarize_within": {"polygons": POLYGONS, "summary_features": POINTS},
    "symmetrical_difference": {"features": POLYGONS, "update_features": OTHER_POLYGONS},
    "union": {"layers": [POLYGONS, OTHER_POLYGONS]},
    "voronoi": {"features": POINTS},
}


def missing(process_ids: list[str]) -> list[str]:
    return sorted(set(process_ids) - set(REQUESTS))
