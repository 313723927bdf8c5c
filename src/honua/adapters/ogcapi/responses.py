"""Building execution/result HTTP responses in the shapes Part 1 prescribes."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from starlette.responses import Response

from honua.adapters.ogcapi.encode import JSON, raw_value, results_document
from honua.core.description import ProcessDescription
from honua.core.parameters import DataType, Parameter
from honua.core.requests import ExecutionOptions
from honua.geo.precision import DEFAULT, Precision


def json_response(document: Any, status: int = 200, headers: Mapping[str, str] | None = None,
                  media_type: str = JSON) -> Response:
    return Response(orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY),
                    status_code=status, media_type=media_type, headers=dict(headers or {}))


def _reference_names(options: ExecutionOptions) -> set[str]:
    return {n for n, spec in options.outputs.items() if spec.by_reference}


def results_response(description: ProcessDescription, options: ExecutionOptions,
                     outputs: Mapping[str, Any], results_href: str,
                     headers: dict[str, str], precision: Precision = DEFAULT,
                     signed: Mapping[str, str] | None = None) -> Response:
    """Results of a run, shaped by what the request asked (document, raw, references);
    feature coordinates rounded as ``precision`` says (outputs held as values: stored
    results were rounded with the default when they were kept). Outputs in ``signed``
    (name -> signed URL of a big stored output) always go by reference, to that URL: the
    client fetches them from the object store, not through this server."""
    signed = signed or {}
    by_reference = _reference_names(options) | set(signed)
    by_value = {n: v for n, v in outputs.items() if n not in by_reference}

    def href(name: str) -> str:
        return signed.get(name) or f"{results_href}/{name}"

    if options.response == "document":
        body = results_document(description, by_value, precision)
        if by_reference:
            document = orjson.loads(body)
            for name in by_reference:
                document[name] = {"href": href(name), "rel": "related",
                                  "type": link_type(_output(description, name))
                                  if name in signed else "application/json"}
            body = orjson.dumps(document)
        return Response(body, media_type=JSON, headers=headers)
    if by_reference and not by_value:
        links = ", ".join(f'<{href(n)}>; rel="{n}"' for n in sorted(by_reference))
        headers = {**headers, "Link": ", ".join(filter(None, [headers.get("Link"), links]))}
        return Response(status_code=204, headers=headers)
    if len(by_value) == 1 and not by_reference:
        (name, value), = by_value.items()
        body, media_type = raw_value(_output(description, name), value, precision)
        return Response(body, media_type=media_type, headers=headers)
    return _multipart(description, by_value, by_reference, href, headers, precision)


def link_type(parameter: Parameter) -> str:
    """The media type a link to a stored output leads to."""
    if parameter.data_type is DataType.FEATURES:
        return "application/geo+json"
    if parameter.data_type is DataType.FILE:
        return "application/octet-stream"
    return "application/json"


def _output(description: ProcessDescription, name: str) -> Parameter:
    """The declared output ``name`` (a job's outputs are the process's own)."""
    parameter = description.output(name)
    assert parameter is not None, name
    return parameter


def _multipart(description: ProcessDescription, by_value: Mapping[str, Any],
               by_reference: set[str], href: Callable[[str], str], headers: dict[str, str],
               precision: Precision = DEFAULT) -> Response:
    boundary = "honua-" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in by_value.items():
        body, media_type = raw_value(_output(description, name), value, precision)
        parts.append(f"--{boundary}\r\nContent-Type: {media_type}\r\nContent-ID: <{name}>\r\n\r\n"
                     .encode() + body + b"\r\n")
    for name in sorted(by_reference):
        parts.append(f"--{boundary}\r\nContent-ID: <{name}>\r\n"
                     f"Content-Location: {href(name)}\r\n\r\n\r\n".encode())
    parts.append(f"--{boundary}--\r\n".encode())
    return Response(b"".join(parts), headers=headers,
                    media_type=f'multipart/related; boundary="{boundary}"')
