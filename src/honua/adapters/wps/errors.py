"""Honua errors as OWS exception reports: OWS 1.1 for WPS 1.0.0, OWS 2.0 for WPS 2.0.

One table from the core's neutral error kinds to the HTTP status and the
exception code of each WPS version. Errors only the adapter can see (an
unknown operation, a version it does not speak, a reference it will not
fetch) are ``OwsException``s carrying their own code. HTTP statuses follow
OWS Common 2.0 (OperationNotSupported 501, NoApplicableCode 500, the rest
400); the WPS-specific codes are client errors (400); a busy server answers
503 with ``Retry-After``; missing or invalid credentials 401 with
``WWW-Authenticate`` (HTTP's, as OGC API does: OWS defines no code for it).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from starlette.responses import Response

from honua.adapters.wps.model import V1, V2
from honua.adapters.wps.safexml import OWS11, OWS20, XML_NS, E, qname, to_bytes
from honua.errors import Busy, HonuaError, JobFailed, Unauthenticated
from honua.web.identity import challenge

XML_MEDIA_TYPE = "text/xml; charset=utf-8"


class OwsException(HonuaError):
    """An error with an explicit OWS/WPS exception code (``code2`` for WPS 2.0 if different)."""

    def __init__(self, code: str, message: str, *, locator: str | None = None, status: int = 400,
                 code2: str | None = None) -> None:
        super().__init__(message, parameter=locator)
        self.code = code
        self.code2 = code2 or code
        self.status = status


# kind -> (HTTP status, WPS 1.0.0 code, WPS 2.0 code, default locator)
TABLE: dict[str, tuple[int, str, str, str | None]] = {
    "no-such-process": (400, "InvalidParameterValue", "NoSuchProcess", "Identifier"),
    "no-such-job": (400, "InvalidParameterValue", "NoSuchJob", "JobID"),
    "result-not-ready": (400, "InvalidParameterValue", "ResultNotReady", "JobID"),
    "not-found": (404, "InvalidParameterValue", "InvalidParameterValue", None),
    "invalid-parameter": (400, "InvalidParameterValue", "InvalidParameterValue", None),
    "missing-parameter": (400, "MissingParameterValue", "MissingParameterValue", None),
    "unknown-input": (400, "InvalidParameterValue", "NoSuchInput", None),
    "unknown-output": (400, "InvalidParameterValue", "NoSuchOutput", None),
    "too-many-values": (400, "InvalidParameterValue", "TooManyInputs", None),
    # WPS 1.0.0 runs asynchronously only by storing the response, so a mode the process
    # does not allow is always a storage refusal there
    "mode-not-allowed": (400, "StorageNotSupported", "NoSuchMode", None),
    "too-large": (413, "FileSizeExceeded", "SizeExceeded", None),
    "not-supported": (400, "InvalidParameterValue", "InvalidParameterValue", None),
    "conflict": (409, "NoApplicableCode", "NoApplicableCode", None),
    "forbidden": (403, "NoApplicableCode", "NoApplicableCode", None),
    "unauthenticated": (401, "NoApplicableCode", "NoApplicableCode", None),
    "invalid-token": (401, "NoApplicableCode", "NoApplicableCode", None),
    "busy": (503, "ServerBusy", "NoApplicableCode", None),
    "unavailable": (503, "NoApplicableCode", "NoApplicableCode", None),
    "job-failed": (500, "NoApplicableCode", "NoApplicableCode", None),
    "internal": (500, "NoApplicableCode", "NoApplicableCode", None),
}


@dataclass(frozen=True)
class Exceptional:
    """What an error becomes on the wire."""

    status: int
    code: str
    text: str
    locator: str | None = None
    retry_after: int | None = None


def classify(error: HonuaError, version: str) -> Exceptional:
    if isinstance(error, OwsException):
        return Exceptional(error.status, error.code2 if version == V2 else error.code,
                           error.message, error.parameter)
    kind = error.kind if error.kind in TABLE else "internal"
    if isinstance(error, JobFailed) and error.status == "timed-out":
        kind = "job-failed"
    status, code1, code2, locator = TABLE[kind]
    if kind == "mode-not-allowed":
        locator = "mode" if version == V2 else "storeExecuteResponse"
    return Exceptional(status, code2 if version == V2 else code1, error.message,
                       error.parameter or locator,
                       error.retry_after if isinstance(error, Busy) else None)


def report_element(version: str, code: str, text: str, locator: str | None = None) -> etree._Element:
    """An ``ows:ExceptionReport`` element (OWS 1.1 for WPS 1.0.0, OWS 2.0 for WPS 2.0)."""
    ows = OWS20 if version == V2 else OWS11
    exception = E(qname(ows, "Exception"), {"exceptionCode": code, "locator": locator},
                  E(qname(ows, "ExceptionText"), text=text))
    return E(qname(ows, "ExceptionReport"),
             {"version": "2.0.0" if version == V2 else V1, qname(XML_NS, "lang"): "en-US"},
             exception, nsmap={"ows": ows})


def exception_response(error: HonuaError, version: str = V1, *,
                       status: int | None = None) -> Response:
    """An ExceptionReport response for ``error``; ``status`` overrides the table's."""
    shape = classify(error, version)
    headers = {"Retry-After": str(shape.retry_after)} if shape.retry_after else {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = challenge(error)
    body = to_bytes(report_element(version, shape.code, shape.text, shape.locator))
    return Response(body, status_code=status or shape.status, media_type=XML_MEDIA_TYPE,
                    headers=headers)


def internal_error_response(version: str = V1) -> Response:
    return exception_response(
        OwsException("NoApplicableCode", "the server hit an unexpected error; it has been logged",
                     status=500), version)


def version_of(version: str | None) -> str:
    """The version whose exception format to answer in (1.0.0 unless 2.0 was asked)."""
    return V2 if version and version.startswith("2") else V1
