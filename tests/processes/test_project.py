"""Tests for project: EPSG/URN/WKT targets, pyproj agreement, nulls, out-of-domain."""

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer
from tests.processes._fixtures_geom import geojson, messages_log, mixed_layer, run, run_all

from honua.errors import InvalidParameter
from honua.processes.project import project


def test_project_matches_pyproj_for_every_way_of_naming_the_crs():
    """EPSG code, EPSG:n, URN and WKT all give pyproj's coordinates."""
    layer = geojson([shapely.Point(-122.4, 37.8)], name=["sf"])
    expected = Transformer.from_crs(4326, 26910, always_xy=True).transform(-122.4, 37.8)
    for target in (26910, "EPSG:26910", "urn:ogc:def:crs:EPSG::26910", CRS(26910).to_wkt()):
        out = run(project, features=layer, output_crs=target)
        assert out.geometry[0].coords[0] == pytest.approx(expected, abs=1e-3)
        assert out.columns["name"] == ["sf"]


def test_project_reports_the_transformation():
    """The transformation pyproj chose is reported as a message."""
    context, messages = messages_log()
    run_all(project, context, features=geojson([shapely.Point(2, 48)]), output_crs=3857)
    assert len(messages) == 1 and "Transformation" in messages[0]


def test_project_geographic_to_geographic_datum_shift():
    """WGS 84 to NAD27 moves a point in California by tens of metres, as pyproj does."""
    layer = geojson([shapely.Point(-118.0, 34.0)])
    out = run(project, features=layer, output_crs=4267)
    expected = Transformer.from_crs(
        4326, 4267, always_xy=True, area_of_interest=None).transform(-118.0, 34.0)
    assert out.geometry[0].coords[0] == pytest.approx(expected, abs=1e-5)
    assert abs(out.geometry[0].x - (-118.0)) > 1e-4


def test_project_nulls_empties_and_attributes():
    """Null and empty geometries and all attribute types pass through."""
    out = run(project, features=mixed_layer(), output_crs=3035)
    assert out.geometry[3] is None and out.geometry[4].is_empty
    assert np.isfinite(shapely.get_coordinates(out.geometry[:3])).all()
    assert out.columns["flag"] == [True, False, True, None, False]


def test_project_errors():
    """An unknown CRS and coordinates outside the target's domain are refused clearly."""
    layer = geojson([shapely.Point(0, 95)])
    with pytest.raises(InvalidParameter) as info:
        run(project, features=layer, output_crs="EPSG:999999")
    assert info.value.parameter == "output_crs"
    with pytest.raises(InvalidParameter, match="cannot be transformed"):
        run(project, features=layer, output_crs=32631)
