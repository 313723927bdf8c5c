"""geo.grouped: union and difference by group."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import shapely

from honua.geo import grouped
from honua.geo.grouped import difference_by_group, union_by_group


def test_grouped_doctests():
    """The module's examples hold."""
    assert doctest.testmod(grouped).failed == 0


@pytest.mark.parametrize("size", [1, 2, 3, 7, 300])
def test_grouped_union_matches_union_all_for_every_group_size(size):
    """Level-wise pairwise union and per-group union_all give the same areas."""
    rng = np.random.default_rng(size)
    boxes = shapely.box(*rng.uniform(0, 10, (2, size * 3)), *rng.uniform(10, 20, (2, size * 3)))
    codes = np.repeat(np.arange(3), size)
    out = union_by_group(boxes, codes, 3)
    expected = [shapely.union_all(boxes[codes == g]).area for g in range(3)]
    assert shapely.area(out) == pytest.approx(expected)


def test_grouped_union_progress_for_large_groups():
    """Large groups report their progress."""
    seen = []
    boxes = shapely.box(np.arange(300), 0, np.arange(300) + 1, 1)
    union_by_group(boxes, np.zeros(300, dtype=int), 1, progress=seen.append)
    assert seen == [1.0]


def test_grouped_union_keeps_order_of_groups_with_gaps():
    """Groups are answered by code, missing groups None."""
    boxes = shapely.box(np.array([0, 5]), 0, np.array([1, 6]), 1)
    out = union_by_group(boxes, np.array([2, 0]), 3)
    assert out[1] is None and out[0].bounds == (5, 0, 6, 1) and out[2].bounds == (0, 0, 1, 1)


def test_grouped_difference_missing_and_untouched():
    """Missing stays missing; geometries without cutters pass unchanged."""
    a = np.array([None, shapely.box(0, 0, 1, 1)])
    out = difference_by_group(a, np.array([shapely.box(0, 0, 1, 1)]), np.array([0]))
    assert out[0] is None and out[1].equals(a[1])
