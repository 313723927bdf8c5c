"""Tests for snap: vertex, end and edge snapping within ground tolerances."""

import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_geom import geojson, messages_log, run, run_all

from honua.errors import InvalidParameter
from honua.processes.snap import snap

GEOD = Geod(ellps="WGS84")


def test_snap_vertex_takes_exact_coordinates_within_ground_tolerance():
    """At 60 N, a vertex 4.4 m east of a target snaps at 5 m but not at 4 m."""
    target = (10.123456789, 60.5)
    lon, lat, _ = GEOD.fwd(*target, 90, 4.4)
    layer = geojson([shapely.LineString([(10, 60), (lon, lat)])])
    targets = geojson([shapely.Point(target)])
    snapped = run(snap, features=layer, snap_features=targets, tolerance=5).geometry[0]
    kept = run(snap, features=layer, snap_features=targets, tolerance=4).geometry[0]
    assert snapped.coords[-1] == target and kept.coords[-1] == (lon, lat)


def test_snap_edge_prefers_vertices_then_edges():
    """A vertex near a corner takes the corner; one near the middle of an edge lands on the edge."""
    square = shapely.box(0, 0, 100, 100)
    line = shapely.LineString([(100.4, 100.3), (50, 100.6), (50, 150)])
    out = run(snap, features=geojson([line], crs=3857), snap_features=geojson([square], crs=3857),
              tolerance=1, snap_type="edge")
    assert out.geometry[0].coords[:] == [(100, 100), (50, 100), (50, 150)]


def test_snap_end_uses_line_ends_only():
    """With 'end', a vertex next to a line's interior vertex stays; one next to its end moves."""
    network = shapely.LineString([(0, 0), (50, 0), (100, 0)])
    line = shapely.LineString([(50.5, 0.5), (99.5, 0.5)])
    out = run(snap, features=geojson([line], crs=3857), snap_features=geojson([network], crs=3857),
              tolerance=1, snap_type="end")
    assert out.geometry[0].coords[:] == [(50.5, 0.5), (100, 0)]


def test_snap_reprojects_the_snap_layer_and_reports_count():
    """Snap features in another CRS are reprojected first; the count is reported."""
    context, messages = messages_log()
    target_utm = shapely.Point(500_000, 0)  # (3, 0) in EPSG:32631
    layer = geojson([shapely.Point(3.00001, 0.00001)])
    out = run_all(snap, context, features=layer, snap_features=geojson([target_utm], crs=32631),
                  tolerance=2)["result"]
    assert out.geometry[0].coords[0] == pytest.approx((3, 0), abs=1e-9)
    assert messages == ["1 vertices snapped"]


def test_snap_keeps_rings_closed_and_polygons_valid():
    """A polygon whose first vertex snaps stays closed and valid."""
    polygon = shapely.Polygon([(0.3, 0.2), (10, 0), (10, 10), (0, 10), (0.3, 0.2)])
    out = run(snap, features=geojson([polygon, None], crs=3857),
              snap_features=geojson([shapely.Point(0, 0)], crs=3857), tolerance=1)
    assert out.geometry[0].exterior.coords[0] == (0, 0) == out.geometry[0].exterior.coords[-1]
    assert out.geometry[0].is_valid and out.geometry[1] is None


def test_snap_empty_layers_and_bad_tolerance():
    """Empty inputs give unchanged output; a zero tolerance is refused."""
    line = geojson([shapely.LineString([(0, 0), (1, 1)])])
    assert run(snap, features=line, snap_features=geojson([]), tolerance=5).geometry[0].equals(
        shapely.LineString([(0, 0), (1, 1)]))
    assert len(run(snap, features=geojson([]), snap_features=line, tolerance=5)) == 0
    with pytest.raises(InvalidParameter) as info:
        run(snap, features=line, snap_features=line, tolerance="0 m")
    assert info.value.parameter == "tolerance"
