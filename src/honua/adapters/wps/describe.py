"""Capabilities and process descriptions, WPS 1.0.0 and 2.0, from the neutral registry.

Every core data type has one rendering: literal types as LiteralData (XML
Schema data type, allowed values, default, and UOMs for linear and areal
units), features/geometries/files as ComplexData with their formats, and
envelopes as BoundingBoxData with the supported CRSs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from lxml import etree

from honua.adapters.wps import formats
from honua.adapters.wps.model import V1, V2
from honua.adapters.wps.payloads import literal_text
from honua.adapters.wps.safexml import OWS11, OWS20, WPS10, WPS20, XLINK, XML_NS, E, qname
from honua.core.description import ProcessDescription
from honua.core.parameters import UNBOUNDED, DataType, Parameter
from honua.geo import units

UNBOUNDED_1 = 2**31 - 1  # WPS 1.0.0 maxOccurs is a positiveInteger: "as many as you like"
NSMAP1 = {"wps": WPS10, "ows": OWS11, "xlink": XLINK}
NSMAP2 = {"wps": WPS20, "ows": OWS20, "xlink": XLINK}
TITLE = "Honua geoprocessing server"
ABSTRACT = ("OGC Web Processing Service 1.0.0 and 2.0 over Honua's processes: run them "
            "synchronously or as jobs that survive a restart.")
OPERATIONS = {V1: ("GetCapabilities", "DescribeProcess", "Execute"),
              V2: ("GetCapabilities", "DescribeProcess", "Execute", "GetStatus", "GetResult",
                   "Dismiss")}


def _w(version: str, name: str) -> str:
    return qname(WPS20 if version == V2 else WPS10, name)


def _o(version: str, name: str) -> str:
    return qname(OWS20 if version == V2 else OWS11, name)


# -- capabilities ---------------------------------------------------------------------------

def _service_identification(version: str) -> etree._Element:
    def o(name: str, text: str | None = None) -> etree._Element:
        return E(_o(version, name), text=text)

    return E(_o(version, "ServiceIdentification"), None,
             o("Title", TITLE), o("Abstract", ABSTRACT),
             E(_o(version, "Keywords"), None, o("Keyword", "WPS"), o("Keyword", "geoprocessing")),
             o("ServiceType", "WPS"), o("ServiceTypeVersion", "1.0.0"),
             o("ServiceTypeVersion", "2.0.0"), o("Fees", "NONE"), o("AccessConstraints", "NONE"))


def _service_provider(version: str, base: str) -> etree._Element:
    return E(_o(version, "ServiceProvider"), None,
             E(_o(version, "ProviderName"), text="Honua"),
             E(_o(version, "ProviderSite"), {qname(XLINK, "href"): base}),
             E(_o(version, "ServiceContact")))


def _operations(version: str, endpoint: str) -> etree._Element:
    metadata = E(_o(version, "OperationsMetadata"))
    for name in OPERATIONS[version]:
        http = E(_o(version, "HTTP"), None,
                 E(_o(version, "Get"), {qname(XLINK, "href"): f"{endpoint}?"}),
                 E(_o(version, "Post"), {qname(XLINK, "href"): endpoint}))
        metadata.append(E(_o(version, "Operation"), {"name": name}, E(_o(version, "DCP"), None, http)))
    return metadata


def capabilities(descriptions: Iterable[ProcessDescription], version: str, base: str) -> etree._Element:
    endpoint = f"{base}/wps"
    if version == V2:
        root = E(_w(V2, "Capabilities"), {"service": "WPS", "version": V2}, nsmap=NSMAP2)
    else:
        root = E(_w(V1, "Capabilities"), {"service": "WPS", "version": V1,
                                          qname(XML_NS, "lang"): "en-US"}, nsmap=NSMAP1)
    root.extend([_service_identification(version), _service_provider(version, base),
                 _operations(version, endpoint)])
    if version == V2:
        contents = E(_w(V2, "Contents"))
        for d in descriptions:
            summary = E(_w(V2, "ProcessSummary"), {"jobControlOptions": _job_control(d),
                                                   "outputTransmission": "value reference",
                                                   "processVersion": d.version})
            summary.extend(identification(V2, d.title, d.description, d.id, d.keywords))
            contents.append(summary)
        root.append(contents)
        return root
    offerings = E(_w(V1, "ProcessOfferings"))
    for d in descriptions:
        brief = E(_w(V1, "Process"), {_w(V1, "processVersion"): d.version})
        brief.extend(identification(V1, d.title, d.description, d.id, d.keywords))
        offerings.append(brief)
    def language() -> etree._Element:
        return E(_o(V1, "Language"), text="en-US")

    root.extend([offerings, E(_w(V1, "Languages"), None, E(_w(V1, "Default"), None, language()),
                              E(_w(V1, "Supported"), None, language()))])
    return root


def _job_control(description: ProcessDescription) -> str:
    return " ".join([f"{mode.value}-execute" for mode in description.job_control] + ["dismiss"])


def identification(version: str, title: str, abstract: str, identifier: str,
                    keywords: Iterable[str] = ()) -> list[etree._Element]:
    """Title/Abstract/Identifier (+ keywords) in each version's order."""
    title_el = E(_o(version, "Title"), text=title or identifier)
    abstract_el = E(_o(version, "Abstract"), text=abstract) if abstract else None
    identifier_el = E(_o(version, "Identifier"), text=identifier)
    keywords = tuple(keywords)
    if version == V2:
        keywords_el = (E(_o(V2, "Keywords"), None, *(E(_o(V2, "Keyword"), text=k) for k in keywords))
                       if keywords else None)
        return [e for e in (title_el, abstract_el, keywords_el, identifier_el) if e is not None]
    metadata = [E(_o(V1, "Metadata"), {qname(XLINK, "title"): k}) for k in keywords]
    return [e for e in (identifier_el, title_el, abstract_el) if e is not None] + metadata


# -- process descriptions, 1.0.0 ------------------------------------------------------------

def _max_megabytes(max_body_mb: float) -> str:
    return str(max(1, math.ceil(max_body_mb)))


def _formats10(parameter: Parameter, output: bool, max_mb: float) -> etree._Element:
    offered = formats.formats(parameter.data_type, output=output)

    def fmt(f: formats.Format) -> etree._Element:
        return E("Format", None, E("MimeType", text=f.mime_type),
                 E("Encoding", text=f.encoding) if f.encoding else None,
                 E("Schema", text=f.schema) if f.schema else None)

    element = E("ComplexOutput" if output else "ComplexData",
                None if output else {"maximumMegabytes": _max_megabytes(max_mb)},
                E("Default", None, fmt(offered[0])), E("Supported", None, *map(fmt, offered)))
    return element


def _units(parameter: Parameter) -> tuple[str, list[str]] | None:
    """(default UOM, supported UOMs) for measures."""
    kind = parameter.data_type
    if kind not in (DataType.LINEAR_UNIT, DataType.AREAL_UNIT):
        return None
    canonical = list(units.LINEAR_UNITS if kind is DataType.LINEAR_UNIT else units.AREAL_UNITS)
    default = getattr(parameter.default, "unit", None) or (
        units.linear_unit(parameter.unit) if parameter.unit and kind is DataType.LINEAR_UNIT
        else canonical[0])
    return default, canonical


def _uom(version: str, data_type: DataType, canonical: str) -> etree._Element:
    return E(_o(version, "UOM"), {_o(version, "reference"): formats.uom_reference(canonical)},
             text=formats.uom_name(data_type, canonical))


def _data_type(version: str, data_type: DataType) -> etree._Element:
    name = formats.LITERAL_TYPES[data_type]
    return E(_o(version, "DataType"), {_o(version, "reference"): formats.XS + name}, text=name)


def _values(version: str, parameter: Parameter) -> etree._Element:
    if parameter.allowed_values:
        return E(_o(version, "AllowedValues"), None,
                 *(E(_o(version, "Value"), text=literal_text(v)) for v in parameter.allowed_values))
    return E(_o(version, "AnyValue"))


def _literal10(parameter: Parameter, output: bool) -> etree._Element:
    element = E("LiteralOutput" if output else "LiteralData", None,
                _data_type(V1, parameter.data_type))
    measure = _units(parameter)
    if measure:
        default, supported = measure
        element.append(E("UOMs", None, E("Default", None, _uom(V1, parameter.data_type, default)),
                         E("Supported", None, *(_uom(V1, parameter.data_type, u) for u in supported))))
    if not output:
        element.append(_values(V1, parameter))
        if parameter.default is not None:
            element.append(E("DefaultValue", text=literal_text(parameter.default)))
    return element


def _bbox10(output: bool) -> etree._Element:
    return E("BoundingBoxOutput" if output else "BoundingBoxData", None,
             E("Default", None, E("CRS", text=formats.SUPPORTED_CRS[0])),
             E("Supported", None, *(E("CRS", text=c) for c in formats.SUPPORTED_CRS)))


def _form10(parameter: Parameter, output: bool, max_mb: float) -> etree._Element:
    if parameter.data_type is DataType.ENVELOPE:
        return _bbox10(output)
    if formats.is_complex(parameter.data_type):
        return _formats10(parameter, output, max_mb)
    return _literal10(parameter, output)


def _description10(d: ProcessDescription, max_mb: float) -> etree._Element:
    process = E("ProcessDescription", {_w(V1, "processVersion"): d.version,
                                       "storeSupported": str(d.allows_async).lower(),
                                       "statusSupported": str(d.allows_async).lower()})
    process.extend(identification(V1, d.title, d.description, d.id, d.keywords))
    if d.inputs:
        inputs = E("DataInputs")
        for p in d.inputs:
            item = E("Input", {"minOccurs": str(p.min_occurs), "maxOccurs": str(
                UNBOUNDED_1 if p.max_occurs == UNBOUNDED else p.max_occurs)})
            item.extend(identification(V1, p.title, p.description, p.name, p.keywords))
            item.append(_form10(p, False, max_mb))
            inputs.append(item)
        process.append(inputs)
    outputs = E("ProcessOutputs")
    for p in d.outputs:
        item = E("Output", None, *identification(V1, p.title, p.description, p.name))
        item.append(_form10(p, True, max_mb))
        outputs.append(item)
    process.append(outputs)
    return process


# -- process descriptions, 2.0 --------------------------------------------------------------

def _formats20(parameter: Parameter, output: bool, max_mb: float) -> list[etree._Element]:
    if not formats.is_complex(parameter.data_type):
        return [E(_w(V2, "Format"), {"mimeType": "text/plain", "default": "true"}),
                E(_w(V2, "Format"), {"mimeType": "text/xml"})]
    return [E(_w(V2, "Format"), {
        "mimeType": f.mime_type, "encoding": f.encoding, "schema": f.schema,
        "maximumMegabytes": None if output else _max_megabytes(max_mb),
        "default": "true" if i == 0 else None})
        for i, f in enumerate(formats.formats(parameter.data_type, output=output))]


def _literal20(parameter: Parameter, output: bool) -> etree._Element:
    element = E(_w(V2, "LiteralData"), None, *_formats20(parameter, output, 0))
    measure = _units(parameter)
    domains = [(u, u == measure[0]) for u in measure[1]] if measure else [(None, True)]
    for unit, default in domains:
        domain = E("LiteralDataDomain", {"default": "true" if default else None},
                   _values(V2, parameter), _data_type(V2, parameter.data_type),
                   _uom(V2, parameter.data_type, unit) if unit else None)
        if parameter.default is not None and not output and default:
            domain.append(E(_o(V2, "DefaultValue"), text=literal_text(parameter.default)))
        element.append(domain)
    return element


def _data20(parameter: Parameter, output: bool, max_mb: float) -> etree._Element:
    if parameter.data_type is DataType.ENVELOPE:
        return E(_w(V2, "BoundingBoxData"), None,
                 E(_w(V2, "Format"), {"mimeType": "text/xml", "default": "true"}),
                 *(E(_w(V2, "SupportedCRS"), {"default": "true" if i == 0 else None}, text=c)
                   for i, c in enumerate(formats.SUPPORTED_CRS)))
    if formats.is_complex(parameter.data_type):
        return E(_w(V2, "ComplexData"), None, *_formats20(parameter, output, max_mb))
    return _literal20(parameter, output)


def _description20(d: ProcessDescription, max_mb: float) -> etree._Element:
    process = E(_w(V2, "Process"), None,
                *identification(V2, d.title, d.description, d.id, d.keywords))
    for p in d.inputs:
        item = E(_w(V2, "Input"), {"minOccurs": str(p.min_occurs), "maxOccurs": (
            "unbounded" if p.max_occurs == UNBOUNDED else str(p.max_occurs))})
        item.extend(identification(V2, p.title, p.description, p.name, p.keywords))
        item.append(_data20(p, False, max_mb))
        process.append(item)
    for p in d.outputs:
        item = E(_w(V2, "Output"), None, *identification(V2, p.title, p.description, p.name))
        item.append(_data20(p, True, max_mb))
        process.append(item)
    return E(_w(V2, "ProcessOffering"), {"jobControlOptions": _job_control(d),
                                         "outputTransmission": "value reference",
                                         "processVersion": d.version}, process)


def process_descriptions(descriptions: Iterable[ProcessDescription], version: str,
                         max_mb: float) -> etree._Element:
    if version == V2:
        return E(_w(V2, "ProcessOfferings"), None,
                 *(_description20(d, max_mb) for d in descriptions), nsmap=NSMAP2)
    root = E(_w(V1, "ProcessDescriptions"), {"service": "WPS", "version": V1,
                                             qname(XML_NS, "lang"): "en-US"}, nsmap=NSMAP1)
    root.extend(_description10(d, max_mb) for d in descriptions)
    return root
