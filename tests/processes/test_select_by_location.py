"""The select_by_location process: input features that relate to a selecting layer."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, run, typed_columns

from honua.errors import InvalidParameter
from honua.processes.select_by_location import select_by_location

AREA = layer([shapely.box(0, 0, 2, 2)], crs=3857)
POINTS = layer([shapely.Point(1, 1), shapely.Point(2, 1), shapely.Point(5, 5), None,
                shapely.Point(), shapely.Point(0.5, 0.5)], crs=3857, **typed_columns(6))


@pytest.mark.parametrize(("predicate", "names"), [
    ("intersects", ["a", "b", "f"]),
    ("within", ["a", "f"]),
    ("touches", ["b"]),
])
def test_select_by_location_predicates(predicate, names):
    """Points inside, on the edge, or both, as the predicate says; in input order."""
    out = run(select_by_location, features=POINTS, selecting_features=AREA, predicate=predicate)
    assert out.columns["name"] == names


def test_select_by_location_invert_includes_null_geometries():
    """Inverted selection returns what does not relate, null and empty geometries included."""
    out = run(select_by_location, features=POINTS, selecting_features=AREA, invert=True)
    assert out.columns["name"] == [None, "d", "e"]
    assert out.columns["meta"] == [[1, 2], {"k": 2}, None]


def test_select_by_location_within_distance_geographic():
    """On lon/lat the distance is on the ground: 0.015 deg of longitude at 60 N is about 836 m."""
    features = layer([shapely.Point(10.015, 60), shapely.Point(10, 60.009)], k=[1, 2])
    out = run(select_by_location, features=features,
              selecting_features=layer([shapely.Point(10, 60)]), predicate="within_distance",
              search_distance="900 m")
    assert out.columns["k"] == [1]


def test_select_by_location_nearest_selects_closest_to_each_selecting_feature():
    """nearest picks, for every selecting feature, the input feature closest to it."""
    features = layer([shapely.Point(0, 0), shapely.Point(10, 0), shapely.Point(20, 0)], crs=3857,
                     k=[0, 1, 2])
    selecting = layer([shapely.Point(9, 0), shapely.Point(21, 0), shapely.Point(100, 0)], crs=3857)
    out = run(select_by_location, features=features, selecting_features=selecting,
              predicate="nearest", search_distance=50)
    assert out.columns["k"] == [1, 2]


def test_select_by_location_contains_lines():
    """contains selects polygons holding a selecting line entirely."""
    polygons = layer([shapely.box(0, 0, 2, 2), shapely.box(0, 0, 1, 1)], crs=3857, k=[0, 1])
    out = run(select_by_location, features=polygons, predicate="contains",
              selecting_features=layer([shapely.LineString([(0.5, 0.5), (1.5, 1.5)])], crs=3857))
    assert out.columns["k"] == [0]


def test_select_by_location_reprojects_and_keeps_input_crs():
    """A selecting layer in another CRS is reprojected; features come back untouched."""
    out = run(select_by_location, features=layer([shapely.Point(0.5, 0.5)]),
              selecting_features=layer([shapely.box(0, 0, 111_000, 111_000)], crs=3857))
    assert len(out) == 1 and out.crs.is_geographic and out.geometry[0].x == 0.5


def test_select_by_location_empty_selecting_layer():
    """Nothing selects nothing."""
    assert len(run(select_by_location, features=POINTS, selecting_features=layer([], crs=3857))) == 0


def test_select_by_location_nearest_negative_distance_refused():
    """A negative search distance is refused."""
    with pytest.raises(InvalidParameter, match="zero or more"):
        run(select_by_location, features=POINTS, selecting_features=AREA, predicate="nearest",
            search_distance=-1)


def test_select_by_location_keeps_feature_ids():
    """Selected features keep their GeoJSON ids."""
    features = layer([shapely.Point(1, 1), shapely.Point(9, 9)], crs=3857)
    features["features"] = [dict(f, id=f"p{i}") for i, f in enumerate(features["features"])]
    out = run(select_by_location, features=features, selecting_features=AREA)
    assert out.ids == ["p0"]
