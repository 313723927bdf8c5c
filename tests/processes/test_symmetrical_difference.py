"""The symmetrical_difference process: what one layer covers and the other does not."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, run

from honua.errors import InvalidParameter
from honua.processes.symmetrical_difference import symmetrical_difference


def test_symmetrical_difference_two_squares():
    """Two overlapping squares keep their non-shared halves with their own attributes."""
    out = run(symmetrical_difference,
              features=layer([shapely.box(0, 0, 2, 1)], crs=3857, name=["a"]),
              update_features=layer([shapely.box(1, 0, 3, 1)], crs=3857, name=["b"]))
    assert [g.bounds for g in out.geometry] == [(0, 0, 1, 1), (2, 0, 3, 1)]
    assert out.columns == {"name": ["a", None], "name_1": [None, "b"]}


def test_symmetrical_difference_identical_layers_empty():
    """A layer against itself leaves nothing."""
    same = layer([shapely.box(0, 0, 1, 1)], crs=3857)
    assert len(run(symmetrical_difference, features=same, update_features=same)) == 0


def test_symmetrical_difference_reprojects_update_layer():
    """The update layer is brought into the input's CRS."""
    out = run(symmetrical_difference, features=layer([shapely.box(0, 0, 1, 1)]),
              update_features=layer([shapely.box(-1, -1, 0, 0)], crs=3857))
    assert out.crs.is_geographic
    assert sum(g.area for g in out.geometry) == pytest.approx(1.0 + (1 / 111_319.49) ** 2, rel=1e-3)


def test_symmetrical_difference_refuses_lines():
    """Both layers must be polygons."""
    with pytest.raises(InvalidParameter) as caught:
        run(symmetrical_difference, features=layer([shapely.box(0, 0, 1, 1)]),
            update_features=layer([shapely.LineString([(0, 0), (1, 1)])]))
    assert caught.value.parameter == "update_features"
