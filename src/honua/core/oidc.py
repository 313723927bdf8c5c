"""OIDC bearer tokens: JWTs from an identity provider, checked with PyJWT.

Accepted only when signed by a key of the issuer's JWKS (a file, read once, or
an ``https://`` URL, fetched by ``PyJWKClient`` and cached) with RS256 or ES256
— never ``none`` nor an HMAC algorithm, so a token "signed" with the public key
as an HS256 secret cannot pass — and only when ``iss``, ``aud`` and ``exp``
are present and right, with the configured clock skew (at most 300 s). Roles
and tenant come from the claims the settings name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt

from honua.core.identity import Principal
from honua.errors import InvalidToken, Unavailable
from honua.settings import Settings

__all__ = ["ALGORITHMS", "MAX_LEEWAY", "OidcVerifier"]

ALGORITHMS = ["RS256", "ES256"]
MAX_LEEWAY = 300.0
KeyFinder = Callable[[str], Any]


class OidcVerifier:
    def __init__(self, settings: Settings) -> None:
        if not settings.oidc_audience or not settings.oidc_jwks:
            raise ValueError("oidc_issuer needs oidc_audience and oidc_jwks (the issuer's JWKS "
                             "file or URL) too")
        if not 0 <= settings.oidc_leeway_seconds <= MAX_LEEWAY:
            raise ValueError(f"oidc_leeway_seconds must be between 0 and {MAX_LEEWAY:g}")
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.leeway = settings.oidc_leeway_seconds
        self.roles_claim = settings.oidc_roles_claim
        self.tenant_claim = settings.oidc_tenant_claim
        self._key_for = _key_finder(settings.oidc_jwks)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; ``InvalidToken`` for anything else."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                raise InvalidToken(f"bearer tokens must be signed with {' or '.join(ALGORITHMS)}")
            claims = jwt.decode(token, self._key_for(token), algorithms=ALGORITHMS,
                                audience=self.audience, issuer=self.issuer, leeway=self.leeway,
                                options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the bearer token has expired") from None
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidToken(f"the bearer token is not valid: {exc}") from None
        return Principal(f"oidc:{claims['sub']}", _text(claims.get(self.tenant_claim)),
                         _roles(claims.get(self.roles_claim)), "oidc")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _roles(value: Any) -> frozenset[str]:
    """A list of role names, or one space-separated string (as ``scope`` claims are)."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()


def _key_finder(jwks: str) -> KeyFinder:
    if jwks.startswith(("https://", "http://")):
        client = jwt.PyJWKClient(jwks, cache_keys=True, lifespan=300, timeout=10)

        def from_url(token: str) -> Any:
            try:
                return client.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientConnectionError as exc:
                raise Unavailable(f"the identity provider's keys cannot be fetched ({exc})"
                                  ) from None

        return from_url
    try:
        key_set = jwt.PyJWKSet.from_dict(json.loads(Path(jwks).read_text()))
    except (OSError, ValueError, jwt.PyJWTError) as exc:
        raise ValueError(f"oidc_jwks {jwks!r} is not a readable JWKS file: {exc}") from exc

    def from_file(token: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = [k for k in key_set.keys if kid is None or k.key_id == kid]
        if kid is None and len(keys) != 1:
            raise InvalidToken("the bearer token names no key (kid) and the JWKS has several")
        if not keys:
            raise InvalidToken(f"the bearer token's key {kid!r} is not in the issuer's JWKS")
        return keys[0].key

    return from_file
