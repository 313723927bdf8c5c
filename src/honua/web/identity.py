"""Identity on every surface: the one middleware that finds out who is calling.

Every HTTP request passes here before any adapter sees it. Credentials are
taken the ways each ecosystem sends them — ``Authorization: Bearer`` (an OIDC
JWT, a server token or an API key), ``X-API-Key``, ArcGIS's
``X-Esri-Authorization: Bearer`` and ``token`` parameter (query string, or the
form body of a POST under ``/arcgis``, which is read here and handed on
unchanged) — and turned into a ``Principal`` by the core's ``Authenticator``
(off the event loop: it reads the database). The principal is put on
``request.state.principal`` and ``scope["honua.principal"]``; adapters read it
with ``principal_of``.

Credentials that do not hold, or none where the server wants some, are
answered at once by ``refuse`` (given by ``app.py``, which knows which
protocol owns a path): OGC API and WPS answer 401 with ``WWW-Authenticate``,
GPServer its 499/498 error JSON. Discovery and log-in stay reachable without
credentials, as on ArcGIS Server and pygeoapi: ``/arcgis/rest/info``, the
token service, the ``/api`` landing page and conformance, and CORS preflights; the API
definition and its interactive page are shown to such callers with the public processes only.

A server that refuses anonymous callers but has processes an ``[[honua.access]]``
rule marks public lets an anonymous request in as ``PUBLIC_ANONYMOUS`` only where
``public_route`` says it asks for a process or a job (the adapters name those
routes: ``PUBLIC_ROUTES``); the core narrows such a caller to the public processes
and refuses it references, so uploads, collections and everything else still
answer 401 (or 499) here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from urllib.parse import unquote_plus

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from honua.core.access import AccessPolicy
from honua.core.authenticate import Authenticator, Credentials
from honua.core.identity import ANONYMOUS, PUBLIC_ANONYMOUS, Principal
from honua.core.tenancy import Viewer, viewing_as
from honua.errors import HonuaError, InvalidToken, Unauthenticated

__all__ = ["IdentityMiddleware", "OPEN_PATHS", "challenge", "principal_of", "route_matcher"]

log = logging.getLogger(__name__)
SCOPE_KEY = "honua.principal"
REALM = "honua"
OPEN_PATHS = frozenset({
    "/", "/api", "/api/", "/api/conformance", "/arcgis/rest/info", "/arcgis/tokens",
    "/arcgis/tokens/", "/arcgis/tokens/generateToken",
    # operations: probes carry no credentials; /metrics applies its own guard
    "/health", "/ready", "/metrics",
})
OPEN_PREFIXES = ("/static/",)
"""The pages' scripts and style (Leaflet, ``web/static``): the same for everyone."""
DESCRIPTION_PATHS = frozenset({"/api/openapi", "/api/docs"})
DESCRIPTION_PREFIXES = ("/api/docs/static/",)
"""The API's description and its interactive page (Swagger UI with its assets): open to
anonymous callers of a closed server, as on pygeoapi, so that a client can learn how to log
in and call; such a caller is public-only there (``PUBLIC_ANONYMOUS``), so the definition
lists only the public processes — the paths of uploads, collections and jobs are no secret."""
FORM = "application/x-www-form-urlencoded"
Refusal = Callable[[Request, HonuaError], Response]
RoutePredicate = Callable[[Scope], bool]


def route_matcher(routes: Sequence[BaseRoute], paths: Collection[str]) -> RoutePredicate:
    """Whether a request would be answered by one of the routes whose path template is in
    ``paths`` (the first route that fully matches wins, as in Starlette's router)."""
    wanted = frozenset(paths)

    def matches(scope: Scope) -> bool:
        for route in routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return getattr(route, "path", None) in wanted
        return False

    return matches


def principal_of(request: Request) -> Principal:
    """The caller of ``request`` as the middleware found it (``ANONYMOUS`` without one)."""
    principal = request.scope.get(SCOPE_KEY)
    return principal if isinstance(principal, Principal) else ANONYMOUS


def challenge(error: HonuaError) -> str:
    """The ``WWW-Authenticate`` value of a 401 (RFC 6750: ``invalid_token`` when the token
    sent did not hold)."""
    if isinstance(error, InvalidToken):
        return f'Bearer realm="{REALM}", error="invalid_token"'
    return f'Bearer realm="{REALM}"'


def unauthenticated() -> Unauthenticated:
    return Unauthenticated(
        "this server needs credentials: an API key (X-API-Key, or Authorization: Bearer), an "
        "OIDC bearer token, or for ArcGIS clients a token from /arcgis/tokens/generateToken "
        "(token parameter)")


class IdentityMiddleware:
    def __init__(self, app: ASGIApp, authenticator: Authenticator, refuse: Refusal, *,
                 max_body: int, public_route: RoutePredicate | None = None,
                 access: AccessPolicy | None = None) -> None:
        self.app = app
        self.authenticator = authenticator
        self.access = access
        self.refuse = refuse
        self.max_body = max_body
        self.public_route = public_route
        """Given only when some process is public: the routes a public-only caller may use."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        credentials, receive = await self._credentials(scope, receive)
        try:
            principal = await self._principal(scope, credentials)
        except HonuaError as error:  # Unauthenticated, InvalidToken, an unavailable store
            if not isinstance(error, Unauthenticated):
                log.warning("cannot authenticate a request to %s: %s", scope["path"],
                            error.message)
            await self.refuse(Request(scope, receive), error)(scope, receive, send)
            return
        scope[SCOPE_KEY] = principal
        scope.setdefault("state", {})["principal"] = principal
        admin = principal.is_admin(self.authenticator.settings)
        access = self.access
        may_use = None if access is None else (
            access.is_public if principal.public_only else
            lambda process_id: access.may_use(process_id, roles=principal.roles,
                                              anonymous=principal.anonymous, admin=admin))
        viewer = Viewer(principal.tenant, admin, principal.roles, principal.anonymous,
                        principal.public_only, may_use)
        with viewing_as(viewer):  # core's job lookups answer for this caller only
            await self.app(scope, receive, send)

    async def _principal(self, scope: Scope, credentials: Credentials) -> Principal:
        open_path = scope["path"] in OPEN_PATHS or scope["path"].startswith(OPEN_PREFIXES)
        principal = ANONYMOUS
        if not credentials.empty:
            try:
                principal = await run_in_threadpool(self.authenticator.authenticate,
                                                    credentials)
            except InvalidToken:
                if not open_path:  # discovery and log-in answer even with a stale token
                    raise
        if principal.anonymous and not open_path:
            allowed = self.authenticator.cached_anonymous_decision()
            if allowed is None:
                allowed = await run_in_threadpool(self.authenticator.anonymous_may_proceed)
            if not allowed:
                if self.public_route is not None and self.public_route(scope):
                    return PUBLIC_ANONYMOUS
                if _describes(scope["path"]):
                    return PUBLIC_ANONYMOUS
                raise unauthenticated()
        return principal

    async def _credentials(self, scope: Scope, receive: Receive) -> tuple[Credentials, Receive]:
        headers = Headers(scope=scope)
        bearer = _bearer(headers.get("authorization", "")) or _bearer(
            headers.get("x-esri-authorization", ""))
        token = form_value(scope.get("query_string", b""), b"token")
        if (not (bearer or token) and "x-api-key" not in headers
                and scope["path"].startswith("/arcgis/") and scope["method"] == "POST"
                and headers.get("content-type", "").split(";")[0].strip().lower() == FORM):
            body, receive = await _buffered(receive, self.max_body)
            token = form_value(body, b"token")
        return Credentials(bearer=bearer, api_key=headers.get("x-api-key", "").strip(),
                           token=token), receive


def _describes(path: str) -> bool:
    return path in DESCRIPTION_PATHS or path.startswith(DESCRIPTION_PREFIXES)


def _bearer(value: str) -> str:
    scheme, _, credentials = value.strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def form_value(raw: bytes, name: bytes) -> str:
    """The first value of ``name`` in form-encoded ``raw`` ("" if absent), without decoding
    the rest (a GP request body can hold megabytes of percent-encoded features)."""
    prefix = name + b"="
    for part in raw.split(b"&"):
        if part.startswith(prefix):
            return unquote_plus(part[len(prefix):].decode("latin-1")).strip()
    return ""


async def _buffered(receive: Receive, limit: int) -> tuple[bytes, Receive]:
    """The body so far (up to ``limit`` bytes) and a ``receive`` that gives it again, then
    whatever the client still sends; an oversized body is left for the adapter to refuse."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False) or size > limit:
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return body, replay
