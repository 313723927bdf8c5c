"""Identity end to end through the app: keys, users and tokens on every surface."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.identity import ApiKey, User, hash_key, hash_password, new_key
from tests.support.jwts import AUDIENCE, ISSUER, Provider

GP = "/arcgis/rest/services/Geoprocessing/GPServer"
FEATURES = json.dumps({"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
                       "features": [{"geometry": {"x": 0, "y": 0}}]})
DISTANCE = json.dumps({"distance": 100, "units": "esriMeters"})
NOW = dt.datetime.now(dt.UTC)


def _secured(settings, **changes):
    settings = settings.replace(**changes)
    services = build_services(settings)
    store = services.authenticator.store
    key = new_key()
    store.add_key(ApiKey("ci", hash_key(key), "acme", frozenset({"analyst"}), NOW))
    store.add_user(User("alice", "acme", frozenset({"analyst"}), hash_password("s3cret-pw"), NOW))
    return services, key


@pytest.fixture
def secured(settings):
    services, key = _secured(settings)
    with TestClient(create_app(settings, services=services), raise_server_exceptions=False) as c:
        yield c, services, key


def _token(client, **form) -> dict:
    form = {"username": "alice", "password": "s3cret-pw", "f": "json"} | form
    return client.post("/arcgis/tokens/generateToken", data=form).json()


def test_open_server_serves_anonymous_callers_and_says_it_has_no_token_security(client):
    assert client.get("/api/processes").status_code == 200
    info = client.get("/arcgis/rest/info?f=json").json()
    assert info["authInfo"] == {"isTokenBasedSecurity": False}


def test_ogc_api_and_wps_answer_401_with_www_authenticate(secured):
    client, _, _ = secured
    problem = client.get("/api/jobs")
    assert problem.status_code == 401 and problem.headers["www-authenticate"] == \
        'Bearer realm="honua"'
    assert problem.json()["type"] == "urn:honua:problem:unauthenticated"
    report = client.get("/wps?service=WPS&request=GetCapabilities")
    assert report.status_code == 401 and report.headers["www-authenticate"].startswith("Bearer")
    assert b"ExceptionReport" in report.content
    bad = client.get("/api/jobs", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]


def test_discovery_and_log_in_stay_open(secured):
    client, _, _ = secured
    assert client.get("/api").status_code == 200
    assert client.get("/api/conformance").status_code == 200
    info = client.get("/arcgis/rest/info?f=json").json()["authInfo"]
    assert info["isTokenBasedSecurity"] is True and info["shortLivedTokenValidity"] == 60
    assert info["tokenServicesUrl"].endswith("/arcgis/tokens/generateToken")


@pytest.mark.parametrize("closed", [True, False])
def test_api_docs_page_and_definition_open_to_anonymous_callers(settings, closed):
    """The interactive API page works before logging in, as the landing page does; on a
    closed server it lists no process to an anonymous caller, and a key shows them."""
    services, key = _secured(settings, anonymous=not closed)
    with TestClient(create_app(settings.replace(anonymous=not closed), services=services),
                    raise_server_exceptions=False) as client:
        page = client.get("/api/docs")
        assert page.status_code == 200 and "swagger" in page.text.lower()
        assets = re.findall(r'(?:src|href)="(/api/docs/static/[^"]+)"', page.text)
        assert assets and all(client.get(a).status_code == 200 for a in assets)
        definition = client.get("/api/openapi")
        assert definition.status_code == 200
        executions = [p for p in definition.json()["paths"] if p.endswith("/execution")
                      and p.startswith("/processes/")]
        assert bool(executions) is (not closed)
        member = client.get("/api/openapi", headers={"X-API-Key": key}).json()["paths"]
        assert "/processes/buffer/execution" in member
        if closed:  # the rest of the API still wants credentials
            assert client.get("/api/processes").status_code == 401
            assert client.get("/api/docs", headers={
                "Authorization": "Bearer nonsense"}).status_code == 401


def test_key_works_via_x_api_key_and_bearer_until_revoked(secured):
    client, services, key = secured
    assert client.get("/api/jobs", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/jobs", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    services.authenticator.store.revoke_key("ci")
    refused = client.get("/api/jobs", headers={"X-API-Key": key})
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_expired_key_is_refused(settings):
    services, _ = _secured(settings)
    key = new_key()
    services.authenticator.store.add_key(ApiKey("old", hash_key(key), "acme", frozenset(),
                                                NOW - dt.timedelta(days=2),
                                                NOW - dt.timedelta(days=1)))
    with TestClient(create_app(settings, services=services)) as client:
        refused = client.get("/api/processes", headers={"X-API-Key": key})
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]


def test_gpserver_without_token_499_with_bad_token_498(secured):
    client, _, _ = secured
    missing = client.get(f"{GP}?f=json")
    assert missing.status_code == 200
    assert missing.json()["error"]["code"] == 499
    assert missing.json()["error"]["message"] == "Token Required"
    invalid = client.get(f"{GP}?f=json&token=forged.jwt.value").json()["error"]
    assert invalid["code"] == 498 and invalid["message"] == "Invalid Token"


def test_generate_token_then_submit_job_records_the_owner(secured):
    client, services, _ = secured
    answer = _token(client, expiration="30")
    assert set(answer) == {"token", "expires", "ssl"} and answer["ssl"] is False
    minutes = (answer["expires"] / 1000 - dt.datetime.now(dt.UTC).timestamp()) / 60
    assert 29 < minutes <= 30
    form = {"f": "json", "token": answer["token"], "features": FEATURES, "distance": DISTANCE}
    job = client.post(f"{GP}/Buffer/submitJob", data=form).json()
    assert job["jobStatus"].startswith("esriJob"), job
    stored = services.manager.get(job["jobId"])
    assert (stored.owner, stored.tenant) == ("user:alice", "acme")
    status = client.get(f"{GP}/Buffer/jobs/{job['jobId']}",
                        params={"f": "json", "token": answer["token"]}).json()
    assert status["jobId"] == job["jobId"]


def test_generate_token_refuses_wrong_password_and_get(secured):
    client, _, key = secured
    error = _token(client, password="wrong")["error"]
    assert error["code"] == 400 and error["message"] == "Unable to generate token."
    assert _token(client, username="", password=key)["token"]
    got = client.get("/arcgis/tokens/generateToken?username=alice&password=s3cret-pw&f=json")
    assert got.json()["error"]["code"] == 400


def test_expired_token_498(secured):
    client, services, _ = secured
    token = _token(client, expiration="1")["token"]
    services.authenticator.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    error = client.get(f"{GP}?f=json", params={"token": token}).json()["error"]
    assert error["code"] == 498 and "expired" in error["details"][0]


def test_anonymous_setting_true_and_false(settings):
    services, _ = _secured(settings, anonymous=True)
    with TestClient(create_app(services.settings, services=services)) as client:
        assert client.get("/api/processes").status_code == 200
    closed = settings.replace(anonymous=False, data_dir=settings.data_dir / "closed")
    with TestClient(create_app(closed)) as client:
        assert client.get("/api/processes").status_code == 401


def test_oidc_bearer_runs_a_process_owned_by_its_subject(settings, tmp_path):
    provider = Provider.new()
    oidc = settings.replace(oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                            oidc_jwks=str(provider.write_jwks(tmp_path / "jwks.json")))
    services = build_services(oidc)
    body = {"inputs": {"features": {"type": "Point", "coordinates": [1, 2]},
                       "distance": {"value": 10, "unit": "meters"}}}
    with TestClient(create_app(oidc, services=services)) as client:
        assert client.get("/api/processes").status_code == 401  # an issuer: no anonymous
        headers = {"Authorization": f"Bearer {provider.token('ES256')}",
                   "Prefer": "respond-async"}
        created = client.post("/api/processes/buffer/execution", json=body, headers=headers)
        assert created.status_code == 201, created.text
        job = services.manager.get(created.json()["jobID"])
        assert (job.owner, job.tenant) == ("oidc:u-123", "acme")
        forged = Provider.new().token()
        assert client.get("/api/jobs", headers={"Authorization": f"Bearer {forged}"}
                          ).status_code == 401
