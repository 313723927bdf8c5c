"""Stored job results sent as they are kept: the stored JSON spliced into Part 1's shapes.

A job's outputs are kept as neutral JSON (GeoJSON for features), which is what the
results document holds as each qualified ``value`` and what a raw output is. So instead
of decoding them to build the answer (a 100 MB result as a gigabyte of Python objects in
the front), the answer is the document around the stored bytes, read from the artifact
store as they are sent (``web.splice``). Only what the stored form does not already say
falls back to the usual encoders: file outputs (base64 of the file), strings sent raw
(``text/plain``, the decoded text), multipart answers, and small results (not worth a
stream).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response

from honua.adapters.ogcapi.encode import JSON
from honua.adapters.ogcapi.responses import link_type
from honua.adapters.ogcapi.schemas import media_type
from honua.core.description import ProcessDescription
from honua.core.parameters import DataType, Parameter
from honua.core.requests import ExecutionOptions
from honua.core.stored_outputs import StoredValue
from honua.web.downloads import layer_name
from honua.web.splice import marker, spliced, streamed

__all__ = ["STREAM_BYTES", "geojson_download", "raw_output", "results_document"]

STREAM_BYTES = 1024 * 1024
"""Results smaller than this are answered the usual way (one body, built whole)."""

Stored = Mapping[str, StoredValue | None]


def _sendable(parameter: Parameter | None, value: StoredValue | None) -> bool:
    return parameter is not None and value is not None and \
        parameter.data_type is not DataType.FILE


def results_document(description: ProcessDescription, options: ExecutionOptions,
                     stored: Stored, results_href: str,
                     signed: Mapping[str, str]) -> Response | None:
    """The results document (``response=document``) streamed around the stored values, or
    None when it must be built the usual way (see the module docstring). Outputs asked by
    reference and those in ``signed`` go as links, as ``responses.results_response`` has
    them; every other stored output goes by value."""
    if options.response != "document":
        return None
    by_reference = {n for n, spec in options.outputs.items() if spec.by_reference} | set(signed)
    by_value = {n: v for n, v in stored.items() if n not in by_reference
                and description.output(n) is not None}
    if sum(v.size for v in by_value.values() if v is not None) < STREAM_BYTES or not all(
            _sendable(description.output(n), v) for n, v in by_value.items()):
        return None
    marks = {name: marker() for name in by_value}
    document: dict[str, object] = {}
    for name in by_value:
        parameter = description.output(name)
        assert parameter is not None, name
        document[name] = {"value": marks[name], "mediaType": media_type(parameter.data_type)}
    for name in sorted(by_reference):
        parameter = description.output(name)
        if parameter is None:
            continue
        document[name] = {"href": signed.get(name) or f"{results_href}/{name}", "rel": "related",
                          "type": link_type(parameter) if name in signed
                          else "application/json"}
    body = orjson.dumps(document)
    values = {f'"{marks[name]}"'.encode(): value for name, value in by_value.items()
              if value is not None}
    length = len(body) + sum(v.size - len(m) for m, v in values.items())
    return streamed(spliced(body, values), JSON, length)


def raw_output(parameter: Parameter, value: StoredValue | None) -> Response | None:
    """One output's raw answer from its stored JSON, or None for the usual encoders."""
    if value is None or parameter.data_type in (DataType.FILE, DataType.STRING) or \
            value.size < STREAM_BYTES:
        return None
    return streamed(value.chunks(), media_type(parameter.data_type), value.size)


def geojson_download(parameter: Parameter, value: StoredValue | None,
                     name: str) -> Response | None:
    """``f=geojson`` of a feature output: the stored GeoJSON as an attachment (it is the
    server's own compact writer's, at the default precision), or None."""
    if value is None or parameter.data_type is not DataType.FEATURES or parameter.multiple:
        return None
    return streamed(value.chunks(), "application/geo+json", value.size,
                    {"Content-Disposition":
                     f'attachment; filename="{layer_name(name)}.geojson"'})
