"""WPS requests in XML encoding (HTTP POST, WPS 1.0.0 and 2.0) -> ``model.Operation``.

The version comes from the root element's namespace. A ``wps:Reference``
whose ``Body`` holds another ``wps:Execute`` becomes a nested request
(chaining), parsed the same way, to a bounded depth.
"""

from __future__ import annotations

from typing import TypedDict

from lxml import etree

from honua.adapters.wps import kvp
from honua.adapters.wps.errors import OwsException
from honua.adapters.wps.model import (
    V1,
    V2,
    Data,
    ExecuteRequest,
    InputItem,
    Operation,
    OutputRequest,
    Reference,
)
from honua.adapters.wps.safexml import (
    OWS11,
    OWS20,
    WPS10,
    WPS20,
    XLINK,
    child,
    child_text,
    children,
    local,
    namespace,
    parse_xml,
    qname,
)

MAX_NESTING = 8
_VERSIONS = {WPS10: V1, WPS20: V2}


def parse(body: bytes) -> Operation:
    return operation(parse_xml(body))


def request_version(root: etree._Element) -> str | None:
    return _VERSIONS.get(namespace(root))


def operation(root: etree._Element) -> Operation:
    version = request_version(root)
    name = local(root)
    if version is None:
        raise OwsException("OperationNotSupported", f"<{name}> in namespace "
                           f"{namespace(root) or 'none'} is not a WPS 1.0.0 or 2.0 request",
                           locator=name, status=501)
    kvp.check_service(root.get("service"))
    request = kvp.operation_name(name)
    if request == "GetCapabilities":
        accepted = [v.text.strip() for v in root.iter(qname(OWS11, "Version"), qname(OWS20, "Version"))
                    if v.text]
        return Operation(request, kvp.negotiate(",".join(accepted), version))
    declared = root.get("version")
    if declared and declared.strip() != version:
        raise OwsException("InvalidParameterValue", f"a {version} request (by its namespace) "
                           f"cannot declare version {declared!r}", locator="version")
    kvp.check_version(version, request)
    if request == "DescribeProcess":
        identifiers = tuple((i.text or "").strip() for i in children(root, "Identifier"))
        if not any(identifiers):
            raise OwsException("MissingParameterValue", "DescribeProcess needs an ows:Identifier",
                               locator="Identifier")
        return Operation(request, version, identifiers=identifiers)
    if request == "Execute":
        return Operation(request, version, execute=execute(root))
    job_id = child_text(root, "JobID")
    if not job_id:
        raise OwsException("MissingParameterValue", f"{request} needs a wps:JobID", locator="JobID")
    return Operation(request, version, job_id=job_id)


def execute(root: etree._Element, depth: int = 0) -> ExecuteRequest:
    """An Execute request (1.0.0 or 2.0) from its element."""
    if depth > MAX_NESTING:
        raise OwsException("InvalidParameterValue", f"processes are chained more than {MAX_NESTING} "
                           "deep", locator="Body")
    identifier = child_text(root, "Identifier")
    if not identifier:
        raise OwsException("MissingParameterValue", "Execute needs an ows:Identifier",
                           locator="Identifier")
    if namespace(root) == WPS20:
        return _execute20(root, identifier, depth)
    return _execute10(root, identifier, depth)


def _flag(element: etree._Element | None, name: str) -> bool:
    value = (element.get(name) if element is not None else None) or "false"
    if value.strip().lower() not in ("true", "false", "1", "0"):
        raise OwsException("InvalidParameterValue", f"{name} must be true or false, got {value!r}",
                           locator=name)
    return value.strip().lower() in ("true", "1")


class _Encoding(TypedDict):
    mime_type: str | None
    encoding: str | None
    schema: str | None


def _encoding(element: etree._Element) -> _Encoding:
    return {"mime_type": element.get("mimeType"), "encoding": element.get("encoding"),
            "schema": element.get("schema")}


def _execute10(root: etree._Element, identifier: str, depth: int) -> ExecuteRequest:
    inputs: list[InputItem] = []
    data_inputs = child(root, "DataInputs")
    for item in children(data_inputs, "Input") if data_inputs is not None else []:
        name = child_text(item, "Identifier")
        if not name:
            raise OwsException("MissingParameterValue", "each wps:Input needs an ows:Identifier",
                               locator="Identifier")
        reference, data = child(item, "Reference"), child(item, "Data")
        if reference is not None:
            inputs.append(InputItem(name, _reference(reference, depth)))
        elif data is not None:
            inputs.append(InputItem(name, _data10(data, name)))
        else:
            raise OwsException("MissingParameterValue", f"input {name!r} has neither wps:Data nor "
                               "wps:Reference", locator=name)
    form = child(root, "ResponseForm")
    document = child(form, "ResponseDocument") if form is not None else None
    raw = child(form, "RawDataOutput") if form is not None else None
    outputs = [_output10(o) for o in children(document, "Output")] if document is not None else []
    if raw is not None:
        outputs = [_output10(raw)]
    return ExecuteRequest(
        version=V1, process_id=identifier, inputs=tuple(inputs), outputs=tuple(outputs),
        raw=raw is not None, store=_flag(document, "storeExecuteResponse"),
        status=_flag(document, "status"), lineage=_flag(document, "lineage"),
        tier=root.get("tier", ""))


def _output10(element: etree._Element) -> OutputRequest:
    name = child_text(element, "Identifier")
    if not name:
        raise OwsException("MissingParameterValue", "each requested output needs an ows:Identifier",
                           locator="Identifier")
    return OutputRequest(name, as_reference=_flag(element, "asReference"), uom=element.get("uom"),
                         **_encoding(element))


def _complex_content(element: etree._Element) -> tuple[str | None, etree._Element | None]:
    kids = children(element)
    if kids:
        return None, kids[0]
    return element.text or "", None


def _data10(data: etree._Element, name: str) -> Data:
    literal, complex_, bbox = (child(data, n) for n in ("LiteralData", "ComplexData",
                                                        "BoundingBoxData"))
    if literal is not None:
        return Data("literal", text=(literal.text or "").strip(), uom=literal.get("uom"),
                    data_type=literal.get("dataType"))
    if complex_ is not None:
        text, element = _complex_content(complex_)
        return Data("complex", text=text, element=element, **_encoding(complex_))
    if bbox is not None:
        return _bbox(bbox, name)
    raise OwsException("InvalidParameterValue", f"input {name!r}: wps:Data needs LiteralData, "
                       "ComplexData or BoundingBoxData", locator=name)


def _bbox(element: etree._Element, name: str) -> Data:
    try:
        lower, upper = (tuple(float(v) for v in (child_text(element, c) or "").split())
                        for c in ("LowerCorner", "UpperCorner"))
    except ValueError:
        raise OwsException("InvalidParameterValue", f"input {name!r}: bounding box corners must "
                           "be numbers", locator=name) from None
    if len(lower) != len(upper) or len(lower) < 2:
        raise OwsException("InvalidParameterValue", f"input {name!r}: a bounding box needs two "
                           "corners of 2 (or 3) numbers each", locator=name)
    return Data("bbox", element=element, crs=element.get("crs"), corners=(lower, upper))


def _reference(element: etree._Element, depth: int) -> Reference:
    href = element.get(qname(XLINK, "href")) or element.get("href")
    if not href:
        raise OwsException("MissingParameterValue", "wps:Reference needs an xlink:href",
                           locator="href")
    headers = tuple((h.get("key", ""), h.get("value", "")) for h in children(element, "Header"))
    body, nested, body_href = None, None, None
    body_element, body_reference = child(element, "Body"), child(element, "BodyReference")
    if body_element is not None:
        text, content = _complex_content(body_element)
        if content is not None and local(content) == "Execute" and request_version(content):
            nested = execute(content, depth + 1)
            body = etree.tostring(content)  # what a remote WPS would be sent
        elif content is not None:
            body = etree.tostring(content)
        else:
            body = (text or "").encode("utf-8")
    elif body_reference is not None:
        body_href = body_reference.get(qname(XLINK, "href")) or body_reference.get("href")
    method = (element.get("method") or ("POST" if body is not None or body_href else "GET")).upper()
    if method not in ("GET", "POST"):
        raise OwsException("InvalidParameterValue", f"a reference's method is GET or POST, "
                           f"not {method!r}", locator="method")
    return Reference(href, method=method, headers=headers, body=body, body_href=body_href,
                     execute=nested, **_encoding(element))


def _execute20(root: etree._Element, identifier: str, depth: int) -> ExecuteRequest:
    mode, response = root.get("mode", ""), root.get("response", "")
    if mode not in ("sync", "async", "auto"):
        raise OwsException("InvalidParameterValue", f"mode must be sync, async or auto, got {mode!r}",
                           locator="mode", code2="NoSuchMode")
    if response not in ("document", "raw"):
        raise OwsException("InvalidParameterValue", f"response must be document or raw, got "
                           f"{response!r}", locator="response")
    inputs: list[InputItem] = []
    for item in children(root, "Input"):
        name = item.get("id")
        if not name:
            raise OwsException("MissingParameterValue", "each wps:Input needs an id", locator="id")
        reference, data = child(item, "Reference"), child(item, "Data")
        if reference is not None:
            inputs.append(InputItem(name, _reference(reference, depth)))
        elif data is not None:
            inputs.append(InputItem(name, _data20(data, name)))
        else:
            raise OwsException("InvalidParameterValue", f"input {name!r}: nested inputs are not "
                               "supported; send wps:Data or wps:Reference", locator=name)
    outputs = []
    for element in children(root, "Output"):
        transmission = element.get("transmission", "value")
        if transmission not in ("value", "reference"):
            raise OwsException("InvalidParameterValue", "transmission must be value or reference",
                               locator="transmission")
        outputs.append(OutputRequest(element.get("id", ""), as_reference=transmission == "reference",
                                     **_encoding(element)))
    return ExecuteRequest(version=V2, process_id=identifier, inputs=tuple(inputs),
                          outputs=tuple(outputs), raw=response == "raw", mode=mode,
                          tier=root.get("tier", ""))


def _data20(data: etree._Element, name: str) -> Data:
    text, content = _complex_content(data)
    encoding = _encoding(data)
    if content is not None and local(content) == "LiteralValue":
        return Data("literal", text=(content.text or "").strip(), uom=content.get("uom"),
                    data_type=content.get("dataType"), **encoding)
    if content is not None and local(content) == "BoundingBox":
        return _bbox(content, name)
    return Data("any", text=text, element=content, **encoding)
