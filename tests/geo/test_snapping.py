"""Tests for honua.geo.snapping: targets, exact coordinates, Z, geographic distances."""

import numpy as np
import pytest
import shapely
from pyproj import Geod

from honua.geo.crs import parse_crs
from honua.geo.snapping import snap

MERC = parse_crs(3857)


def test_snap_keeps_z_and_counts_moved_vertices():
    """Snapped vertices keep their own Z; the count says how many moved."""
    line = np.array([shapely.LineString([(0, 0, 5), (10.3, 0, 6)])])
    out, moved = snap(line, np.array([shapely.Point(10, 0)]), 0.5, MERC)
    assert out[0].coords[:] == [(0, 0, 5), (10, 0, 6)] and moved == 1


def test_snap_end_targets_of_holed_polygons_are_ignored_lines_only():
    """'end' targets are line ends; polygon rings have none."""
    polygon = shapely.box(0, 0, 10, 10)
    point = np.array([shapely.Point(0.2, 0.2)])
    _, moved = snap(point, np.array([polygon]), 1.0, MERC, "end")
    assert moved == 0


def test_snap_edge_on_geographic_data_lands_on_the_edge():
    """A vertex 3 m north of a 557 m edge along 60 N lands on the edge read as a geodesic.

    The geodesic between two points of a parallel bulges poleward: by 1.05 cm at its middle here.
    """
    geod = Geod(ellps="WGS84")
    lon, lat, _ = geod.fwd(10.005, 60.0, 0, 3.0)
    out, moved = snap(np.array([shapely.Point(lon, lat)]),
                      np.array([shapely.LineString([(10, 60), (10.01, 60)])]), 5.0,
                      parse_crs(4326), "edge")
    assert moved == 1
    assert geod.inv(out[0].x, out[0].y, 10.005, 60.0)[2] == pytest.approx(0.0105, abs=0.001)
    assert out[0].y > 60.0


def test_snap_nothing_to_snap_to():
    """No targets, or nothing within reach: geometries come back unchanged."""
    line = np.array([shapely.LineString([(0, 0), (1, 1)]), None], dtype=object)
    out, moved = snap(line, np.array([], dtype=object), 1.0, MERC)
    assert moved == 0 and out[0].equals(line[0]) and out[1] is None
