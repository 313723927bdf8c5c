"""Safe XML parsing and a small element builder for the WPS adapter.

Every XML document a client sends (requests, GML inputs, fetched references)
is parsed here, with DTDs, external entities, entity expansion and network
access off. A document that declares a DOCTYPE at all is refused before
libxml2 reads its declarations, so neither an XXE file read nor a billion-laughs
expansion ever starts.

Because no entity can expand, lxml's ``huge_tree`` option is safe: it lifts
libxml2's 10 MB limit on one text node (an inline GeoJSON or Esri JSON input of
100,000 features is a single text node of ~10 MB), while the document as a whole
is already bounded by the request body limit (``max_body_mb``). What ``huge_tree``
also lifts -- the 256-level nesting limit -- is put back by our own check,
an XPath evaluated in C after parsing.
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
                   "huge_tree": True, "dtd_validation": False, "remove_pis": True}
_LIMIT_MESSAGES = ("too big", "too long", "Excessive depth", "Resource limit", "XML_PARSE_HUGE")
MAX_DEPTH = 256
# True when some element sits deeper than MAX_DEPTH: walked level by level by libxml2, O(n)
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")
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
                f"{what} exceeds the XML safety limits ({exc.msg}): send large inputs by "
                "reference (xlink:href) instead"
            ) from None
        raise InvalidParameter(f"{what} is not well-formed XML: {exc.msg}") from None
    if _TOO_DEEP(root):
        raise PayloadTooLarge(f"{what} nests elements more than {MAX_DEPTH} deep, over the XML "
                              "safety limit")
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
