"""One CORS rule for every surface (``/api``, ``/arcgis/rest``, ``/wps``): setting ``cors_origins``.

* ``("*",)`` (the default): any web page may call the server, anonymously —
  ``Access-Control-Allow-Origin: *`` and never ``Allow-Credentials``, so a
  browser never sends a user's cookies or credentials along with a foreign
  page's request.
* a list of origins: a request whose ``Origin`` is listed gets it echoed, with
  ``Allow-Credentials: true``; any other origin gets no CORS header at all (the
  browser then refuses the page access). Such responses carry ``Vary: Origin``
  so that a cache never hands one origin's answer to another.
* empty: no CORS headers (same-origin use only).

Preflights (``OPTIONS`` with ``Access-Control-Request-Method``) are answered here,
before any route. Starlette's ``CORSMiddleware`` is close but adds
``Allow-Credentials`` for origins it refuses and echoes the origin under ``*``
when a cookie is present, hence this small middleware.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CorsMiddleware"]

ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
EXPOSED_HEADERS = ("Location, Link, Preference-Applied, Retry-After, Content-Disposition, "
                   "X-Request-Id, Content-Range, Accept-Ranges")
"""The answer headers a page may read beyond the CORS-safelisted ones: where an async job
lives (``Location``), paging and job links (``Link``), whether ``Prefer: respond-async`` held,
when to retry a 429/503, a download's file name, the request id to quote in a bug report
(``web.request_log``), and how a ranged download of a stored result was answered."""
MAX_AGE = "86400"


class CorsMiddleware:
    """ASGI middleware applying the CORS rule of the module docstring."""

    def __init__(self, app: ASGIApp, origins: Iterable[str] = ("*",)) -> None:
        self.app = app
        listed = tuple(o.strip().rstrip("/") for o in origins if o.strip())
        self.any_origin = "*" in listed
        self.origins = frozenset(o.lower() for o in listed if o != "*")

    def allow_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None for no CORS."""
        if not origin:
            return None
        if self.any_origin:
            return "*"
        return origin if origin.lower() in self.origins else None

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        allowed = self.allow_origin(origin)
        if allowed is None:
            return {}
        headers = {"Access-Control-Allow-Origin": allowed}
        if allowed != "*":
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        if (scope["method"] == "OPTIONS" and origin
                and "access-control-request-method" in request_headers):
            await self.preflight(request_headers, origin)(scope, receive, send)
            return
        extra = self.cors_headers(origin)
        if extra:
            extra["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        vary = bool(self.origins) and not self.any_origin

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                _drop_cors(headers)  # no route sets its own: one rule, here
                headers.update(extra)
                if vary:
                    headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def preflight(self, request_headers: Headers, origin: str) -> Response:
        headers = self.cors_headers(origin)
        if headers:
            headers.update({
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": request_headers.get(
                    "access-control-request-headers", "Content-Type"),
                "Access-Control-Max-Age": MAX_AGE})
        if self.origins and not self.any_origin:
            headers["Vary"] = "Origin"
        return Response(status_code=204, headers=headers)


def _drop_cors(headers: MutableHeaders) -> None:
    for name in [k for k in headers if k.lower().startswith("access-control-")]:
        del headers[name]
