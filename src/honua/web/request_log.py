"""Every request: its id, its access log line, its metrics.

The id is the client's ``X-Request-Id`` when it is sane (1-128 characters of
letters, digits and ``-_.:``; a proxy's or a load balancer's id then ties their
logs to ours), else a new random one. It is echoed in the response's
``X-Request-Id`` and set in ``web.logs.request_id_var`` for the time of the
request, so every log line the request causes carries it. Anything else sent
there (a log-injection attempt, a megabyte of text) is replaced, not refused:
the id is ours to give.

The access line (logger ``honua.access``, on unless ``access_log = false``) is
written when the response has started — for a streamed body, when its headers go
— with method, path, status, bytes sent so far, time and client; query strings
are left out (they can carry ``token=``). Counters go to ``observe`` (the
metrics) with the surface the path belongs to.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from honua.web.logs import request_id_var

__all__ = ["HEADER", "AccessMiddleware", "sane_request_id", "surface_of"]

log = logging.getLogger("honua.access")
HEADER = "x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
Observer = Callable[[str, str, int, float], None]
SURFACES = (("/api", "ogcapi"), ("/arcgis", "gpserver"), ("/wps", "wps"),
            ("/health", "ops"), ("/ready", "ops"), ("/metrics", "ops"))


def sane_request_id(value: str | None) -> str:
    """``value`` if it can be used as a request id as it is, else a new one."""
    if value and _SANE.fullmatch(value):
        return value
    return secrets.token_hex(16)


def surface_of(path: str) -> str:
    """The protocol whose path this is, as the metrics label it."""
    for prefix, surface in SURFACES:
        if path == prefix or path.startswith(prefix + "/"):
            return surface
    return "other"


class AccessMiddleware:
    def __init__(self, app: ASGIApp, *, access_log: bool = True,
                 observe: Observer | None = None) -> None:
        self.app = app
        self.access_log = access_log
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = sane_request_id(Headers(scope=scope).get(HEADER))
        token = request_id_var.set(request_id)
        began = time.perf_counter()
        status = 500
        sent = 0
        logged = False

        def finish() -> None:
            nonlocal logged
            if logged:
                return
            logged = True
            seconds = time.perf_counter() - began
            if self.observe is not None:
                self.observe(surface_of(scope["path"]), scope["method"], status, seconds)
            if self.access_log:
                client = scope.get("client")
                log.info("%s %s %d", scope["method"], scope["path"], status, extra={
                    "method": scope["method"], "path": scope["path"], "status": status,
                    "bytes": sent, "duration_ms": round(seconds * 1000, 1),
                    "client": client[0] if client else ""})

        async def tagged(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
                if not message.get("more_body", False):
                    finish()
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            finish()  # a streamed body cut short, or an app that raised (status 500)
            request_id_var.reset(token)
