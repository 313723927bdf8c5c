"""Literal text from WPS and GPServer as typed values."""

import datetime as dt

import pytest

from honua.core.parameters import DataType
from honua.errors import InvalidParameter
from honua.web.literals import parse_literal


@pytest.mark.parametrize(("data_type", "text", "value"), [
    (DataType.INTEGER, " 42 ", 42),
    (DataType.DOUBLE, "1.5e3", 1500.0),
    (DataType.BOOLEAN, "TRUE", True),
    (DataType.BOOLEAN, "0", False),
    (DataType.DATETIME, "2024-05-01T12:00:00Z", dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)),
    (DataType.STRING, " kept as sent ", " kept as sent "),
])
def test_parse_literal_types(data_type, text, value):
    parsed = parse_literal(data_type, text, "x")
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(("data_type", "text", "message"), [
    (DataType.INTEGER, "4.5", "expected an integer"),
    (DataType.DOUBLE, "NaN", "must be finite"),
    (DataType.DOUBLE, "-Infinity", "must be finite"),
    (DataType.DOUBLE, "ten", "expected a number"),
    (DataType.BOOLEAN, "yes please", "true or false"),
    (DataType.DATETIME, "tomorrow", "date-time"),
])
def test_parse_literal_refuses_bad_text_naming_the_input(data_type, text, message):
    with pytest.raises(InvalidParameter, match=message) as caught:
        parse_literal(data_type, text, "count")
    assert caught.value.parameter == "count" and "'count'" in caught.value.message
