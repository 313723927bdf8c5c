"""Tests for the centroid process: ground centroids, points inside, nulls."""

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from tests.processes._fixtures_geom import geojson, mixed_layer, run

from honua.geo.crs import parse_crs
from honua.geo.generalize import densify
from honua.processes.centroid import centroid

ELL = shapely.Polygon([(0, 0), (3, 0), (3, 1), (1, 1), (1, 3), (0, 3)])


def test_centroid_planar_known_answer():
    """The L-shape's centroid is at (1.1, 1.1) by hand: (3*(1.5,0.5) + 2*(0.5,2)) / 5."""
    out = run(centroid, features=geojson([ELL], crs=3857, name=["ell"]))
    assert out.geometry[0].equals(shapely.Point(1.1, 1.1)) and out.columns["name"] == ["ell"]


def test_centroid_geographic_is_the_centre_on_the_ground():
    """A 0-10 E, 60-70 N box (geodesic edges): the centroid of an equal-area projection, south of 65 N."""
    box = shapely.box(0, 60, 10, 70)
    point = run(centroid, features=geojson([box])).geometry[0]
    laea = "+proj=laea +lat_0=65 +lon_0=5 +ellps=WGS84"
    there = Transformer.from_crs(4326, laea, always_xy=True)
    back = Transformer.from_crs(laea, 4326, always_xy=True)
    dense = densify(np.array([box]), 2_000.0, parse_crs(4326))[0]
    local = shapely.transform(dense, lambda c: np.column_stack(there.transform(*c.T)))
    expected = back.transform(*shapely.centroid(local).coords[0])
    assert point.x == pytest.approx(expected[0], abs=0.005)
    assert point.y == pytest.approx(expected[1], abs=0.005) and point.y < 64.9


def test_centroid_inside_lies_inside_concave_shapes():
    """'inside' gives a point within a U shape whose centroid falls outside."""
    u_shape = shapely.Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    layer = geojson([u_shape])
    assert not u_shape.contains(run(centroid, features=layer).geometry[0])
    assert u_shape.contains(run(centroid, features=layer, method="inside").geometry[0])


def test_centroid_nulls_empties_and_attributes():
    """Null stays null, empty gives an empty point, attributes of every type are kept."""
    out = run(centroid, features=mixed_layer())
    assert out.geometry[3] is None and out.geometry[4].is_empty
    assert out.geometry[0].equals(shapely.Point(10, 50)) and out.columns["meta"][2] == [1, 2]
    assert all(g is None or g.geom_type == "Point" for g in out.geometry)


def test_centroid_repairs_invalid_polygons():
    """A bow-tie's centroid is that of its two repaired triangles, not GEOS's zero-area answer."""
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    point = run(centroid, features=geojson([bowtie], crs=3857)).geometry[0]
    assert point.equals(shapely.Point(1, 1))
