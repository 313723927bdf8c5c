"""GPServer parameter types: Esri linear and areal units, and the fast form decoder."""

from urllib.parse import parse_qsl

import pytest

from honua.adapters.gpserver import form, gptypes
from honua.errors import InvalidParameter


# -- units ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "meters"), [
    ({"distance": 100, "units": "esriMeters"}, 100), ({"distance": 1, "units": "esriMiles"}, 1609.344),
    ({"distance": 1, "units": "esriNauticalMiles"}, 1852), ({"distance": 2}, 2),
    ("5 Kilometers", 5000), ("3 Foot", None), (72, 72), ({"distance": 72, "units": "esriPoints"},
                                                           0.0254)])
def test_linear_units_by_esri_name_or_keyword(given, meters):
    if meters is None:
        with pytest.raises(InvalidParameter, match="unknown units"):
            gptypes.read_linear(given, "t")
        return
    assert gptypes.read_linear(given, "t").meters == pytest.approx(meters)


def test_decimal_degrees_distance_is_refused_with_advice():
    with pytest.raises(InvalidParameter, match="esriMeters"):
        gptypes.read_linear({"distance": 1, "units": "esriDecimalDegrees"}, "t")


@pytest.mark.parametrize(("given", "square_meters"), [
    ({"area": 1, "units": "esriHectares"}, 1e4), ("3 SquareKilometers", 3e6),
    ({"area": 1, "units": "esriAcresUS"}, 4046.872609874252), ("2 Hectare", 2e4)])
def test_areal_units_by_esri_name_or_keyword(given, square_meters):
    assert gptypes.read_areal(given, "t").square_meters == pytest.approx(square_meters)


def test_units_written_with_esri_names():
    assert gptypes.write_linear(gptypes.read_linear("2 esriKilometers", "t")) == {
        "distance": 2.0, "units": "esriKilometers"}
    assert gptypes.write_areal(gptypes.read_areal({"area": 4, "units": "esriAcres"}, "t")) == {
        "area": 4.0, "units": "esriAcres"}


# -- form decoding --------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [
    b"", b"a=1", b"a=1&&b=", b"flag", b"q=%7B%22x%22%3A+1%7D", b"env%3AoutSR=3857",
    b"bad=%zz%4", b"raw==x%3D", b"u=%C3%A9t%C3%A9", b"broken=%C3", b"sp=a+b%20c", b"x=%0D%0A"])
def test_form_parse_matches_parse_qsl(raw):
    """The fast form decoder gives exactly what the standard library gives."""
    assert form.parse(raw) == parse_qsl(raw.decode("ascii"), keep_blank_values=True)
