"""Honua errors as RFC 7807 problem details, the OGC API way.

The one table from the core's neutral error kinds to HTTP status and problem
type. OGC-defined types are used where Part 1 defines one; other kinds get a
``urn:honua:problem:<kind>`` type so clients can still tell them apart.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from honua.errors import INPUT_KINDS, Busy, HonuaError, JobFailed, Unauthenticated
from honua.web.identity import challenge

OGC = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
PROBLEM_JSON = "application/problem+json"

# kind -> (HTTP status, problem type, title)
TABLE: dict[str, tuple[int, str, str]] = {
    "no-such-process": (404, OGC + "no-such-process", "No such process"),
    "no-such-job": (404, OGC + "no-such-job", "No such job"),
    "result-not-ready": (404, OGC + "result-not-ready", "Result not ready"),
    "not-found": (404, "urn:honua:problem:not-found", "Not found"),
    "invalid-parameter": (400, "urn:honua:problem:invalid-parameter", "Invalid parameter"),
    "missing-parameter": (400, "urn:honua:problem:missing-parameter", "Missing parameter"),
    "unknown-input": (400, "urn:honua:problem:invalid-parameter", "Invalid parameter"),
    "unknown-output": (400, "urn:honua:problem:invalid-parameter", "Invalid parameter"),
    "too-many-values": (400, "urn:honua:problem:invalid-parameter", "Invalid parameter"),
    "mode-not-allowed": (400, "urn:honua:problem:not-supported", "Not supported"),
    "too-large": (413, "urn:honua:problem:too-large", "Request too large"),
    "not-supported": (400, "urn:honua:problem:not-supported", "Not supported"),
    "conflict": (409, "urn:honua:problem:conflict", "Conflict"),
    "forbidden": (403, "urn:honua:problem:forbidden", "Forbidden"),
    "unauthenticated": (401, "urn:honua:problem:unauthenticated", "Authentication required"),
    "invalid-token": (401, "urn:honua:problem:invalid-token", "Invalid credentials"),
    "busy": (429, "urn:honua:problem:busy", "Server busy"),
    "unavailable": (503, "urn:honua:problem:unavailable", "Service unavailable"),
    "job-failed": (500, "urn:honua:problem:job-failed", "Job failed"),
    "internal": (500, "urn:honua:problem:internal", "Internal server error"),
    "method": (405, "urn:honua:problem:method-not-allowed", "Method not allowed"),
    "not-acceptable": (406, "urn:honua:problem:not-acceptable", "Not acceptable"),
}


def problem(kind: str, detail: str, *, instance: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    status, type_uri, title = TABLE.get(kind, TABLE["internal"])
    body: dict[str, Any] = {"type": type_uri, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON,
                    headers=headers)


def problem_from_error(error: HonuaError, *, instance: str | None = None) -> Response:
    kind = error.kind
    extra: dict[str, Any] = {}
    headers = None
    if error.parameter:
        extra["parameter"] = error.parameter
    if isinstance(error, JobFailed):
        extra["jobStatus"] = error.status
        if kind in INPUT_KINDS:
            pass  # the process refused its input: a client error
        elif error.status == "timed-out":
            kind = "job-failed"
    if isinstance(error, Busy):
        headers = {"Retry-After": str(error.retry_after)}
    if isinstance(error, Unauthenticated):
        headers = {"WWW-Authenticate": challenge(error)}
    return problem(kind, error.message, instance=instance, headers=headers, **extra)
