"""Validation of WPS responses against the official XSDs in the repository's ``schemas/``.

WPS 1.0.0 documents (Capabilities, ProcessDescriptions, ExecuteResponse) validate
against ``wps/1.0.0/wpsAll.xsd`` and their exception reports against OWS 1.1;
WPS 2.0 documents against ``wps/2.0/wps.xsd`` and OWS 2.0. The schemas load
offline; if the folder is missing the tests fail saying where it was looked for.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from tests.support.schemas import schemas_dir

ENTRY_POINTS = {
    "wps10": ("opengis", "wps", "1.0.0", "wpsAll.xsd"),
    "wps20": ("opengis", "wps", "2.0", "wps.xsd"),
    "ows11": ("opengis", "ows", "1.1.0", "owsAll.xsd"),
    "ows20": ("opengis", "ows", "2.0", "owsAll.xsd"),
}
NAMESPACES = {
    "http://www.opengis.net/wps/1.0.0": "wps10",
    "http://www.opengis.net/wps/2.0": "wps20",
    "http://www.opengis.net/ows/1.1": "ows11",
    "http://www.opengis.net/ows/2.0": "ows20",
}


@cache
def schema(name: str) -> etree.XMLSchema:
    path = Path(schemas_dir(), *ENTRY_POINTS[name])
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(path), parser))


def assert_xsd_valid(document: bytes | etree._Element, expect: str | None = None) -> etree._Element:
    """Validate a WPS/OWS document against the schema of its root namespace; return its root.

    ``expect`` ('wps10', 'wps20', 'ows11', 'ows20') also checks which one it is.
    """
    # huge_tree: the server answers inline inputs over libxml2's 10 MB text limit (our own output)
    root = (document if isinstance(document, etree._Element)
            else etree.fromstring(document, etree.XMLParser(huge_tree=True)))
    namespace = etree.QName(root).namespace
    name = NAMESPACES.get(namespace)
    assert name is not None, f"root <{root.tag}> is not in a WPS or OWS namespace"
    if expect is not None:
        assert name == expect, f"expected a {expect} document, got {name} <{root.tag}>"
    validator = schema(name)
    if not validator.validate(root):
        errors = "\n".join(f"line {e.line}: {e.message}" for e in validator.error_log)
        text = etree.tostring(root, pretty_print=True).decode()[:4000]
        raise AssertionError(f"{name} document is not schema-valid:\n{errors}\n---\n{text}")
    return root
