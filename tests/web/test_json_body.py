"""The nesting check on JSON text: brackets inside strings and escapes do not count."""

import json

import orjson
import pytest

from honua.errors import InvalidParameter
from honua.web.json_body import load_json, nesting_depth


def _depth(document):
    if isinstance(document, dict):
        return 1 + max((_depth(v) for v in document.values()), default=0)
    if isinstance(document, list):
        return 1 + max((_depth(v) for v in document), default=0)
    return 0


@pytest.mark.parametrize("document", [
    {"a": "[[[{{{"}, [1, [2, [3]]], {'k\\"[': [{"x": "\\\\"}, ["]]]"]]}, [], {}, "str[", 5,
    {"a": [[[[[[]]]]]]}, [{"a": [{}]}], {"q": 'say "[{" twice\\'}])
def test_depth_of_the_text_is_the_depth_of_the_document(document):
    for text in (orjson.dumps(document), json.dumps(document, indent=2).encode()):
        assert nesting_depth(text) == _depth(document)


def test_deep_text_is_refused_before_parsing_and_strings_never_count():
    with pytest.raises(InvalidParameter, match="deeper than 64"):
        load_json(b"[" * 500 + b"]" * 500)
    assert load_json(orjson.dumps({"s": "[" * 5000})) == {"s": "[" * 5000}
