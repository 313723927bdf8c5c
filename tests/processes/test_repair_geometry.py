"""Tests for repair_geometry: methods, dropping nulls, counts reported."""

import pytest
import shapely
from tests.processes._fixtures_geom import geojson, messages_log, run, run_all

from honua.processes.repair_geometry import repair_geometry

BOWTIE = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
SPIKE = shapely.Polygon([(0, 0), (4, 0), (4, 4), (4, 6), (4, 4), (0, 4), (0, 0)])
FLAT = shapely.Polygon([(0, 0), (1, 1), (2, 2), (0, 0)])


def test_repair_geometry_structure_and_report():
    """A bow-tie becomes two triangles, a valid square is untouched, a null is dropped."""
    context, messages = messages_log()
    layer = geojson([BOWTIE, shapely.box(0, 0, 1, 1), None], name=["bow", "ok", "null"])
    out = run_all(repair_geometry, context, features=layer)["result"]
    assert out.columns["name"] == ["bow", "ok"]
    assert out.geometry[0].geom_type == "MultiPolygon" and out.geometry[0].area == pytest.approx(2)
    assert out.geometry[1].equals(shapely.box(0, 0, 1, 1))
    assert messages == ["1 geometries repaired, 1 null or empty removed"]


def test_repair_geometry_keep_collapsed_and_linework():
    """Structure drops a spike and a flat polygon (kept as a line on request); linework keeps both."""
    layer = geojson([SPIKE, FLAT], crs=3857)
    plain = run(repair_geometry, features=layer)
    kept = run(repair_geometry, features=layer, keep_collapsed=True, drop_null=False)
    linework = run(repair_geometry, features=layer, method="linework").geometry
    assert len(plain) == 1 and plain.geometry[0].equals(shapely.box(0, 0, 4, 4))
    assert kept.geometry[1].geom_type == "LineString"
    assert linework[0].geom_type == "GeometryCollection" and linework[0].length == pytest.approx(18)
    assert linework[1].geom_type == "MultiLineString"


def test_repair_geometry_keeps_nulls_when_asked():
    """With drop_null false, null and empty geometries stay."""
    out = run(repair_geometry, features=geojson([None, shapely.Polygon()]), drop_null=False)
    assert len(out) == 2 and out.geometry[0] is None
