"""ArcGIS token security: ``/arcgis/tokens/generateToken`` and the ``authInfo`` of ``rest/info``.

As on ArcGIS Server: ``generateToken`` takes a POSTed form with ``username``
and ``password`` (or, Honua's addition, an API key as the password and no user
name), an optional ``expiration`` in minutes (capped by the server), and
answers ``{"token", "expires" (ms since the epoch), "ssl"}``. ``client``,
``referer`` and ``ip`` are accepted and not enforced: a Honua token is a bearer
token, valid from anywhere until it expires. Wrong credentials get ArcGIS's
``400 Unable to generate token.`` without saying which part was wrong.
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from honua.adapters.gpserver.call import Call
from honua.adapters.gpserver.errors import error_document
from honua.adapters.gpserver.responses import json_response
from honua.core.authenticate import Authenticator
from honua.errors import InvalidParameter, NotSupported, Unauthenticated

__all__ = ["TOKENS_PATH", "TokenService"]

TOKENS_PATH = "/arcgis/tokens/generateToken"
_LOGINS = anyio.CapacityLimiter(2)
"""Password checks (scrypt, ~0.1 s and 32 MiB each) at once: a flood of log-ins queues here
instead of taking every thread of the server."""


class TokenService:
    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    async def auth_info(self, base: str) -> dict[str, Any]:
        """``authInfo`` of ``rest/info``: token-based security once keys or users exist."""
        if not await run_in_threadpool(self.authenticator.secured):
            return {"isTokenBasedSecurity": False}
        return {"isTokenBasedSecurity": True, "tokenServicesUrl": f"{base}{TOKENS_PATH}",
                "shortLivedTokenValidity": self.authenticator.settings.token_minutes}

    async def generate(self, call: Call) -> Response:
        if call.request.method != "POST":
            raise NotSupported("generateToken takes POST only: credentials never go in a URL "
                               "(send username and password as a form body)")
        username = call.params.get("username", "").strip()
        password = call.params.get("password", "")
        if not password:
            raise InvalidParameter("generateToken needs a username and password (or an API "
                                   "key as the password)", parameter="password")
        minutes = _minutes(call.params.get("expiration", ""))
        try:
            principal = await anyio.to_thread.run_sync(self.authenticator.login, username,
                                                       password, limiter=_LOGINS)
        except Unauthenticated as error:
            return json_response(error_document(400, "Unable to generate token.",
                                                [_capitalised(error.message)]),
                                 "json" if call.f == "html" else call.f, call.params)
        token, expires = await run_in_threadpool(self.authenticator.issue_token, principal,
                                                 minutes)
        document = {"token": token, "expires": int(expires.timestamp() * 1000), "ssl": False}
        return json_response(document, "json" if call.f == "html" else call.f, call.params)


def _minutes(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        raise InvalidParameter(f"expiration {text!r} is not a number of minutes",
                               parameter="expiration") from None


def _capitalised(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
