"""The voronoi process: Thiessen polygons clipped to an extent, with point attributes."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_po import layer, run, typed_columns

from honua.errors import InvalidParameter
from honua.processes.voronoi import voronoi


def test_voronoi_two_points_default_extent():
    """Two points split their margin-enlarged box at the bisector."""
    out = run(voronoi, features=layer([shapely.Point(0, 0), shapely.Point(10, 0)], crs=3857,
                                      n=[1, 2]))
    assert [g.bounds for g in out.geometry] == [(-1, -1, 5, 1), (5, -1, 11, 1)]
    assert out.columns == {"n": [1, 2]}


def test_voronoi_given_extent_in_other_crs():
    """An envelope in lon/lat is reprojected to the points' CRS."""
    out = run(voronoi, features=layer([shapely.Point(0, 0), shapely.Point(1000, 0)], crs=3857),
              extent={"bbox": [-0.1, -0.1, 0.1, 0.1], "crs": "EPSG:4326"})
    total = shapely.union_all(out.geometry)
    assert total.bounds == pytest.approx((-11131.95, -11131.95, 11131.95, 11131.95), abs=0.01)


def test_voronoi_geographic_edges_equidistant_on_ground():
    """On WGS 84 at 60 N, a shared edge's vertices are equally far from both points."""
    sites = [(10, 60), (11, 60.5)]
    out = run(voronoi, features=layer([shapely.Point(*p) for p in sites]),
              extent=[9, 59, 12, 62])
    geod = Geod(ellps="WGS84")
    edge = shapely.get_coordinates(out.geometry[0].intersection(out.geometry[1]))
    for x, y in edge:
        d1, d2 = geod.inv(*sites[0], x, y)[2], geod.inv(*sites[1], x, y)[2]
        assert d1 == pytest.approx(d2, rel=1e-3)


def test_voronoi_duplicates_share_a_cell_and_nulls_dropped():
    """Coincident points get the same cell; null points none; attributes of every type kept."""
    points = [shapely.Point(0, 0), shapely.Point(4, 0), None, shapely.Point(0, 0), shapely.Point(),
              shapely.Point(0, 4)]
    out = run(voronoi, features=layer(points, crs=3857, **typed_columns(6)))
    assert out.columns["name"] == ["a", "b", "d", "f"]
    assert out.geometry[0].equals(out.geometry[2])
    assert out.columns["meta"] == [{"k": 1}, None, {"k": 2}, {"k": 3}]


def test_voronoi_single_point_gets_whole_extent():
    """One point's cell is the whole extent."""
    out = run(voronoi, features=layer([shapely.Point(1, 1)], crs=3857),
              extent={"bbox": [0, 0, 3, 3], "crs": "EPSG:3857"})
    assert out.geometry[0].area == pytest.approx(9)


def test_voronoi_empty_input():
    """No points, no cells."""
    assert len(run(voronoi, features=layer([], crs=3857))) == 0


def test_voronoi_refuses_polygons_and_multipoints():
    """Only single points."""
    with pytest.raises(InvalidParameter, match="point"):
        run(voronoi, features=layer([shapely.box(0, 0, 1, 1)]))
    with pytest.raises(InvalidParameter, match="MultiPoint"):
        run(voronoi, features=layer([shapely.MultiPoint([(0, 0), (1, 1)])]))


def test_voronoi_negative_margin_refused():
    """The margin cannot be negative."""
    with pytest.raises(InvalidParameter, match="margin"):
        run(voronoi, features=layer([shapely.Point(0, 0)]), margin_percent=-1)
