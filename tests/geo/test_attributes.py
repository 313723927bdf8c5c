"""geo.attributes: rows taken from several collections, clashes renamed."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import shapely

from honua.errors import InvalidParameter
from honua.geo import attributes
from honua.geo.attributes import join_rows, require_types, take_column
from honua.geo.features import FeatureCollection


def test_attributes_doctests():
    """The module's examples hold."""
    assert doctest.testmod(attributes).failed == 0


def test_attributes_take_column_keeps_json_values_whole():
    """Lists and dicts are values, not nested arrays."""
    assert take_column([[1, 2], {"a": 1}], np.array([1, 0, -1])) == [{"a": 1}, [1, 2], None]


def test_attributes_join_rows_renames_clashes_and_keeps_types():
    """Later collections' clashing names get _1, _2; field types follow the columns."""
    a = FeatureCollection.from_geometries([shapely.Point(0, 0)], n=[1], name=["a"])
    b = FeatureCollection.from_geometries([shapely.Point(0, 0)], n=[2.5])
    c = FeatureCollection.from_geometries([shapely.Point(0, 0)], n=[True])
    out = join_rows(np.array([None, None]), a.crs,
                    [(a, np.array([0, -1])), (b, np.array([0, 0])), (c, np.array([-1, 0]))],
                    extra={"n": ([7, 8], "integer")})
    assert out.columns == {"n": [1, None], "name": ["a", None], "n_1": [2.5, 2.5],
                           "n_2": [None, True], "n_3": [7, 8]}
    assert [f.type for f in out.fields] == ["integer", "string", "double", "boolean", "integer"]


def test_attributes_require_types_names_field_and_need():
    """A text field where a number is needed is refused with both named."""
    fc = FeatureCollection.from_geometries([shapely.Point(0, 0)], name=["a"])
    with pytest.raises(InvalidParameter, match="'name' is string; sum needs integer or double"):
        require_types(fc, ["name"], ("integer", "double"), parameter="fields", why="sum")
