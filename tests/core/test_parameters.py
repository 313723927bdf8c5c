"""Annotations become neutral parameters; conversion is idempotent and names the parameter."""

import datetime as dt
import enum
from typing import Annotated, Literal

import pytest

from honua.core.parameters import (
    UNBOUNDED,
    DataType,
    Input,
    convert_value,
    parameter_from_annotation,
)
from honua.core.values import Envelope, LinearUnit, SpatialReference
from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection


class Side(enum.Enum):
    LEFT = "left"
    RIGHT = "right"


@pytest.mark.parametrize(("annotation", "data_type"), [
    (str, DataType.STRING), (int, DataType.INTEGER), (float, DataType.DOUBLE),
    (bool, DataType.BOOLEAN), (dt.datetime, DataType.DATETIME),
    (LinearUnit, DataType.LINEAR_UNIT), (FeatureCollection, DataType.FEATURES),
    (Envelope, DataType.ENVELOPE), (SpatialReference, DataType.SPATIAL_REFERENCE),
])
def test_parameter_from_annotation_maps_types(annotation, data_type):
    assert parameter_from_annotation("x", annotation, None, False).data_type is data_type


def test_parameter_from_annotation_literal_gives_allowed_values():
    p = parameter_from_annotation("cap", Literal["round", "flat"], "round", True)
    assert p.allowed_values == ("round", "flat") and not p.required and p.default == "round"


def test_parameter_from_annotation_enum_converts_to_member():
    p = parameter_from_annotation("side", Side, Side.LEFT, True)
    assert p.allowed_values == ("left", "right") and p.default == "left"
    assert p.convert("right") is Side.RIGHT


def test_parameter_from_annotation_list_is_multi_value():
    p = parameter_from_annotation("d", list[float], None, False)
    assert p.max_occurs == UNBOUNDED and p.convert([1, "2.5"]) == [1.0, 2.5]
    assert p.convert(3) == [3.0]


def test_parameter_from_annotation_optional_and_metadata():
    p = parameter_from_annotation(
        "n", Annotated[int | None, Input(title="Count", description="How many")], None, True)
    assert not p.required and p.title == "Count" and p.description == "How many"


def test_parameter_from_annotation_unknown_type_refused():
    with pytest.raises(TypeError, match="no data type"):
        parameter_from_annotation("x", complex, None, False)


@pytest.mark.parametrize(("data_type", "raw", "expected"), [
    (DataType.INTEGER, "42", 42), (DataType.INTEGER, 42.0, 42), (DataType.DOUBLE, "1.5", 1.5),
    (DataType.BOOLEAN, "true", True), (DataType.BOOLEAN, 0, False),
    (DataType.STRING, 7, "7"),
    (DataType.LINEAR_UNIT, 100, LinearUnit(100, "meters")),
    (DataType.LINEAR_UNIT, "2 km", LinearUnit(2, "kilometers")),
    (DataType.LINEAR_UNIT, {"value": 3, "unit": "ft"}, LinearUnit(3, "feet")),
])
def test_convert_value_accepts_wire_forms(data_type, raw, expected):
    value = convert_value(data_type, raw)
    assert value == expected
    assert convert_value(data_type, value) == expected  # idempotent


@pytest.mark.parametrize(("data_type", "raw", "fragment"), [
    (DataType.INTEGER, "4.5", "expected an integer"), (DataType.INTEGER, True, "boolean"),
    (DataType.DOUBLE, "abc", "expected a number"), (DataType.DOUBLE, float("nan"), "finite"),
    (DataType.BOOLEAN, "maybe", "true or false"),
    (DataType.LINEAR_UNIT, {"value": 1, "unit": "parsecs"}, "unknown linear unit"),
    (DataType.DATETIME, "yesterday", "ISO 8601"),
    (DataType.FEATURES, {"type": "Nope"}, "GeoJSON"),
    (DataType.SPATIAL_REFERENCE, "EPSG:999999", "unknown spatial reference"),
    (DataType.LINEAR_UNIT, float("nan"), "finite"),
    (DataType.LINEAR_UNIT, {"value": "inf", "unit": "meters"}, "finite"),
    (DataType.AREAL_UNIT, float("-inf"), "finite"),
    # protocol spellings are the adapters' to translate, not the core's
    (DataType.LINEAR_UNIT, {"distance": 5, "units": "esriMeters"}, "expected"),
    (DataType.LINEAR_UNIT, {"value": 5, "uom": "m"}, "expected"),
])
def test_convert_value_errors_name_the_parameter(data_type, raw, fragment):
    with pytest.raises(InvalidParameter, match=fragment) as info:
        convert_value(data_type, raw, "speed")
    assert info.value.parameter == "speed"
    assert "speed" in info.value.message


def test_convert_value_allowed_values_enforced():
    p = parameter_from_annotation("cap", Literal["round", "flat"], "round", True)
    with pytest.raises(InvalidParameter, match="choose one of 'round', 'flat'"):
        p.convert("pointy")


@pytest.mark.parametrize(("value", "got"), [
    ({"type": "FeatureCollection", "features": []}, "got 0 features"),
    ({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 1]}, "properties": {}},
    ]}, "got 2 features"),
    ({"type": "Feature", "geometry": None, "properties": {}}, "got a null geometry"),
])
def test_a_geometry_input_takes_exactly_one_geometry(value, got):
    """The one rule (core.values.Geometry.only_one) every surface's geometry input follows."""
    with pytest.raises(InvalidParameter, match=f"input 'area' takes exactly one geometry, {got}"):
        convert_value(DataType.GEOMETRY, value, "area")


def test_a_geometry_input_of_one_feature_is_that_geometry():
    value = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2, 3]},
             "properties": {}}
    assert convert_value(DataType.GEOMETRY, value, "area").shape.coords[0] == (2.0, 3.0)
