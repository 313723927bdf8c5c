"""``core.json_text.members``: an object's members found as text, strings and escapes
respected, malformed structure refused as the client's error."""

import orjson
import pytest

from honua.core.json_text import JSONText, has_text, members
from honua.errors import InvalidParameter


def test_members_are_the_text_of_each_value():
    document = {"a": [1, {"x": 'a,b:}]"\\"'}], "b": {"c": None}, "d": "q\\", "e": 1.5}
    found = members(orjson.dumps(document))
    assert list(found) == ["a", "b", "d", "e"]
    assert {k: orjson.loads(v) for k, v in found.items()} == document


def test_members_of_an_empty_object_and_whitespace():
    assert members(b" { } ") == {}
    assert members(b'{ "k" :\n [ 1 ] }') == {"k": b"[ 1 ]"}


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"a": [1}', b'{"a": 1]}', b'{"a" 1, "b": 2}',
                                  b'{1: 2}', b'{"a": 1, 2}'])
def test_malformed_structure_is_invalid_parameter(body):
    with pytest.raises(InvalidParameter):
        members(body)


def test_has_text_looks_at_values_and_lists():
    assert has_text({"a": 1, "b": JSONText(b"{}")})
    assert has_text({"a": [JSONText(b"{}")]})
    assert not has_text({"a": 1, "b": [2]})
