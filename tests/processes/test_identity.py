"""The identity process: features split by polygons, taking their attributes."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, run, typed_columns

from honua.errors import InvalidParameter
from honua.processes.identity import identity

ZONES = layer([shapely.box(0, 0, 2, 2)], crs=3857, zone=["in"])


def test_identity_polygon_split_inside_and_outside():
    """The inside part takes the zone's attributes, the outside part nulls."""
    out = run(identity, features=layer([shapely.box(1, 0, 3, 2)], crs=3857, k=[1]),
              identity_features=ZONES)
    assert [g.area for g in out.geometry] == pytest.approx([2.0, 2.0])
    assert out.columns == {"k": [1, 1], "zone": ["in", None]}


def test_identity_lines_keep_their_type():
    """A line through a zone is cut at its edge; both parts are lines."""
    out = run(identity, features=layer([shapely.LineString([(1, 1), (4, 1)])], crs=3857),
              identity_features=ZONES)
    assert [g.length for g in out.geometry] == pytest.approx([1.0, 2.0])
    assert out.columns["zone"] == ["in", None]


def test_identity_points_outside_kept_with_nulls():
    """Points take the attributes of the zone they fall in, or nulls."""
    out = run(identity, features=layer([shapely.Point(1, 1), shapely.Point(9, 9), None],
                                       crs=3857, n=[1, 2, 3]),
              identity_features=ZONES)
    assert out.columns == {"n": [1, 2], "zone": ["in", None]}


def test_identity_typed_columns_clash_renamed():
    """A clashing identity field is suffixed; every input type survives."""
    out = run(identity, features=layer([shapely.Point(1, 1)] * 6, crs=3857, **typed_columns(6)),
              identity_features=layer([shapely.box(0, 0, 2, 2)], crs=3857, name=["zone"]))
    assert out.columns["name_1"] == ["zone"] * 6
    assert out.columns["meta"][2] == [1, 2]


def test_identity_refuses_point_identity_features():
    """Identity features must be polygons."""
    with pytest.raises(InvalidParameter, match="polygon"):
        run(identity, features=ZONES, identity_features=layer([shapely.Point(0, 0)], crs=3857))
