"""``json_text.feature_texts``: a stored FeatureCollection's features one by one from its
text in chunks, whatever the chunk boundaries (escapes, brackets and commas inside
strings, members before and after the features), and broken text refused."""

from __future__ import annotations

import orjson
import pytest

from honua.core.json_text import feature_texts
from honua.errors import InvalidParameter
from tests.support.stored_results import big_geojson

TRICKY = (b' {"crs": {"a": [1, {"b": "}],\\\\\\"x"}]}, "features" : [ {"type":"Feature",'
          b'"properties":{"s":"a\\\\\\",]"}} , {"x":[[1,2],[3]]} ], "bbox":[1,2,3,4] } ')


def _split(text: bytes, size: int) -> list[bytes]:
    return [text[i:i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", range(1, 24))
def test_features_and_members_whatever_the_chunks(size):
    head: dict[str, bytes] = {}
    found = [orjson.loads(text) for text in feature_texts(_split(TRICKY, size), head)]
    document = orjson.loads(TRICKY)
    assert found == document.pop("features")
    assert {name: orjson.loads(text) for name, text in head.items()} == document


@pytest.mark.parametrize("size", [61, 4096, 1 << 20])
def test_the_servers_own_geojson(size):
    text = big_geojson(3000)
    head: dict[str, bytes] = {}
    found = [orjson.loads(feature) for feature in feature_texts(_split(text, size), head)]
    assert found == orjson.loads(text)["features"]
    assert head == {"type": b'"FeatureCollection"'}


@pytest.mark.parametrize("text", [b"[1]", b'{"features":[1,2]', b'{"features":[1]}}',
                                  b'{"a":1 "b":2}', b'{"a":1,"features":[{"x":1]}]}', b"",
                                  b'{"features":[1],"x":2}}', b'{1:2}'])
def test_broken_text_is_refused(text):
    with pytest.raises(InvalidParameter):
        list(feature_texts([text]))
