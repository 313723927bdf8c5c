"""Tests for feature_vertices_to_points: every location, indices, ground midpoints."""

import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_geom import geojson, run

from honua.errors import InvalidParameter
from honua.processes.feature_vertices_to_points import feature_vertices_to_points as fvtp

LAYER = [shapely.LineString([(0, 0), (1, 0), (1, 1)]), None,
         shapely.Polygon([(5, 5), (6, 5), (6, 6), (5, 5)])]


@pytest.mark.parametrize(("location", "coords", "source", "vertex"), [
    ("all", [(0, 0), (1, 0), (1, 1), (5, 5), (6, 5), (6, 6)], [0, 0, 0, 2, 2, 2], [0, 1, 2, 0, 1, 2]),
    ("start", [(0, 0), (5, 5)], [0, 2], [0, 0]),
    ("end", [(1, 1), (6, 6)], [0, 2], [2, 2]),
    ("both_ends", [(0, 0), (1, 1), (5, 5), (6, 6)], [0, 0, 2, 2], [0, 2, 0, 2]),
])
def test_fvtp_locations(location, coords, source, vertex):
    """Each location gives the expected points, source positions and vertex numbers."""
    out = run(fvtp, features=geojson(LAYER, crs=3857, name=["a", "b", "c"]), point_location=location)
    assert [p.coords[0] for p in out.geometry] == coords
    assert out.columns["source_index"] == source and out.columns["vertex_index"] == vertex
    assert out.columns["name"] == [["a", "b", "c"][i] for i in source]


def test_fvtp_mid_is_halfway_on_the_ground():
    """The midpoint of a long geographic line is equally far from both ends along the geodesic."""
    line = shapely.LineString([(10, 60), (10.5, 60.3)])
    out = run(fvtp, features=geojson([line]), point_location="mid")
    mid = out.geometry[0]
    geod = Geod(ellps="WGS84")
    to_start, to_end = geod.inv(10, 60, mid.x, mid.y)[2], geod.inv(mid.x, mid.y, 10.5, 60.3)[2]
    assert to_start == pytest.approx(to_end, rel=1e-4) and out.columns["vertex_index"] == [None]


def test_fvtp_refuses_points_and_names_the_feature():
    """Point features are the wrong type: the error names the first one."""
    with pytest.raises(InvalidParameter, match="feature 1 is a Point") as info:
        run(fvtp, features=geojson([LAYER[0], shapely.Point(0, 0)]))
    assert info.value.parameter == "features"


def test_fvtp_field_name_clash_and_empty_layer():
    """An existing 'source_index' field is kept; the new one gets a suffix; no features, no points."""
    out = run(fvtp, features=geojson(LAYER[:1], crs=3857, source_index=[9]), point_location="start")
    assert out.columns["source_index"] == [9] and out.columns["source_index_1"] == [0]
    assert len(run(fvtp, features=geojson([]))) == 0
