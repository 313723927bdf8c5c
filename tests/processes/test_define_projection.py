"""Tests for define_projection: CRS replaced, coordinates untouched, warnings."""

import shapely
from tests.processes._fixtures_geom import geojson, messages_log, run_all

from honua.geo.crs import parse_crs
from honua.processes.define_projection import define_projection


def test_define_projection_keeps_coordinates():
    """The coordinates stay; only the CRS changes; no warning for plausible data."""
    context, messages = messages_log()
    layer = geojson([shapely.Point(500_000, 4_000_000)], name=["a"])
    out = run_all(define_projection, context, features=layer, crs=32633)["result"]
    assert out.crs == parse_crs(32633) and out.geometry[0].coords[0] == (500_000, 4_000_000)
    assert out.columns["name"] == ["a"] and messages == []


def test_define_projection_warns_on_implausible_degrees():
    """Declaring a geographic CRS for metre-sized coordinates gives a warning."""
    context, messages = messages_log()
    layer = geojson([shapely.Point(500_000, 4_000_000)], crs=32633)
    run_all(define_projection, context, features=layer, crs="EPSG:4326")
    assert len(messages) == 1 and "not longitudes and latitudes" in messages[0]


def test_define_projection_empty_layer():
    """An empty layer gets the new CRS."""
    out = run_all(define_projection, features=geojson([]), crs=3857)["result"]
    assert len(out) == 0 and out.crs == parse_crs(3857)
