"""Tests for honua.geo.outlines: shared boundaries with left and right polygons."""

import numpy as np
import pytest
import shapely

from honua.geo.outlines import outlines, shared_outlines


def test_shared_outlines_island_inside_a_polygon():
    """An island fills the hole of its neighbour: their common ring has one on each side."""
    island = shapely.box(4, 4, 6, 6)
    outer = shapely.box(0, 0, 10, 10).difference(island)
    lines, left, right = shared_outlines(np.array([outer, island]))
    sides = sorted((int(a), int(b)) for a, b in zip(left, right, strict=True))
    assert len(lines) == 2 and sum(line.length for line in lines) == pytest.approx(48)
    assert (-1, 0) in sides or (0, -1) in sides
    assert (0, 1) in sides or (1, 0) in sides


def test_shared_outlines_skip_missing_and_empty():
    """Missing and empty polygons give no lines; polygon positions refer to the input."""
    lines, left, right = shared_outlines(np.array([None, shapely.Polygon(), shapely.box(0, 0, 1, 1)]))
    assert len(lines) == 1 and {int(left[0]), int(right[0])} == {-1, 2}


def test_outlines_keep_missing():
    """Per polygon, missing stays missing."""
    assert outlines(np.array([None], dtype=object))[0] is None
