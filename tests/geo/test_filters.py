"""Tests for honua.geo.filters: CQL2 text and JSON as column masks, three-valued logic."""

import pytest
import shapely

from honua.errors import InvalidParameter
from honua.geo.crs import parse_crs
from honua.geo.features import FeatureCollection
from honua.geo.filters import filter_mask, parse_filter

LAYER = FeatureCollection.from_geometries(
    [shapely.Point(10, 50), shapely.Point(20, 60), None, shapely.box(0, 0, 1, 1)], crs=4326,
    name=["Alpha", "beta", "Gamma", None], size=[1, 2.5, None, 4],
    flag=[True, False, None, True],
    when=["2024-01-01T00:00:00Z", "2024-03-01T12:00:00+02:00", None, "2024-06-01"],
    tags=[["x", "y"], ["y"], None, []],
)


def mask(text, **options):
    return filter_mask(LAYER, parse_filter(text), **options).tolist()


@pytest.mark.parametrize(("text", "expected"), [
    ("size > 1", [False, True, False, True]),
    ("size <> 2.5", [True, False, False, True]),
    ("NOT size > 1", [True, False, False, False]),
    ("size > 1 OR name = 'Alpha'", [True, True, False, True]),
    ("size > 100 AND name = 'nobody'", [False, False, False, False]),
    ("size BETWEEN 2 AND 4", [False, True, False, True]),
    ("name LIKE '_eta'", [False, True, False, False]),
    ("name LIKE 'A%'", [True, False, False, False]),
    ("name NOT LIKE 'A%'", [False, True, True, False]),
    ("CASEI(name) = casei('ALPHA')", [True, False, False, False]),
    ("name IN ('beta', 'Gamma')", [False, True, True, False]),
    ("size IS NULL", [False, False, True, False]),
    ("name IS NOT NULL", [True, True, True, False]),
    ("flag = true", [True, False, False, True]),
    ("size * 2 + 1 > 5", [False, True, False, True]),
    ("when > TIMESTAMP('2024-02-01T00:00:00Z')", [False, True, False, True]),
    ("when < DATE('2024-03-02')", [True, True, False, False]),
])
def test_filter_text(text, expected):
    """Each CQL2 text construct selects the expected features; nulls are never selected."""
    assert mask(text) == expected


def test_filter_not_of_unknown_is_not_selected():
    """NOT (null > 1) is unknown, so the null feature is excluded both ways."""
    assert not mask("size > 1")[2] and not mask("NOT size > 1")[2]


@pytest.mark.parametrize(("document", "expected"), [
    ({"op": "and", "args": [{"op": ">=", "args": [{"property": "size"}, 2]},
                            {"op": "=", "args": [{"property": "flag"}, True]}]},
     [False, False, False, True]),
    ({"op": "between", "args": [{"property": "size"}, 1, 2.5]}, [True, True, False, False]),
    ({"op": "a_contains", "args": [{"property": "tags"}, ["y"]]}, [True, True, False, False]),
    ({"op": "t_after", "args": [{"property": "when"}, {"timestamp": "2024-02-01T00:00:00Z"}]},
     [False, True, False, True]),
    ({"op": "t_during", "args": [{"property": "when"},
                                 {"interval": ["2024-02-01T00:00:00Z", "2024-04-01T00:00:00Z"]}]},
     [False, True, False, False]),
    ({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [5, 45, 15, 55]}]},
     [True, False, False, False]),
])
def test_filter_json(document, expected):
    """Standard CQL2 JSON (including three-argument between and bbox literals) works."""
    assert filter_mask(LAYER, parse_filter(document)).tolist() == expected


def test_filter_spatial_text_and_filter_crs():
    """Spatial literals are CRS84 by default, or in the filter CRS given."""
    assert mask("S_WITHIN(geometry, POLYGON((15 55, 25 55, 25 65, 15 65, 15 55)))") == [
        False, True, False, False]
    assert mask("BBOX(geometry, -1, -1, 0.5, 0.5)") == [False, False, False, True]
    around_10_50 = ("S_INTERSECTS(geometry, POLYGON((1100000 6400000, 1120000 6400000, "
                    "1120000 6500000, 1100000 6500000, 1100000 6400000)))")  # EPSG:3857 metres
    assert mask(around_10_50, filter_crs=parse_crs(3857)) == [True, False, False, False]


def test_filter_unknown_property_names_it():
    """An unknown property is reported with the fields that exist."""
    with pytest.raises(InvalidParameter, match="unknown property 'colour'; the features have: name"):
        mask("colour = 'red'")


def test_filter_type_mismatch_and_syntax_errors():
    """Comparing text with a number and malformed filters are refused clearly."""
    with pytest.raises(InvalidParameter, match="cannot compare field 'name'"):
        mask("name > 3")
    with pytest.raises(InvalidParameter, match="not a valid cql2-text expression"):
        parse_filter("size >")
    with pytest.raises(InvalidParameter, match="not a valid cql2-json expression"):
        parse_filter('{"op": "nonsense"}')
