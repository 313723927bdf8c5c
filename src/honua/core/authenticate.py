"""From credentials to a ``Principal``: the one place Honua decides who is calling.

The web layer extracts what a request carries (``Credentials``: a bearer token,
an ``X-API-Key``, an ArcGIS ``token`` parameter) and asks ``authenticate``;
``generateToken`` asks ``login`` with a user name and password (or an API key
as the password). Errors are neutral: ``InvalidToken`` for credentials that do
not hold, ``Unauthenticated`` for none where some are needed; each adapter
answers them in its protocol.

What is sent is told apart by its shape: an API key starts with ``hk_``; a JWT
whose (unverified) issuer is this server is a server token, verified with the
server's secret and HS256 only; any other JWT is an OIDC token, verified with
the issuer's keys and RS256/ES256 only. Each verifier has a fixed algorithm
list, so the header of a forged token cannot choose how it is checked.

``anonymous_may_proceed`` is the hook that decides whether a caller without
credentials is served (see the ``anonymous`` setting); per-process rules
extend it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from honua.core.identity import ANONYMOUS, KEY_PREFIX, Principal, hash_key, verify_password
from honua.core.jobs import utcnow
from honua.core.oidc import OidcVerifier
from honua.core.tokens import ISSUER, TokenSigner
from honua.errors import InvalidToken, Unauthenticated
from honua.settings import Settings
from honua.types import IdentityStore

__all__ = ["Authenticator", "Credentials", "anonymous_may_proceed"]

TOKEN_SECRET = "arcgis-token"
_IDENTITIES_TTL = 1.0
"""Seconds a "do keys or users exist" answer is reused: a key made by the CLI is seen at
once by the next request after that."""


@dataclass(frozen=True)
class Credentials:
    """What a request carried, as sent (empty strings for what it did not)."""

    bearer: str = ""
    """``Authorization: Bearer`` (or ArcGIS's ``X-Esri-Authorization: Bearer``)."""
    api_key: str = ""
    """``X-API-Key``."""
    token: str = ""
    """The ArcGIS ``token`` parameter (a server token, or an API key)."""

    @property
    def empty(self) -> bool:
        return not (self.bearer or self.api_key or self.token)


def anonymous_may_proceed(settings: Settings, identities_exist: bool) -> bool:
    """Whether a caller without credentials is served: as the ``anonymous`` setting says;
    unset, only while no key, user or OIDC issuer exists (a fresh demo server)."""
    if settings.anonymous is not None:
        return settings.anonymous
    return not identities_exist and not settings.oidc_issuer


class Authenticator:
    def __init__(self, store: IdentityStore, settings: Settings,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.oidc = OidcVerifier(settings) if settings.oidc_issuer else None
        self._signer: TokenSigner | None = None
        self._lock = threading.Lock()
        self._identities: tuple[float, bool] | None = None

    # -- the questions the web layer asks ---------------------------------------------------
    def authenticate(self, credentials: Credentials) -> Principal:
        """The caller's principal; ``InvalidToken`` for credentials that do not hold. Blocking
        (database, maybe the JWKS URL). ``ANONYMOUS`` when nothing was sent, and on a server
        that has no security yet (no key, user or OIDC issuer; not ``anonymous = false``),
        where a ``token`` left over from elsewhere is ignored as ArcGIS Server ignores it on
        an open site."""
        sent = credentials.api_key or credentials.bearer or credentials.token
        if not sent or not self.secured():
            return ANONYMOUS
        if sent.startswith(KEY_PREFIX):
            return self._key(sent)
        if _unverified_issuer(sent) == ISSUER:
            return self._server_token(sent)
        if self.oidc is not None:
            return self.oidc.verify(sent)
        raise InvalidToken("the token is not valid on this server (not an API key, not a "
                           "token from generateToken" + (", not from the OIDC issuer)"
                                                          if self.oidc else ")"))

    def anonymous_may_proceed(self) -> bool:
        """The hook: whether a caller without credentials is served (see the module)."""
        return anonymous_may_proceed(self.settings, self.identities_exist())

    def cached_anonymous_decision(self) -> bool | None:
        """``anonymous_may_proceed`` when it needs no database read now, else None."""
        if self.settings.anonymous is not None or self.settings.oidc_issuer:
            return anonymous_may_proceed(self.settings, True)
        cached = self._identities
        if cached is not None and time.monotonic() - cached[0] < _IDENTITIES_TTL:
            return anonymous_may_proceed(self.settings, cached[1])
        return None

    def secured(self) -> bool:
        """Whether clients should expect to authenticate (``authInfo`` says so)."""
        return self.settings.anonymous is False or bool(self.settings.oidc_issuer) \
            or self.identities_exist()

    def identities_exist(self) -> bool:
        now = time.monotonic()
        cached = self._identities
        if cached is not None and now - cached[0] < _IDENTITIES_TTL:
            return cached[1]
        exist = self.store.has_identities()
        self._identities = (now, exist)
        return exist

    # -- generateToken --------------------------------------------------------------------------
    def login(self, username: str, password: str) -> Principal:
        """The principal of a user name and password, or of an API key given as the password
        with no user name; ``Unauthenticated`` when they do not match (the same answer for an
        unknown user as for a wrong password)."""
        if not username and password.startswith(KEY_PREFIX):
            try:
                return self._key(password)
            except InvalidToken:
                raise Unauthenticated("invalid API key") from None
        user = self.store.user(username) if username else None
        if not verify_password(password, user.password_hash if user else None) or user is None:
            raise Unauthenticated("invalid username or password")
        return user.principal()

    def issue_token(self, principal: Principal, minutes: int | None) -> tuple[str, dt.datetime]:
        """A server token for ``principal``: ``minutes`` (default ``token_minutes``) capped at
        ``token_max_minutes``; and when it expires."""
        if principal.anonymous:
            raise Unauthenticated("tokens are issued to users and API keys only")
        wanted = self.settings.token_minutes if minutes is None or minutes <= 0 else minutes
        lifetime = dt.timedelta(minutes=min(wanted, self.settings.token_max_minutes))
        return self._token_signer().issue(principal.subject, self.clock(), lifetime)

    # -- the kinds of credentials ---------------------------------------------------------------
    def _key(self, key: str) -> Principal:
        record = self.store.key_by_digest(hash_key(key))
        if record is None:
            raise InvalidToken("the API key is not known to this server")
        if record.revoked:
            raise InvalidToken(f"the API key {record.name!r} has been revoked")
        if not record.usable(self.clock()):
            raise InvalidToken(f"the API key {record.name!r} has expired")
        return record.principal()

    def _server_token(self, token: str) -> Principal:
        subject = self._token_signer().subject(token, self.clock())
        kind, _, name = subject.partition(":")
        if kind == "user":
            user = self.store.user(name)
            if user is None:
                raise InvalidToken("the token's user no longer exists")
            return user.principal("token")
        if kind == "key":
            key = self.store.key(name)
            if key is None or not key.usable(self.clock()):
                raise InvalidToken("the token's API key has been revoked or has expired")
            return key.principal("token")
        raise InvalidToken("the token names no user or API key")

    def _token_signer(self) -> TokenSigner:
        with self._lock:
            if self._signer is None:
                secret = self.settings.token_secret.encode() or self.store.secret(TOKEN_SECRET)
                self._signer = TokenSigner(secret)
            return self._signer


def _unverified_issuer(token: str) -> str:
    """The ``iss`` a JWT claims (not verified: only to choose the verifier); "" if not a JWT."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return ""
    issuer = claims.get("iss")
    return issuer if isinstance(issuer, str) else ""
