"""Unit names users type map to canonical units and exact factors."""

import pytest

from honua.errors import InvalidParameter
from honua.geo import units


@pytest.mark.parametrize(("name", "canonical"), [
    ("m", "meters"), ("Metres", "meters"), ("KM", "kilometers"), ("feet", "feet"),
    ("nautical miles", "nautical_miles"), ("us-survey-feet", "us_survey_feet"),
])
def test_linear_unit_aliases(name, canonical):
    assert units.linear_unit(name) == canonical


@pytest.mark.parametrize(("value", "unit", "meters"), [
    (1, "miles", 1609.344), (1, "nautical_miles", 1852.0), (3, "feet", 0.9144),
    (2.5, "kilometers", 2500.0),
])
def test_to_meters_known_factors(value, unit, meters):
    assert units.to_meters(value, unit) == pytest.approx(meters)
    assert units.from_meters(meters, unit) == pytest.approx(value)


def test_areal_units_known_factors():
    assert units.to_square_meters(1, "hectares") == 10_000
    assert units.to_square_meters(1, "acres") == pytest.approx(4046.8564224)


def test_unknown_unit_lists_the_choices():
    with pytest.raises(InvalidParameter, match="unknown linear unit 'cubits'.*meters"):
        units.linear_unit("cubits")
