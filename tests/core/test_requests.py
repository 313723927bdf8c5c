"""Execution options as frozen neutral values, and their stored JSON form."""

import datetime as dt

import pytest

from honua.core.catalog import parse_duration
from honua.core.requests import (
    ExecutionOptions,
    LayerRegistration,
    Mode,
    OutputFormat,
    OutputRequest,
    Transmission,
)
from honua.errors import InvalidParameter


def test_execution_options_round_trip_through_json():
    options = ExecutionOptions(
        mode=Mode.ASYNC, strict=True, keep=True, response="document", hints={"wps": "1.0.0"},
        outputs={"a": OutputRequest(Transmission.REFERENCE, OutputFormat("text/xml", "utf-8",
                                                                         "http://s"), uom="m"),
                 "b": OutputRequest(register_as=LayerRegistration(
                     "kept", "Kept", "why", dt.timedelta(hours=2), overwrite=True))})
    assert ExecutionOptions.from_json(options.to_json()) == options


def test_execution_options_read_what_earlier_versions_stored():
    """Jobs stored before the options were typed keep their meaning after an upgrade."""
    stored = {"mode": "async", "response": "raw", "hints": {},
              "outputs": {"result": {"transmission": "reference", "mediaType": "application/json",
                                     "registerAs": {"collectionId": "zones", "ttl": "7d"}}}}
    options = ExecutionOptions.from_json(stored)
    result = options.output("result")
    assert options.mode is Mode.ASYNC and result.by_reference and options.keeps_results
    assert result.format.media_type == "application/json"
    assert options.registrations == {"result": LayerRegistration("zones", ttl=dt.timedelta(days=7))}


def test_execution_options_default_output_request_for_unnamed_outputs():
    assert ExecutionOptions().output("anything") == OutputRequest()
    assert not ExecutionOptions().keeps_results


@pytest.mark.parametrize(("spec", "message"), [
    ({"title": "x"}, "needs at least"),
    ({"collectionId": "x", "colour": "red"}, "no member 'colour'"),
    ({"collectionId": "x", "overwrite": "yes"}, "true or false"),
    ({"collectionId": "bad id!"}, "collection"),
    ({"collectionId": "x", "ttl": "99999999999d"}, "longer than 100 years"),
    ({"collectionId": "x", "ttl": "soon"}, "not a duration"),
])
def test_layer_registration_refuses_bad_specs(spec, message):
    with pytest.raises(InvalidParameter, match=message):
        LayerRegistration.from_json(spec)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("12h", 43200),
                                               ("7d", 604800), ("2w", 1209600), (1.5, 5400)])
def test_parse_duration_units(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", [0, -1, "0h", float("nan"), float("inf"), True, "1e400"])
def test_parse_duration_refuses_what_is_not_a_positive_bounded_duration(text):
    with pytest.raises(InvalidParameter):
        parse_duration(text)
