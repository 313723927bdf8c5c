"""WPS requests in KVP encoding (HTTP GET) -> ``model.Operation`` (pure functions).

Parameter names are case-insensitive (OWS Common); so are operation names,
leniently. WPS 1.0.0 Execute packs its inputs as
``DataInputs=name=value@attr=value;...`` and its outputs as
``ResponseDocument=name@asReference=true;...`` or ``RawDataOutput=name@mimeType=...``;
each piece is percent-decoded once more after splitting, so ``;``, ``=`` and
``@`` inside a value travel as ``%3B``, ``%3D``, ``%40``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

from honua.adapters.wps.errors import OwsException
from honua.adapters.wps.model import (
    V1,
    V2,
    VERSIONS,
    Data,
    ExecuteRequest,
    InputItem,
    Operation,
    OutputRequest,
    Reference,
)

OPERATIONS = {V1: ("GetCapabilities", "DescribeProcess", "Execute"),
              V2: ("GetCapabilities", "DescribeProcess", "Execute", "GetStatus", "GetResult",
                   "Dismiss")}
ALL_OPERATIONS = OPERATIONS[V2]
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


def lower_keys(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Parameters by lower-cased name (the first of repeated names wins)."""
    params: dict[str, str] = {}
    for key, value in pairs:
        params.setdefault(key.lower(), value)
    return params


def boolean(params: dict[str, str], name: str, locator: str) -> bool:
    value = params.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise OwsException("InvalidParameterValue", f"{locator} must be true or false, got {value!r}",
                       locator=locator)


def check_service(service: str | None) -> None:
    if service is None or not service.strip():
        raise OwsException("MissingParameterValue", "the service parameter is missing; add "
                           "service=WPS", locator="service")
    if service.strip().upper() != "WPS":
        raise OwsException("InvalidParameterValue", f"this is a WPS server; service must be WPS, "
                           f"got {service!r}", locator="service")


def operation_name(request: str | None) -> str:
    if request is None or not request.strip():
        raise OwsException("MissingParameterValue", "the request parameter is missing; use one of "
                           f"{', '.join(ALL_OPERATIONS)}", locator="request")
    for name in ALL_OPERATIONS:
        if name.lower() == request.strip().lower():
            return name
    raise OwsException("OperationNotSupported", f"operation {request!r} is not supported; use one "
                       f"of {', '.join(ALL_OPERATIONS)}", locator=request, status=501)


def negotiate(accept_versions: str | None, version: str | None) -> str:
    """The version of a GetCapabilities answer: the first accepted one we speak, else the latest."""
    if accept_versions:
        wanted = [v.strip() for v in accept_versions.split(",") if v.strip()]
        for candidate in wanted:
            if candidate in VERSIONS:
                return candidate
        raise OwsException("VersionNegotiationFailed",
                           f"none of the versions {', '.join(wanted)} is supported; this server "
                           f"speaks WPS {' and '.join(VERSIONS)}")
    return version if version in VERSIONS else V2


def check_version(version: str | None, request: str) -> str:
    if version is None or not version.strip():
        raise OwsException("MissingParameterValue", f"{request} needs the version parameter "
                           f"({' or '.join(VERSIONS)})", locator="version")
    if version.strip() not in VERSIONS:
        raise OwsException("InvalidParameterValue", f"version {version!r} is not supported; use "
                           f"{' or '.join(VERSIONS)}", locator="version")
    version = version.strip()
    if request not in OPERATIONS[version]:
        raise OwsException("OperationNotSupported", f"{request} is not a WPS {version} operation"
                           + (" by KVP; POST an XML wps:Execute" if request == "Execute" else
                              "; use version=2.0.0"), locator=request, status=501)
    return version


def required(params: dict[str, str], name: str, locator: str, request: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise OwsException("MissingParameterValue", f"{request} needs the {locator} parameter",
                           locator=locator)
    return value


def parse(pairs: Iterable[tuple[str, str]]) -> Operation:
    params = lower_keys(pairs)
    check_service(params.get("service"))
    request = operation_name(params.get("request"))
    if request == "GetCapabilities":
        return Operation(request, negotiate(params.get("acceptversions"), params.get("version")))
    version = check_version(params.get("version"), request)
    if request == "DescribeProcess":
        identifiers = required(params, "identifier", "identifier", request)
        return Operation(request, version, identifiers=tuple(
            i.strip() for i in identifiers.split(",") if i.strip()))
    if request == "Execute":
        if version == V2:
            raise OwsException("OperationNotSupported", "WPS 2.0 defines Execute in XML only; POST a "
                               "wps:Execute document (or use version=1.0.0)", locator="Execute",
                               status=501)
        return Operation(request, version, execute=_execute(params))
    return Operation(request, version, job_id=required(params, "jobid", "JobID", request))


def _pieces(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    return [p for p in value.split(";") if p.strip()]


def _attributes(parts: list[str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for part in parts:
        key, _, value = part.partition("=")
        attributes[key.strip().lower().removeprefix("xlink:")] = unquote(value)
    return attributes


def _input(piece: str) -> InputItem:
    name, sep, rest = piece.partition("=")
    if not sep or not name.strip():
        raise OwsException("InvalidParameterValue", f"DataInputs: {piece!r} is not name=value",
                           locator="DataInputs")
    value, *attrs = rest.split("@")
    attributes = _attributes(attrs)
    name = unquote(name.strip())
    if "href" in attributes:
        return InputItem(name, Reference(
            attributes["href"], method=attributes.get("method", "GET").upper(),
            mime_type=attributes.get("mimetype"), encoding=attributes.get("encoding"),
            schema=attributes.get("schema")))
    return InputItem(name, Data(
        "any", text=unquote(value), mime_type=attributes.get("mimetype"),
        encoding=attributes.get("encoding"), schema=attributes.get("schema"),
        uom=attributes.get("uom"), data_type=attributes.get("datatype")))


def _output(piece: str, locator: str) -> OutputRequest:
    name, *attrs = piece.split("@")
    attributes = _attributes(attrs)
    as_reference = attributes.get("asreference", "false").strip().lower()
    if as_reference not in _TRUE + _FALSE:
        raise OwsException("InvalidParameterValue", f"{locator}: asReference must be true or false",
                           locator=locator)
    return OutputRequest(unquote(name.strip()), as_reference=as_reference in _TRUE,
                         mime_type=attributes.get("mimetype"), encoding=attributes.get("encoding"),
                         schema=attributes.get("schema"), uom=attributes.get("uom"))


def _execute(params: dict[str, str]) -> ExecuteRequest:
    identifier = required(params, "identifier", "identifier", "Execute")
    inputs = tuple(_input(p) for p in _pieces(params.get("datainputs", "")))
    raw_output = params.get("rawdataoutput", "").strip()
    if raw_output and params.get("responsedocument", "").strip():
        raise OwsException("InvalidParameterValue", "give either ResponseDocument or "
                           "RawDataOutput, not both", locator="RawDataOutput")
    if raw_output:
        outputs = tuple(_output(p, "RawDataOutput") for p in _pieces(raw_output))
        if len(outputs) != 1:
            raise OwsException("InvalidParameterValue", "RawDataOutput names exactly one output",
                               locator="RawDataOutput")
    else:
        outputs = tuple(_output(p, "ResponseDocument")
                        for p in _pieces(params.get("responsedocument", "")))
    return ExecuteRequest(
        version=V1, process_id=identifier, inputs=inputs, outputs=outputs, raw=bool(raw_output),
        store=boolean(params, "storeexecuteresponse", "storeExecuteResponse"),
        status=boolean(params, "status", "status"), lineage=boolean(params, "lineage", "lineage"),
        tier=params.get("tier", ""))
