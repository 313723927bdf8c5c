"""The generalisation, geometry, projection, selection and grid processes.

Importing this module registers them (``honua.processes`` imports it).
"""

from honua.processes.add_geometry_attributes import add_geometry_attributes
from honua.processes.centroid import centroid
from honua.processes.convex_hull import convex_hull
from honua.processes.create_grid import create_grid
from honua.processes.define_projection import define_projection
from honua.processes.densify import densify
from honua.processes.explode import explode
from honua.processes.feature_vertices_to_points import feature_vertices_to_points
from honua.processes.merge import merge
from honua.processes.minimum_bounding_geometry import minimum_bounding_geometry
from honua.processes.polygon_to_line import polygon_to_line
from honua.processes.project import project
from honua.processes.repair_geometry import repair_geometry
from honua.processes.select_by_attribute import select_by_attribute
from honua.processes.simplify import simplify
from honua.processes.smooth import smooth
from honua.processes.snap import snap

__all__ = [
    "add_geometry_attributes", "centroid", "convex_hull", "create_grid", "define_projection",
    "densify",
    "explode", "feature_vertices_to_points", "merge", "minimum_bounding_geometry",
    "polygon_to_line", "project", "repair_geometry", "select_by_attribute", "simplify", "smooth",
    "snap",
]
