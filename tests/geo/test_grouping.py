"""Tests for honua.geo.grouping: group numbers by field values and collected geometries."""

import numpy as np
import shapely

from honua.geo.grouping import collect, group_codes


def test_group_codes_by_two_fields_in_order_of_appearance():
    """Groups are numbered by first appearance; None and unhashable values form groups."""
    codes, first = group_codes([["b", "a", "b", None, "a"], [1, 1, 1, {"x": 1}, 2]], 5)
    assert codes.tolist() == [0, 1, 0, 2, 3] and first.tolist() == [0, 1, 3, 4]


def test_group_codes_tells_true_from_one():
    """A boolean True and the integer 1 are different values."""
    codes, _ = group_codes([[True, 1, 1.0]], 3)
    assert codes.tolist() == [0, 1, 1]


def test_collect_skips_missing_and_empty():
    """Missing and empty geometries are left out; an empty group gets an empty collection."""
    geometry = np.array([shapely.Point(0, 0), None, shapely.Point(), shapely.Point(1, 1)])
    out = collect(geometry, np.array([1, 1, 0, 1]), 2)
    assert out[0].is_empty and len(out[1].geoms) == 2


def test_group_codes_no_features():
    """Zero features give zero groups."""
    codes, first = group_codes([[]], 0)
    assert len(codes) == 0 and len(first) == 0
