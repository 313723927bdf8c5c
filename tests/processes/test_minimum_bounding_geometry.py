"""Tests for minimum_bounding_geometry: shapes, ground measures, grouping."""

import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_geom import geojson, run

from honua.processes.minimum_bounding_geometry import minimum_bounding_geometry

GEOD = Geod(ellps="WGS84")


def test_mbg_rectangle_measures_known_answer():
    """A 100 x 50 m rectangle turned 30 degrees: width 50, length 100, long side at 60 degrees."""
    rect = shapely.affinity.rotate(shapely.box(0, 0, 100, 50), 30, origin=(0, 0))
    out = run(minimum_bounding_geometry, features=geojson([rect], crs=3857),
              geometry_type="rectangle", add_measures=True)
    assert out.geometry[0].area == pytest.approx(5000)
    assert out.columns["mbg_width"][0] == pytest.approx(50)
    assert out.columns["mbg_length"][0] == pytest.approx(100)
    assert out.columns["mbg_orientation"][0] == pytest.approx(60)


def test_mbg_circle_is_round_on_the_ground():
    """Two points 1 km apart at 60 N: the circle's diameter and every radius are 500 m on the ground."""
    lon, lat, _ = GEOD.fwd(10, 60, 90, 1000)
    layer = geojson([shapely.MultiPoint([(10, 60), (lon, lat)])])
    out = run(minimum_bounding_geometry, features=layer, geometry_type="circle", add_measures=True)
    assert out.columns["mbg_diameter"][0] == pytest.approx(1000, abs=0.1)
    centre, ring = out.geometry[0].centroid, out.geometry[0].exterior.coords
    radii = [GEOD.inv(centre.x, centre.y, x, y)[2] for x, y in ring]
    assert min(radii) == pytest.approx(500, abs=2) and max(radii) == pytest.approx(500, abs=2)


def test_mbg_envelope_is_the_lon_lat_box():
    """On geographic data the envelope is the longitude/latitude box."""
    line = shapely.LineString([(10, 50), (11, 52)])
    out = run(minimum_bounding_geometry, features=geojson([line]), geometry_type="envelope")
    assert out.geometry[0].equals(shapely.box(10, 50, 11, 52))


def test_mbg_group_all_and_measure_name_clash():
    """'all' gives one shape; a measure named like an input field gets a suffix."""
    layer = geojson([shapely.Point(0, 0), shapely.Point(30, 40)], crs=3857, mbg_diameter=[1, 2])
    out = run(minimum_bounding_geometry, features=layer, geometry_type="circle", add_measures=True)
    assert out.columns["mbg_diameter_1"] == [0.0, 0.0] and out.columns["mbg_diameter"] == [1, 2]
    together = run(minimum_bounding_geometry, features=layer, geometry_type="circle", group="all",
                   add_measures=True)
    assert together.columns["mbg_diameter"][0] == pytest.approx(50)


def test_mbg_nulls_and_degenerate_inputs():
    """Null stays null with null measures; a single point gives a point of size 0."""
    layer = geojson([None, shapely.Point(1, 1)], crs=3857)
    out = run(minimum_bounding_geometry, features=layer, add_measures=True)
    assert out.geometry[0] is None and out.columns["mbg_width"][0] is None
    assert out.geometry[1].geom_type == "Point" and out.columns["mbg_length"][1] == 0.0
