"""Who is calling: the ``Principal``, and the stored identities it comes from.

A principal is a frozen value handed from the web layer to the core; nothing in
it is a credential. Its ``subject`` is what jobs and uploads record as their
owner, prefixed by where it came from (``user:alice``, ``key:ci-bot``,
``oidc:<sub>``) so that a user and a key of the same name never share
anything; the anonymous caller has the empty subject and tenant, the owner
that records made before authentication existed already carry.

API keys are 32 random bytes: stored is only their SHA-256 (a key is not a
password, nobody can guess it, so a fast hash is enough and lets a lookup by
digest find it). Built-in users' passwords are hashed with scrypt, salted,
with parameters that cost 32 MiB and about 0.1 s per try, and compared in
constant time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from honua.settings import Settings

__all__ = [
    "ANONYMOUS", "PUBLIC_ANONYMOUS", "ApiKey", "KEY_PREFIX", "Principal", "User", "hash_key", "hash_password",
    "new_key", "parse_duration", "verify_password",
]

KINDS = ("anonymous", "key", "user", "oidc", "token")
KEY_PREFIX = "hk_"
"""API keys start with this, so that a key and a token sent the same way are told apart."""
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller (or ``ANONYMOUS``)."""

    subject: str
    tenant: str
    roles: frozenset[str] = field(default_factory=frozenset)
    kind: str = "anonymous"
    public_only: bool = False
    """An anonymous caller let in only because ``[[honua.access]]`` marks some processes
    public on a server that otherwise refuses anonymity: it may use those processes and the
    jobs it made with them, nothing else (no other process, upload, collection or layer
    reference)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown principal kind {self.kind!r}; one of {', '.join(KINDS)}")
        object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"

    def is_admin(self, settings: Settings) -> bool:
        """Whether any of the caller's roles is one of ``settings.admin_roles``."""
        return not self.roles.isdisjoint(settings.admin_roles)


ANONYMOUS = Principal(subject="", tenant="", roles=frozenset(), kind="anonymous")
PUBLIC_ANONYMOUS = Principal(subject="", tenant="", roles=frozenset(), kind="anonymous",
                             public_only=True)


@dataclass(frozen=True)
class ApiKey:
    """A stored API key: everything but the key itself."""

    name: str
    digest: str
    tenant: str
    roles: frozenset[str]
    created: dt.datetime
    expires: dt.datetime | None = None
    revoked: bool = False

    def usable(self, now: dt.datetime) -> bool:
        return not self.revoked and (self.expires is None or now < self.expires)

    def principal(self, kind: str = "key") -> Principal:
        return Principal(f"key:{self.name}", self.tenant, self.roles, kind)


@dataclass(frozen=True)
class User:
    """A built-in user; ``password_hash`` as ``hash_password`` writes it."""

    name: str
    tenant: str
    roles: frozenset[str]
    password_hash: str
    created: dt.datetime

    def principal(self, kind: str = "user") -> Principal:
        return Principal(f"user:{self.name}", self.tenant, self.roles, kind)


def check_name(name: str, what: str) -> str:
    """``name`` when it is a usable key/user/role/tenant name; ``ValueError`` otherwise."""
    if not NAME.match(name):
        raise ValueError(f"{what} {name!r} is not a valid name: letters, digits and . _ @ + - "
                         "(starting with a letter or digit, at most 128)")
    return name


def roles_of(roles: Iterable[str]) -> frozenset[str]:
    return frozenset(check_name(role, "role") for role in roles)


# -- API keys ---------------------------------------------------------------------------------
def new_key() -> str:
    """A fresh API key: the prefix and 32 random bytes, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of ``key``: its SHA-256, hex."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


# -- passwords --------------------------------------------------------------------------------
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
"""32 MiB per hash (128 * n * r bytes): memory-hard, about 0.1 s on one core."""
_MAXMEM = 64 * 1024 * 1024
_DUMMY = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64 without padding) of ``password``, freshly salted."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; with ``stored=None`` (no such user) the same
    work is done, so the time taken does not tell which user names exist."""
    try:
        scheme, n, r, p, salt, digest = (stored or _DUMMY).split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(computed, _unb64(digest)) and stored is not None
    except (ValueError, TypeError):
        return False


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                          maxmem=_MAXMEM, dklen=32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- durations --------------------------------------------------------------------------------
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw]?)\s*$")
_UNITS = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> dt.timedelta:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` (a bare number is days)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; write e.g. 30d, 12h, 90m or 2w")
    return dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])
