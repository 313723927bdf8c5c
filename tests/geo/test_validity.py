"""Tests for honua.geo.validity and honua.geo.kinds / columns checks."""

import numpy as np
import pytest
import shapely

from honua.errors import InvalidParameter
from honua.geo.columns import check_fields, unique_name
from honua.geo.features import FeatureCollection
from honua.geo.kinds import kinds_of, require_kinds
from honua.geo.validity import handle_invalid, repair

BOWTIE = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])


def test_repair_keeps_polygons_polygonal():
    """A bow-tie becomes two triangles; valid and missing geometries are untouched."""
    square = shapely.box(0, 0, 1, 1)
    out = repair(np.array([BOWTIE, square, None], dtype=object))
    assert out[0].geom_type == "MultiPolygon" and out[0].area == pytest.approx(2)
    assert out[1] is square and out[2] is None


def test_handle_invalid_refuse_names_feature_and_reason():
    """Refusing reports the feature number and GEOS's reason."""
    with pytest.raises(InvalidParameter, match=r"feature 1 .*Self-intersection") as info:
        handle_invalid(np.array([None, BOWTIE], dtype=object), "refuse", parameter="features")
    assert info.value.parameter == "features"


def test_handle_invalid_keep_returns_input():
    """Keeping leaves invalid geometries as they are."""
    out = handle_invalid(np.array([BOWTIE], dtype=object), "keep", parameter="features")
    assert out[0] is BOWTIE


def test_kinds_and_require_kinds():
    """Kinds are per family; missing/empty pass any requirement; others name the feature."""
    geometry = np.array([shapely.MultiPoint([(0, 0)]), shapely.LineString([(0, 0), (1, 1)]),
                         shapely.Polygon(), None], dtype=object)
    assert kinds_of(geometry).tolist() == ["point", "line", None, None]
    require_kinds(geometry[2:], ["polygon"], parameter="features")
    with pytest.raises(InvalidParameter, match="feature 0 is a MultiPoint"):
        require_kinds(geometry, ["polygon"], parameter="features")


def test_check_fields_and_unique_name():
    """Unknown fields are named with the existing ones; new names avoid clashes."""
    fc = FeatureCollection.from_geometries([shapely.Point(0, 0)], kind=["a"], area=[1.0])
    assert check_fields(fc, None, parameter="f") == []
    with pytest.raises(InvalidParameter, match="unknown field 'size'; the features have: kind, area"):
        check_fields(fc, ["size"], parameter="f")
    assert unique_name("area", fc.columns) == "area_1" and unique_name("perimeter", fc.columns) == "perimeter"
