"""Short-lived server tokens, the ArcGIS way (``generateToken`` gives them, ``token=`` sends them).

A token is a JWT signed with HS256 by a secret only the server knows (the
``token_secret`` setting, or one kept in the job store's database so that every
front process agrees). It names whom it was issued to (``sub``: a principal's
subject) and when it expires; roles and tenant are *not* in it: they are read
from the user or key again on every use, so revoking a key or removing a user
ends its tokens at once. Only HS256 with this secret verifies, whatever the
token's header claims.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import jwt

from honua.errors import InvalidToken

__all__ = ["ISSUER", "TokenSigner"]

ISSUER = "honua"
"""``iss`` of server tokens: how a token is told from an OIDC one before it is verified."""
_AUDIENCE = "honua-token"
_ALGORITHM = "HS256"


class TokenSigner:
    def __init__(self, secret: bytes) -> None:
        # a fixed-length key whatever was configured (HS256 wants at least 32 bytes)
        self._key = hashlib.sha256(b"honua-token\0" + secret).digest()

    def issue(self, subject: str, now: dt.datetime, lifetime: dt.timedelta) -> tuple[str, dt.datetime]:
        """A token for ``subject`` and the moment it expires (whole seconds)."""
        expires = (now + lifetime).replace(microsecond=0)
        claims = {"iss": ISSUER, "aud": _AUDIENCE, "sub": subject, "iat": int(now.timestamp()),
                  "exp": int(expires.timestamp()), "jti": secrets.token_urlsafe(9)}
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM), expires

    def subject(self, token: str, now: dt.datetime) -> str:
        """The subject a valid, unexpired token was issued to; ``InvalidToken`` otherwise."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[_ALGORITHM], audience=_AUDIENCE,
                                issuer=ISSUER, options={"require": ["exp", "iat", "sub"],
                                                        "verify_exp": False})
        except jwt.PyJWTError:
            raise InvalidToken("the token is not valid (not issued by this server, or "
                               "altered); get a new one from generateToken") from None
        if int(claims["exp"]) <= now.timestamp():
            raise InvalidToken("the token has expired; get a new one from generateToken")
        return str(claims["sub"])
