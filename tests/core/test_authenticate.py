"""The Authenticator: API keys, users and server tokens, OIDC JWTs (and forgeries of them)."""

from __future__ import annotations

import datetime as dt

import pytest

from honua.core.authenticate import Authenticator, Credentials, anonymous_may_proceed
from honua.core.identity import ANONYMOUS, ApiKey, User, hash_key, hash_password, new_key
from honua.errors import InvalidToken, Unauthenticated
from honua.settings import Settings
from honua.store.memory import MemoryIdentityStore
from tests.support.jwts import AUDIENCE, ISSUER, Provider, hs256_with_public_key, unsigned

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def store():
    return MemoryIdentityStore()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def auth(store, clock):
    return Authenticator(store, Settings(), clock=clock)


def _key(store, name="ci", *, expires=None, tenant="acme", roles=("analyst",)) -> str:
    key = new_key()
    store.add_key(ApiKey(name, hash_key(key), tenant, frozenset(roles), NOW, expires=expires))
    return key


def _user(store, name="alice", password="s3cret-pw", tenant="acme", roles=("analyst",)):
    store.add_user(User(name, tenant, frozenset(roles), hash_password(password), NOW))


@pytest.mark.parametrize(("setting", "exist", "oidc", "allowed"), [
    (None, False, "", True), (None, True, "", False), (None, False, ISSUER, False),
    (True, True, ISSUER, True), (False, False, "", False),
])
def test_anonymous_may_proceed_follows_the_setting(setting, exist, oidc, allowed):
    assert anonymous_may_proceed(Settings(anonymous=setting, oidc_issuer=oidc), exist) is allowed


def test_api_key_authenticates_as_its_key_with_roles_and_tenant(auth, store):
    key = _key(store)
    for credentials in (Credentials(api_key=key), Credentials(bearer=key), Credentials(token=key)):
        principal = auth.authenticate(credentials)
        assert (principal.subject, principal.tenant, principal.roles, principal.kind) == (
            "key:ci", "acme", frozenset({"analyst"}), "key")


def test_revoked_expired_and_unknown_keys_are_invalid(auth, store, clock):
    key = _key(store, expires=NOW + dt.timedelta(days=1))
    store.revoke_key("ci")
    with pytest.raises(InvalidToken, match="revoked"):
        auth.authenticate(Credentials(api_key=key))
    other = _key(store, "nightly", expires=NOW + dt.timedelta(days=1))
    clock.now = NOW + dt.timedelta(days=1, seconds=1)
    with pytest.raises(InvalidToken, match="expired"):
        auth.authenticate(Credentials(api_key=other))
    with pytest.raises(InvalidToken, match="not known"):
        auth.authenticate(Credentials(api_key=new_key()))


def test_credentials_are_ignored_while_the_server_has_no_security(auth):
    assert auth.authenticate(Credentials(token="left-over")) is ANONYMOUS
    assert auth.authenticate(Credentials()) is ANONYMOUS


def test_login_with_password_or_key_then_token_round_trip(auth, store, clock):
    _user(store)
    principal = auth.login("alice", "s3cret-pw")
    assert principal.subject == "user:alice" and principal.kind == "user"
    token, expires = auth.issue_token(principal, 30)
    assert expires == NOW + dt.timedelta(minutes=30)
    through_token = auth.authenticate(Credentials(token=token))
    assert (through_token.subject, through_token.tenant, through_token.kind) == (
        "user:alice", "acme", "token")
    key = _key(store, "bot")
    assert auth.login("", key).subject == "key:bot"


def test_login_refuses_wrong_password_unknown_user_and_bad_key(auth, store):
    _user(store)
    for username, password in (("alice", "wrong"), ("bob", "s3cret-pw"), ("", new_key()),
                               ("", "s3cret-pw")):
        with pytest.raises(Unauthenticated):
            auth.login(username, password)


def test_token_expiry_is_capped_and_expired_tokens_are_invalid(store, clock):
    auth = Authenticator(store, Settings(token_max_minutes=120), clock=clock)
    _user(store)
    token, expires = auth.issue_token(auth.login("alice", "s3cret-pw"), 100000)
    assert expires == NOW + dt.timedelta(minutes=120)
    clock.now = expires
    with pytest.raises(InvalidToken, match="expired"):
        auth.authenticate(Credentials(token=token))


def test_token_of_a_revoked_key_or_removed_user_stops_working(auth, store):
    key = _key(store, "bot")
    token, _ = auth.issue_token(auth.login("", key), 60)
    store.revoke_key("bot")
    with pytest.raises(InvalidToken, match="revoked"):
        auth.authenticate(Credentials(token=token))


def test_token_altered_or_signed_by_another_server_is_invalid(store, clock):
    _user(store)
    auth = Authenticator(store, Settings(), clock=clock)
    token, _ = auth.issue_token(auth.login("alice", "s3cret-pw"), 60)
    header, body, signature = token.split(".")
    with pytest.raises(InvalidToken, match="not valid"):
        auth.authenticate(Credentials(token=f"{header}.{body}.{signature[::-1]}"))
    elsewhere = MemoryIdentityStore()
    _user(elsewhere)
    foreign = Authenticator(elsewhere, Settings(), clock=clock)
    token, _ = foreign.issue_token(foreign.login("alice", "s3cret-pw"), 60)
    with pytest.raises(InvalidToken):
        auth.authenticate(Credentials(token=token))


def test_configured_token_secret_is_shared_by_two_servers(clock):
    stores = [MemoryIdentityStore(), MemoryIdentityStore()]
    for store in stores:
        _user(store)
    first, second = (Authenticator(s, Settings(token_secret="shared secret"), clock=clock)
                     for s in stores)
    token, _ = first.issue_token(first.login("alice", "s3cret-pw"), 60)
    assert second.authenticate(Credentials(token=token)).subject == "user:alice"


# -- OIDC -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def provider():
    return Provider.new()


@pytest.fixture
def oidc(provider, store, tmp_path):
    settings = Settings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                        oidc_jwks=str(provider.write_jwks(tmp_path / "jwks.json")))
    return Authenticator(store, settings)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_oidc_token_gives_subject_roles_and_tenant_from_claims(oidc, provider, alg):
    principal = oidc.authenticate(Credentials(bearer=provider.token(alg)))
    assert (principal.subject, principal.tenant, principal.roles, principal.kind) == (
        "oidc:u-123", "acme", frozenset({"analyst"}), "oidc")


def test_oidc_claims_named_by_the_settings(provider, store, tmp_path):
    settings = Settings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                        oidc_jwks=str(provider.write_jwks(tmp_path / "jwks.json")),
                        oidc_roles_claim="groups", oidc_tenant_claim="org")
    token = provider.token(groups="gis admin", org="city")
    principal = Authenticator(store, settings).authenticate(Credentials(bearer=token))
    assert principal.roles == frozenset({"gis", "admin"}) and principal.tenant == "city"


FORGERIES = {  # forgery -> why it is refused
    "wrong signature": "Signature verification failed", "wrong issuer": "Invalid issuer",
    "wrong audience": "Audience doesn't match", "expired": "expired", "no expiry": '"exp"',
    "alg none": "RS256 or ES256", "HS256 with the public key": "RS256 or ES256",
    "unknown kid": "not in the issuer's JWKS", "RS384": "RS256 or ES256", "not a JWT": "header",
}


@pytest.fixture(scope="module")
def forgeries(provider):
    return _forgeries(provider)


def _forgeries(provider: Provider) -> dict[str, str]:
    other = Provider.new()
    now = provider.claims()["iat"]
    return {
        "wrong signature": other.token(),
        "wrong issuer": provider.token(iss="https://evil.example.org"),
        "wrong audience": provider.token(aud="someone-else"),
        "expired": provider.token(exp=now - 120),
        "no expiry": provider.token(exp=None),
        "alg none": unsigned(provider.claims()),
        "HS256 with the public key": hs256_with_public_key(provider, provider.claims()),
        "unknown kid": provider.token(kid="rsa-2"),
        "RS384": provider.token("RS384"),
        "not a JWT": "abc.def.ghi",
    }


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_oidc_forged_tokens_are_refused(oidc, forgeries, forgery):
    with pytest.raises(InvalidToken, match=FORGERIES[forgery]):
        oidc.authenticate(Credentials(bearer=forgeries[forgery]))


def test_oidc_leeway_is_the_setting_and_bounded(provider, store, tmp_path):
    jwks = str(provider.write_jwks(tmp_path / "jwks.json"))
    settings = Settings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks=jwks)
    recent = provider.token(exp=provider.claims()["iat"] - 30)  # 30 s ago: within 60 s
    assert Authenticator(store, settings).authenticate(Credentials(bearer=recent)).subject
    with pytest.raises(InvalidToken, match="expired"):
        strict = settings.replace(oidc_leeway_seconds=0)
        Authenticator(store, strict).authenticate(Credentials(bearer=recent))
    with pytest.raises(ValueError, match="oidc_leeway_seconds"):
        Authenticator(store, settings.replace(oidc_leeway_seconds=3600))


def test_oidc_needs_audience_and_keys(store):
    with pytest.raises(ValueError, match="oidc_audience"):
        Authenticator(store, Settings(oidc_issuer=ISSUER))
