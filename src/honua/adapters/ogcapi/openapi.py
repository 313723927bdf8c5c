"""The OpenAPI 3.0 definition of the ``/api`` surface, built from the registry.

Every status code the routes answer with is listed (as the oas30 class asks);
each process gets its own execute path with an input schema, so generic
OpenAPI tooling can call processes without reading OGC descriptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from honua import __version__
from honua.adapters.ogcapi.encode import CORE_STATUSES
from honua.adapters.ogcapi.openapi_paths import PRECISION, deploy_operations, extra_paths
from honua.adapters.ogcapi.schemas import schema_for
from honua.core.description import ProcessDescription

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/exception"}}}


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _responses(ok: str, body: str | None, *errors: int) -> dict[str, Any]:
    responses: dict[str, Any] = {ok: {"description": "Success"}}
    if body:
        responses[ok]["content"] = _json(body)
    for code in errors:
        responses[str(code)] = {"description": _ERRORS[code], "content": _PROBLEM}
    responses["500"] = {"description": "Server error", "content": _PROBLEM}
    return responses


_ERRORS = {400: "Invalid request", 404: "Not found", 406: "Not acceptable",
           413: "Request body too large", 429: "Server busy, retry later"}
_UNAUTHENTICATED = {
    "description": "Credentials needed (none sent where the server wants some), or not valid",
    "headers": {"WWW-Authenticate": {"description": "Bearer challenge (RFC 6750)",
                                     "schema": {"type": "string"}}},
    "content": _PROBLEM}
_OPEN = ("/", "/conformance", "/openapi")
"""Paths answered without credentials; every other one may answer 401."""
_SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "An API key, a token from /arcgis/tokens/generateToken, or an "
                              "OIDC access token from the configured issuer"},
}

_MAX_OFFSET = 10**9
_INSTANT = r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})|\.\.)"
_INTERVAL = {"type": "string", "pattern": f"^{_INSTANT}(/{_INSTANT})?$",
             "description": "an RFC 3339 date-time, or an interval start/end (.. = open)"}
_JOB_ID = {"name": "jobId", "in": "path", "required": True, "schema": {"type": "string"}}


def _oas30(schema: Any) -> Any:
    """OGC's JSON-Schema keywords that OpenAPI 3.0 lacks, rewritten or dropped."""
    if isinstance(schema, dict):
        out = {k: _oas30(v) for k, v in schema.items()
               if k not in ("contentMediaType", "contentEncoding")}
        if schema.get("contentEncoding") == "base64":
            out["format"] = "byte"
        return out
    if isinstance(schema, list):
        return [_oas30(v) for v in schema]
    return schema


def _execute_path(description: ProcessDescription) -> dict[str, Any]:
    inputs = {p.name: _oas30(schema_for(p, as_input=True)) for p in description.inputs}
    required = [p.name for p in description.inputs if p.required]
    inputs_schema: dict[str, Any] = {"type": "object", "properties": inputs,
                                     "additionalProperties": False}
    if required:
        inputs_schema["required"] = required
    outputs = {p.name: {"type": "object"} for p in description.outputs}
    request_schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "inputs": inputs_schema,
            "outputs": {"type": "object", "properties": outputs, "additionalProperties": False},
            "response": {"type": "string", "enum": ["raw", "document"], "default": "raw"},
        },
    }
    if required:
        request_schema["required"] = ["inputs"]
    responses = _responses("200", None, 400, 404, 413, 429)
    responses["200"]["content"] = {"application/json": {"schema": {"type": "object"}},
                                   "application/geo+json": {"schema": {"type": "object"}}}
    responses["201"] = {"description": "Job created (asynchronous execution)",
                        "content": _json("statusInfo")}
    responses["204"] = {"description": "Results by reference (see Link headers)"}
    return {"post": {
        "summary": f"Execute {description.title}",
        "operationId": f"execute_{description.id}",
        "tags": ["Processes"],
        "parameters": [{"name": "Prefer", "in": "header", "required": False,
                        "schema": {"type": "string"},
                        "description": "respond-async to run as a job"}, PRECISION],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": request_schema}}},
        "responses": responses,
    }}


def openapi_document(descriptions: Iterable[ProcessDescription], base: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "Landing page", "operationId": "landing", "tags": ["Capabilities"],
                      "responses": _responses("200", "object")}},
        "/conformance": {"get": {"summary": "Conformance classes", "operationId": "conformance",
                                 "tags": ["Capabilities"],
                                 "responses": _responses("200", "object")}},
        "/openapi": {"get": {"summary": "This API definition", "operationId": "openapi",
                             "tags": ["Capabilities"], "responses": _responses("200", None)}},
        "/processes": {"get": {
            "summary": "Process list", "operationId": "processes", "tags": ["Processes"],
            "parameters": [{"name": "limit", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 10000}},
                           {"name": "offset", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 0, "maximum": _MAX_OFFSET}}],
            "responses": _responses("200", "object", 400)}},
        "/processes/{processId}": {"get": {
            "summary": "Process description", "operationId": "process", "tags": ["Processes"],
            "parameters": [{"name": "processId", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": _responses("200", "object", 404)}},
        "/jobs": {"get": {
            "summary": "Job list", "operationId": "jobs", "tags": ["Jobs"],
            "parameters": [
                {"name": n, "in": "query", "required": False, "schema": s} for n, s in (
                    ("status", {"type": "string", "enum": sorted(CORE_STATUSES)}),
                    ("processID", {"type": "string"}),
                    ("type", {"type": "string"}), ("datetime", _INTERVAL),
                    ("minDuration", {"type": "number", "minimum": 0}),
                    ("maxDuration", {"type": "number", "minimum": 0}),
                    ("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),
                    ("offset", {"type": "integer", "minimum": 0, "maximum": _MAX_OFFSET}))],
            "responses": _responses("200", "object", 400)}},
        "/jobs/{jobId}": {
            "get": {"summary": "Job status", "operationId": "job", "tags": ["Jobs"],
                    "parameters": [_JOB_ID], "responses": _responses("200", "statusInfo", 404)},
            "delete": {"summary": "Dismiss a job (cancel it if running)", "operationId": "dismiss",
                       "tags": ["Jobs"], "parameters": [_JOB_ID],
                       "responses": _responses("200", "statusInfo", 404)}},
        "/jobs/{jobId}/results": {"get": {
            "summary": "Job results", "operationId": "results", "tags": ["Jobs"],
            "parameters": [_JOB_ID], "responses": _responses("200", "object", 404)}},
    }
    paths.update(extra_paths())
    deploy = deploy_operations()
    paths["/processes"]["post"] = deploy["post"]
    paths["/processes/{processId}"]["delete"] = deploy["delete"]
    for description in descriptions:
        paths[f"/processes/{description.id}/execution"] = _execute_path(description)
    for path, operations in paths.items():
        for operation in operations.values():
            if path in _OPEN:
                operation["security"] = [{}]
            else:
                operation["responses"]["401"] = _UNAUTHENTICATED
    return {
        "openapi": "3.0.3",
        "info": {"title": "Honua OGC API - Processes", "version": __version__,
                 "description": "Geoprocessing over OGC API - Processes - Part 1: Core 1.0",
                 "license": {"name": "Apache-2.0"}},
        "servers": [{"url": f"{base}/api"}],
        "security": [{}, {"apiKey": []}, {"bearer": []}],
        "paths": paths,
        "components": {"securitySchemes": _SECURITY_SCHEMES, "schemas": {
            "exception": {"type": "object", "required": ["type"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "instance": {"type": "string"}}, "additionalProperties": True},
            "object": {"type": "object", "additionalProperties": True},
            "statusInfo": {"type": "object", "required": ["jobID", "status", "type"],
                           "properties": {"jobID": {"type": "string"},
                                          "status": {"type": "string"},
                                          "type": {"type": "string"}}},
        }},
    }
