"""The generalisation, geometry, projection, selection and grid processes.

Importing this module registers them (``honua.processes`` imports it).
"""

from honua.processes.centroid import centroid
from honua.processes.convex_hull import convex_hull
from honua.processes.densify import densify
from honua.processes.explode import explode
from honua.processes.feature_vertices_to_points import feature_vertices_to_points
from honua.processes.minimum_bounding_geometry import minimum_bounding_geometry
from honua.processes.polygon_to_line import polygon_to_line
from honua.processes.simplify import simplify
from honua.processes.smooth import smooth

__all__ = [
    "centroid", "convex_hull", "densify", "explode", "feature_vertices_to_points",
    "minimum_bounding_geometry", "polygon_to_line", "simplify", "smooth",
]
