"""Honua errors as ArcGIS error JSON: the one table from neutral kinds to GP error codes.

ArcGIS answers ``{"error": {"code", "message", "details"}}`` with HTTP 200 for
``f=json``/``pjson`` (the code inside is HTTP-like); clients read the body, not
the status. HTML pages get the real status (401 for the token codes 498 and
499, which are not HTTP's). The message is what a person needs to fix the
request; ``details`` lists it again, the way ArcGIS lists validation errors
there (for 498/499 the message is ArcGIS's own, the reason is in ``details``).
"""

from __future__ import annotations

from typing import Any

from honua.errors import INPUT_KINDS, HonuaError, JobFailed

# neutral kind -> ArcGIS error code
CODES: dict[str, int] = {
    "no-such-process": 404,
    "no-such-job": 404,
    "not-found": 404,
    "invalid-parameter": 400,
    "missing-parameter": 400,
    "unknown-input": 400,
    "unknown-output": 400,
    "too-many-values": 400,
    "mode-not-allowed": 400,
    "too-large": 413,
    "not-supported": 400,
    "result-not-ready": 400,
    "conflict": 400,
    "forbidden": 403,
    "unauthenticated": 499,
    "invalid-token": 498,
    "busy": 429,
    "over-quota": 429,
    "unavailable": 503,
    "job-failed": 500,
    "internal": 500,
    "method": 405,
}


# ArcGIS Server's own words for its token codes (clients such as the JS SDK's IdentityManager
# act on the code; people read the message)
MESSAGES = {499: "Token Required", 498: "Invalid Token"}


def error_document(code: int, message: str, details: list[str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": list(details or [])}}


def code_of(error: HonuaError) -> int:
    """The ArcGIS code: a job refused for its input is the client's error, with the code
    the same refusal gets before the job (413 past the vertex cap, else 400) -- inputs
    left as text are first read in the worker (``core.esri_values``)."""
    if isinstance(error, JobFailed):
        return CODES.get(error.kind, 400) if error.kind in INPUT_KINDS else 500
    return CODES.get(error.kind, 500)


def from_error(error: HonuaError) -> tuple[int, dict[str, Any]]:
    """The ArcGIS code and error document of a Honua error."""
    code = code_of(error)
    message = MESSAGES.get(code, error.message)
    if isinstance(error, JobFailed) and code == 500:
        message = f"Error executing tool. {message}"
    return code, error_document(code, message, [error.message])
