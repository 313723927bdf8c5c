"""Stored inputs and outputs round-trip through neutral JSON."""

import datetime as dt

import shapely

from honua.core import codec
from honua.core.parameters import DataType, Parameter
from honua.core.values import Envelope, LinearUnit, SpatialReference
from honua.geo.crs import parse_crs
from honua.geo.features import FeatureCollection


def test_codec_round_trip_of_every_kind():
    params = [Parameter("f", DataType.FEATURES), Parameter("d", DataType.LINEAR_UNIT),
              Parameter("e", DataType.ENVELOPE), Parameter("s", DataType.SPATIAL_REFERENCE),
              Parameter("t", DataType.DATETIME), Parameter("n", DataType.INTEGER)]
    values = {
        "f": FeatureCollection.from_geometries([shapely.Point(500000, 0), None], crs=32631,
                                               name=["a", None]),
        "d": LinearUnit(5, "km"), "e": Envelope(0, 1, 2, 3),
        "s": SpatialReference(parse_crs(3857)),
        "t": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), "n": 7,
    }
    back = codec.decode(params, codec.encode(params, values))
    assert back["f"].crs.to_epsg() == 32631
    assert back["f"].geometry[0].equals(shapely.Point(500000, 0)) and back["f"].geometry[1] is None
    assert back["f"].columns["name"] == ["a", None]
    assert back["d"] == LinearUnit(5, "kilometers") and back["n"] == 7
    assert (back["e"].minx, back["e"].maxy) == (0, 3)
    assert back["s"].crs.to_epsg() == 3857 and back["t"] == values["t"]


def test_layer_references_stay_references_alone_and_in_a_list():
    from honua.core.references import LayerReference

    params = [Parameter("one", DataType.FEATURES),
              Parameter("layers", DataType.FEATURES, min_occurs=2, max_occurs=0)]
    values = {"one": LayerReference("a", filter="x > 1"),
              "layers": [LayerReference("a"), LayerReference("b", bbox=(0, 0, 1, 1))]}
    back = codec.decode(params, codec.encode(params, values))
    assert back == values
