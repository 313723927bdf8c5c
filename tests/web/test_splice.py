"""Stored bytes spliced into a document: in place of their marker, escaped for XML text
or a CDATA section chunk by chunk, whatever the chunk boundaries."""

from __future__ import annotations

import itertools

import pytest
from lxml import etree

from honua.core.stored_outputs import StoredValue
from honua.web.splice import cdata_text, marker, spliced, xml_text

VALUE = b'{"note":"a ]]> b ]] c ] d ]]]> & <x>"}'


def _chunks(data: bytes, size: int) -> StoredValue:
    return StoredValue(len(data), lambda: iter([data[i:i + size]
                                                for i in range(0, len(data), size)]))


@pytest.mark.parametrize("size", [1, 2, 3, 5, len(VALUE)])
def test_a_cdata_section_holds_the_value_whatever_the_chunks(size):
    mark = ("{" + marker() + "}").encode()
    document = b"<a><b><![CDATA[" + mark + b"]]></b></a>"
    body = b"".join(spliced(document, {mark: _chunks(VALUE, size)}, cdata_text))
    assert etree.fromstring(body).find("b").text.encode() == VALUE


@pytest.mark.parametrize("size", [1, 4, len(VALUE)])
def test_xml_text_is_escaped_as_lxml_does(size):
    mark = marker().encode()
    body = b"".join(spliced(b"<a>" + mark + b"</a>", {mark: _chunks(VALUE, size)}, xml_text))
    element = etree.Element("a")
    element.text = VALUE.decode()
    assert body == etree.tostring(element)


def test_several_values_go_in_their_places_in_order():
    first, second = (f'"{marker()}"'.encode() for _ in range(2))
    document = b'{"x":' + second + b',"y":' + first + b"}"
    body = b"".join(spliced(document, {first: _chunks(b"[1,2]", 2),
                                       second: _chunks(b'"s"', 1)}))
    assert body == b'{"x":"s","y":[1,2]}'
    assert not list(itertools.islice(spliced(b"", {}), 1))
