"""HTTP responses the ArcGIS way: JSON (``f=json``), pretty JSON (``pjson``), JSONP, HTML.

Errors are JSON with HTTP 200 (the code is inside), HTML pages carry the real
status. CORS, for browser clients (the JS SDK in a page, Esri Leaflet), is
``honua.web.cors``'s: the same rule (setting ``cors_origins``) as on every surface.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import HTMLResponse, Response

from honua.adapters.gpserver.errors import error_document

JSON = "application/json; charset=utf-8"
JSONP = "application/javascript; charset=utf-8"
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,127}$")


def json_response(document: Any, f: str = "json", params: Mapping[str, str] | None = None,
                  headers: Mapping[str, str] | None = None) -> Response:
    option = orjson.OPT_SERIALIZE_NUMPY | (orjson.OPT_INDENT_2 if f == "pjson" else 0)
    body = orjson.dumps(document, option=option)
    callback = jsonp_callback(params)
    if callback:
        return Response(callback.encode() + b"(" + body + b");",
                        media_type=JSONP, headers=headers)
    return Response(body, media_type=JSON, headers=headers)


def jsonp_callback(params: Mapping[str, str] | None) -> str:
    """The JSONP ``callback`` asked for when it is a plain JavaScript name, else ''."""
    callback = (params or {}).get("callback", "")
    return callback if callback and _CALLBACK.match(callback) else ""


def error_response(code: int, message: str, details: list[str], f: str,
                   params: Mapping[str, str] | None = None, html: Any = None) -> Response:
    """ArcGIS error JSON with HTTP 200 (or an HTML page with the real status)."""
    if f == "html" and html is not None:
        status = 401 if code in (498, 499) else code if code < 600 else 500
        return HTMLResponse(html(code, message, details), status_code=status)
    return json_response(error_document(code, message, details), f, params)
