"""One CORS rule on all three surfaces (setting ``cors_origins``)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from honua.app import create_app

SURFACES = ["/api", "/arcgis/rest/services/Geoprocessing/GPServer?f=json",
            "/wps?service=WPS&request=GetCapabilities"]
PAGE = "https://maps.example.org"
EVIL = "https://evil.example.com"


@pytest.fixture
def listed(settings):
    app = create_app(settings.replace(cors_origins=f"{PAGE}, https://other.example.org"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", SURFACES)
def test_cors_default_is_any_origin_without_credentials(client, path):
    """With *, a page on any site may read answers, but never with the user's credentials."""
    answer = client.get(path, headers={"Origin": EVIL, "Cookie": "session=1"})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


@pytest.mark.parametrize("path", SURFACES)
def test_cors_listed_origin_is_echoed_with_credentials(listed, path):
    answer = listed.get(path, headers={"Origin": PAGE})
    assert answer.headers["access-control-allow-origin"] == PAGE
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in answer.headers["vary"]


@pytest.mark.parametrize("path", SURFACES)
def test_cors_unlisted_origin_gets_no_cors_headers(listed, path):
    answer = listed.get(path, headers={"Origin": EVIL})
    assert answer.status_code == 200
    assert not [h for h in answer.headers if h.lower().startswith("access-control-")]


@pytest.mark.parametrize("path", SURFACES)
def test_cors_preflight_answers_listed_origin_only(listed, path):
    ask = {"Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "Content-Type, Prefer"}
    allowed = listed.options(path, headers={"Origin": PAGE, **ask})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == PAGE
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["access-control-allow-headers"] == "Content-Type, Prefer"
    refused = listed.options(path, headers={"Origin": EVIL, **ask})
    assert not [h for h in refused.headers if h.lower().startswith("access-control-")]


def test_cors_preflight_default_is_any_origin(client):
    answer = client.options("/api/processes/buffer/execution", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers


def test_cors_empty_setting_sends_no_cors_headers(settings):
    with TestClient(create_app(settings.replace(cors_origins=""))) as client:
        answer = client.get("/api", headers={"Origin": PAGE})
    assert "access-control-allow-origin" not in answer.headers


def test_cors_exposes_location_to_pages(client):
    """An async OGC API job's Location must be readable by a page following it."""
    answer = client.get("/api", headers={"Origin": PAGE})
    assert "Location" in answer.headers["access-control-expose-headers"]


@pytest.mark.parametrize("header", ["Location", "Link", "Preference-Applied", "Retry-After",
                                    "Content-Disposition", "X-Request-Id", "Content-Range",
                                    "Accept-Ranges"])
def test_cors_exposes_the_headers_clients_read(client, header):
    answer = client.get("/api", headers={"Origin": PAGE})
    exposed = [h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")]
    assert header.lower() in exposed


def test_cors_page_can_read_the_request_id_it_was_given(client):
    """The id a user quotes when reporting a failure is on the answer and exposed to the page."""
    answer = client.get("/api/processes/nope", headers={"Origin": EVIL})
    assert answer.status_code == 404
    assert answer.headers["x-request-id"]
    assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()
