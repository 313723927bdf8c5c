"""Safe XML parsing and a small element builder for the WPS adapter.

Every XML document a client sends (requests, GML inputs, fetched references)
is parsed here, with DTDs, external entities, entity expansion and network
access off and lxml's size guards on. A document that declares a DOCTYPE at
all is refused before libxml2 reads its declarations, so neither an XXE file
read nor a billion-laughs expansion ever starts.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import cast

from lxml import etree

from honua.errors import InvalidParameter, PayloadTooLarge

WPS10 = "http://www.opengis.net/wps/1.0.0"
WPS20 = "http://www.opengis.net/wps/2.0"
OWS11 = "http://www.opengis.net/ows/1.1"
OWS20 = "http://www.opengis.net/ows/2.0"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"

_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False,
                   "huge_tree": False, "dtd_validation": False, "remove_pis": True}
_LIMIT_MESSAGES = ("too big", "too long", "Excessive depth", "Resource limit", "XML_PARSE_HUGE")
# A prolog is: an XML declaration, comments, processing instructions, white space.
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)


def _parser() -> etree.XMLParser:
    # a parser is not thread-safe; a new one is cheap
    return etree.XMLParser(**_PARSER_OPTIONS)


def _text_start(data: bytes) -> str:
    """The start of the document as text, whatever its byte encoding."""
    head = data[:4096]
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(name, "ignore")
    if head[:2] == b"<\x00":
        return head.decode("utf-16-le", "ignore")
    if head[:2] == b"\x00<":
        return head.decode("utf-16-be", "ignore")
    return head.decode("latin-1")


def declares_doctype(data: bytes) -> bool:
    """Whether the document's prolog contains a ``<!DOCTYPE`` declaration."""
    text = _text_start(data)
    position = 0
    while True:
        match = _PROLOG_ITEM.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
    if position >= len(text) or text.startswith(("<!--", "<?"), position):
        return b"<!DOCTYPE" in data or "<!DOCTYPE" in text  # a prolog longer than the head read
    return text.startswith("<!DOCTYPE", position)


def parse_xml(data: bytes | str, *, what: str = "the request") -> etree._Element:
    """The root element of ``data``; raises InvalidParameter for anything unsafe or malformed."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise InvalidParameter(f"{what} is empty; an XML document was expected")
    if declares_doctype(data):
        raise InvalidParameter(f"{what} declares a DOCTYPE; DTDs and entities are not accepted "
                               "in XML sent to this server")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        if any(limit in exc.msg for limit in _LIMIT_MESSAGES):
            raise PayloadTooLarge(
                f"{what} exceeds the XML safety limits (one text over 10 MB, or elements nested "
                f"over 256 deep): send large inputs by reference (xlink:href) instead ({exc.msg})"
            ) from None
        raise InvalidParameter(f"{what} is not well-formed XML: {exc.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # e.g. hidden behind an encoding trick
        raise InvalidParameter(f"{what} declares a DOCTYPE; DTDs and entities are not accepted "
                               "in XML sent to this server")
    if next(root.iter(etree.Entity), None) is not None:
        raise InvalidParameter(f"{what} uses entity references, which are not accepted")
    return root


def qname(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def local(element: etree._Element) -> str:
    """An element's local name (no namespace)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or "" if isinstance(element.tag, str) else ""


def children(element: etree._Element, name: str | None = None) -> list[etree._Element]:
    """Element children (comments skipped), optionally only those with local name ``name``."""
    return [c for c in element if isinstance(c.tag, str) and (name is None or local(c) == name)]


def child(element: etree._Element, name: str) -> etree._Element | None:
    return next(iter(children(element, name)), None)


def child_text(element: etree._Element, name: str) -> str | None:
    found = child(element, name)
    return None if found is None else (found.text or "").strip()


def E(tag: str, attrib: Mapping[str, str | None] | None = None, *kids: etree._Element | None,
      text: str | None = None, nsmap: Mapping[str, str] | None = None) -> etree._Element:
    """An element ``{ns}name`` with attributes (None values dropped), children and text."""
    namespaces: dict[str | None, str] | None = dict(nsmap.items()) if nsmap else None
    element = etree.Element(tag, {k: v for k, v in (attrib or {}).items() if v is not None},
                            nsmap=namespaces)
    if text is not None:
        element.text = text
    for kid in kids:
        if kid is not None:
            element.append(kid)
    return element


def to_bytes(element: etree._Element) -> bytes:
    return cast(bytes, etree.tostring(element, xml_declaration=True, encoding="UTF-8"))
