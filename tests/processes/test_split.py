"""The split process: features cut into zones, one collection with a split_id field."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, run

from honua.errors import InvalidParameter
from honua.processes.split import split

ZONES = layer([shapely.box(0, 0, 2, 2), shapely.box(2, 0, 4, 2)], crs=3857, zone=["w", "e"])


def test_split_by_field_values():
    """Each piece is labelled with its zone's field value."""
    out = run(split, features=layer([shapely.box(1, 0, 3, 1)], crs=3857, k=["x"]),
              split_features=ZONES, split_field="zone")
    assert out.columns == {"k": ["x", "x"], "split_id": ["w", "e"]}
    assert [g.area for g in out.geometry] == pytest.approx([1.0, 1.0])


def test_split_default_ids_are_positions():
    """Without a split field, zones are numbered by position (integers)."""
    out = run(split, features=layer([shapely.LineString([(1, 1), (3, 1)])], crs=3857),
              split_features=ZONES)
    assert out.columns["split_id"] == [0, 1]
    assert out.fields[-1].type == "integer"


def test_split_uses_feature_ids_when_present():
    """Zones with GeoJSON ids are labelled by them."""
    zones = dict(ZONES)
    zones["features"] = [dict(f, id=f"z{i}") for i, f in enumerate(ZONES["features"])]
    out = run(split, features=layer([shapely.Point(1, 1)], crs=3857), split_features=zones)
    assert out.columns["split_id"] == ["z0"]


def test_split_existing_split_id_field_not_overwritten():
    """An input field named split_id is kept; the zone goes to split_id_1."""
    out = run(split, features=layer([shapely.Point(1, 1)], crs=3857, split_id=[99]),
              split_features=ZONES)
    assert out.columns == {"split_id": [99], "split_id_1": [0]}


def test_split_drops_parts_outside_zones():
    """Nothing outside every zone is returned."""
    out = run(split, features=layer([shapely.Point(9, 9), None], crs=3857), split_features=ZONES)
    assert len(out) == 0


def test_split_unknown_field():
    """An unknown split field is refused by name."""
    with pytest.raises(InvalidParameter, match="'name'") as caught:
        run(split, features=ZONES, split_features=ZONES, split_field="name")
    assert caught.value.parameter == "split_field"
